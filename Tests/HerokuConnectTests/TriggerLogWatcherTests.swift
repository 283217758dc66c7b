import Foundation
@testable import HerokuConnect
import Postgres
import TestSupport
import Testing

extension IntegrationSuites {
    /// The watcher against the emulation: one look at a time, driven by the test, and the whole
    /// run with its reconnection.
    @Suite(.tags(.database)) struct TriggerLogWatcherTests {
        /// A watcher on a connection of its own (the test writes on the schema's).
        private func watcher(
            _ schema: ConnectTestSchema, filter: TriggerLogQuery = TriggerLogQuery(),
            selection: TriggerLogWatcher.Selection = .failures, existing: Bool = false
        ) throws -> TriggerLogWatcher {
            let store = try TriggerLogStore(connection: try TestDatabase.connect(), schemaName: schema.name)
            return TriggerLogWatcher(store: store, filter: filter, selection: selection, includingExisting: existing)
        }

        /// Writes a record as a user would: the logger trigger adds a NEW live entry (and
        /// notifies). Returns the entry's id.
        @discardableResult
        private func capture(_ schema: ConnectTestSchema, table: String = "account", name: String = "Acme") throws -> Int {
            let column = table == "contact" ? "lastname" : "name"
            let record = try schema.connection.query(
                "INSERT INTO \(schema.quoted).\(table) (\(column)) VALUES ($1) RETURNING id", [.text(name)])[0].int(0)!
            return try schema.connection.query(
                "SELECT id FROM \(schema.quoted)._trigger_log WHERE table_name = $1 AND record_id = $2 ORDER BY id DESC LIMIT 1",
                [.text(table), .int(record)])[0].int(0)!
        }

        /// Sets a live entry's state, as Connect's worker (or a retry) would.
        private func setState(_ schema: ConnectTestSchema, _ id: Int, _ state: String, message: String? = nil) throws {
            try schema.connection.execute(
                "UPDATE \(schema.quoted)._trigger_log SET state = $2, sf_message = $3, processed_at = now() WHERE id = $1",
                [.int(id), .text(state), .optional(message)])
        }

        // MARK: One look at a time

        @Test func anEntryThatBecomesFailedIsReportedOnceWithItsMessage() throws {
            try TestDatabase.withConnectSchema { schema in
                let watcher = try watcher(schema)
                #expect(try watcher.start().isEmpty)
                let id = try capture(schema)
                #expect(try watcher.look().isEmpty, "a NEW entry is not a failure")
                try setState(schema, id, "PENDING")
                #expect(try watcher.look().isEmpty)
                try setState(schema, id, "FAILED", message: "UNABLE_TO_LOCK_ROW: unable to obtain exclusive access")
                let reported = try watcher.look()
                #expect(reported.map(\.id) == [id])
                #expect(reported.first?.state == .failed)
                #expect(reported.first?.sfMessage == "UNABLE_TO_LOCK_ROW: unable to obtain exclusive access")
                #expect(reported.first?.isArchived == false)
                #expect(try watcher.look().isEmpty, "reported once")
            }
        }

        @Test func aFailedEntryInsertedDirectlyIsReported() throws {
            try TestDatabase.withConnectSchema { schema in
                let watcher = try watcher(schema)
                _ = try watcher.start()
                let id = try schema.insertEntry(state: "FAILED", message: "boom", createdAgo: "0 seconds")
                #expect(try watcher.look().map(\.id) == [id])
                #expect(try watcher.look().isEmpty)
            }
        }

        @Test func entriesAlreadyFailedAtTheStartAreWrittenOnlyWhenAsked() throws {
            try TestDatabase.withConnectSchema { schema in
                let live = try schema.insertEntry(state: "FAILED", message: "old failure")
                try schema.insertEntry(archived: true, state: "FAILED", message: "archived failure")
                try schema.insertEntry(state: "SUCCESS")
                let quiet = try watcher(schema)
                #expect(try quiet.start().isEmpty)
                #expect(try quiet.look().isEmpty)
                let asked = try watcher(schema, existing: true)
                #expect(try asked.start().map(\.id) == [live], "the live log's failures only")
                #expect(try asked.look().isEmpty, "and not again")
            }
        }

        @Test func anEntryRetriedAndFailingAgainIsReportedAgain() throws {
            try TestDatabase.withConnectSchema { schema in
                let existing = try schema.insertEntry(state: "FAILED", message: "before the watch")
                let watcher = try watcher(schema)
                _ = try watcher.start()
                let id = try capture(schema)
                try setState(schema, id, "FAILED", message: "first")
                #expect(try watcher.look().map(\.id) == [id])
                // Retried in place (merged writes), picked up, failing again.
                try setState(schema, id, "NEW")
                try setState(schema, existing, "NEW")
                #expect(try watcher.look().isEmpty)
                try setState(schema, id, "PENDING")
                try setState(schema, existing, "FAILED", message: "again")
                #expect(try watcher.look().map(\.id) == [existing], "a failure older than the watch, retried, failing again")
                try setState(schema, id, "FAILED", message: "second")
                let again = try watcher.look()
                #expect(again.map(\.id) == [id])
                #expect(again.first?.sfMessage == "second")
            }
        }

        @Test func otherStatesOtherTablesAndOtherMessagesAreLeftOut() throws {
            try TestDatabase.withConnectSchema { schema in
                let store = try TriggerLogStore(connection: try TestDatabase.connect(), schemaName: schema.name)
                let filter = TriggerLogQuery().tables(["account"]).actions([.insert]).message(containing: "lock_row")
                let watcher = TriggerLogWatcher(store: store, filter: filter)
                _ = try watcher.start()
                let succeeding = try capture(schema)
                let contact = try capture(schema, table: "contact")
                let otherMessage = try capture(schema)
                let matching = try capture(schema)
                #expect(try watcher.look().isEmpty)
                try setState(schema, succeeding, "SUCCESS")
                try setState(schema, contact, "FAILED", message: "UNABLE_TO_LOCK_ROW")
                try setState(schema, otherMessage, "FAILED", message: "REQUIRED_FIELD_MISSING")
                try setState(schema, matching, "FAILED", message: "UNABLE_TO_LOCK_ROW: unable to obtain exclusive access")
                try schema.insertEntry(state: "FAILED", action: "UPDATE", table: "account", message: "UNABLE_TO_LOCK_ROW")
                #expect(try watcher.look().map(\.id) == [matching])
            }
        }

        @Test func aRowCommittedAfterAHigherIdIsStillSeen() throws {
            try TestDatabase.withConnectSchema { schema in
                let watcher = try watcher(schema)
                _ = try watcher.start()
                let slow = try TestDatabase.connect()
                try slow.execute("BEGIN")
                let early = try slow.query("""
                    INSERT INTO \(schema.quoted)._trigger_log (txid, created_at, state, action, table_name, record_id, sf_message)
                    VALUES (txid_current(), now(), 'FAILED', 'UPDATE', 'account', 1, 'committed late') RETURNING id
                    """)[0].int(0)!
                let late = try schema.insertEntry(state: "FAILED", message: "committed first", createdAgo: "0 seconds")
                #expect(early < late)
                #expect(try watcher.look().map(\.id) == [late])
                for _ in 0..<3 { #expect(try watcher.look().isEmpty) }
                #expect(watcher.windowStart < early, "the window waits for the open transaction")
                try slow.execute("COMMIT")
                #expect(try watcher.look().map(\.id) == [early])
                #expect(try watcher.look().isEmpty)
            }
        }

        @Test func theWindowMovesOnOnceNoTransactionCanAddBelowIt() throws {
            try TestDatabase.withConnectSchema { schema in
                let watcher = try watcher(schema)
                _ = try watcher.start()
                for _ in 0..<3 { try capture(schema) }
                let newest = try capture(schema)
                #expect(watcher.windowStart < newest)
                // The first look sees them, and cannot move the window past them yet: the look
                // after it is the witness that nothing below them can still come.
                _ = try watcher.look()
                #expect(watcher.windowStart < newest)
                // The following ones do, once no transaction (of this test or others running at
                // the same time) can still commit below them.
                let deadline = ContinuousClock.now + .seconds(20)
                while watcher.windowStart < newest, ContinuousClock.now < deadline {
                    _ = try watcher.look()
                    Thread.sleep(forTimeInterval: 0.05)
                }
                #expect(watcher.windowStart == newest)
                // A failure now is still reported: through the candidates, not the window.
                try setState(schema, newest, "FAILED", message: "late")
                #expect(try watcher.look().map(\.id) == [newest])
            }
        }

        @Test func aCandidateMovedToTheArchiveAsFailedIsReportedFromTheArchive() throws {
            try TestDatabase.withConnectSchema { schema in
                let watcher = try watcher(schema)
                _ = try watcher.start()
                let id = try capture(schema)
                let other = try capture(schema)
                #expect(try watcher.look().isEmpty)
                // Processed and archived between two looks, as Connect moves rows.
                try schema.connection.withTransaction {
                    for (entry, state) in [(id, "FAILED"), (other, "SUCCESS")] {
                        try schema.connection.execute("""
                            WITH moved AS (DELETE FROM \(schema.quoted)._trigger_log WHERE id = $1 RETURNING *)
                            INSERT INTO \(schema.quoted)._trigger_log_archive SELECT * FROM moved
                            """, [.int(entry)])
                        try schema.connection.execute(
                            "UPDATE \(schema.quoted)._trigger_log_archive SET state = $2, sf_message = 'gone' WHERE id = $1",
                            [.int(entry), .text(state)])
                    }
                }
                let reported = try watcher.look()
                #expect(reported.map(\.id) == [id])
                #expect(reported.first?.isArchived == true)
                #expect(try watcher.look().isEmpty)
            }
        }

        @Test func everyNewEntryIsReportedOnceWhenWatchingInsertions() throws {
            try TestDatabase.withConnectSchema { schema in
                try schema.insertEntry(state: "NEW")
                let watcher = try watcher(schema, selection: .inserted)
                #expect(try watcher.start().isEmpty)
                let first = try capture(schema)
                let readOnly = try schema.insertEntry(state: "READONLY", table: "user", createdAgo: "0 seconds")
                #expect(try watcher.look().map(\.id) == [first, readOnly])
                try setState(schema, first, "FAILED", message: "not a new entry")
                let second = try capture(schema, table: "contact")
                #expect(try watcher.look().map(\.id) == [second])
                #expect(try watcher.look().isEmpty)
            }
        }

        @Test func otherStatesCanBeWatched() throws {
            try TestDatabase.withConnectSchema { schema in
                let failed = try schema.insertEntry(state: "FAILED", message: "before")
                let successes = try watcher(schema, selection: .reaching([.success]))
                let captures = try watcher(schema, selection: .reaching([.new]))
                _ = try successes.start()
                _ = try captures.start()
                let id = try capture(schema)
                #expect(try successes.look().isEmpty)
                #expect(try captures.look().map(\.id) == [id], "a new capture")
                try setState(schema, id, "SUCCESS")
                try setState(schema, failed, "NEW")
                #expect(try successes.look().map(\.id) == [id])
                #expect(try captures.look().map(\.id) == [failed], "a retried failure")
            }
        }

        // MARK: The run

        /// What a run has reported so far, shared with the thread running it.
        private final class Recorder: @unchecked Sendable {
            private let lock = NSLock()
            private var recorded: [TriggerLogWatcher.Event] = []
            private var stopped = false

            func add(_ event: TriggerLogWatcher.Event) { lock.withLock { recorded.append(event) } }
            var events: [TriggerLogWatcher.Event] { lock.withLock { recorded } }
            var entryIDs: [Int] {
                events.compactMap { if case .entry(let entry) = $0 { entry.id } else { nil } }
            }
            func stop() { lock.withLock { stopped = true } }
            var shouldStop: Bool { lock.withLock { stopped } }

            /// Waits until `condition` holds, or fails after `limit`.
            func wait(for what: String, limit: Duration = .seconds(20), _ condition: (Recorder) -> Bool) {
                let deadline = ContinuousClock.now + limit
                while !condition(self) {
                    guard ContinuousClock.now < deadline else {
                        Issue.record("timed out waiting for \(what); events: \(events)")
                        return
                    }
                    Thread.sleep(forTimeInterval: 0.02)
                }
            }
        }

        /// Waits until the session `pid` is idle after a look (started after `time`, when
        /// given), so it listens.
        private func waitUntilListening(_ connection: PostgresConnection, pid: Int, lookedAfter time: String? = nil) throws {
            let deadline = ContinuousClock.now + .seconds(20)
            while ContinuousClock.now < deadline {
                let rows = try connection.query("""
                    SELECT count(*) FROM pg_stat_activity
                    WHERE pid = $1 AND state = 'idle' AND query LIKE '%txid_current_snapshot%'
                      AND ($2::timestamptz IS NULL OR query_start > $2::timestamptz)
                    """, [.int(pid), .optional(time)])
                if try rows[0].int(0) == 1 { return }
                Thread.sleep(forTimeInterval: 0.02)
            }
            Issue.record("the watcher never became idle after a look")
        }

        /// Runs the watcher on a thread of its own; the function returned stops it, waits for
        /// it and returns what it threw (idempotent).
        private func runInBackground(_ watcher: TriggerLogWatcher, _ recorder: Recorder) -> () -> (any Error)? {
            final class Outcome: @unchecked Sendable {
                let lock = NSLock()
                let done = DispatchSemaphore(value: 0)
                var finished = false
                var error: (any Error)?
            }
            let outcome = Outcome()
            nonisolated(unsafe) let running = watcher
            Thread {
                do {
                    try running.run(interval: .milliseconds(300), shouldStop: { recorder.shouldStop }) { recorder.add($0) }
                } catch {
                    outcome.lock.withLock { outcome.error = error }
                }
                outcome.done.signal()
            }.start()
            return {
                recorder.stop()
                outcome.lock.lock()
                defer { outcome.lock.unlock() }
                if !outcome.finished {
                    outcome.lock.unlock()
                    outcome.done.wait()
                    outcome.lock.lock()
                    outcome.finished = true
                }
                return outcome.error
            }
        }

        @Test func theRunReportsFailuresAndCatchesUpAfterItsSessionIsKilled() throws {
            try TestDatabase.withConnectSchema { schema in
                let watcher = try watcher(schema)
                let firstPID = try watcher.store.connection.query("SELECT pg_backend_pid()")[0].int(0)!
                let recorder = Recorder()
                let finish = runInBackground(watcher, recorder)
                defer { _ = finish() }
                try waitUntilListening(schema.connection, pid: firstPID)

                let first = try capture(schema)
                try setState(schema, first, "FAILED", message: "first")
                recorder.wait(for: "the first failure") { $0.entryIDs == [first] }

                // A candidate, seen as NEW before the session ends.
                let second = try capture(schema)
                let captured = try schema.connection.query("SELECT clock_timestamp()::text")[0].string(0)!
                try waitUntilListening(schema.connection, pid: firstPID, lookedAfter: captured)
                // Inserted, failed and archived between two looks: found when catching up.
                let archived = try schema.insertEntry(
                    archived: true, state: "FAILED", message: "archived meanwhile", createdAgo: "0 seconds")
                try schema.connection.execute("SELECT pg_terminate_backend($1)", [.int(firstPID)])
                try setState(schema, second, "FAILED", message: "while away")
                recorder.wait(for: "the reconnection and the catch-up") { $0.entryIDs == [first, second, archived] }

                let third = try capture(schema)
                try setState(schema, third, "FAILED", message: "after")
                recorder.wait(for: "a failure after the reconnection") { $0.entryIDs == [first, second, archived, third] }
                #expect(finish() == nil)

                let events = recorder.events
                let lost = events.firstIndex { if case .connectionLost = $0 { true } else { false } }
                let back = events.firstIndex { if case .reconnected = $0 { true } else { false } }
                let catchUp = events.firstIndex { if case .entry(let entry) = $0 { entry.id == second } else { false } }
                #expect(lost != nil && back != nil && catchUp != nil)
                if let lost, let back, let catchUp { #expect(lost < back && back < catchUp) }
                if case .connectionLost(let error, let delay)? = lost.map({ events[$0] }) {
                    #expect(error.kind == .connectionLost)
                    #expect(delay >= .milliseconds(400) && delay <= .milliseconds(600))
                }
                let entries = events.compactMap { if case .entry(let entry) = $0 { entry } else { nil } }
                #expect(entries.map(\.isArchived) == [false, false, true, false])
                #expect(try watcher.store.connection.query("SELECT pg_backend_pid()")[0].int(0) != firstPID)
            }
        }

        @Test func theRunEndsAtItsDeadlineAndWhenToldToStop() throws {
            try TestDatabase.withConnectSchema { schema in
                let watcher = try watcher(schema)
                let start = ContinuousClock.now
                try watcher.run(interval: .seconds(5), until: .now + .milliseconds(400)) { _ in }
                let ran = ContinuousClock.now - start
                #expect(ran >= .milliseconds(400) && ran < .seconds(3), "woke at the deadline, not at the interval")

                var asked = 0
                let told = ContinuousClock.now
                try watcher.run(interval: .milliseconds(100), shouldStop: {
                    asked += 1
                    return asked > 3
                }) { _ in }
                #expect(asked == 4, "asked at every wake-up: the first look, a wait, a look, a wait")
                #expect(ContinuousClock.now - told < .seconds(2))
            }
        }

        @Test func theBackoffDoublesUpToItsMaximumWithJitter() {
            var backoff = ReconnectBackoff(initial: .milliseconds(500), maximum: .seconds(30))
            let delays = (0..<10).map { _ in backoff.nextDelay() }
            let bases: [Duration] = [.milliseconds(500), .seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(16),
                                     .seconds(30), .seconds(30), .seconds(30), .seconds(30)]
            for (delay, base) in zip(delays, bases) {
                #expect(delay >= base * 0.8 && delay <= base * 1.2, "\(delay) near \(base)")
            }
            backoff.reset()
            #expect(backoff.nextDelay() <= .milliseconds(600))
        }
    }
}
