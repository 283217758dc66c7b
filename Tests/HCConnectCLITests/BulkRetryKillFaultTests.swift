import Foundation
import Postgres
import TestSupport
import Testing

extension IntegrationSuites {
    /// A bulk repair run as a real process and killed with SIGKILL at random points (seeded),
    /// several times, then run to completion. After every kill and at the end the log is
    /// compared row by row with the snapshot taken before: the work committed is whole batches
    /// (a prefix of what that run selected, in id order, a multiple of the batch size long),
    /// each changed entry has exactly its one copy or capture, nothing outside the selection
    /// changed, and no entry was done twice.
    @Suite(.serialized, .tags(.process, .fault)) struct BulkRetryKillFaultTests {
        /// The repairs tried.
        enum Mode: String, CaseIterable, CustomTestStringConvertible {
            case mergedRetry, orderedRetry, ignore

            var arguments: [String] {
                switch self {
                case .mergedRetry: ["retry", "--write-mode", "merged"]
                case .orderedRetry: ["retry", "--write-mode", "ordered"]
                case .ignore: ["ignore"]
                }
            }

            var testDescription: String { rawValue }
        }

        /// Failures written: ids 1...failures, a third live and the rest archived, interleaved
        /// so that batches mix the two tables; one in ten on contact (outside the selection).
        private let failures = 1200
        private let batchSize = 7
        private let kills = 5

        /// One fixture entry that the run must change.
        struct Source {
            let key: LogSnapshot.Key
            let action: String
            let recordID: Int
        }

        /// Writes the fixture: FAILED entries of account (selected) and contact (not), entries in
        /// other states (never touched), and for ordered writes the account records, written as
        /// Connect writes them (xmlbinary hex: not logged).
        private func fill(_ schema: ConnectTestSchema) throws {
            try schema.execute("""
                INSERT INTO _trigger_log_archive (id, txid, created_at, updated_at, processed_at, processed_tx, state, action,
                                                  table_name, record_id, sfid, old, "values", sf_result, sf_message)
                SELECT g, 1000 + g, now() - interval '2 days' + g * interval '1 second', now() - interval '1 day',
                       now() - interval '1 day', 5000 + g, 'FAILED',
                       CASE WHEN g % 11 = 0 THEN 'DELETE' WHEN g % 4 = 1 THEN 'INSERT' ELSE 'UPDATE' END,
                       CASE WHEN g % 10 = 7 THEN 'contact' ELSE 'account' END, g, NULL, '"name"=>"old ' || g || '"',
                       CASE WHEN g % 11 <> 0 THEN '"name"=>"new ' || g || '"' END, 1, 'failure ' || g
                FROM generate_series(1, \(failures)) AS g WHERE g % 3 <> 0
                """)
            try schema.execute("""
                INSERT INTO _trigger_log (id, txid, created_at, updated_at, state, action, table_name, record_id, "values",
                                          sf_result, sf_message)
                SELECT g, 1000 + g, now() - interval '1 hour', now() - interval '30 minutes', 'FAILED',
                       CASE WHEN g % 11 = 0 THEN 'DELETE' WHEN g % 4 = 1 THEN 'INSERT' ELSE 'UPDATE' END,
                       CASE WHEN g % 10 = 7 THEN 'contact' ELSE 'account' END, g,
                       CASE WHEN g % 11 <> 0 THEN '"name"=>"new ' || g || '"' END, 1, 'failure ' || g
                FROM generate_series(1, \(failures)) AS g WHERE g % 3 = 0
                """)
            // Entries in other states, in both tables: never touched.
            let states = "(ARRAY['SUCCESS', 'NEW', 'REQUEUED', 'IGNORED', 'PENDING', 'MERGED'])[1 + g % 6]"
            try schema.execute("""
                INSERT INTO _trigger_log_archive (id, created_at, state, action, table_name, record_id, sf_message)
                SELECT \(failures) + g, now() - interval '3 days', \(states), 'UPDATE', 'account', g, 'other ' || g
                FROM generate_series(1, 30) AS g
                """)
            try schema.execute("""
                INSERT INTO _trigger_log (id, created_at, state, action, table_name, record_id, sf_message)
                SELECT \(failures) + 30 + g, now() - interval '3 hours', \(states), 'UPDATE', 'account', g, 'other ' || g
                FROM generate_series(1, 30) AS g
                """)
            try schema.execute("SELECT setval('_trigger_log_id_seq', \(failures + 60))")
            try schema.execute("SET xmlbinary = 'hex'")
            // (no row for a DELETE's record: a DELETE of a record that has a row is not sent again)
            try schema.execute(
                "INSERT INTO account (id, name) SELECT g, 'current ' || g FROM generate_series(1, \(failures)) AS g WHERE g % 11 <> 0")
            try schema.execute("RESET xmlbinary")
            // Every batch's UPDATE of either table takes 4 ms more, so that a run lasts long
            // enough to be killed at many different points, in and between transactions.
            try schema.execute("""
                CREATE FUNCTION fault_slow() RETURNS trigger LANGUAGE plpgsql AS
                $$ BEGIN PERFORM pg_sleep(0.004); RETURN NULL; END $$
                """)
            for table in ["_trigger_log", "_trigger_log_archive"] {
                try schema.execute("CREATE TRIGGER fault_slow AFTER UPDATE ON \(table) FOR EACH STATEMENT EXECUTE FUNCTION fault_slow()")
            }
        }

        /// The entries the run must change: FAILED on account, in id order.
        private func sources(_ before: LogSnapshot) -> [Source] {
            before.rows.filter { $0.value["state"] as? String == "FAILED" && $0.value["table_name"] as? String == "account" }
                .map { Source(key: $0.key, action: $0.value["action"] as! String, recordID: $0.value["record_id"] as! Int) }
                .sorted { $0.key < $1.key }
        }

        /// What a changed source's state must be.
        private func changedState(_ source: Source, _ mode: Mode) -> String {
            switch mode {
            case .ignore: "IGNORED"
            case .mergedRetry: source.key.table == "live" ? "NEW" : "REQUEUED"
            case .orderedRetry: source.action == "DELETE" && source.key.table == "live" ? "NEW" : "REQUEUED"
            }
        }

        /// Compares the log with the snapshot taken before any run, row by row; returns the
        /// sources now changed. Records an issue for every difference that should not be.
        @discardableResult
        private func expectConsistent(
            _ schema: ConnectTestSchema, before: LogSnapshot, sources: [Source], mode: Mode, context: String
        ) throws -> Set<LogSnapshot.Key> {
            let now = try LogSnapshot(schema.connection, quoted: schema.quoted)
            let sourceKeys = Dictionary(uniqueKeysWithValues: sources.map { ($0.key, $0) })
            var changed: Set<LogSnapshot.Key> = []
            for (key, old) in before.rows {
                let row = now.rows[key]
                if let source = sourceKeys[key] {
                    let state = row?["state"] as? String
                    #expect(state == "FAILED" || state == changedState(source, mode), "\(context): \(key) is \(state ?? "gone")")
                    // a change stamps updated_at, from which the backlog age is measured
                    #expect(
                        LogSnapshot.equal(old, row, except: state == "FAILED" ? [] : ["state", "updated_at"]),
                        "\(context): \(key) changed beyond its state")
                    if state != "FAILED" { changed.insert(key) }
                } else {
                    #expect(LogSnapshot.equal(old, row, except: []), "\(context): \(key), outside the selection, changed")
                }
            }
            // Every new row is derived from exactly one changed source, and each changed source
            // that must have a derived row has exactly one.
            let bySFMessage = Dictionary(
                uniqueKeysWithValues: sources.map { (before.rows[$0.key]!["sf_message"] as! String, $0) })
            let byRecord = Dictionary(grouping: sources, by: \.recordID)
            var derived: [LogSnapshot.Key: Int] = [:]
            let maxBefore = before.rows.keys.map(\.id).max() ?? 0
            for (key, row) in now.rows where before.rows[key] == nil {
                #expect(key.table == "live" && key.id > maxBefore, "\(context): new row \(key)")
                #expect(row["state"] as? String == "NEW", "\(context): new row \(key) is NEW")
                if let message = row["sf_message"] as? String, let source = bySFMessage[message] {
                    // a copy of an archived entry: identical but for id and state
                    #expect(source.key.table == "archive", "\(context): \(key) copies a live entry")
                    #expect(mode == .mergedRetry || source.action == "DELETE", "\(context): \(key) is a copy in \(mode)")
                    #expect(LogSnapshot.equal(before.rows[source.key], row, except: ["id", "state", "updated_at"]), "\(context): copy \(key)")
                    derived[source.key, default: 0] += 1
                } else if mode == .orderedRetry, let record = row["record_id"] as? Int, let source = byRecord[record]?.first {
                    // a capture of the record's current state, under ordered writes
                    #expect(row["action"] as? String == source.action && row["table_name"] as? String == "account", "\(context): \(key)")
                    let values = row["values"] as? String ?? ""
                    if source.action == "UPDATE" {
                        #expect(values == "\"name\"=>\"current \(record)\"", "\(context): capture \(key): \(values)")
                    } else {
                        #expect(values.contains("\"name\"=>\"current \(record)\""), "\(context): capture \(key): \(values)")
                    }
                    derived[source.key, default: 0] += 1
                } else {
                    Issue.record("\(context): new row \(key) comes from no source: \(row)")
                }
            }
            for source in sources {
                let needsOne =
                    changed.contains(source.key) && (mode == .orderedRetry ? source.action != "DELETE" || source.key.table == "archive" : mode == .mergedRetry && source.key.table == "archive")
                #expect(derived[source.key, default: 0] == (needsOne ? 1 : 0), "\(context): \(source.key) has \(derived[source.key, default: 0]) derived rows")
            }
            return changed
        }

