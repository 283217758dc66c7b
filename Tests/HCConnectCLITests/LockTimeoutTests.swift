import Foundation
import Postgres
import TestSupport
import Testing

extension IntegrationSuites {
    /// --lock-timeout and --statement-timeout against locks held by another session: bulk work
    /// waits and retries, reads give up at once, a cancelled statement is not retried, and bad
    /// values are refused before anything runs.
    @Suite(.tags(.process)) struct LockTimeoutTests {
        private func environment(_ schema: ConnectTestSchema) throws -> [String: String] {
            ["DATABASE_URL": try TestDatabase.url, "HEROKU_CONNECT_SCHEMA": schema.name]
        }

        /// A second session that takes a table lock in an open transaction and keeps it until
        /// ``release()`` (or until it goes away).
        private final class LockHolder {
            let connection: PostgresConnection

            init(_ schema: ConnectTestSchema, table: String = "_trigger_log_archive", mode: String = "ACCESS EXCLUSIVE") throws {
                connection = try TestDatabase.plainConnection()
                try connection.execute("BEGIN")
                try connection.execute("LOCK TABLE \(schema.quoted).\"\(table)\" IN \(mode) MODE")
            }

            func release() throws { try connection.execute("COMMIT") }
        }

        private func events(_ result: BackgroundProcess.Result, _ kind: String) -> [[String: Any]] {
            jsonEventLines(result.stderr).filter { $0["event"] as? String == kind }
        }

        // MARK: - Bulk work waits for a lock

        @Test func aBulkRetryWaitsForALockReleasedAfterASecond() throws {
            try TestDatabase.withConnectSchema { schema in
                let fixture = TriggerLogFixture(schema)
                try fixture.fillArchivedFailures(100)
                let holder = try LockHolder(schema)
                let run = try BackgroundProcess.hcconnect(
                    ["retry", "--failed", "--yes", "--lock-timeout", "200ms", "--verbose", "--log-format", "json", "--json"],
                    environment: try environment(schema))
                Thread.sleep(forTimeInterval: 1.0)
                #expect(run.isRunning, "the run waits while the lock is held")
                try holder.release()
                let result = try run.wait(timeout: .seconds(60))
                #expect(result.status == 0, "\(result.stderr)")
                let retries = events(result, "retry")
                #expect(!retries.isEmpty && retries.count <= 3, "\(retries)")
                #expect(retries.allSatisfy { $0["rule"] as? String == "lock_timeout" && $0["sqlstate"] as? String == "55P03" })
                #expect(events(result, "lock_wait").count == retries.count, "each failed attempt waited 200 ms for the lock")
                let counts = try fixture.expectWholeBatches(of: 100, total: 100)
                #expect(counts.requeued == 100)
            }
        }

        @Test func aLockHeldForTheWholeRunEndsWith75AfterTheRetriesAndChangesNothing() throws {
            try TestDatabase.withConnectSchema { schema in
                let fixture = TriggerLogFixture(schema)
                try fixture.fillArchivedFailures(100)
                let before = try LogTables(schema).dump()
                let holder = try LockHolder(schema)
                let result = try BackgroundProcess.hcconnect(
                    ["retry", "--failed", "--yes", "--lock-timeout", "200ms"], environment: try environment(schema)
                ).wait(timeout: .seconds(60))
                try holder.release()
                #expect(result.status == 75, "\(result.stderr)")
                let last = try #require(result.stderrLines.last)
                #expect(last.hasPrefix("hcconnect: database error: canceling statement due to lock timeout (SQLSTATE 55P03)"))
                #expect(last.contains(" after 3 retries in "), "three retries for lock timeouts: \(last)")
                // 4 attempts of 200 ms and 3 waits of 125-250, 250-500, 500-1000 ms.
                #expect(result.elapsed >= .milliseconds(1600) && result.elapsed < .seconds(10), "\(result.elapsed)")
                #expect(try LogTables(schema).dump() == before, "nothing changed")
            }
        }

        /// Live entries come first and commit; the archived ones are behind a lock that lets
        /// reads through (EXCLUSIVE): the run gives up at the first archived batch and reports
        /// the batches done.
        @Test func aLockReachedMidRunEndsWithTheSummarySoFar() throws {
            try TestDatabase.withConnectSchema { schema in
                let fixture = TriggerLogFixture(schema)
                try fixture.fillLiveFailures(40, firstID: 1)
                try fixture.fillArchivedFailures(60, firstID: 41)
                let holder = try LockHolder(schema, mode: "EXCLUSIVE")
                let result = try BackgroundProcess.hcconnect(
                    ["retry", "--failed", "--yes", "--batch-size", "20", "--lock-timeout", "100ms", "--retries", "2"],
                    environment: try environment(schema)
                ).wait(timeout: .seconds(60))
                try holder.release()
                #expect(result.status == 75, "\(result.stderr)")
                #expect(result.stderr.contains("Stopped after 2 batches; the batches done are committed, the rest is untouched. So far:"))
                #expect(result.stderr.contains("100 requested, 40 changed"), "\(result.stderr)")
                let last = try #require(result.stderrLines.last)
                #expect(last.contains("lock timeout"), "\(last)")
                #expect(last.contains("(gave up batch 3 after 2 retries in "), "\(last)")
                let states = try schema.connection.query("""
                    SELECT (SELECT count(*) FROM \(schema.quoted)._trigger_log WHERE state = 'NEW'),
                           (SELECT count(*) FROM \(schema.quoted)._trigger_log_archive WHERE state = 'FAILED')
                    """)[0]
                #expect(try states.int(0) == 40)
                #expect(try states.int(1) == 60)
            }
        }

        // MARK: - Reads and cancelled statements are not retried

        /// Listing commands are not run under the retry policy at all: a lock timeout ends them
        /// at once with 75, whatever --retries says.
        @Test(arguments: [["--retries", "0"], []])
        func aReadGivesUpAtTheFirstLockTimeout(_ retries: [String]) throws {
            try TestDatabase.withConnectSchema { schema in
                try TriggerLogFixture(schema).fillArchivedFailures(5)
                let holder = try LockHolder(schema)
                defer { _ = try? holder.release() }
                let result = try BackgroundProcess.hcconnect(
                    ["failed", "--lock-timeout", "200ms", "--verbose", "--log-format", "json"] + retries,
                    environment: try environment(schema)
                ).wait(timeout: .seconds(30))
                #expect(result.status == 75, "\(result.stderr)")
                #expect(result.elapsed < .seconds(3), "\(result.elapsed)")
                #expect(events(result, "retry").isEmpty)
                #expect(events(result, "lock_wait").count == 1)
                let error = try #require(events(result, "error").last)
                #expect(error["exit_status"] as? Int == 75)
                #expect((error["message"] as? String)?.contains("lock timeout") == true)
                #expect(result.stdout.isEmpty)
            }
        }

        /// With no lock timeout the statement waits until the statement timeout cancels it
        /// (57014), which is never retried.
        @Test func aStatementTimeoutCancelsTheWaitAndIsNotRetried() throws {
            try TestDatabase.withConnectSchema { schema in
                try TriggerLogFixture(schema).fillArchivedFailures(50)
                let before = try LogTables(schema).dump()
                let holder = try LockHolder(schema)
                let result = try BackgroundProcess.hcconnect(
                    ["retry", "--failed", "--yes", "--statement-timeout", "300ms", "--lock-timeout", "0"],
                    environment: try environment(schema)
                ).wait(timeout: .seconds(30))
                try holder.release()
                #expect(result.status == 75, "\(result.stderr)")
                #expect(result.stderrLines.last == "hcconnect: database error: canceling statement due to statement timeout (SQLSTATE 57014)")
                #expect(result.elapsed < .seconds(3), "one attempt of 300 ms: \(result.elapsed)")
                #expect(try LogTables(schema).dump() == before)
            }
        }

        /// A batch slower than --statement-timeout is cancelled and rolled back whole.
        @Test func aSlowBatchIsCancelledAndRolledBack() throws {
            try TestDatabase.withConnectSchema { schema in
                let fixture = TriggerLogFixture(schema)
                try fixture.fillArchivedFailures(30)
                try fixture.slowDownArchiveUpdates(by: 2)
                // The rows only: the batch drew new ids from the live sequence, which a rollback
                // does not give back.
                func rows() throws -> [String: String] { try LogTables(schema).dump().filter { $0.key != "sequence" } }
                let before = try rows()
                let result = try hcconnect(["retry", "--failed", "--yes", "--statement-timeout", "300ms"], schema: schema.name)
                #expect(result.status == 75, "\(result.stderr)")
                #expect(result.stderr == "hcconnect: database error: canceling statement due to statement timeout (SQLSTATE 57014)\n")
                #expect(try rows() == before)
            }
        }

        // MARK: - The session's timeouts

        /// The timeouts in effect while a batch changes the archive, as a trigger sees them.
        ///
        /// - Parameter holdingFirstEntry: Hold the first entry locked in another session while
        ///   the command runs (which then leaves it alone and exits 1).
        private func timeoutsSeenByABatch(
            _ schema: ConnectTestSchema, _ options: [String], command: String = "retry", holdingFirstEntry: Bool = false
        ) throws -> [String] {
            let fixture = TriggerLogFixture(schema)
            try fixture.fillArchivedFailures(3)
            try schema.execute("CREATE TABLE seen_timeouts (lock_timeout text, statement_timeout text)")
            try schema.execute("""
                CREATE FUNCTION record_timeouts() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
                  INSERT INTO \(schema.quoted).seen_timeouts VALUES (current_setting('lock_timeout'), current_setting('statement_timeout'));
                  RETURN NULL;
                END $$
                """)
            try schema.execute("""
                CREATE TRIGGER record_timeouts AFTER UPDATE ON _trigger_log_archive
                FOR EACH STATEMENT EXECUTE FUNCTION record_timeouts()
                """)
            let run = { try hcconnect([command, "--failed", "--yes"] + options, schema: schema.name) }
            if holdingFirstEntry {
                let other = try TestDatabase.connect()
                let result = try other.withTransaction {
                    let held = try other.query(
                        "SELECT id FROM \(schema.quoted)._trigger_log_archive ORDER BY id LIMIT 1 FOR UPDATE")
                    #expect(held.count == 1)
                    return try run()
                }
                #expect(result.status == 1, "\(result.stderr)")
            } else {
                let result = try run()
                #expect(result.status == 0, "\(result.stderr)")
            }
            let rows = try schema.connection.query("SELECT lock_timeout, statement_timeout FROM \(schema.quoted).seen_timeouts")
            return rows.flatMap { [$0.string(0) ?? "NULL", $0.string(1) ?? "NULL"] }
        }

        @Test(arguments: ["retry", "ignore"])
        func commandsThatChangeDataRunWithTheDefaultTimeoutsForChanges(_ command: String) throws {
            try TestDatabase.withConnectSchema { schema in
                let seen = try timeoutsSeenByABatch(schema, [], command: command)
                // ignore's batch is first a plain UPDATE that does not wait for a held entry
                #expect(seen == [command == "ignore" ? "1ms" : "10s", "5min"])
            }
        }

        /// When another session holds one of its entries, ignore's plain UPDATE gives up after a
        /// millisecond (its change rolled back, the trigger's row with it) and the batch runs
        /// again, locking first, under the session's lock timeout: the held entry is skipped and
        /// the others ignored, without waiting for the holder.
        @Test func ignoreRunsAgainUnderTheSessionsLockTimeoutWhenAnEntryIsHeld() throws {
            try TestDatabase.withConnectSchema { schema in
                let start = ContinuousClock.now
                let seen = try timeoutsSeenByABatch(
                    schema, ["--lock-timeout", "20s"], command: "ignore", holdingFirstEntry: true)
                #expect(seen == ["20s", "5min"])
                #expect(ContinuousClock.now - start < .seconds(10))
                let states = try schema.connection.query(
                    "SELECT state FROM \(schema.quoted)._trigger_log_archive ORDER BY id"
                ).map { $0.string(0) }
                #expect(states == ["FAILED", "IGNORED", "IGNORED"])
            }
        }

        @Test func theTimeoutOptionsReachTheSession() throws {
            try TestDatabase.withConnectSchema { schema in
                let seen = try timeoutsSeenByABatch(schema, ["--lock-timeout", "1500ms", "--statement-timeout=2min"])
                #expect(seen == ["1500ms", "2min"])
            }
            try TestDatabase.withConnectSchema { schema in
                let seen = try timeoutsSeenByABatch(schema, ["--lock-timeout", "0", "--statement-timeout", "0"])
                #expect(seen == ["0", "0"])
            }
            try TestDatabase.withConnectSchema { schema in
                let seen = try timeoutsSeenByABatch(schema, ["--lock-timeout", "596h", "--statement-timeout", "35791min"])
                #expect(seen == ["596h", "35791min"])
            }
        }

        // MARK: - Bad values

        @Test(arguments: [
            (["--lock-timeout", "10"], "--lock-timeout: '10' is not a timeout; use 0 or a number with ms, s, min or h (e.g. 10s)"),
            (["--lock-timeout", "-1s"], "--lock-timeout: '-1s' is not a timeout; use 0 or a number with ms, s, min or h (e.g. 10s)"),
            (["--lock-timeout=-1s"], "--lock-timeout: '-1s' is not a timeout; use 0 or a number with ms, s, min or h (e.g. 10s)"),
            (["--lock-timeout", "abc"], "--lock-timeout: 'abc' is not a timeout; use 0 or a number with ms, s, min or h (e.g. 10s)"),
            (["--lock-timeout", "1.5s"], "--lock-timeout: '1.5s' is not a timeout; use 0 or a number with ms, s, min or h (e.g. 10s)"),
            (["--lock-timeout", "597h"], "--lock-timeout: '597h' is not a timeout; use 0 or a number with ms, s, min or h (e.g. 10s)"),
            (["--lock-timeout", ""], "--lock-timeout: '' is not a timeout; use 0 or a number with ms, s, min or h (e.g. 10s)"),
            (["--lock-timeout"], "--lock-timeout needs a value"),
            (["--statement-timeout", "5 seconds"], "--statement-timeout: '5 seconds' is not a timeout; use 0 or a number with ms, s, min or h (e.g. 10s)"),
            (["--statement-timeout", "2d"], "--statement-timeout: '2d' is not a timeout; use 0 or a number with ms, s, min or h (e.g. 10s)"),
            (["--statement-timeout", "35792min"], "--statement-timeout: '35792min' is not a timeout; use 0 or a number with ms, s, min or h (e.g. 10s)"),
            (["--retries", "-1"], "--retries: '-1' is not a number of retries from 0 to 100"),
            (["--retries", "101"], "--retries: '101' is not a number of retries from 0 to 100"),
            (["--retries", "three"], "--retries: 'three' is not a number of retries from 0 to 100"),
            (["--retries", "1", "--retries", "2"], "--retries is given more than once"),
            (["--log-format", "xml"], "--log-format: 'xml' is not a log format; use text or json"),
        ] as [([String], String)])
        func badValuesAreOneLineAndChangeNothing(_ options: [String], _ message: String) throws {
            try TestDatabase.withConnectSchema { schema in
                try TriggerLogFixture(schema).fillArchivedFailures(3)
                let before = try LogTables(schema).dump()
                let result = try hcconnect(["retry", "--failed", "--yes"] + options, schema: schema.name)
                #expect(result.status == 2)
                #expect(result.stderr == "hcconnect: \(message)\n")
                #expect(result.stdout.isEmpty)
                #expect(try LogTables(schema).dump() == before)
            }
        }
    }
}
