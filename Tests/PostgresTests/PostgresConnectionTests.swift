import Postgres
import TestSupport
import Testing

extension IntegrationSuites {
    @Suite(.tags(.database)) struct PostgresConnectionTests {
        @Test func parametersTravelApartFromTheStatement() throws {
            let connection = try TestDatabase.plainConnection()
            let hostile = "'); DROP TABLE pg_class; --"
            let rows = try connection.query("SELECT $1::text, $2::int + 1, $3::text IS NULL", [.text(hostile), 41, nil])
            #expect(rows.count == 1)
            #expect(rows[0].string(0) == hostile)
            #expect(try rows[0].int(1) == 42)
            #expect(try rows[0].bool(2) == true)
        }

        @Test func unicodeAndEmptyStringsSurvive() throws {
            let connection = try TestDatabase.plainConnection()
            let text = "Zürich — 東京 🚀 \"quoted\" \\ back\nline"
            let rows = try connection.query("SELECT $1::text, ''::text, NULL::text", [.text(text)])
            #expect(rows[0].string(0) == text)
            #expect(rows[0].string(1) == "")
            #expect(rows[0].string(2) == nil)
            #expect(rows[0].isNull(2))
            #expect(!rows[0].isNull(1))
        }

        @Test func nulBytesAreRefusedBeforeSending() throws {
            let connection = try TestDatabase.plainConnection()
            #expect(throws: PostgresError.self) { try connection.query("SELECT $1::text", [.text("a\u{0}b")]) }
            // The connection is still usable afterwards.
            #expect(try connection.query("SELECT 1")[0].int(0) == 1)
        }

        @Test func serverErrorsCarrySQLStateDetailAndHint() throws {
            let connection = try TestDatabase.plainConnection()
            do {
                try connection.execute("SELECT * FROM no_such_table_here")
                Issue.record("the statement should have failed")
            } catch {
                #expect(error.kind == .server)
                #expect(error.sqlState == "42P01")
                #expect(error.message.contains("no_such_table_here"))
            }
            do {
                try connection.execute("DO $$ BEGIN RAISE EXCEPTION 'boom' USING DETAIL = 'the detail', HINT = 'the hint', ERRCODE = '22023'; END $$")
                Issue.record("the statement should have failed")
            } catch {
                #expect(error.sqlState == "22023")
                #expect(error.message == "boom")
                #expect(error.detail == "the detail")
                #expect(error.hint == "the hint")
            }
            #expect(try connection.query("SELECT 2")[0].int(0) == 2)
        }

        @Test func streamingDeliversEveryRowInOrder() throws {
            let connection = try TestDatabase.plainConnection()
            var seen: [Int] = []
            try connection.forEachRow("SELECT g FROM generate_series(1, $1::int) AS g ORDER BY g", [.int(5000)]) { row in
                seen.append(try row.int(0)!)
            }
            #expect(seen == Array(1...5000))
        }

        @Test func streamingStopsCleanlyWhenTheConsumerThrows() throws {
            struct Enough: Error {}
            let connection = try TestDatabase.plainConnection()
            var count = 0
            #expect(throws: Enough.self) {
                try connection.forEachRow("SELECT g FROM generate_series(1, 10000000) AS g") { _ in
                    count += 1
                    if count == 10 { throw Enough() }
                }
            }
            #expect(count == 10)
            #expect(try connection.query("SELECT 'still usable'")[0].string(0) == "still usable")
        }

        @Test func streamingReportsServerErrorsMidway() throws {
            let connection = try TestDatabase.plainConnection()
            var count = 0
            do {
                try connection.forEachRow("SELECT 10 / (5 - g) FROM generate_series(1, 10) AS g") { _ in count += 1 }
                Issue.record("division by zero should have failed")
            } catch let error as PostgresError {
                #expect(error.sqlState == "22012")
            }
            #expect(count >= 0 && count < 5)
            #expect(try connection.query("SELECT 3")[0].int(0) == 3)
        }

