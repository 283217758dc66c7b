import Foundation
import HerokuConnect
import Postgres
import TestSupport
import Testing

/// `--app`: the database, schema and write mode come from the Heroku APIs, here the stand-in
/// (HerokuAPIStandIn, on a LocalHTTPServer of its own per test), and every way that can go
/// wrong ends in one line with the documented exit status, the token never shown.
extension IntegrationSuites {
    @Suite(.tags(.database)) struct HerokuAppTests {
        /// A stand-in serving every scenario on `databaseURL`, with the test's schema.
        final class Heroku {
            let standIn: HerokuAPIStandIn
            let server: LocalHTTPServer

            init(databaseURL: String, schema: String) throws {
                let standIn = HerokuAPIStandIn.scenarios(databaseURL: databaseURL, schema: schema)
                server = try LocalHTTPServer { standIn.handle($0) }
                standIn.baseURL = server.baseURL
                self.standIn = standIn
            }

            deinit { server.stop() }

            /// The environment of an operator with a token and nothing else set.
            func environment(token: String = HerokuAPIStandIn.demoToken) -> [String: String] {
                [
                    "HEROKU_API_KEY": token, "HCCONNECT_HEROKU_API_URL": server.baseURL,
                    "HCCONNECT_CONNECT_API_URL": server.baseURL, "HOME": "/nonexistent",
                ]
            }
        }

        /// The test database's URL with a password in it, which trust authentication ignores:
        /// what an app's config var holds, and what must never be shown.
        static func urlWithPassword() throws -> String {
            try TestDatabase.url.replacingOccurrences(of: "postgresql://postgres@", with: "postgresql://postgres:\(password)@")
        }
        static let password = "pw-from-config-var-9f3a"

        /// Runs hcconnect and checks that neither the token nor the database password shows.
        func run(_ arguments: [String], _ heroku: Heroku, environment extra: [String: String] = [:], sourceLocation: SourceLocation = #_sourceLocation) throws -> CLIResult {
            var environment = heroku.environment()
            for (key, value) in extra { environment[key] = value }
            let retries = arguments.contains("--retries") ? [] : ["--retries", "2"]
            let result = try hcconnect(arguments + retries, environment: environment, sourceLocation: sourceLocation)
            for secret in [HerokuAPIStandIn.demoToken, Self.password] {
                #expect(!result.stdout.contains(secret) && !result.stderr.contains(secret), "\(secret) shown", sourceLocation: sourceLocation)
            }
            return result
        }

        @Test func anAppAloneGivesTheDatabaseAndTheSchema() throws {
            try TestDatabase.withConnectSchema { schema in
                let failed = try schema.insertEntry(message: "UNABLE_TO_LOCK_ROW: unable to obtain exclusive access")
                let heroku = try Heroku(databaseURL: try Self.urlWithPassword(), schema: schema.name)
                let result = try run(["-a", "demo-app", "failed", "--format", "ids"], heroku)
                #expect(result.status == 0, "\(result.stderr)")
                #expect(result.lines == [String(failed)])
                // HEROKU_APP does the same; --schema still wins (and finds nothing there)
                let viaEnvironment = try run(["failed", "--format", "ids"], heroku, environment: ["HEROKU_APP": "demo-app"])
                #expect(viaEnvironment.lines == [String(failed)])
                let otherSchema = try run(["-a", "demo-app", "--schema", "nope_schema", "failed"], heroku)
                #expect(otherSchema.status == 65)
                // --verbose shows the requests, the token redacted
                let verbose = try run(["-a", "demo-app", "stats", "--brief", "--verbose"], heroku)
                #expect(verbose.status == 0, "\(verbose.stderr)")
                #expect(verbose.stderr.contains("GET \(heroku.server.baseURL)/connections?app=demo-app -> 200"))
                #expect(verbose.stderr.contains("/config-vars -> 200"))
                #expect(verbose.stderr.contains("Heroku API token from HEROKU_API_KEY"))
                let requests = heroku.standIn.requests
                #expect(requests.allSatisfy { $0.headers["authorization"] == "Bearer " + HerokuAPIStandIn.demoToken })
            }
        }

        @Test func anOrderedWritesConnectionRetriesByReCapturing() throws {
            try TestDatabase.withConnectSchema { schema in
                let failed = try schema.insertEntry(
                    action: "UPDATE", table: "account", recordID: 1, values: "\"name\"=>\"Acme\"",
                    message: "UNABLE_TO_LOCK_ROW: unable to obtain exclusive access")
                let heroku = try Heroku(databaseURL: try TestDatabase.url, schema: schema.name)
                let result = try run(["-a", "ordered-app", "retry", String(failed), "--json"], heroku)
                #expect(result.status == 0, "\(result.stderr)")
                #expect(result.stdout.contains("\"write_mode\":\"ordered\""), "\(result.stdout)")
                #expect(result.stdout.contains("\"write_mode_source\":\"app ordered-app's connection\""))
                let rows = try schema.connection.query(
                    "SELECT id, state, action FROM \(schema.quoted)._trigger_log ORDER BY id")
                #expect(rows.count == 2)
                #expect(rows[0].string(1) == "REQUEUED", "the failed entry is re-captured, not replayed")
                #expect(rows[1].string(1) == "NEW" && rows[1].string(2) == "UPDATE")
                // the same under merged writes replays it in place; --write-mode wins over the connection
                let second = try schema.insertEntry(action: "UPDATE", table: "account", recordID: 2, message: "X: failed")
                let merged = try run(["-a", "ordered-app", "retry", String(second), "--write-mode", "merged", "--json"], heroku)
                #expect(merged.stdout.contains("\"write_mode\":\"merged\""))
                #expect(!merged.stdout.contains("write_mode_source"))
                // cleanup takes the connection's write mode too, and says so
                let cleanup = try run(["-a", "ordered-app", "cleanup", "--retry-matching", "X", "--dry-run", "--json"], heroku)
                #expect(cleanup.status == 0, "\(cleanup.stderr)")
                #expect(cleanup.stdout.contains("\"write_mode\":\"ordered\""))
                #expect(cleanup.stdout.contains("\"write_mode_source\":\"app ordered-app's connection\""))
            }
        }

        @Test func theConnectionCommandShowsStateMappingsAndNotifications() throws {
            try TestDatabase.withConnectSchema { schema in
                let heroku = try Heroku(databaseURL: try TestDatabase.url, schema: schema.name)
                let text = try run(["connection", "-a", "failing-app"], heroku)
                #expect(text.status == 0, "\(text.stderr)")
                #expect(text.stdout.contains("state       SYSTEM_ERROR"))
                #expect(text.stdout.contains("Contact") && text.stdout.contains("SYSTEM_ERROR"))
                #expect(text.stdout.contains("2 unacknowledged notifications"))
                #expect(text.stdout.contains("2 write errors in the last 24 hours"))
                #expect(text.stdout.contains("1042  contact 17  REQUIRED_FIELD_MISSING: Required fields are missing: [LastName]"))
                let failingJSON = try run(["connection", "-a", "failing-app", "--json"], heroku)
                let failing = try #require(try JSONSerialization.jsonObject(with: Data(failingJSON.stdout.utf8)) as? [String: Any])
                #expect((failing["write_errors"] as? [[String: Any]])?.map { $0["record_id"] as? String } == ["17", "18"])
                let json = try run(["connection", "-a", "ordered-app", "--json"], heroku)
                let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
                #expect(object["state"] as? String == "IDLE")
                #expect(object["write_mode"] as? String == "ordered")
                #expect(object["schema"] as? String == schema.name)
                #expect((object["mappings"] as? [[String: Any]])?.map { $0["object_name"] as? String } == ["Account", "Contact"])
                let csv = try run(["connection", "-a", "paused-app", "--format", "csv"], heroku)
                #expect(csv.lines.count == 3)
                #expect(csv.lines[1].contains(",PAUSED,merged,Account,DATA_SYNCED,"))
                let none = try run(["connection"], heroku)
                #expect(none.status == 2 && none.stderr.contains("--app"))
            }
        }

        @Test func checkWithAnAppChecksTheConnectionToo() throws {
            try TestDatabase.withConnectSchema { schema in
                let heroku = try Heroku(databaseURL: try TestDatabase.url, schema: schema.name)
                let healthy = try run(["check", "-a", "demo-app", "--max-failed", "0"], heroku)
                #expect(healthy.status == 0, "\(healthy.stderr)")
                let failing = try run(["check", "-a", "failing-app"], heroku)
                #expect(failing.status == 1)
                #expect(failing.lines == [
                    "connection herokuconnect-failing-app-400 of failing-app is SYSTEM_ERROR",
                    "1 mapping in error (limit 0): Contact SYSTEM_ERROR",
                ])
                #expect(try run(["check", "-a", "failing-app", "--max-mappings-in-error", "1"], heroku).lines.count == 1)
                let paused = try run(["check", "-a", "paused-app"], heroku)
                #expect(paused.status == 1 && paused.stdout.contains("is PAUSED"))
                #expect(try run(["check", "-a", "paused-app", "--allow-paused"], heroku).status == 0)
                let json = try run(["check", "-a", "failing-app", "--json"], heroku)
                let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
                #expect(object["healthy_connection"] as? Bool == false)
                #expect((object["connection"] as? [String: Any])?["mappings_in_error"] as? Int == 1)
                let prometheus = try run(["check", "-a", "failing-app", "--format", "prometheus"], heroku)
                #expect(prometheus.stdout.contains(
                    "hcconnect_connection_state{schema=\"\(schema.name)\",app=\"failing-app\",resource=\"herokuconnect-failing-app-400\",state=\"SYSTEM_ERROR\"} 1"))
                #expect(prometheus.stdout.contains("hcconnect_connection_healthy{"))
                let withoutApp = try hcconnect(["check", "--max-mappings-in-error", "1"], schema: schema.name)
                #expect(withoutApp.status == 2 && withoutApp.stderr.contains("use it with --app"))
            }
        }

        @Test func twoConnectionsNeedAResource() throws {
            try TestDatabase.withConnectSchema { schema in
                let heroku = try Heroku(databaseURL: try TestDatabase.url, schema: schema.name)
                let both = try run(["-a", "twin-app", "failed"], heroku)
                #expect(both.status == 2)
                #expect(both.stderr.contains("app twin-app has several Heroku Connect connections: herokuconnect-twin-app-500, herokuconnect-twin-app-600; choose one with --resource NAME"))
                let one = try run(["-a", "twin-app", "--resource", "herokuconnect-twin-app-500", "failed", "--format", "ids"], heroku)
                #expect(one.status == 0, "\(one.stderr)")
                let unknown = try run(["-a", "twin-app", "--resource", "nope", "failed"], heroku)
                #expect(unknown.status == 3)
                #expect(unknown.stderr.contains("has no Heroku Connect connection nope (its connections: herokuconnect-twin-app-500, herokuconnect-twin-app-600)"))
            }
        }

        @Test func pauseResumeRestartAndReloadFollowTheConfirmationRule() throws {
            try TestDatabase.withConnectSchema { schema in
                let heroku = try Heroku(databaseURL: try TestDatabase.url, schema: schema.name)
                // no terminal, no --yes: refused, nothing asked of the API
                let refused = try run(["pause", "-a", "demo-app"], heroku)
                #expect(refused.status == 2 && refused.stderr.contains("--yes"))
                #expect(heroku.standIn.actions.isEmpty)
                let dry = try run(["pause", "-a", "demo-app", "--dry-run"], heroku)
                #expect(dry.status == 0 && dry.stderr.contains("would pause connection"))
                #expect(heroku.standIn.actions.isEmpty)
                #expect(try run(["pause", "-a", "demo-app", "--yes"], heroku).status == 0)
                #expect(heroku.standIn.connection("herokuconnect-demo-app-100")?.state == "PAUSED")
                // a paused connection cannot be paused again: the API's refusal, exit 1
                let again = try run(["pause", "-a", "demo-app", "--yes"], heroku)
                #expect(again.status == 1, "\(again.stderr)")
                #expect(try run(["resume", "-a", "demo-app", "--yes"], heroku).status == 0)
                #expect(heroku.standIn.connection("herokuconnect-demo-app-100")?.state == "IDLE")
                #expect(try run(["restart", "-a", "failing-app", "--yes", "--json"], heroku).stdout.contains("\"completed\":true"))
                #expect(try run(["reload", "contact", "-a", "demo-app", "--yes"], heroku).status == 0)
                let unknown = try run(["reload", "Lead", "-a", "demo-app", "--yes"], heroku)
                #expect(unknown.status == 3 && unknown.stderr.contains("mappings: Account, Contact"))
                #expect(heroku.standIn.actions.filter { !$0.hasSuffix("refused") }.count == 4)
            }
        }

        @Test func badCredentialsUnknownAppsAndAnUnreachableAPIEachHaveTheirStatus() throws {
            try TestDatabase.withConnectSchema { schema in
                let heroku = try Heroku(databaseURL: try TestDatabase.url, schema: schema.name)
                let badToken = try hcconnect(["-a", "demo-app", "failed"], environment: heroku.environment(token: "not-a-valid-token"))
                #expect(badToken.status == 77)
                #expect(badToken.stderr.contains("refused the token (401)") && !badToken.stderr.contains("not-a-valid-token"))
                var noToken = heroku.environment()
                noToken["HEROKU_API_KEY"] = nil
                let missing = try hcconnect(["-a", "demo-app", "failed"], environment: noToken)
                #expect(missing.status == 77 && missing.stderr.contains("HEROKU_API_KEY"))
                let unknown = try run(["-a", "no-such-app", "failed"], heroku)
                #expect(unknown.status == 3 && unknown.stderr.contains("no-such-app"), "\(unknown.stderr)")
                let unreachable = try run(
                    ["-a", "demo-app", "failed", "--retries", "0"], heroku,
                    environment: ["HCCONNECT_CONNECT_API_URL": "http://127.0.0.1:9", "HCCONNECT_HEROKU_API_URL": "http://127.0.0.1:9"])
                #expect(unreachable.status == 69, "\(unreachable.stderr)")
                let badApp = try run(["-a", "Not An App", "failed"], heroku)
                #expect(badApp.status == 2 && badApp.stderr.contains("is not a Heroku app name"))
                #expect([badToken, missing, unknown, unreachable, badApp].allSatisfy { $0.stderr.split(separator: "\n").count == 1 })
            }
        }

        @Test func rateLimitsAndServerErrorsAreRetriedThenTemporary() throws {
            try TestDatabase.withConnectSchema { schema in
                let heroku = try Heroku(databaseURL: try TestDatabase.url, schema: schema.name)
                heroku.standIn.failNext(2, status: 429, retryAfter: 0)
                let recovered = try run(["-a", "demo-app", "failed", "--format", "ids"], heroku)
                #expect(recovered.status == 0, "\(recovered.stderr)")
                heroku.standIn.failNext(10, status: 500)
                let failing = try run(["-a", "demo-app", "failed"], heroku)
                #expect(failing.status == 75, "\(failing.stderr)")
                #expect(failing.stderr.contains("answered 500") && failing.stderr.contains("after 2 retries"))
                heroku.standIn.clearFaults()
                heroku.standIn.stopAnswering()
                let slow = try run(["-a", "demo-app", "failed", "--retries", "0"], heroku, environment: ["HCCONNECT_HEROKU_API_TIMEOUT": "500ms"])
                #expect(slow.status == 69 && slow.stderr.contains("cannot reach"), "\(slow.stderr)")
            }
        }

        @Test func aNetrcFileGivesTheTokenAsTheHerokuCLIKeepsIt() throws {
            try TestDatabase.withConnectSchema { schema in
                let heroku = try Heroku(databaseURL: try TestDatabase.url, schema: schema.name)
                let folder = FileManager.default.temporaryDirectory.appendingPathComponent("netrc-\(schema.name)")
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                defer { try? FileManager.default.removeItem(at: folder) }
                let netrc = folder.appendingPathComponent("netrc").path
                try "machine git.heroku.com\n  login me@example.com\n  password other\nmachine api.heroku.com\n  login me@example.com\n  password \(HerokuAPIStandIn.demoToken)\n"
                    .write(toFile: netrc, atomically: true, encoding: .utf8)
                var environment = heroku.environment()
                environment["HEROKU_API_KEY"] = nil
                environment["NETRC"] = netrc
                let result = try hcconnect(["-a", "demo-app", "failed", "--format", "ids", "--verbose"], environment: environment)
                #expect(result.status == 0, "\(result.stderr)")
                #expect(result.stderr.contains("Heroku API token from \(netrc)"))
                #expect(!result.stderr.contains(HerokuAPIStandIn.demoToken))
            }
        }
    }
}
