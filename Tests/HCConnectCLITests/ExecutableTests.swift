import Foundation
import TestSupport
import Testing

extension IntegrationSuites {
    /// The built executable, run as a separate process: `main` wires the real streams, the
    /// process environment and the exit status; libpq reads its `PG*` variables itself.
    @Suite(.tags(.process)) struct ExecutableTests {
        /// The test database's host, port and name, from its URL.
        private func libpqVariables() throws -> [String: String] {
            let url = try #require(URLComponents(string: try TestDatabase.url))
            return [
                "PGHOST": try #require(url.host), "PGPORT": String(try #require(url.port)),
                "PGUSER": url.user ?? "postgres", "PGDATABASE": String(url.path.dropFirst()),
            ]
        }

        @Test func libpqVariablesAreUsedWhenNoURLIsGiven() throws {
            try TestDatabase.withConnectSchema { schema in
                let id = try schema.insertEntry(state: "FAILED", message: "through PG* variables")
                var environment = try libpqVariables()
                environment["HEROKU_CONNECT_SCHEMA"] = schema.name
                let result = try hcconnectProcess(["failed", "--format", "ids"], environment: environment)
                #expect(result.status == 0, "\(result.stderr)")
                #expect(result.stdout == "\(id)\n")
            }
        }

        @Test func theURLOverridesTheVariablesItNames() throws {
            try TestDatabase.withConnectSchema { schema in
                let id = try schema.insertEntry(state: "FAILED")
                var environment = try libpqVariables()
                environment["PGPORT"] = "1"
                environment["DATABASE_URL"] = try TestDatabase.url
                let result = try hcconnectProcess(["failed", "--schema", schema.name, "--format", "ids"], environment: environment)
                #expect(result.status == 0, "\(result.stderr)")
                #expect(result.stdout == "\(id)\n")
            }
        }

        @Test func exitStatusesReachTheShell() throws {
            #expect(try hcconnectProcess(["--version"], environment: [:]).status == 0)
            #expect(try hcconnectProcess(["nonsense"], environment: [:]).status == 2)
            let down = try hcconnectProcess(["failed", "--retries", "0"], environment: ["PGHOST": "127.0.0.1", "PGPORT": "1", "PGCONNECT_TIMEOUT": "2"])
            #expect(down.status == 69)
            #expect(down.stderr.hasPrefix("hcconnect: cannot connect to the database: "))
            #expect(down.stdout.isEmpty)
            let password = try hcconnectProcess(
                ["failed", "--retries", "0"], environment: ["PGHOST": "127.0.0.1", "PGPORT": "1", "PGPASSWORD": "env-secret-value"])
            #expect(!password.stderr.contains("env-secret-value"))
        }

        @Test func helpIsFastAndNeedsNoDatabase() throws {
            let result = try hcconnectProcess(["--help"], environment: ["DATABASE_URL": "postgresql://nowhere.invalid/x"])
            #expect(result.status == 0)
            #expect(result.stdout.hasPrefix("hcconnect "))
        }

        /// A standard descriptor closed by the caller (`>&-`, `2>&-`) gets /dev/null: the
        /// checkpoint file and the database connection never take its number.
        @Test func closedStandardDescriptorsAreNeverReused() throws {
            try TestDatabase.withConnectSchema { schema in
                let ids = try (1...3).map { try schema.insertEntry(state: "FAILED", message: "closed fd \($0)") }
                let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hcconnect-fd-\(getpid())-\(schema.name)")
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                defer { try? FileManager.default.removeItem(at: directory) }
                let binary = TestDatabase.packageRoot.appendingPathComponent(".build/debug/hcconnect").path
                let environment = ["DATABASE_URL": try TestDatabase.url, "HEROKU_CONNECT_SCHEMA": schema.name, "PATH": "/usr/bin:/bin"]
                let checkpoint = directory.appendingPathComponent("cp").path

                let export = try runProcess(
                    "/bin/bash", ["-c", "\"$0\" export --checkpoint \"$1\" >&-", binary, checkpoint], environment: environment)
                #expect(export.status == 0, "\(export.stderr)")
                let saved = try String(contentsOfFile: checkpoint, encoding: .utf8)
                #expect(saved.trimmingCharacters(in: .whitespacesAndNewlines) == String(ids.last!), "only the checkpoint: \(saved.prefix(200))")

                // --verbose writes to standard error while the connection is open: into the
                // socket, if the socket had taken descriptor 2
                let listing = try runProcess(
                    "/bin/bash", ["-c", "\"$0\" failed --format ids --verbose 2>&-", binary], environment: environment)
                #expect(listing.status == 0)
                #expect(listing.stdout == ids.map { "\($0)\n" }.reversed().joined())

                let retry = try runProcess(
                    "/bin/bash", ["-c", "\"$0\" retry \(ids[0]) --verbose 2>&- <&-", binary], environment: environment)
                #expect(retry.status == 0)
                let state = try schema.connection.query(
                    "SELECT state FROM \(schema.quoted)._trigger_log WHERE id = $1", [.int(ids[0])])[0].string(0)
                #expect(state == "NEW")
            }
        }
    }
}
