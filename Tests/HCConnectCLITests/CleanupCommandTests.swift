import Foundation
import Postgres
import TestSupport
import Testing

extension IntegrationSuites {
    /// `cleanup`: which rule chooses which entries, attempts counted from the log, the order of
    /// the rules, dry runs, the summary in both forms, the advisory lock, and wrong command lines.
    @Suite(.tags(.process)) struct CleanupCommandTests {
        /// Failures of several kinds and ages, and their retry history.
        struct Fixture {
            let schema: ConnectTestSchema
            /// A lock error on account 1, never retried.
            var lockFresh = 0
            /// A lock error on account 2 whose record was retried twice before (two REQUEUED
            /// entries of the same record and action, one live, one archived).
            var lockRetriedTwice = 0
            /// A lock error on account 3 (INSERT) with one earlier retry of an UPDATE: another
            /// action, so it does not count.
            var lockOtherAction = 0
            /// An archived lock error, 20 days old.
            var lockOld = 0
            /// A validation error, 10 days old.
            var validationOld = 0
            /// A validation error, 1 hour old.
            var validationFresh = 0
            /// A deleted entity, 2 days old.
            var deleted = 0
            /// Must never be touched.
            var success = 0, requeuedHistory: [Int] = []

            init(_ schema: ConnectTestSchema) throws {
                self.schema = schema
                let lock = "UNABLE_TO_LOCK_ROW: unable to obtain exclusive access to this record or 1 records: 0015e00000AbCdEAAV"
                requeuedHistory.append(
                    try schema.insertEntry(
                        archived: true, state: "REQUEUED", action: "UPDATE", table: "account", recordID: 2, message: lock,
                        createdAgo: "3 days"))
                requeuedHistory.append(
                    try schema.insertEntry(state: "REQUEUED", action: "UPDATE", table: "account", recordID: 2, message: lock, createdAgo: "2 days"))
                requeuedHistory.append(
                    try schema.insertEntry(state: "REQUEUED", action: "UPDATE", table: "account", recordID: 3, message: lock, createdAgo: "2 days"))
                lockOld = try schema.insertEntry(
                    archived: true, state: "FAILED", action: "UPDATE", table: "contact", recordID: 7, message: lock, createdAgo: "20 days")
                validationOld = try schema.insertEntry(
                    archived: true, state: "FAILED", action: "UPDATE", table: "account", recordID: 5,
                    message: "FIELD_CUSTOM_VALIDATION_EXCEPTION: Billing City is required", createdAgo: "10 days")
                deleted = try schema.insertEntry(
                    state: "FAILED", action: "DELETE", table: "opportunity", recordID: 9, message: "ENTITY_IS_DELETED: entity is deleted",
                    createdAgo: "2 days")
                lockRetriedTwice = try schema.insertEntry(
                    state: "FAILED", action: "UPDATE", table: "account", recordID: 2, message: lock, createdAgo: "1 day")
                lockOtherAction = try schema.insertEntry(
                    state: "FAILED", action: "INSERT", table: "account", recordID: 3, message: lock, createdAgo: "1 day")
                success = try schema.insertEntry(state: "SUCCESS", action: "UPDATE", table: "account", recordID: 1, createdAgo: "2 hours")
                validationFresh = try schema.insertEntry(
                    state: "FAILED", action: "UPDATE", table: "contact", recordID: 8,
                    message: "FIELD_CUSTOM_VALIDATION_EXCEPTION: Email must be set", createdAgo: "1 hour")
                lockFresh = try schema.insertEntry(
                    state: "FAILED", action: "UPDATE", table: "account", recordID: 1, message: lock, createdAgo: "30 minutes")
            }
        }

        private func states(_ schema: ConnectTestSchema, _ ids: [Int], archived: Bool = false) throws -> [String?] {
            let tables = LogTables(schema)
            return try ids.map { try tables.state($0, archived: archived) }
        }

        @Test func retryRulesCountEarlierRetriesOfTheSameRecordAndAction() throws {
            try TestDatabase.withConnectSchema { schema in
                let f = try Fixture(schema)
                let result = try hcconnect(
                    ["cleanup", "--yes", "--retry-matching", "UNABLE_TO_LOCK_ROW", "--max-attempts", "2", "--json"], schema: schema.name)
                #expect(result.status == 0, "\(result.stderr)")
                let summary = try singleJSONObject(result.stdout)
                // account 2 was retried twice already: left FAILED; the others are retried.
                #expect(try states(schema, [f.lockFresh, f.lockOtherAction]) == ["NEW", "NEW"])
                #expect(try states(schema, [f.lockRetriedTwice]) == ["FAILED"])
                #expect(try states(schema, [f.lockOld], archived: true) == ["REQUEUED"])
                #expect(try states(schema, [f.validationFresh, f.deleted]) == ["FAILED", "FAILED"])
                #expect(try states(schema, [f.validationOld], archived: true) == ["FAILED"])
                let exhausted = summary["out_of_attempts"] as? [[String: Any]]
                #expect(exhausted?.map { $0["id"] as? Int } == [f.lockRetriedTwice])
                #expect(exhausted?.first?["attempts"] as? Int == 2)
                let retry = summary["retry"] as? [String: Any]
                #expect(retry?["changed"] as? Int == 3)
                #expect(summary["completed"] as? Bool == true)

                // With three attempts allowed, account 2 gets its third.
                let again = try hcconnect(
                    ["cleanup", "--yes", "--retry-matching", "UNABLE_TO_LOCK_ROW", "--max-attempts", "3"], schema: schema.name)
                #expect(again.status == 0, "\(again.stderr)")
                #expect(try states(schema, [f.lockRetriedTwice]) == ["NEW"])
            }
        }

        @Test func theAttemptsCountGrowsWithEachRetryUntilTheLimit() throws {
            try TestDatabase.withConnectSchema { schema in
                let lock = "UNABLE_TO_LOCK_ROW: unable to obtain exclusive access"
                let first = try schema.insertEntry(
                    archived: true, state: "FAILED", action: "UPDATE", table: "account", recordID: 4, message: lock)
                // Each run retries the archived failure (copy → live NEW); Connect fails the copy
                // again; it is archived; the next run sees one more REQUEUED entry.
                var attempts: [Int] = []
                for _ in 0..<4 {
                    let result = try hcconnect(
                        ["cleanup", "--yes", "--retry-matching", "UNABLE_TO_LOCK_ROW", "--max-attempts", "2", "--json"], schema: schema.name)
                    #expect(result.status == 0, "\(result.stderr)")
                    let summary = try singleJSONObject(result.stdout)
                    attempts.append((summary["retry"] as? [String: Any])?["changed"] as? Int ?? -1)
                    try schema.execute(
                        """
                        WITH moved AS (DELETE FROM _trigger_log WHERE state = 'NEW' RETURNING *)
                        INSERT INTO _trigger_log_archive SELECT id, txid, created_at, updated_at, processed_at, processed_tx,
                               'FAILED', action, table_name, record_id, sfid, old, "values", sf_result, sf_message FROM moved
                        """)
                }
                #expect(attempts == [1, 1, 0, 0])
                let rows = try schema.connection.query(
                    "SELECT state, count(*)::int FROM \(schema.quoted)._trigger_log_archive WHERE record_id = 4 GROUP BY 1 ORDER BY 1")
                #expect(try rows.map { "\($0.string(0)!) \(try $0.int(1)!)" } == ["FAILED 1", "REQUEUED 2"])
                #expect(first > 0)
            }
        }

        @Test func ignoreRulesTakeWhatTheRetryRulesLeave() throws {
            try TestDatabase.withConnectSchema { schema in
                let f = try Fixture(schema)
                let before = try LogTables(schema).dump()
                let dryRun = try hcconnect(
                    [
                        "cleanup", "--retry-matching", "UNABLE_TO_LOCK_ROW", "--max-attempts", "2", "--ignore-older-than", "7d",
                        "--ignore-matching", "ENTITY_IS_DELETED", "--ignore-matching", "UNABLE_TO_LOCK_ROW", "--dry-run",
                    ], schema: schema.name)
                #expect(dryRun.status == 0, "\(dryRun.stderr)")
                #expect(try LogTables(schema).dump() == before)
                #expect(dryRun.stderr.contains("cleanup, dry run (nothing changed): 3 to retry, 3 to ignore"), "\(dryRun.stderr)")
                #expect(!dryRun.stderr.contains("out of attempts"), "\(dryRun.stderr)")
                #expect(dryRun.stderr.contains("--ignore-older-than 1w: 1 to ignore"))
                #expect(dryRun.stderr.contains("--ignore-matching ENTITY_IS_DELETED (error code): 1 to ignore"))

                let result = try hcconnect(
                    [
                        "cleanup", "--yes", "--retry-matching", "UNABLE_TO_LOCK_ROW", "--max-attempts", "2", "--ignore-older-than", "7d",
                        "--ignore-matching", "ENTITY_IS_DELETED", "--ignore-matching", "UNABLE_TO_LOCK_ROW", "--json",
                    ], schema: schema.name)
                #expect(result.status == 0, "\(result.stderr)")
                // The 20-day-old lock error is retried (retry rules first); the one out of
                // attempts is ignored by the second ignore pattern; the 10-day-old validation
                // error by age; the fresh validation error by nothing.
                #expect(try states(schema, [f.lockOld, f.validationOld], archived: true) == ["REQUEUED", "IGNORED"])
                #expect(try states(schema, [f.lockFresh, f.lockOtherAction, f.lockRetriedTwice]) == ["NEW", "NEW", "IGNORED"])
                #expect(try states(schema, [f.deleted, f.validationFresh, f.success]) == ["IGNORED", "FAILED", "SUCCESS"])
                #expect(try states(schema, f.requeuedHistory.dropFirst().map { $0 }) == ["REQUEUED", "REQUEUED"])
                let summary = try singleJSONObject(result.stdout)
                let rules = summary["rules"] as? [[String: Any]] ?? []
                #expect(rules.map { $0["option"] as? String } == ["retry-matching", "ignore-older-than", "ignore-matching", "ignore-matching"])
                #expect(rules.map { $0["chosen"] as? Int } == [3, 1, 1, 1])
                #expect(summary["out_of_attempts"] as? [Any] != nil)
                #expect((summary["ignore"] as? [String: Any])?["changed"] as? Int == 3)
            }
        }

        @Test func patternsAreErrorCodesOrRegularExpressionsAndTheFiltersNarrowThem() throws {
            try TestDatabase.withConnectSchema { schema in
                let f = try Fixture(schema)
                // A regular expression, case-insensitive, limited to the contact table.
                let result = try hcconnect(
                    ["cleanup", "--yes", "--ignore-matching", "(?i)billing city|email must", "--table", "contact"], schema: schema.name)
                #expect(result.status == 0, "\(result.stderr)")
                #expect(try states(schema, [f.validationFresh]) == ["IGNORED"])
                #expect(try states(schema, [f.validationOld], archived: true) == ["FAILED"])
                // A code matches only as a whole word: UNABLE_TO_LOCK does not match UNABLE_TO_LOCK_ROW.
                let partial = try hcconnect(["cleanup", "--yes", "--ignore-matching", "UNABLE_TO_LOCK", "--json"], schema: schema.name)
                #expect(partial.status == 0)
                #expect((try singleJSONObject(partial.stdout)["ignore"] as? [String: Any])?["requested"] as? Int == 0)
                // --in archive
                let archived = try hcconnect(
                    ["cleanup", "--yes", "--retry-matching", "UNABLE_TO_LOCK_ROW", "--in", "archive"], schema: schema.name)
                #expect(archived.status == 0)
                #expect(try states(schema, [f.lockOld], archived: true) == ["REQUEUED"])
                #expect(try states(schema, [f.lockFresh]) == ["FAILED"])
            }
        }

        @Test func viaConnectAndTheActionFilterReachTheRetry() throws {
            try TestDatabase.withConnectSchema { schema in
                let f = try Fixture(schema)
                let result = try hcconnect(
                    ["cleanup", "--yes", "--retry-matching", "UNABLE_TO_LOCK_ROW", "--action", "UPDATE", "--via-connect", "--json"],
                    schema: schema.name)
                #expect(result.status == 0, "\(result.stderr)")
                // The archived UPDATE is set to REQUEUE for Connect to copy; nothing is copied.
                #expect(try states(schema, [f.lockOld], archived: true) == ["REQUEUE"])
                #expect(try states(schema, [f.lockFresh]) == ["NEW"])
                // The INSERT is outside --action UPDATE.
                #expect(try states(schema, [f.lockOtherAction]) == ["FAILED"])
                let summary = try singleJSONObject(result.stdout)
                #expect(summary["via_connect"] as? Bool == true)
                #expect((summary["retry"] as? [String: Any])?["created"] as? [Any] != nil)
                #expect(((summary["retry"] as? [String: Any])?["created"] as? [Any])?.isEmpty == true)
            }
        }

        @Test func orderedWritesReCaptureTheRetriedEntries() throws {
            try TestDatabase.withConnectSchema { schema in
                try schema.execute("INSERT INTO account (id, name) VALUES (1, 'Acme')")
                let id = try schema.insertEntry(
                    state: "FAILED", action: "UPDATE", table: "account", recordID: 1, values: #""name"=>"Acme""#,
                    message: "UNABLE_TO_LOCK_ROW: unable to obtain exclusive access")
                let result = try hcconnect(
                    ["cleanup", "--yes", "--retry-matching", "UNABLE_TO_LOCK_ROW", "--write-mode", "ordered", "--json"], schema: schema.name)
                #expect(result.status == 0, "\(result.stderr)")
                #expect(try LogTables(schema).state(id) == "REQUEUED")
                let steps = (try singleJSONObject(result.stdout)["retry"] as? [String: Any])?["steps"] as? [String: Int]
                #expect(steps == ["capture-update": 1])
            }
        }

        @Test func twoCleanupsOfOneSchemaNeverOverlap() throws {
            try TestDatabase.withConnectSchema { schema in
                _ = try Fixture(schema)
                // Another session holds the lock the way a running cleanup does.
                let holder = try TestDatabase.plainConnection()
                try holder.execute("SET application_name = 'nightly-cleanup'")
                try holder.execute("BEGIN")
                try holder.execute(
                    "SELECT pg_advisory_xact_lock(hashtext('hcconnect cleanup'), hashtext($1))", [.text(schema.name)])
                let before = try LogTables(schema).dump()
                let blocked = try hcconnect(["cleanup", "--yes", "--ignore-older-than", "1d"], schema: schema.name)
                #expect(blocked.status == 75)
                #expect(blocked.stderr.contains("another cleanup (nightly-cleanup, pid "), "\(blocked.stderr)")
                #expect(blocked.stderr.contains("is running on schema \(schema.name)"))
                #expect(blocked.stderr.split(separator: "\n").count == 1)
                #expect(try LogTables(schema).dump() == before)
                // A dry run takes no lock.
                #expect(try hcconnect(["cleanup", "--ignore-older-than", "1d", "--dry-run"], schema: schema.name).status == 0)
                // The lock of another schema does not block this one... and once released, it runs.
                try holder.execute("ROLLBACK")
                let after = try hcconnect(["cleanup", "--yes", "--ignore-older-than", "1d"], schema: schema.name)
                #expect(after.status == 0, "\(after.stderr)")
                #expect(try LogTables(schema).dump() != before)
            }
        }

        @Test func concurrentCleanupProcessesRunOneAtATime() throws {
            try TestDatabase.withConnectSchema { schema in
                try schema.execute(
                    """
                    INSERT INTO _trigger_log_archive (id, created_at, state, action, table_name, record_id, sf_message)
                    SELECT nextval('_trigger_log_id_seq'), now() - interval '30 days', 'FAILED', 'UPDATE', 'account', g,
                           'UNABLE_TO_LOCK_ROW: unable to obtain exclusive access'
                      FROM generate_series(1, 3000) AS g
                    """)
                try schema.ensureRecords(1...3000)
                var environment = ProcessInfo.processInfo.environment
                environment["DATABASE_URL"] = try TestDatabase.url
                environment["HEROKU_CONNECT_SCHEMA"] = schema.name
                let arguments = ["cleanup", "--yes", "--retry-matching", "UNABLE_TO_LOCK_ROW", "--batch-size", "10", "--json"]
                let first = try BackgroundProcess.hcconnect(arguments, environment: environment)
                let second = try BackgroundProcess.hcconnect(arguments, environment: environment)
                let results = [try first.wait(timeout: .seconds(120)), try second.wait(timeout: .seconds(120))]
                let statuses = results.map(\.status).sorted()
                // Either they ran one after the other (the second found nothing left to do), or
                // the second found the first running and stopped with 75.
                #expect(statuses == [0, 0] || statuses == [0, 75], "\(results.map(\.stderr))")
                let copies = try schema.connection.query(
                    "SELECT count(*)::int, count(DISTINCT record_id)::int FROM \(schema.quoted)._trigger_log WHERE state = 'NEW'")
                #expect(try copies[0].int(0) == 3000)
                #expect(try copies[0].int(1) == 3000)
            }
        }

        @Test(arguments: [
            (["cleanup"], "cleanup needs a policy: --retry-matching, --ignore-older-than or --ignore-matching"),
            (["cleanup", "--yes", "--max-attempts", "2", "--ignore-older-than", "1d"], "--max-attempts limits --retry-matching"),
            (["cleanup", "--yes", "--retry-matching", "X_Y", "--max-attempts", "0"], "--max-attempts: '0' is not a number of attempts"),
            (["cleanup", "--yes", "--retry-matching", "X_Y", "--max-attempts", "two"], "--max-attempts: 'two' is not a number"),
            (["cleanup", "--yes", "--ignore-older-than", "7"], "--ignore-older-than: '7' is not a duration"),
            (["cleanup", "--yes", "--ignore-older-than", "-7d"], "--ignore-older-than"),
            (["cleanup", "--yes", "--retry-matching", ""], "--retry-matching: '' is empty"),
            (["cleanup", "--yes", "--retry-matching", "a(b"], "--retry-matching: 'a(b' is not a regular expression"),
            (["cleanup", "--yes", "--ignore-matching", "[z-a]"], "--ignore-matching: '[z-a]' is not a regular expression"),
            (["cleanup", "--yes", "--ignore-older-than", "1d", "--write-mode", "sideways"], "--write-mode: 'sideways' is not merged or ordered"),
            (["cleanup", "--yes", "--ignore-older-than", "1d", "--format", "csv"], "--format"),
            (["cleanup", "--yes", "--ignore-older-than", "1d", "extra"], "unexpected argument 'extra'"),
            (["cleanup", "--yes", "--ignore-older-than", "1d", "--table", "nosuch"], "nosuch"),
        ])
        func wrongCommandLinesAreOneLineAndChangeNothing(arguments: [String], message: String) throws {
            try TestDatabase.withConnectSchema { schema in
                _ = try Fixture(schema)
                let before = try LogTables(schema).dump()
                let result = try hcconnect(arguments, schema: schema.name)
                #expect(result.status == 2 || (arguments.contains("nosuch") && result.status == 3), "\(result.stderr)")
                #expect(result.stderr.contains(message), "\(result.stderr)")
                #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
                #expect(result.stdout.isEmpty)
                #expect(try LogTables(schema).dump() == before)
            }
        }
    }
}
