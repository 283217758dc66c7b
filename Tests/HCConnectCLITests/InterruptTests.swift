import Foundation
import Postgres
import TestSupport
import Testing

extension IntegrationSuites {
    /// Ctrl-C (SIGINT) and SIGTERM during a bulk retry run as a process: the batch in hand is
    /// finished, the summary so far reported, the exit status 128 + the signal, and the
    /// database holds whole batches only, which a rerun completes.
    @Suite(.tags(.process, .slow)) struct InterruptTests {
        private let total = 3000
        private let batchSize = 10

        private func environment(_ schema: ConnectTestSchema) throws -> [String: String] {
            ["DATABASE_URL": try TestDatabase.url, "HEROKU_CONNECT_SCHEMA": schema.name, "PATH": "/usr/bin:/bin"]
        }

        /// Archived failures whose batches take 20 ms more each, so that a run lasts seconds.
        private func prepare(_ schema: ConnectTestSchema) throws -> TriggerLogFixture {
            let fixture = TriggerLogFixture(schema)
            try fixture.fillArchivedFailures(total)
            try fixture.slowDownArchiveUpdates(by: 0.02)
            return fixture
        }

        /// Starts a retry, waits for five batches to commit, sends `signal` and waits for the end.
        private func interruptedRun(
            _ schema: ConnectTestSchema, _ fixture: TriggerLogFixture, signal: Int32, extra: [String] = []
        ) throws -> BackgroundProcess.Result {
            let run = try BackgroundProcess.hcconnect(
                ["retry", "--failed", "--yes", "--batch-size", String(batchSize)] + extra, environment: try environment(schema))
            let going = try waitUntil(timeout: .seconds(60)) { try fixture.requeuedCount() >= 5 * batchSize }
            #expect(going, "five batches committed")
            #expect(run.isRunning, "the run was still going when the signal was sent")
            run.send(signal)
            return try run.wait(timeout: .seconds(30))
        }

        /// A rerun selects only what is still FAILED and completes the job.
        private func expectARerunFinishes(
            _ schema: ConnectTestSchema, _ fixture: TriggerLogFixture, done: Int, sourceLocation: SourceLocation = #_sourceLocation
        ) throws {
            let rerun = try hcconnect(["retry", "--failed", "--yes", "--batch-size", "1000", "--json"], schema: schema.name)
            #expect(rerun.status == 0, "\(rerun.stderr)", sourceLocation: sourceLocation)
            let summary = try JSONSerialization.jsonObject(with: Data(rerun.stdout.utf8)) as? [String: Any]
            #expect(summary?["requested"] as? Int == total - done, sourceLocation: sourceLocation)
            #expect(summary?["changed"] as? Int == total - done, sourceLocation: sourceLocation)
            let counts = try fixture.expectWholeBatches(of: batchSize, total: total, sourceLocation: sourceLocation)
            #expect(counts.requeued == total, sourceLocation: sourceLocation)
        }

        @Test(arguments: [(SIGINT, Int32(130)), (SIGTERM, Int32(143)), (SIGHUP, Int32(129))])
        func aSignalStopsAfterTheBatchInHandWithTheSummarySoFar(_ signal: Int32, _ status: Int32) throws {
            try TestDatabase.withConnectSchema { schema in
                let fixture = try prepare(schema)
                let result = try interruptedRun(schema, fixture, signal: signal)
                #expect(!result.signalled, "the process ended by itself")
                #expect(result.status == status, "\(result.stderr)")
                #expect(result.stdout.isEmpty)
                let counts = try fixture.expectWholeBatches(of: batchSize, total: total)
                #expect(counts.requeued >= 5 * batchSize && counts.requeued < total, "\(counts)")

                let lines = result.stderrLines.filter { !$0.isEmpty }
                #expect(lines.first == "hcconnect: interrupted; finishing the current batch (press Ctrl-C again to abort it)")
                let batches = counts.requeued / batchSize
                #expect(
                    result.stderr.contains(
                        "Stopped after \(batches) batches; the batches done are committed, the rest is untouched. So far:"),
                    "\(result.stderr)")
                #expect(result.stderr.contains("3,000 requested, \(counts.requeued) changed"), "\(result.stderr)")
                #expect(lines.last == (signal == SIGHUP ? "hcconnect: hung up" : "hcconnect: interrupted"))

                try expectARerunFinishes(schema, fixture, done: counts.requeued)
            }
        }

