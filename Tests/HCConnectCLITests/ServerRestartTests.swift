import Foundation
import Postgres
import TestSupport
import Testing

/// The retry policy when the server restarts (or goes away) in the middle of a bulk retry.
///
/// Each test starts a PostgreSQL server of its own with `Tests/Scripts/pg.sh`, since
/// restarting the shared test server would break the tests running beside it; the suite
/// runs its tests one at a time so that at most one such server exists.
@Suite(.serialized) struct ServerRestartTests {
    /// A throwaway server for one test, with the Heroku Connect emulation loaded.
    final class PrivateServer {
        /// pg.sh's state directory, under the package's `.build`.
        let stateDirectory: String
        /// The URL of its `postgres` database.
        let url: String

        /// Tests/Scripts/pg.sh.
        static let pgScript = TestDatabase.packageRoot.appendingPathComponent("Tests/Scripts/pg.sh").path

        /// The data directory (which holds the server's log files).
        var dataDirectory: String {
            ((try? String(contentsOfFile: stateDirectory + "/datadir", encoding: .utf8)) ?? "")
                .trimmingCharacters(in: .whitespacesAndNewlines)
        }

        /// Starts a server with pg.sh.
        ///
        /// - Parameter options: More server options (`HCCONNECT_PG_OPTIONS`), such as a
        ///   statement log.
        init(options: String = "") throws {
            stateDirectory = TestDatabase.packageRoot
                .appendingPathComponent(".build/pg-restart-\(UUID().uuidString.prefix(8).lowercased())").path
            let started = try BackgroundProcess.bash(
                #"HCCONNECT_PG_OPTIONS="$3" bash "$2" start "$1""#, [stateDirectory, Self.pgScript, options])
            guard started.status == 0, !started.timedOut else {
                _ = try? BackgroundProcess.bash(#"bash "$2" stop "$1""#, [stateDirectory, Self.pgScript])
                throw TestSetupError("cannot start a private server with pg.sh: \(started.stderr)")
            }
            url = started.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            do {
                try connect().executeUnsafeScript(try TestDatabase.emulationSQL())
                guard binaries.hasPrefix("/") else { throw TestSetupError("cannot find the server's pg_ctl") }
            } catch {
                stop()
                throw error
            }
        }

        func connect() throws -> PostgresConnection {
            try PostgresConnection(settings: ConnectionSettings(connectionString: url))
        }

        /// Restarts the server (`pg_ctl restart -m fast`, as its owner), which ends every
        /// session, and returns when it accepts connections again.
        func restart() throws -> Duration {
            try control(#"restart -m fast -w -t 60 -l "$datadir/server.log""#)
        }

        /// Stops the server (`pg_ctl stop -m fast`) but keeps its data directory.
        func halt() throws {
            _ = try control("stop -m fast -w -t 60")
        }

        /// Starts a halted server again on its port, with pg.sh's settings.
        func resume() throws {
            _ = try control(
                #"start -w -t 60 -l "$datadir/server.log" -o "-p $(head -n 1 "$1/port") -k $datadir "#
                    + #"-c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off""#)
        }

        /// The directory of the server's binaries: the running postmaster's (its process id
        /// is the first line of postmaster.pid).
        private lazy var binaries: String = {
            let result = try? BackgroundProcess.bash(
                #"dirname "$(readlink "/proc/$(head -n 1 "$(head -n 1 "$1/datadir")/postmaster.pid")/exe")""#,
                [stateDirectory])
            return result?.stdout.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        }()

        /// Runs `pg_ctl` on the server's data directory, as the server's owner.
        private func control(_ arguments: String) throws -> Duration {
            let script = """
                set -euo pipefail
                datadir=$(head -n 1 "$1/datadir")
                if [ "$(id -u)" -eq 0 ]; then
                    cd / && runuser -u postgres -- "$2/pg_ctl" \(arguments) -D "$datadir" >/dev/null
                else
                    "$2/pg_ctl" \(arguments) -D "$datadir" >/dev/null
                fi
                """
            let result = try BackgroundProcess.bash(script, [stateDirectory, binaries])
            guard result.status == 0 else { throw TestSetupError("pg_ctl \(arguments) failed: \(result.stderr)") }
            return result.elapsed
        }

        /// Stops the server and removes its files.
        func stop() {
            _ = try? BackgroundProcess.bash(#"bash "$2" stop "$1" && rmdir "$1""#, [stateDirectory, Self.pgScript])
        }
    }

    /// Runs `body` with a private server, stopped afterwards whatever happens.
    private func withPrivateServer(_ body: (PrivateServer) throws -> Void) throws {
        let server = try PrivateServer()
        defer { server.stop() }
        try body(server)
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