        @Test func transactionsCommitAndRollBack() throws {
            let connection = try TestDatabase.plainConnection()
            let table = "tx_" + TestDatabase.uniqueSchemaName(prefix: "")
            try connection.execute("CREATE TABLE \(table) (v int)")
            defer { _ = try? connection.execute("DROP TABLE \(table)") }
            _ = try connection.withTransaction { try connection.execute("INSERT INTO \(table) VALUES (1)") }
            struct Abort: Error {}
            #expect(throws: Abort.self) {
                try connection.withTransaction {
                    try connection.execute("INSERT INTO \(table) VALUES (2)")
                    throw Abort()
                }
            }
            // A nested transaction becomes a savepoint: its failure undoes only its own work.
            try connection.withTransaction {
                try connection.execute("INSERT INTO \(table) VALUES (3)")
                _ = try? connection.withTransaction {
                    try connection.execute("INSERT INTO \(table) VALUES (4)")
                    throw Abort()
                }
            }
            let values = try connection.query("SELECT v FROM \(table) ORDER BY v").map { try $0.int(0)! }
            #expect(values == [1, 3])
            #expect(!connection.isInTransaction)
        }

        @Test func aFailedStatementInsideATransactionRollsItBack() throws {
            let connection = try TestDatabase.plainConnection()
            let table = "tx_" + TestDatabase.uniqueSchemaName(prefix: "")
            try connection.execute("CREATE TABLE \(table) (v int PRIMARY KEY)")
            defer { _ = try? connection.execute("DROP TABLE \(table)") }
            #expect(throws: PostgresError.self) {
                try connection.withTransaction {
                    try connection.execute("INSERT INTO \(table) VALUES (1)")
                    try connection.execute("INSERT INTO \(table) VALUES (1)")
                }
            }
            #expect(try connection.query("SELECT count(*) FROM \(table)")[0].int(0) == 0)
        }

        @Test func executeReportsAffectedRows() throws {
            let connection = try TestDatabase.plainConnection()
            let table = "n_" + TestDatabase.uniqueSchemaName(prefix: "")
            try connection.execute("CREATE TABLE \(table) AS SELECT g FROM generate_series(1, 7) g")
            defer { _ = try? connection.execute("DROP TABLE \(table)") }
            #expect(try connection.execute("UPDATE \(table) SET g = g + 1 WHERE g > $1", [.int(4)]) == 3)
        }

        @Test func sessionIsSetUpForDecoding() throws {
            let connection = try TestDatabase.plainConnection()
            #expect(connection.parameterStatus("client_encoding") == "UTF8")
            #expect(connection.parameterStatus("DateStyle")?.hasPrefix("ISO") == true)
            #expect(connection.serverVersion >= 120000)
            let rows = try connection.query("SELECT '2026-11-24 10:13:05.25+00'::timestamptz AT TIME ZONE 'UTC', '2026-11-24 10:13:05.25+00'::timestamptz")
            #expect(try rows[0].timestamp(1)?.microsecondsSinceEpoch == (try #require(PostgresTimestamp("2026-11-24 10:13:05.25+00"))).microsecondsSinceEpoch)
        }

        @Test func aServerThatIsDownIsAConnectionFailure() throws {
            let settings = ConnectionSettings(connectionString: "postgresql://postgres:supersecret@127.0.0.1:1/postgres?connect_timeout=3")
            do {
                _ = try PostgresConnection(settings: settings)
                Issue.record("connected to port 1")
            } catch {
                #expect(error.kind == .connectionFailed)
                #expect(!error.description.contains("supersecret"))
            }
        }

        @Test func anUnknownRoleIsAnAuthenticationFailure() throws {
            let url = try TestDatabase.url
            let settings = ConnectionSettings(connectionString: url, overrides: [.init("user", "no_such_role_hc")])
            do {
                _ = try PostgresConnection(settings: settings)
                Issue.record("connected as a role that does not exist")
            } catch {
                #expect(error.kind == .authenticationFailed)
            }
        }

        @Test func anUnknownDatabaseIsAConnectionFailure() throws {
            do {
                _ = try TestDatabase.plainConnection(database: "no_such_database_hc")
                Issue.record("connected to a database that does not exist")
            } catch let error as PostgresError {
                #expect(error.kind == .connectionFailed)
                #expect(error.message.contains("no_such_database_hc"))
            }
        }

        @Test func statementObserverSeesTextButNotValues() throws {
            let connection = try TestDatabase.plainConnection()
            var events: [StatementEvent] = []
            connection.statementObserver = { events.append($0) }
            try connection.query("SELECT $1::text", [.text("secret-value")])
            try connection.forEachRow("SELECT generate_series(1, 3)") { _ in }
            #expect(events.map(\.sql) == ["SELECT $1::text", "SELECT generate_series(1, 3)"])
            #expect(events.map(\.rowCount) == [1, 3])
            #expect(!events.contains { $0.sql.contains("secret-value") })
        }

        @Test func aKilledBackendIsALostConnection() throws {
            let victim = try TestDatabase.plainConnection()
            let killer = try TestDatabase.plainConnection()
            let pid = try victim.query("SELECT pg_backend_pid()")[0].int(0)!
            try killer.execute("SELECT pg_terminate_backend($1)", [.int(pid)])
            do {
                try victim.query("SELECT 1")
                Issue.record("the terminated connection still answered")
            } catch {
                #expect(error.kind == .connectionLost || error.sqlState == "57P01")
            }
        }

        /// Defaults yield to the connection string, which yields to overrides.
        @Test func defaultsStringAndOverridesTakeTurns() throws {
            let url = try TestDatabase.url
            func applicationName(_ settings: ConnectionSettings) throws -> String? {
                try PostgresConnection(settings: settings).query("SHOW application_name")[0].string(0)
            }
            let separator = url.contains("?") ? "&" : "?"
            #expect(try applicationName(ConnectionSettings(connectionString: url, defaults: [.init("application_name", "default")])) == "default")
            #expect(try applicationName(ConnectionSettings(
                connectionString: url + separator + "application_name=from-url", defaults: [.init("application_name", "default")])) == "from-url")
            #expect(try applicationName(ConnectionSettings(
                connectionString: url + separator + "application_name=from-url", overrides: [.init("application_name", "override")])) == "override")
            #expect(try applicationName(ConnectionSettings(
                connectionString: url, defaults: [.init("fallback_application_name", "hcconnect")])) == "hcconnect")
        }
    }
}
