import Foundation
import Postgres
import TestSupport
import Testing

/// The read and monitoring commands on several connections at once: `--app` repeated (through
/// the Heroku API stand-in) or `--all-schemas` (every Connect schema of a database of the
/// test's own). The outputs gain the app or the schema: a column in CSV, a field in JSON, a
/// label in Prometheus, a section in a table; one connection failing does not hide the
/// others, and the exit status is the worst.
extension IntegrationSuites {
    @Suite(.tags(.database)) struct MultiConnectionTests {
        /// A database of its own with two Connect schemas, `one` (2 FAILED) and `two` (1 FAILED).
        static func withTwoSchemas(_ body: (String) throws -> Void) throws {
            let admin = try TestDatabase.plainConnection()
            let database = TestDatabase.uniqueSchemaName(prefix: "multi_")
            try admin.execute("CREATE DATABASE \(database)")
            defer { _ = try? admin.execute("DROP DATABASE \(database) WITH (FORCE)") }
            let connection = try TestDatabase.plainConnection(database: database)
            try connection.executeUnsafeScript(try TestDatabase.emulationSQL())
            for (schema, failures) in [("one", 2), ("two", 1)] {
                try connection.execute("SELECT hcemu.create_standard_connection($1)", [.text(schema)])
                let fixture = ConnectTestSchema(name: schema, connection: connection)
                for record in 1...failures { try fixture.insertEntry(recordID: record, message: "X_ERROR: failed in \(schema)") }
            }
            var settings = try TestDatabase.url
            if let slash = settings.lastIndex(of: "/") { settings = String(settings[...slash]) + database }
            try body(settings)
        }

        @Test func allSchemasGainsASchemaColumnFieldAndLabel() throws {
            try Self.withTwoSchemas { url in
                let csv = try hcconnect(["failed", "--all-schemas", "--format", "csv", "--database-url", url])
                #expect(csv.status == 0, "\(csv.stderr)")
                #expect(csv.lines[0].hasPrefix("schema,id,"))
                #expect(csv.lines.dropFirst().map { $0.prefix(4) } == ["one,", "one,", "two,"])
                let json = try hcconnect(["failed", "--all-schemas", "--json", "--database-url", url])
                let schemas = try json.lines.map { line in
                    try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])["schema"] as? String
                }
                #expect(schemas == ["one", "one", "two"])
                let prometheus = try hcconnect(
                    ["check", "--all-schemas", "--format", "prometheus", "--max-failed", "1", "--database-url", url])
                #expect(prometheus.status == 1, "schema one crosses the limit")
                #expect(prometheus.stdout.contains("hcconnect_check_healthy{schema=\"one\",schema=\"one\"}") == false)
                #expect(prometheus.stdout.components(separatedBy: "# TYPE hcconnect_check_healthy gauge").count == 2, "one family")
                let table = try hcconnect(["stats", "--brief", "--all-schemas", "--database-url", url])
                #expect(table.stdout.contains("── schema one ──") && table.stdout.contains("── schema two ──"))
                let refused = try hcconnect(["retry", "--failed", "--all-schemas", "--database-url", url])
                #expect(refused.status == 2 && refused.stderr.contains("retry takes one connection"))
            }
        }

        @Test func repeatedAppsAreReadOneAfterAnotherAndAFailingOneDoesNotHideTheOthers() throws {
            try TestDatabase.withConnectSchema { first in
                try TestDatabase.withConnectSchema { second in
                    try first.insertEntry(message: "X_ERROR: first")
                    try second.insertEntry(message: "X_ERROR: second")
                    try second.insertEntry(recordID: 2, message: "X_ERROR: second")
                    let standIn = HerokuAPIStandIn(tokens: [HerokuAPIStandIn.demoToken])
                    standIn.add(.demo(name: "app-one", databaseURL: try TestDatabase.url, schema: first.name, idBase: 700))
                    standIn.add(.demo(name: "app-two", databaseURL: try TestDatabase.url, schema: second.name, idBase: 800))
                    let server = try LocalHTTPServer { standIn.handle($0) }
                    defer { server.stop() }
                    standIn.baseURL = server.baseURL
                    let environment = [
                        "HEROKU_API_KEY": HerokuAPIStandIn.demoToken, "HCCONNECT_HEROKU_API_URL": server.baseURL,
                        "HCCONNECT_CONNECT_API_URL": server.baseURL,
                    ]
                    let csv = try hcconnect(["failed", "-a", "app-one", "-a", "app-two", "--format", "csv"], environment: environment)
                    #expect(csv.status == 0, "\(csv.stderr)")
                    #expect(csv.lines.dropFirst().map { String($0.prefix(8)) } == ["app-one,", "app-two,", "app-two,"])
                    let withMissing = try hcconnect(
                        ["errors", "--app", "app-one,no-such-app,app-two", "--json", "--retries", "0"], environment: environment)
                    #expect(withMissing.status == 3, "the worst status: an unknown app")
                    #expect(withMissing.stderr.contains("hcconnect: app no-such-app:"))
                    let apps = try withMissing.lines.map { line in
                        try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])["app"] as? String
                    }
                    #expect(apps == ["app-one", "app-two"])
                    let connections = try hcconnect(["connection", "-a", "app-one", "-a", "app-two", "--json"], environment: environment)
                    #expect(connections.lines.count == 2)
                    #expect(connections.stdout.contains("\"schema\":\"\(second.name)\""))
                    #expect(!csv.stderr.contains(HerokuAPIStandIn.demoToken) && !withMissing.stderr.contains(HerokuAPIStandIn.demoToken))
                }
            }
        }
    }
}