        /// `retry --format ids | head -1`: the reader goes away after the first id; the run
        /// notices after its batch, as if Ctrl-C came, writes the summary to standard error and
        /// exits 141, leaving whole batches that a rerun completes.
        @Test func aClosedStandardOutputStopsAfterTheBatchInHand() throws {
            try TestDatabase.withConnectSchema { schema in
                let fixture = try prepare(schema)
                let binary = TestDatabase.packageRoot.appendingPathComponent(".build/debug/hcconnect").path
                let script = """
                    "$0" retry --failed --yes --batch-size \(batchSize) --format ids | head -1
                    echo "status ${PIPESTATUS[0]}" >&2
                    """
                let result = try BackgroundProcess("/bin/bash", ["-c", script, binary], environment: try environment(schema))
                    .wait(timeout: .seconds(120))
                #expect(result.stdout.split(separator: "\n").count == 1, "head printed one id: \(result.stdout)")
                let counts = try fixture.expectWholeBatches(of: batchSize, total: total)
                #expect(counts.requeued >= batchSize && counts.requeued < total, "\(counts)")
                let lines = result.stderrLines.filter { !$0.isEmpty }
                #expect(lines.last == "status 141", "\(result.stderr)")
                #expect(lines.dropLast().last == "hcconnect: standard output was closed; stopped", "\(result.stderr)")
                #expect(
                    result.stderr.contains("Stopped after \(counts.requeued / batchSize) batch"), "\(result.stderr)")
                #expect(result.stderr.contains("3,000 requested, \(counts.requeued) changed"), "\(result.stderr)")
                try expectARerunFinishes(schema, fixture, done: counts.requeued)
            }
        }

        /// A listing whose reader went away stops, silently, with 141 (as SIGPIPE would end it).
        @Test func aListingStopsWhenItsReaderGoesAway() throws {
            try TestDatabase.withConnectSchema { schema in
                try TriggerLogFixture(schema).fillArchivedFailures(30_000)
                let binary = TestDatabase.packageRoot.appendingPathComponent(".build/debug/hcconnect").path
                for format in ["ids", "csv", "json"] {
                    let result = try BackgroundProcess(
                        "/bin/bash", ["-c", "\"$0\" failed --format $1 | head -1; echo \"status ${PIPESTATUS[0]}\" >&2", binary, format],
                        environment: try environment(schema)
                    ).wait(timeout: .seconds(60))
                    #expect(result.stderr == "status 141\n", "\(format)")
                    #expect(result.stdout.split(separator: "\n").count == 1)
                }
            }
        }

        @Test func anInterruptedJSONRunWritesOneObjectMarkedIncomplete() throws {
            try TestDatabase.withConnectSchema { schema in
                let fixture = try prepare(schema)
                let result = try interruptedRun(schema, fixture, signal: SIGINT, extra: ["--format", "json"])
                #expect(result.status == 130, "\(result.stderr)")
                let lines = result.stdout.split(separator: "\n")
                #expect(lines.count == 1, "one JSON object: \(result.stdout)")
                let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
                #expect(object["completed"] as? Bool == false)
                #expect(object["error"] as? String == "interrupted")
                let counts = try fixture.expectWholeBatches(of: batchSize, total: total)
                #expect(object["changed"] as? Int == counts.requeued)
                #expect(object["requested"] as? Int == total)
                #expect((object["created"] as? [[String: Any]])?.count == counts.requeued)
                try expectARerunFinishes(schema, fixture, done: counts.requeued)
            }
        }

        /// A second Ctrl-C ends the process at once; the server rolls the open batch back.
        @Test func aSecondSignalAbortsAndLeavesWholeBatches() throws {
            try TestDatabase.withConnectSchema { schema in
                let fixture = try prepare(schema)
                let run = try BackgroundProcess.hcconnect(
                    ["retry", "--failed", "--yes", "--batch-size", String(batchSize)], environment: try environment(schema))
                #expect(try waitUntil(timeout: .seconds(60)) { try fixture.requeuedCount() >= 5 * batchSize })
                run.send(SIGINT)
                Thread.sleep(forTimeInterval: 0.005)
                run.send(SIGINT)
                let result = try run.wait(timeout: .seconds(30))
                // Either the second signal came in time and killed it, or the first had already
                // ended it after its batch.
                let endedAsExpected = result.signalled ? result.status == SIGINT : result.status == 130
                #expect(endedAsExpected, "status \(result.status), signalled \(result.signalled): \(result.stderr)")
                // The server notices the closed connection and rolls back; wait for that session to end.
                #expect(try sessionsEnded(schema))
                let counts = try fixture.expectWholeBatches(of: batchSize, total: total)
                try expectARerunFinishes(schema, fixture, done: counts.requeued)
            }
        }

        /// With --log-format json, standard error stays JSON lines when the run is interrupted.
        /// With --log-format json the signal handler announces nothing (it could not write a
        /// JSON line), so standard error stays JSON lines to the end.
        @Test func anInterruptedRunKeepsStandardErrorJSON() throws {
            try TestDatabase.withConnectSchema { schema in
                let fixture = try prepare(schema)
                let result = try interruptedRun(schema, fixture, signal: SIGINT, extra: ["--log-format", "json"])
                #expect(result.status == 130)
                let lines = result.stderr.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
                #expect(jsonEventLines(result.stderr).count == lines.count, "\(result.stderr)")
            }
        }

        /// Waits (10 s at most) until no hcconnect session works on the schema any more.
        private func sessionsEnded(_ schema: ConnectTestSchema) throws -> Bool {
            let connection = schema.connection
            let pattern = "%\(schema.name)%"
            return try waitUntil(timeout: .seconds(10)) {
                try connection.query(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'hcconnect' AND query LIKE $1",
                    [.text(pattern)])[0].int(0) == 0
            }
        }

        /// A retry of 100 archived failures that another session's lock on the archive keeps
        /// retrying: returned once its first retry wait began, with the lock's connection.
        private func retryWaitingForALock(
            _ schema: ConnectTestSchema, _ fixture: TriggerLogFixture
        ) throws -> (PostgresConnection, BackgroundProcess) {
            try fixture.fillArchivedFailures(100)
            let holder = try TestDatabase.plainConnection()
            try holder.execute("BEGIN")
            try holder.execute("LOCK TABLE \(schema.quoted)._trigger_log_archive IN EXCLUSIVE MODE")
            let run = try BackgroundProcess.hcconnect(
                ["retry", "--failed", "--yes", "--lock-timeout", "300ms", "--retries", "10", "--verbose"],
                environment: try environment(schema))
            #expect(waitUntil(timeout: .seconds(30)) { run.stderrSoFar.contains("; retry 1 in ") })
            return (holder, run)
        }

        /// Ctrl-C while the run waits to retry (a lock held by another session): it stops
        /// instead of retrying, and says it was interrupted.
        @Test func aSignalDuringARetryWaitStopsTheRunAsInterrupted() throws {
            try TestDatabase.withConnectSchema { schema in
                let fixture = TriggerLogFixture(schema)
                let (holder, run) = try retryWaitingForALock(schema, fixture)
                defer { _ = try? holder.execute("COMMIT") }
                run.send(SIGINT)
                let result = try run.wait(timeout: .seconds(30))
                #expect(result.status == 130, "\(result.stderr)")
                #expect(result.stderrLines.last == "hcconnect: interrupted")
            }
        }

        /// In the case above, the run stops at once, without further retries, and nothing changed.
        @Test func aSignalDuringARetryWaitStopsRetrying() throws {
            try TestDatabase.withConnectSchema { schema in
                let fixture = TriggerLogFixture(schema)
                let (holder, run) = try retryWaitingForALock(schema, fixture)
                defer { _ = try? holder.execute("COMMIT") }
                let signalled = ContinuousClock.now
                run.send(SIGINT)
                let result = try run.wait(timeout: .seconds(30))
                #expect(ContinuousClock.now - signalled < .seconds(2), "no more retries after the signal")
                #expect(result.status == 130, "\(result.stderr)")
                #expect(!result.stderr.contains("; retry 3 in "), "\(result.stderr)")
                #expect(try fixture.counts().requeued == 0)
            }
        }

        /// A job started with Ctrl-C ignored (nohup, a background job of a script) keeps
        /// ignoring it: hcconnect does not catch what its parent chose to ignore.
        @Test func aJobStartedWithCtrlCIgnoredKeepsIgnoringIt() throws {
            try TestDatabase.withConnectSchema { schema in
                let binary = TestDatabase.packageRoot.appendingPathComponent(".build/debug/hcconnect").path
                let run = try BackgroundProcess(
                    "/bin/bash", ["-c", "trap '' INT; exec \"$0\" watch --timeout 2s", binary],
                    environment: try environment(schema))
                let started = ContinuousClock.now
                #expect(waitUntil(timeout: .seconds(10)) { ContinuousClock.now - started > .milliseconds(500) })
                run.send(SIGINT)
                let result = try run.wait(timeout: .seconds(20))
                #expect(result.status == 1, "it ran to its --timeout: \(result.stderr)")
                #expect(ContinuousClock.now - started >= .seconds(2))
            }
        }
    }
}
