import Foundation
import Postgres
import TestSupport
import Testing

extension IntegrationSuites {
    /// hcconnect beside a simulated Heroku Connect worker. Three sessions share a schema:
    ///
    /// - a producer inserting accounts one per transaction (each insert fires the logger: a
    ///   NEW entry);
    /// - the worker, a PL/pgSQL procedure looping with its own transactions: it takes NEW
    ///   entries (PENDING, committed), holds them with `FOR UPDATE` for a few ms and sets each
    ///   SUCCESS or FAILED (seeded), then holds processed entries a few ms more and moves them to
    ///   the archive (insert, delete), recording each hold's interval;
    /// - hcconnect, run again and again: `retry --failed` and `cleanup`.
    ///
    /// An audit trigger on both log tables records every change (old and new state, the row,
    /// application_name, txid, clock_timestamp). From it the test proves that every change made by
    /// hcconnect's sessions was to an entry FAILED at that moment, none during a hold of the
    /// worker on that entry, and, following each entry from its capture through every copy, that
    /// every captured change ends processed or still queued, exactly once.
    @Suite(.serialized, .tags(.process, .fault)) struct ConnectWorkerFaultTests {
        /// Accounts inserted by the producer.
        private let produced = 800

        /// The worker and the producer, as procedures of the schema.
        private func install(_ schema: ConnectTestSchema) throws {
            let s = schema.quoted
            try schema.execute("CREATE TABLE fault_control (stop boolean NOT NULL)")
            try schema.execute("INSERT INTO fault_control VALUES (false)")
            try schema.execute("CREATE TABLE fault_holds (tbl text, id int, held_from timestamptz, held_until timestamptz, txid bigint)")
            let columns = "id, txid, created_at, updated_at, processed_at, processed_tx, state, action, table_name, record_id, sfid, old, \"values\", sf_result, sf_message"
            try schema.execute("""
                CREATE PROCEDURE fault_worker(seed float8) LANGUAGE plpgsql AS $$
                DECLARE
                  ids int[];
                  held timestamptz;
                  deadline timestamptz := clock_timestamp() + interval '150 seconds';
                BEGIN
                  PERFORM setseed(seed);
                  LOOP
                    IF clock_timestamp() > deadline THEN RAISE EXCEPTION 'the worker ran out of time'; END IF;
                    -- take NEW entries: PENDING, committed
                    WITH taken AS (
                      UPDATE \(s)._trigger_log l SET state = 'PENDING', updated_at = clock_timestamp()
                      WHERE l.id IN (SELECT id FROM \(s)._trigger_log WHERE state = 'NEW' ORDER BY id LIMIT 8 FOR UPDATE SKIP LOCKED)
                      RETURNING l.id)
                    SELECT array_agg(id) INTO ids FROM taken;
                    COMMIT;
                    IF ids IS NOT NULL THEN
                      -- hold them, then decide
                      PERFORM 1 FROM \(s)._trigger_log WHERE id = ANY(ids) FOR UPDATE;
                      held := clock_timestamp();
                      PERFORM pg_sleep(0.003);
                      UPDATE \(s)._trigger_log l
                         SET state = d.st, updated_at = clock_timestamp(), processed_at = clock_timestamp(),
                             processed_tx = txid_current(), sf_result = CASE WHEN d.st = 'FAILED' THEN 1 ELSE 0 END,
                             sf_message = CASE WHEN d.st = 'SUCCESS' THEN NULL
                                               WHEN d.r < 0.25 THEN 'UNABLE_TO_LOCK_ROW: unable to obtain exclusive access (' || l.id || ')'
                                               ELSE 'FIELD_CUSTOM_VALIDATION_EXCEPTION: Name is required (' || l.id || ')' END
                        FROM (SELECT id, r, CASE WHEN r < 0.45 THEN 'FAILED' ELSE 'SUCCESS' END AS st
                              FROM (SELECT id, random() AS r FROM unnest(ids) AS id ORDER BY id) AS drawn) AS d
                       WHERE l.id = d.id AND l.state = 'PENDING';
                      INSERT INTO \(s).fault_holds SELECT 'live', id, held, clock_timestamp(), txid_current() FROM unnest(ids) AS id;
                      COMMIT;
                    END IF;
                    -- archive processed entries at once or 20 or 40 ms after processing (by id), holding them a few ms
                    SELECT array_agg(id) INTO ids FROM (
                      SELECT id FROM \(s)._trigger_log
                      WHERE state NOT IN ('NEW', 'PENDING') AND updated_at < clock_timestamp() - (id % 3) * interval '20 milliseconds'
                      ORDER BY id LIMIT 8 FOR UPDATE SKIP LOCKED) AS t;
                    IF ids IS NOT NULL THEN
                      held := clock_timestamp();
                      PERFORM pg_sleep(0.003);
                      WITH moved AS (DELETE FROM \(s)._trigger_log WHERE id = ANY(ids) RETURNING *)
                      INSERT INTO \(s)._trigger_log_archive (\(columns)) SELECT \(columns) FROM moved;
                      INSERT INTO \(s).fault_holds SELECT 'live', id, held, clock_timestamp(), txid_current() FROM unnest(ids) AS id;
                    END IF;
                    COMMIT;
                    EXIT WHEN (SELECT stop FROM \(s).fault_control) AND NOT EXISTS (SELECT 1 FROM \(s)._trigger_log);
                    PERFORM pg_sleep(0.002);
                  END LOOP;
                END $$
                """)
            try schema.execute("""
                CREATE PROCEDURE fault_producer(n int) LANGUAGE plpgsql AS $$
                BEGIN
                  FOR i IN 1..n LOOP
                    INSERT INTO \(s).account (id, name) VALUES (i, 'produced ' || i);
                    COMMIT;
                    PERFORM pg_sleep(0.004);
                  END LOOP;
                END $$
                """)
        }

        /// Runs `CALL ...` with psql, as its own process, under an application name.
        private func call(_ sql: String, application: String) throws -> BackgroundProcess {
            var environment = ProcessInfo.processInfo.environment
            environment["PGAPPNAME"] = application
            return try BackgroundProcess(
                "/bin/bash", ["-c", #"exec psql "$1" -X -q -v ON_ERROR_STOP=1 -c "$2""#, "bash", try TestDatabase.url, sql],
                environment: environment)
        }

        @Test func hcconnectBesideAWorkerChangesOnlyFailedEntriesNeverHeldOnesAndLosesNothing() throws {
            let seed = SeededGenerator.seed()
            var random = SeededGenerator(seed: seed)
            let started = ContinuousClock.now
            try TestDatabase.withConnectSchema { schema in
                try install(schema)
                let audit = try AuditTrail(connection: schema.connection, quoted: schema.quoted)
                let workerSeed = Double(random.next() % 1_000_000) / 1_000_000
                let worker = try call("CALL \(schema.quoted).fault_worker(\(workerSeed))", application: "hcemu-worker")
                let producer = try call("CALL \(schema.quoted).fault_producer(\(produced))", application: "hcemu-producer")

                // hcconnect, again and again, while entries arrive and after: bulk retries and
                // cleanups in small batches, in a seeded order.
                let environment = try faultEnvironment(schema: schema.name)
                var runs: [String: Int] = [:]
                var statuses: [Int32] = []
                var round = 0
                var skipped: [String: Int] = [:]
                var lastSequence = 0
                let deadline = ContinuousClock.now + .seconds(150)
                while (producer.isRunning || round < 30), ContinuousClock.now < deadline {
                    round += 1
                    // Half the rounds run a retry and a cleanup at the same time, so that an entry
                    // one selected may be changed by the other before its batch.
                    let together = Bool.random(using: &random)
                    let kinds = together ? ["retry", "cleanup"] : [Bool.random(using: &random) ? "cleanup" : "retry"]
                    let started = try kinds.map { kind in
                        let arguments =
                            kind == "cleanup"
                            ? ["cleanup", "--yes", "--retry-matching", "UNABLE_TO_LOCK_ROW", "--max-attempts", "3", "--ignore-matching",
                               "FIELD_CUSTOM_VALIDATION_EXCEPTION", "--batch-size", "3", "--json"]
                            : ["retry", "--failed", "--yes", "--batch-size", String(Int.random(in: 1...6, using: &random)), "--json"]
                        return (kind, try BackgroundProcess.hcconnect(arguments, environment: environment))
                    }
                    var said = 0
                    for (kind, process) in started {
                        let result = try process.wait(timeout: .seconds(60))
                        // 1: some selected entries were taken meanwhile (archived, locked, changed)
                        #expect(result.status == 0 || result.status == 1, "seed \(seed), round \(round), \(kind): \(result.stderr)")
                        runs[kind, default: 0] += 1
                        statuses.append(result.status)
                        // What the runs say they changed is what the audit trail shows they changed.
                        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] ?? [:]
                        let parts = kind == "cleanup" ? [object["retry"], object["ignore"]].compactMap { $0 as? [String: Any] } : [object]
                        said += parts.reduce(0) { $0 + ($1["changed"] as? Int ?? 0) }
                        for part in parts {
                            for (key, value) in part where key.hasPrefix("skipped_") {
                                skipped[key, default: 0] += (value as? [Any])?.count ?? 0
                            }
                        }
                    }
                    let audited = try schema.connection.query(
                        "SELECT count(*) FILTER (WHERE op = 'UPDATE'), coalesce(max(seq), $1) FROM \(schema.quoted).fault_audit WHERE app = 'hcconnect' AND seq > $1",
                        [.int(lastSequence)])[0]
                    #expect(try audited.int(0) == said, "seed \(seed), round \(round): said \(said) changed")
                    lastSequence = try audited.int(1)!
                }
                let producerResult = try producer.wait(timeout: .seconds(60))
                #expect(producerResult.status == 0, "\(producerResult.stderr)")
                // Leave the last failures FAILED: the worker drains what is queued, and stops.
                try schema.execute("UPDATE fault_control SET stop = true")
                let workerResult = try worker.wait(timeout: .seconds(120))
                #expect(workerResult.status == 0, "seed \(seed): \(workerResult.stderr)")
                try check(schema, audit: audit, seed: seed)
                print(
                    "ConnectWorkerFaultTests: seed \(seed), \(produced) captured changes, \(round) hcconnect runs \(runs), "
                        + "exits \(Dictionary(grouping: statuses, by: { $0 }).mapValues(\.count)), skipped \(skipped), "
                        + "\(ContinuousClock.now - started)")
            }
        }

        /// The proofs, from the audit trail, the worker's holds and the final log.
        private func check(_ schema: ConnectTestSchema, audit: AuditTrail, seed: UInt64) throws {
            let changes = try audit.changes()
            let mine = changes.filter { $0.application == "hcconnect" }
            let context = "seed \(seed)"

            // 1. hcconnect changed only entries FAILED at that moment, to a retry or ignore state,
            //    and each archived entry it retried got exactly one copy, in the same transaction.
            for change in mine where change.operation == "UPDATE" {
                #expect(change.oldState == "FAILED", "\(context): hcconnect changed \(change.table) \(change.id) from \(change.oldState ?? "nil")")
                let allowed: Set<String> = change.table == "live" ? ["NEW", "IGNORED"] : ["REQUEUED", "IGNORED"]
                #expect(allowed.contains(change.newState ?? ""), "\(context): \(change.table) \(change.id) set to \(change.newState ?? "nil")")
            }
            #expect(!mine.contains { $0.operation == "DELETE" }, "\(context): hcconnect deleted an entry")
            var successor: [Int: Int] = [:]
            for (txid, group) in Dictionary(grouping: mine, by: \.txid) {
                let requeued = group.filter { $0.table == "archive" && $0.newState == "REQUEUED" }
                let copies = group.filter { $0.operation == "INSERT" }
                #expect(copies.allSatisfy { $0.table == "live" && $0.newState == "NEW" }, "\(context): txid \(txid)")
                #expect(requeued.count == copies.count, "\(context): txid \(txid) copied \(copies.count) of \(requeued.count)")
                let messages = Dictionary(grouping: requeued, by: { message($0.row) })
                for copy in copies {
                    let source = messages[message(copy.row)] ?? []
                    #expect(source.count == 1, "\(context): copy \(copy.id) has \(source.count) sources")
                    if let source = source.first {
                        #expect(successor[source.id] == nil, "\(context): archived \(source.id) copied twice")
                        successor[source.id] = copy.id
                    }
                }
            }

            // 2. Never during a hold of the worker on the same entry.
            let holds = try schema.connection.query("""
                SELECT id, (extract(epoch FROM held_from) * 1000000)::bigint, (extract(epoch FROM held_until) * 1000000)::bigint
                FROM \(schema.quoted).fault_holds
                """).map { (id: try $0.int(0)!, from: try $0.int(1)!, until: try $0.int(2)!) }
            let holdsByID = Dictionary(grouping: holds, by: \.id)
            var inHold = 0
            for change in mine where change.table == "live" {
                for hold in holdsByID[change.id] ?? [] where hold.from <= change.at && change.at <= hold.until {
                    inHold += 1
                    Issue.record("\(context): hcconnect changed live \(change.id) while the worker held it")
                }
            }
            #expect(inHold == 0)

            // 3. Nothing lost, nothing doubled: every entry ever written to the live log is now in
            //    exactly one table with its id; following each captured change through its copies
            //    reaches every row of both tables exactly once, and ends processed or queued.
            let final = try LogSnapshot(schema.connection, quoted: schema.quoted)
            let written = Set(changes.filter { $0.table == "live" && $0.operation == "INSERT" }.map(\.id))
            let live = Set(final.rows.keys.filter { $0.table == "live" }.map(\.id))
            let archive = Set(final.rows.keys.filter { $0.table == "archive" }.map(\.id))
            #expect(live.isDisjoint(with: archive), "\(context): ids in both tables: \(live.intersection(archive).sorted())")
            #expect(live.union(archive) == written, "\(context): lost \(written.subtracting(live.union(archive)).sorted()), extra \(live.union(archive).subtracting(written).sorted())")
            #expect(live.isEmpty, "\(context): the worker drained the live log")
            let captured = changes.filter { $0.application == "hcemu-producer" && $0.operation == "INSERT" }
            #expect(captured.count == produced, "\(context): one entry per account inserted")
            #expect(Set(captured.compactMap { recordID($0.row) }) == Set(1...produced))
            var reached: [Int: Int] = [:]
            var ends: [String: Int] = [:]
            for start in captured.map(\.id) {
                var id = start
                var steps = 0
                while true {
                    reached[id, default: 0] += 1
                    let state = final.state(.init(table: "archive", id: id)) ?? "gone"
                    guard state == "REQUEUED" else {
                        #expect(["SUCCESS", "FAILED", "IGNORED"].contains(state), "\(context): chain of \(start) ends \(state)")
                        ends[state, default: 0] += 1
                        break
                    }
                    guard let next = successor[id], steps < 100 else {
                        Issue.record("\(context): archived REQUEUED \(id) has no copy")
                        break
                    }
                    id = next
                    steps += 1
                }
            }
            #expect(reached.values.allSatisfy { $0 == 1 }, "\(context): a row reached by two chains")
            #expect(Set(reached.keys) == written, "\(context): rows outside every chain: \(written.subtracting(reached.keys).sorted())")
            print("ConnectWorkerFaultTests: \(changes.count) audited changes (\(mine.count) by hcconnect, \(successor.count) copies), "
                  + "\(holds.count) worker holds, \(final.rows.count) rows compared; chains end \(ends)")
        }

        private func message(_ row: String) -> String? {
            (try? JSONSerialization.jsonObject(with: Data(row.utf8)) as? [String: Any])?["sf_message"] as? String
        }

        private func recordID(_ row: String) -> Int? {
            (try? JSONSerialization.jsonObject(with: Data(row.utf8)) as? [String: Any])?["record_id"] as? Int
        }
    }
}
