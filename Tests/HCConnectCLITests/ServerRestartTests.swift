import Foundation
import Postgres
import TestSupport
import Testing

extension IntegrationSuites {
    /// The retry policy when the server restarts (or goes away) in the middle of a bulk retry.
    ///
    /// Each test starts a PostgreSQL server of its own with `Tests/Scripts/pg.sh`, since
    /// restarting the shared test server would break the tests running beside it; the suite
    /// runs its tests one at a time so that at most one such server exists.
    @Suite(.serialized, .tags(.process, .slow)) struct ServerRestartTests {
        /// Runs `body` with a private server, stopped afterwards whatever happens.
        private func withPrivateServer(_ body: (PrivateServer) throws -> Void) throws {
            try PrivateServer.with(body)
        }

        private let total = 2000
        private let batchSize = 20

        /// A connection schema on the server with `total` archived FAILED entries, each batch's
        /// UPDATE slowed by 30 ms so that the run takes a few seconds.
        private func prepare(_ server: PrivateServer, schema: String) throws -> TriggerLogFixture {
            let connection = try server.connect()
            try connection.execute("SELECT hcemu.create_standard_connection($1)", [.text(schema)])
            let fixture = TriggerLogFixture(connection: connection, schema: schema)
            try fixture.fillArchivedFailures(total)
            try fixture.slowDownArchiveUpdates(by: 0.03)
            return fixture
        }

        /// Starts a merged retry of everything, waits for a few batches to commit, restarts the
        /// server and checks that the run was still going.
        private func runAcrossARestart(
            _ server: PrivateServer, schema: String, extra: [String], survives: Bool
        ) throws -> (BackgroundProcess.Result, restartTook: Duration) {
            let fixture = try prepare(server, schema: schema)
            let run = try BackgroundProcess.hcconnect(
                ["retry", "--failed", "--yes", "--batch-size", String(batchSize)] + extra,
                environment: ["DATABASE_URL": server.url, "HEROKU_CONNECT_SCHEMA": schema])
            let started = try waitUntil(timeout: .seconds(60)) { try fixture.requeuedCount() >= 10 * batchSize }
            #expect(started, "ten batches committed before the restart")
            let restartTook = try server.restart()
            if survives { #expect(run.isRunning, "the run was still going when the server came back") }
            return (try run.wait(timeout: .seconds(120)), restartTook)
        }

        @Test func aRunAcrossARestartReconnectsAndRetriesEveryEntryOnce() throws {
            try withPrivateServer { server in
                let (result, restartTook) = try runAcrossARestart(
                    server, schema: "restart_ok", extra: ["--verbose", "--log-format", "json", "--format", "json"], survives: true)
                #expect(result.status == 0, "\(result.stderr.suffix(2000))")
                #expect(!result.signalled)
                let events = jsonEventLines(result.stderr)
                let retries = events.filter { $0["event"] as? String == "retry" }
                #expect(!retries.isEmpty, "a retry was logged")
                #expect(retries.allSatisfy { $0["rule"] as? String == "connection" }, "\(retries)")
                #expect(retries.contains { ($0["operation"] as? String)?.hasPrefix("batch ") == true })
                let batches = events.filter { $0["event"] as? String == "batch" }
                #expect(batches.count == total / batchSize, "one batch event per batch, none repeated")
                #expect(batches.map { $0["batch"] as? Int } == (1...(total / batchSize)).map { $0 })

                let summary = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
                #expect(summary["changed"] as? Int == total)
                #expect(summary["completed"] == nil)

                let fixture = TriggerLogFixture(connection: try server.connect(), schema: "restart_ok")
                let counts = try fixture.expectWholeBatches(of: batchSize, total: total)
                #expect(counts.requeued == total, "every entry retried: \(counts)")
                #expect(restartTook < .seconds(30))
            }
        }

        /// A server down for a second: the reconnections fail a few times (each a retry under
        /// the connection rule), then one succeeds and the run completes. (--retries 8 leaves
        /// room for a slow restart on a busy machine: 8 waits add up to 15 s at least.)
        @Test func aServerDownForASecondIsWaitedFor() throws {
            try withPrivateServer { server in
                let fixture = try prepare(server, schema: "down_a_second")
                let run = try BackgroundProcess.hcconnect(
                    ["retry", "--failed", "--yes", "--batch-size", String(batchSize), "--verbose", "--log-format", "json", "--json", "--retries", "8"],
                    environment: ["DATABASE_URL": server.url, "HEROKU_CONNECT_SCHEMA": "down_a_second"])
                #expect(try waitUntil(timeout: .seconds(60)) { try fixture.requeuedCount() >= 5 * batchSize })
                try server.halt()
                Thread.sleep(forTimeInterval: 1)
                #expect(run.isRunning, "the run waits for the server")
                try server.resume()
                let result = try run.wait(timeout: .seconds(120))
                #expect(result.status == 0, "\(result.stderr.suffix(2000))")
                let retries = jsonEventLines(result.stderr).filter { $0["event"] as? String == "retry" }
                #expect(retries.count >= 2, "failed reconnections are retries too: \(retries)")
                #expect(retries.allSatisfy { $0["rule"] as? String == "connection" })
                #expect(retries.map { $0["retry"] as? Int } == (1...retries.count).map { $0 })
                let counts = try TriggerLogFixture(connection: try server.connect(), schema: "down_a_second")
                    .expectWholeBatches(of: batchSize, total: total)
                #expect(counts.requeued == total)
            }
        }

        /// With the default retries, a 20 s outage (a slow restart; the old policy gave up after
        /// about 6 s) is ridden out, as the README promises for up to 2 minutes.
        @Test func aTwentySecondOutageIsRiddenOutByDefault() throws {
            try withPrivateServer { server in
                let fixture = try prepare(server, schema: "down_twenty")
                let run = try BackgroundProcess.hcconnect(
                    ["retry", "--failed", "--yes", "--batch-size", String(batchSize), "--verbose", "--log-format", "json", "--json"],
                    environment: ["DATABASE_URL": server.url, "HEROKU_CONNECT_SCHEMA": "down_twenty"])
                #expect(try waitUntil(timeout: .seconds(60)) { try fixture.requeuedCount() >= 5 * batchSize })
                try server.halt()
                Thread.sleep(forTimeInterval: 20)
                #expect(run.isRunning, "the run still waits for the server after 20 s")
                try server.resume()
                let result = try run.wait(timeout: .seconds(120))
                #expect(result.status == 0, "\(result.stderr.suffix(2000))")
                let counts = try TriggerLogFixture(connection: try server.connect(), schema: "down_twenty")
                    .expectWholeBatches(of: batchSize, total: total)
                #expect(counts.requeued == total)
            }
        }

        @Test func withoutRetriesARestartEndsTheRunWithWholeBatchesAndTheSummarySoFar() throws {
            try withPrivateServer { server in
                let (result, _) = try runAcrossARestart(server, schema: "restart_no_retries", extra: ["--retries", "0"], survives: false)
                #expect(result.status == 75, "\(result.stderr)")
                #expect(result.stderr.contains("hcconnect: "))
                #expect(result.stderr.contains("the batches done are committed, the rest is untouched. So far:"), "\(result.stderr)")
                #expect(!result.stderr.contains("gave up"), "no retry was made")

                let fixture = TriggerLogFixture(connection: try server.connect(), schema: "restart_no_retries")
                let counts = try fixture.expectWholeBatches(of: batchSize, total: total)
                #expect(counts.requeued >= 10 * batchSize && counts.requeued < total, "\(counts)")
                let batches = counts.requeued / batchSize
                #expect(result.stderr.contains("Stopped after \(batches) batches;"), "\(result.stderr)")

                // A rerun finishes the job, with no entry copied twice.
                let rerun = try BackgroundProcess.hcconnect(
                    ["retry", "--failed", "--yes", "--batch-size", "500"],
                    environment: ["DATABASE_URL": server.url, "HEROKU_CONNECT_SCHEMA": "restart_no_retries"]
                ).wait(timeout: .seconds(60))
                #expect(rerun.status == 0, "\(rerun.stderr)")
                #expect(try fixture.expectWholeBatches(of: batchSize, total: total).requeued == total)
            }
        }

        /// A server that goes away for good in the middle of a run: the retries run out and the
        /// run ends with the summary so far. The server was reached, so this is a temporary
        /// failure (75), not "cannot be reached" (69).
        @Test func aServerThatGoesAwayMidRunIsATemporaryFailure() throws {
            try withPrivateServer { server in
                let fixture = try prepare(server, schema: "gone")
                let run = try BackgroundProcess.hcconnect(
                    ["retry", "--failed", "--yes", "--batch-size", String(batchSize), "--retries", "2"],
                    environment: ["DATABASE_URL": server.url, "HEROKU_CONNECT_SCHEMA": "gone"])
                #expect(try waitUntil(timeout: .seconds(60)) { try fixture.requeuedCount() >= 5 * batchSize })
                try server.halt()
                let result = try run.wait(timeout: .seconds(60))
                #expect(result.status == 75, "\(result.stderr)")
                #expect(result.stderr.contains("So far:"), "\(result.stderr)")
                let last = try #require(result.stderrLines.last)
                #expect(last.hasPrefix("hcconnect: cannot connect to the database: "), "\(last)")
                #expect(last.contains("(gave up batch "), "\(last)")
                #expect(last.contains(" after 2 retries in "), "\(last)")
                #expect(result.elapsed < .seconds(30))
            }
        }

        /// A server that is never reached: exit 69, with the retries made.
        @Test func aServerNeverReachedIsUnavailableAfterTheRetries() throws {
            let result = try BackgroundProcess.hcconnect(
                ["failed", "--retries", "2"], environment: ["DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"]
            ).wait(timeout: .seconds(30))
            #expect(result.status == 69, "\(result.stderr)")
            #expect(result.stderrLines.count == 1, "\(result.stderr)")
            #expect(result.stderr.hasPrefix("hcconnect: cannot connect to the database: "), "\(result.stderr)")
            #expect(result.stderr.contains("(gave up connecting after 2 retries in "), "\(result.stderr)")
            #expect(result.stdout.isEmpty)

            let once = try BackgroundProcess.hcconnect(
                ["failed", "--retries", "0"], environment: ["DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"]
            ).wait(timeout: .seconds(30))
            #expect(once.status == 69, "\(once.stderr)")
            #expect(!once.stderr.contains("gave up"), "no retry was made: \(once.stderr)")
        }
    }
}