        @Test(arguments: Mode.allCases)
        func aRepairKilledAtRandomPointsAndRunAgainChangesEachSelectedEntryOnce(mode: Mode) throws {
            let seed = SeededGenerator.seed()
            var random = SeededGenerator(seed: seed)
            let started = ContinuousClock.now
            try TestDatabase.withConnectSchema { schema in
                try fill(schema)
                let before = try LogSnapshot(schema.connection, quoted: schema.quoted)
                let sources = sources(before)
                #expect(sources.count > 900)
                let application = "hcconnect-kill-\(schema.name)"
                let arguments = mode.arguments + ["--failed", "--table", "account", "--yes", "--batch-size", String(batchSize)]
                let environment = try faultEnvironment(schema: schema.name, applicationName: application)
                var remaining = sources.map(\.key)
                var killedAt: [Int] = []
                var killsInTransaction = 0
                for kill in 1...kills {
                    let context = "seed \(seed), \(mode), kill \(kill)"
                    // Kill once at least `threshold` entries of this run are changed, plus up to 15 ms.
                    let threshold = Int.random(in: 0...(remaining.count / 4), using: &random)
                    let extra = Double(Int.random(in: 0...15, using: &random)) / 1000
                    let run = try BackgroundProcess.hcconnect(arguments, environment: environment)
                    let reached = try waitUntil(timeout: .seconds(60)) {
                        try schema.connection.query(
                            "SELECT (SELECT count(*) FROM \(schema.quoted)._trigger_log WHERE id = ANY($1::int[]) AND state <> 'FAILED') + (SELECT count(*) FROM \(schema.quoted)._trigger_log_archive WHERE id = ANY($2::int[]) AND state <> 'FAILED')",
                            [.array(remaining.filter { $0.table == "live" }.map(\.id)), .array(remaining.filter { $0.table == "archive" }.map(\.id))]
                        )[0].int(0)! >= threshold || !run.isRunning
                    }
                    #expect(reached, "\(context): the run reached \(threshold) entries")
                    Thread.sleep(forTimeInterval: extra)
                    // For the report only: whether the kill lands inside a transaction.
                    let inTransaction = try schema.connection.query(
                        "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND xact_start IS NOT NULL",
                        [.text(application)])[0].int(0)! > 0
                    run.send(SIGKILL)
                    if inTransaction { killsInTransaction += 1 }
                    let result = try run.wait(timeout: .seconds(30))
                    // The run lasts hundreds of milliseconds past the threshold; should it have
                    // ended anyway, it must have ended well.
                    #expect(result.signalled || result.status == 0, "\(context): exit \(result.status): \(result.stderr)")
                    try waitForSessionsToEnd(schema.connection, applicationName: application)

                    let changed = try expectConsistent(schema, before: before, sources: sources, mode: mode, context: context)
                    let doneNow = remaining.filter { changed.contains($0) }
                    // Whole batches: what this run committed is the first k batches of its selection.
                    #expect(doneNow == Array(remaining.prefix(doneNow.count)), "\(context): committed entries are a prefix of the selection")
                    #expect(doneNow.count % batchSize == 0 || doneNow.count == remaining.count,
                            "\(context): \(doneNow.count) entries committed, not whole batches of \(batchSize)")
                    killedAt.append(doneNow.count)
                    remaining = remaining.filter { !changed.contains($0) }
                }
                // The last run, to the end: it selects exactly what is left, and changes it all.
                let last = try BackgroundProcess.hcconnect(arguments + ["--format", "json"], environment: environment)
                    .wait(timeout: .seconds(120))
                let context = "seed \(seed), \(mode), last run"
                #expect(last.status == 0, "\(context): \(last.stderr)")
                let summary = try #require(try JSONSerialization.jsonObject(with: Data(last.stdout.utf8)) as? [String: Any])
                #expect(summary["requested"] as? Int == remaining.count, "\(context): \(summary)")
                #expect(summary["changed"] as? Int == remaining.count, "\(context): \(summary)")
                let changed = try expectConsistent(schema, before: before, sources: sources, mode: mode, context: context)
                #expect(changed.count == sources.count, "\(context): every selected entry changed")
                print(
                    "BulkRetryKillFaultTests \(mode): seed \(seed), \(sources.count) entries, batches of \(batchSize), "
                        + "killed after \(killedAt) entries committed (\(killsInTransaction) kills in a transaction), last run \(remaining.count), "
                        + "\(before.rows.count) rows compared, \(ContinuousClock.now - started)")
            }
        }
    }
}
