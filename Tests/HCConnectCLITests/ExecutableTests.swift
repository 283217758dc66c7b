import Foundation
import TestSupport
import Testing

/// The built executable, run as a separate process: `main` wires the real streams, the
/// process environment and the exit status; libpq reads its `PG*` variables itself.
@Suite struct ExecutableTests {
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
        let down = try hcconnectProcess(["failed"], environment: ["PGHOST": "127.0.0.1", "PGPORT": "1", "PGCONNECT_TIMEOUT": "2"])
        #expect(down.status == 69)
        #expect(down.stderr.hasPrefix("hcconnect: cannot connect to the database: "))
        #expect(down.stdout.isEmpty)
        let password = try hcconnectProcess(
            ["failed"], environment: ["PGHOST": "127.0.0.1", "PGPORT": "1", "PGPASSWORD": "env-secret-value"])
        #expect(!password.stderr.contains("env-secret-value"))
    }

    @Test func helpIsFastAndNeedsNoDatabase() throws {
        let result = try hcconnectProcess(["--help"], environment: ["DATABASE_URL": "postgresql://nowhere.invalid/x"])
        #expect(result.status == 0)
        #expect(result.stdout.hasPrefix("hcconnect "))
    }
}
