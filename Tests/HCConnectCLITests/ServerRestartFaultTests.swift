import Foundation
import Postgres
import TestSupport
import Testing

extension IntegrationSuites {
    /// The server restarted (`pg_ctl restart -m fast`, and `-m immediate`: no clean shutdown,
    /// crash recovery) in the middle of a bulk retry, a cleanup and a watch, each on a private
    /// server (as ``ServerRestartTests`` does). A repair either completes through the retry
    /// policy or exits 75 with a summary equal to what the database shows, and a rerun completes
    /// the rest; a watch reconnects and writes every failure exactly once. Each ends with the
    /// log compared row by row.
    ///
    /// The private servers run with `synchronous_commit=on` (pg.sh turns it off for speed): an
    /// immediate shutdown otherwise loses transactions the server had already reported
    /// committed, which no client can account for.
    @Suite(.serialized, .tags(.process, .fault)) struct ServerRestartFaultTests {

        private let total = 1500
        private let batchSize = 20

        private func withPrivateServer(_ body: (PrivateServer) throws -> Void) throws {
            // pg.sh turns synchronous_commit off; with it off an immediate shutdown loses commits
            // the server had confirmed, which would be the server's fault, not hcconnect's
            let server = try PrivateServer(serverOptions: "-c synchronous_commit=on")
            defer { server.stop() }
            try body(server)
        }

        /// `total` archived failures (messages "UNABLE_TO_LOCK_ROW: failure N"), each batch's
        /// archive UPDATE slowed by 20 ms.
        private func prepare(_ server: PrivateServer, schema: String) throws -> TriggerLogFixture {
            let connection = try server.connect()
            try connection.execute("SELECT hcemu.create_standard_connection($1)", [.text(schema)])
            let fixture = TriggerLogFixture(connection: connection, schema: schema)
            try fixture.fillArchivedFailures(total)
            try connection.execute(
                "UPDATE \(fixture.quoted)._trigger_log_archive SET sf_message = 'UNABLE_TO_LOCK_ROW: ' || sf_message")
            try fixture.slowDownArchiveUpdates(by: 0.02)
            return fixture
        }

        /// Row by row: every archived entry FAILED or REQUEUED, each REQUEUED one with exactly
        /// one live copy equal to it but for id and state, nothing else live. Returns the
        /// REQUEUED count.
        private func expectEachRetriedAtMostOnce(_ fixture: TriggerLogFixture, context: String) throws -> Int {
            let rows = try fixture.connection.query("""
                SELECT a.id, a.state, count(l.id),
                       bool_and((l.txid, l.created_at, l.updated_at, l.processed_at, l.processed_tx, l.action, l.table_name,
                                 l.record_id, l.sfid, l.old, l."values", l.sf_result, l.state)
                                IS NOT DISTINCT FROM
                                (a.txid, a.created_at, a.updated_at, a.processed_at, a.processed_tx, a.action, a.table_name,
                                 a.record_id, a.sfid, a.old, a."values", a.sf_result, 'NEW'))
                FROM \(fixture.quoted)._trigger_log_archive a
                LEFT JOIN \(fixture.quoted)._trigger_log l ON l.sf_message = a.sf_message
                GROUP BY a.id, a.state ORDER BY a.id
                """)
            #expect(rows.count == total, "\(context)")
            var requeued = 0
            for row in rows {
                let id = try row.int(0)!
                let state = row.string(1)
                let copies = try row.int(2)!
                switch state {
                case "REQUEUED":
                    requeued += 1
                    let identical = try row.bool(3) == true
                    #expect(copies == 1 && identical, "\(context): archived \(id) has \(copies) copies (identical: \(identical))")
                case "FAILED":
                    #expect(copies == 0, "\(context): archived \(id) is FAILED with \(copies) copies")
                default:
                    Issue.record("\(context): archived \(id) is \(state ?? "NULL")")
                }
            }
            let live = try fixture.connection.query("SELECT count(*) FROM \(fixture.quoted)._trigger_log")[0].int(0)!
            #expect(live == requeued, "\(context): \(live) live entries for \(requeued) REQUEUED")
            return requeued
        }

        /// Runs `arguments` (JSON summary on stdout), restarts the server once ten batches are
        /// committed, and checks the outcome; then a rerun, when needed, completes the rest.
        private func repairAcrossARestart(
            mode: String, schema: String, arguments: [String], changed: ([String: Any]) -> Int?
        ) throws {
            try withPrivateServer { server in
                let fixture = try prepare(server, schema: schema)
                let environment = ["DATABASE_URL": server.url, "HEROKU_CONNECT_SCHEMA": schema]
                let run = try BackgroundProcess.hcconnect(arguments, environment: environment)
                #expect(try waitUntil(timeout: .seconds(60)) { try fixture.requeuedCount() >= 10 * batchSize })
                let took = try server.restart(mode: mode)
                let result = try run.wait(timeout: .seconds(120))
                let context = "\(arguments[0]), restart -m \(mode)"
                let summary = try #require(
                    try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(context): \(result.stderr)")
                let done = try expectEachRetriedAtMostOnce(TriggerLogFixture(connection: try server.connect(), schema: schema), context: context)
                // Either way, what it says it did is what the database shows; when the restart
                // took the connection during a COMMIT, it says so, and that batch may be either.
                let commitUnknown = (summary["error"] as? String)?.contains("may or may not have been saved") == true
                if commitUnknown, let said = changed(summary) {
                    #expect(done == said || done == said + batchSize, "\(context): summary \(summary), database \(done) REQUEUED")
                } else {
                    #expect(changed(summary) == done, "\(context): summary \(summary), database \(done) REQUEUED")
                }
                switch result.status {
                case 0:
                    #expect(done == total, "\(context)")
                case 75:
                    #expect(summary["completed"] as? Bool == false, "\(context): \(summary)")
                    #expect(done % batchSize == 0, "\(context): whole batches")
                    let rerun = try BackgroundProcess.hcconnect(arguments, environment: environment).wait(timeout: .seconds(120))
                    #expect(rerun.status == 0, "\(context), rerun: \(rerun.stderr)")
                    let rest = try JSONSerialization.jsonObject(with: Data(rerun.stdout.utf8)) as? [String: Any] ?? [:]
                    #expect(changed(rest) == total - done, "\(context), rerun: \(rest)")
                    #expect(try expectEachRetriedAtMostOnce(
                        TriggerLogFixture(connection: try server.connect(), schema: schema), context: context + ", rerun") == total)
                default:
                    Issue.record("\(context): exit \(result.status): \(result.stderr)")
                }
                print("ServerRestartFaultTests \(context): exit \(result.status), \(done) of \(total) retried by the first run, "
                      + "restart took \(took), \(result.elapsed)")
            }
        }

        @Test(arguments: ["fast", "immediate"])
        func aBulkRetryAcrossARestart(mode: String) throws {
            try repairAcrossARestart(
                mode: mode, schema: "retry_\(mode)",
                arguments: ["retry", "--failed", "--yes", "--batch-size", String(batchSize), "--format", "json"],
                changed: { $0["changed"] as? Int })
        }

        @Test(arguments: ["fast", "immediate"])
        func aCleanupAcrossARestart(mode: String) throws {
            try repairAcrossARestart(
                mode: mode, schema: "cleanup_\(mode)",
                arguments: ["cleanup", "--yes", "--retry-matching", "UNABLE_TO_LOCK_ROW", "--batch-size", String(batchSize), "--json"],
                changed: { ($0["retry"] as? [String: Any])?["changed"] as? Int })
        }

        /// Without retries, the restart ends the run with 75 and the summary so far.
        @Test(arguments: ["fast", "immediate"])
        func aBulkRetryWithoutRetriesStopsWithWhatItDid(mode: String) throws {
            try repairAcrossARestart(
                mode: mode, schema: "retry_once_\(mode)",
                arguments: ["retry", "--failed", "--yes", "--batch-size", String(batchSize), "--format", "json", "--retries", "0"],
                changed: { $0["changed"] as? Int })
        }

        @Test(arguments: ["fast", "immediate"])
        func aCleanupWithoutRetriesStopsWithWhatItDid(mode: String) throws {
            try repairAcrossARestart(
                mode: mode, schema: "cleanup_once_\(mode)",
                arguments: ["cleanup", "--yes", "--retry-matching", "UNABLE_TO_LOCK_ROW", "--batch-size", String(batchSize), "--json", "--retries", "0"],
                changed: { ($0["retry"] as? [String: Any])?["changed"] as? Int })
        }

        @Test(arguments: ["fast", "immediate"])
        func aWatchAcrossARestartWritesEveryFailureOnce(mode: String) throws {
            try withPrivateServer { server in
                let schema = "watch_\(mode)"
                let connection = try server.connect()
                try connection.execute("SELECT hcemu.create_standard_connection($1)", [.text(schema)])
                let fixture = TriggerLogFixture(connection: connection, schema: schema)
                let run = try BackgroundProcess.hcconnect(
                    ["watch", "--json", "--interval", "200ms", "--count", "30", "--timeout", "90s", "--verbose", "--log-format", "json"],
                    environment: ["DATABASE_URL": server.url, "HEROKU_CONNECT_SCHEMA": schema])
                // Ready once it listens and has looked twice (its first look sets where new entries start).
                #expect(waitUntil(timeout: .seconds(30)) { run.stderrSoFar.components(separatedBy: "txid_snapshot_xmin").count > 2 })
                // Ten failures before, ten right after the restart (written while the watch is
                // still reconnecting), ten once it is back.
                var expected: [Int] = []
                try fixture.fillLiveFailures(10, firstID: 1)
                expected += 1...10
                #expect(waitUntil(timeout: .seconds(30)) { run.stdoutSoFar.split(separator: "\n").count >= 10 })
                _ = try server.restart(mode: mode)
                let after = TriggerLogFixture(connection: try server.connect(), schema: schema)
                try after.fillLiveFailures(10, firstID: 11)
                expected += 11...20
                #expect(waitUntil(timeout: .seconds(60)) { run.stderrSoFar.contains("reconnected") })
                try after.fillLiveFailures(10, firstID: 21)
                expected += 21...30
                let result = try run.wait(timeout: .seconds(90))
                #expect(result.status == 0, "\(result.stderr.suffix(2000))")
                let ids = try jsonLines(result.stdout).compactMap { $0["id"] as? Int }
                #expect(ids.sorted() == expected, "watch -m \(mode): every failure once: \(ids)")
                let states = try after.connection.query(
                    "SELECT count(*) FROM \(after.quoted)._trigger_log WHERE state = 'FAILED' AND id BETWEEN 1 AND 30")[0].int(0)
                #expect(states == 30, "the watch changed nothing")
                print("ServerRestartFaultTests watch -m \(mode): \(ids.count) failures written once each, \(result.elapsed)")
            }
        }
    }
}
