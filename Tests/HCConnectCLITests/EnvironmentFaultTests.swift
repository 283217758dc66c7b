import Foundation
import Postgres
import TestSupport
import Testing

extension IntegrationSuites {
    /// A bad environment: the server cannot be reached, refuses the login, lacks the database,
    /// the schema, hstore or the capture procedures, the role may not write, a statement runs
    /// into `statement_timeout`. For each, representative commands give exactly one line on
    /// standard error naming the problem, the documented exit status (README's table,
    /// `ExitStatus`), nothing on standard output, and change nothing: the trigger log, its
    /// archive and the mapped records are compared row by row before and after.
    ///
    /// Serialized: one test starts a private server (scram-sha-256 authentication), another
    /// holds locks for seconds; run with `make test-faults`.
    @Suite(.serialized, .tags(.process, .fault)) struct EnvironmentFaultTests {
        /// One representative command line.
        struct Run: CustomStringConvertible {
            let arguments: [String]
            /// True when it would change the log if it could.
            let writes: Bool
            /// True when it calls Heroku Connect's capture procedures.
            let captures: Bool

            var description: String { arguments.joined(separator: " ") }
        }

        /// Live FAILED entries 1...3 and archived FAILED entries 11...13, for account records
        /// 1...3, which exist.
        static let liveIDs = [1, 2, 3]
        static let archivedIDs = [11, 12, 13]

        /// The commands each fault is tried with.
        static let runs: [Run] = [
            Run(arguments: ["failed"], writes: false, captures: false),
            Run(arguments: ["stats"], writes: false, captures: false),
            Run(arguments: ["retry", "1"], writes: true, captures: false),
            Run(arguments: ["retry", "--failed", "--yes"], writes: true, captures: false),
            Run(arguments: ["ignore", "2"], writes: true, captures: false),
            Run(arguments: ["capture-update", "account", "1"], writes: true, captures: true),
            Run(arguments: ["cleanup", "--yes", "--ignore-older-than", "1m"], writes: true, captures: false),
            Run(arguments: ["check"], writes: false, captures: false),
            Run(arguments: ["export"], writes: false, captures: false),
            Run(arguments: ["watch", "--count", "1", "--existing", "--timeout", "20s"], writes: false, captures: false),
        ]

        /// Ordered writes re-capture records: the runs that need the capture procedures.
        static let capturingRuns: [Run] = [
            Run(arguments: ["capture-update", "account", "1"], writes: true, captures: true),
            Run(arguments: ["retry", "1", "--write-mode", "ordered"], writes: true, captures: true),
            Run(arguments: ["retry", "--failed", "--yes", "--write-mode", "ordered"], writes: true, captures: true),
            Run(arguments: ["cleanup", "--yes", "--retry-matching", "failure", "--write-mode", "ordered"], writes: true, captures: true),
        ]

        /// Fills a connection schema with the entries and records the runs act on.
        static func fill(_ connection: PostgresConnection, schema: String) throws {
            try connection.execute("SELECT hcemu.generate_records($1, 'account', 3)", [.text(schema)])
            let fixture = TriggerLogFixture(connection: connection, schema: schema)
            try fixture.fillLiveFailures(liveIDs.count, firstID: liveIDs[0])
            try fixture.fillArchivedFailures(archivedIDs.count, firstID: archivedIDs[0])
        }

        /// Every row of the tables, as JSON text in a fixed order: what "changes nothing" is
        /// checked against.
        static func snapshot(_ connection: PostgresConnection, schema: String, tables: [String]) throws -> [String] {
            let quotedSchema = "\"" + schema.replacingOccurrences(of: "\"", with: "\"\"") + "\""
            var rows: [String] = []
            for table in tables {
                try connection.forEachRow("SELECT '\(table): ' || row_to_json(t)::text FROM \(quotedSchema).\"\(table)\" t ORDER BY 1") {
                    rows.append($0.string(0) ?? "NULL")
                }
            }
            return rows
        }

        static let standardTables = ["_trigger_log", "_trigger_log_archive", "_hcmeta", "account"]

        /// What a fault must give: the exit status and words of the one line.
        struct Expected {
            let status: Int32
            let words: [String]
        }

        /// Runs each command with the environment and checks the one line, the status, the empty
        /// output and the unchanged rows.
        func expectEachRun(
            _ runs: [Run], fault: String, extra: [String] = [], environment: [String: String],
            expected: (Run) -> Expected?, unchanged: () throws -> [String],
            sourceLocation: SourceLocation = #_sourceLocation
        ) throws -> Int {
            var checkedRows = 0
            for run in runs {
                let before = try unchanged()
                let start = ContinuousClock.now
                let result = try hcconnect(run.arguments + extra, environment: environment, sourceLocation: sourceLocation)
                let elapsed = ContinuousClock.now - start
                let after = try unchanged()
                let context = "\(fault): hcconnect \(run) \(extra.joined(separator: " ")) -> \(result.status) in \(elapsed)\n\(result.stderr)"
                #expect(before == after, "nothing changed: \(context)", sourceLocation: sourceLocation)
                #expect(!before.isEmpty, "the fixture has rows: \(context)", sourceLocation: sourceLocation)
                checkedRows += after.count
                guard let expected = expected(run) else {
                    // a command the fault does not concern: it runs (reads, or check's verdict)
                    #expect([0, 1].contains(result.status), "\(context)", sourceLocation: sourceLocation)
                    continue
                }
                #expect(result.status == expected.status, "\(context)", sourceLocation: sourceLocation)
                let lines = result.stderr.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
                #expect(lines.count == 1, "exactly one line: \(context)", sourceLocation: sourceLocation)
                #expect(result.stderr.hasPrefix("hcconnect: "), "\(context)", sourceLocation: sourceLocation)
                for word in expected.words {
                    #expect(result.stderr.contains(word), "names the problem (\(word)): \(context)", sourceLocation: sourceLocation)
                }
                #expect(result.stdout.isEmpty, "nothing on standard output: \(context)", sourceLocation: sourceLocation)
            }
            return checkedRows
        }

        /// A TCP port on 127.0.0.1 where nothing listens: bound by the kernel's choice, then
        /// released.
        static func freePort() throws -> Int {
            let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard socket >= 0 else { throw TestSetupError("socket() failed") }
            defer { close(socket) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = 0
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                    bind(socket, pointer, length) == 0 && getsockname(socket, pointer, &length) == 0
                }
            }
            guard bound else { throw TestSetupError("bind() failed") }
            return Int(UInt16(bigEndian: address.sin_port))
        }

        // MARK: - The server is not reached

        @Test func connectionRefusedUnknownHostAndUnknownDatabaseAreUnavailable() throws {
            try TestDatabase.withConnectSchema { schema in
                try Self.fill(schema.connection, schema: schema.name)
                let unchanged = { try Self.snapshot(schema.connection, schema: schema.name, tables: Self.standardTables) }
                let port = try Self.freePort()
                let cases: [(String, String, [String])] = [
                    ("connection refused", "postgresql://postgres:Refused-Pw-1234@127.0.0.1:\(port)/db",
                     ["cannot connect to the database: ", "port \(port) failed", "Connection refused"]),
                    ("unknown host", "postgresql://postgres:Unknown-Pw-1234@no-such-host-hc.invalid/db",
                     ["cannot connect to the database: ", "no-such-host-hc.invalid"]),
                    ("unknown database", try TestDatabase.databaseURL("no_such_database_hc"),
                     ["cannot connect to the database: ", "database \"no_such_database_hc\" does not exist"]),
                ]
                var rows = 0
                for (fault, url, words) in cases {
                    rows += try expectEachRun(
                        Self.runs, fault: fault, extra: ["--retries", "0"],
                        environment: ["DATABASE_URL": url, "HEROKU_CONNECT_SCHEMA": schema.name],
                        expected: { _ in Expected(status: 69, words: words) }, unchanged: unchanged)
                    // with retries: still 69, still one line, after the retries for a refused
                    // connection (a server restarting); an unknown host or database at once,
                    // whatever the retries allow (waiting does not create them)
                    let isPermanent = fault != "connection refused"
                    let retried = isPermanent ? [] : ["(gave up connecting after 5 retries in "]
                    let start = ContinuousClock.now
                    rows += try expectEachRun(
                        [Self.runs[3]], fault: fault + " (5 retries)", extra: ["--retries", "5"],
                        environment: ["DATABASE_URL": url, "HEROKU_CONNECT_SCHEMA": schema.name],
                        expected: { _ in Expected(status: 69, words: words + retried) },
                        unchanged: unchanged)
                    if isPermanent {
                        #expect(ContinuousClock.now - start < .seconds(1), "\(fault) is not retried")
                    }
                }
                print("EnvironmentFaultTests: unreachable servers, \(rows) rows compared")
            }
        }

        // MARK: - The schema is not usable

        @Test func aSchemaThatIsNotHerokuConnectIsRefused() throws {
            try TestDatabase.withConnectSchema { schema in
                try Self.fill(schema.connection, schema: schema.name)
                let other = TestDatabase.uniqueSchemaName(prefix: "notconnect_")
                try schema.connection.execute("CREATE SCHEMA \(other)")
                defer { _ = try? schema.connection.execute("DROP SCHEMA \(other) CASCADE") }
                // a look-alike: a trigger log, but no archive and no _hcmeta
                try schema.connection.execute("CREATE TABLE \(other)._trigger_log (id integer PRIMARY KEY, state text)")
                try schema.connection.execute("INSERT INTO \(other)._trigger_log VALUES (1, 'FAILED'), (2, 'FAILED')")
                let unchanged = {
                    try Self.snapshot(schema.connection, schema: schema.name, tables: Self.standardTables)
                        + Self.snapshot(schema.connection, schema: other, tables: ["_trigger_log"])
                }
                let rows = try expectEachRun(
                    Self.runs, fault: "not a Heroku Connect schema",
                    environment: ["DATABASE_URL": try TestDatabase.url, "HEROKU_CONNECT_SCHEMA": other],
                    expected: { _ in
                        Expected(status: 65, words: ["schema \"\(other)\" is not a Heroku Connect schema (no _trigger_log_archive, _hcmeta)"])
                    }, unchanged: unchanged)
                print("EnvironmentFaultTests: not a Heroku Connect schema, \(rows) rows compared")
            }
        }

        /// A database without the hstore extension, holding a schema with the three tables.
        @Test func aDatabaseWithoutHstoreIsRefused() throws {
            let admin = try TestDatabase.plainConnection()
            let database = TestDatabase.uniqueSchemaName(prefix: "hc_nohstore_")
            try admin.execute("CREATE DATABASE \(database)")
            defer { _ = try? admin.execute("DROP DATABASE \(database) WITH (FORCE)") }
            let connection = try TestDatabase.plainConnection(database: database)
            try connection.execute("CREATE SCHEMA salesforce")
            try connection.executeUnsafeScript("""
                CREATE TABLE salesforce._trigger_log (id integer PRIMARY KEY, state text, action text, table_name text,
                  record_id integer, "values" text, sf_message text, created_at timestamptz DEFAULT now());
                CREATE TABLE salesforce._trigger_log_archive (LIKE salesforce._trigger_log INCLUDING ALL);
                CREATE TABLE salesforce._hcmeta (id integer PRIMARY KEY, hcver integer);
                INSERT INTO salesforce._trigger_log (id, state, action, table_name, record_id, "values", sf_message)
                VALUES (1, 'FAILED', 'UPDATE', 'account', 1, '"name"=>"x"', 'boom');
                INSERT INTO salesforce._trigger_log_archive (id, state, action, table_name, record_id, "values", sf_message)
                VALUES (11, 'FAILED', 'UPDATE', 'account', 1, '"name"=>"y"', 'boom')
                """)
            let unchanged = { try Self.snapshot(connection, schema: "salesforce", tables: ["_trigger_log", "_trigger_log_archive"]) }
            let rows = try expectEachRun(
                Self.runs, fault: "no hstore",
                environment: ["DATABASE_URL": try TestDatabase.databaseURL(database), "HEROKU_CONNECT_SCHEMA": "salesforce"],
                expected: { _ in Expected(status: 65, words: ["hstore"]) }, unchanged: unchanged)
            print("EnvironmentFaultTests: no hstore, \(rows) rows compared")
        }

        /// Capture procedures dropped: the commands that capture say which one is missing; the
        /// others work as usual (and are not run here, since they would rightly change rows).
        @Test func missingCaptureProceduresAreNamed() throws {
            try TestDatabase.withConnectSchema { schema in
                try Self.fill(schema.connection, schema: schema.name)
                try schema.connection.execute("DROP FUNCTION \(schema.quoted).hc_capture_update_from_row")
                try schema.connection.execute("DROP FUNCTION \(schema.quoted).hc_capture_insert_from_row")
                let unchanged = { try Self.snapshot(schema.connection, schema: schema.name, tables: Self.standardTables) }
                let rows = try expectEachRun(
                    Self.capturingRuns + [Self.runs[0], Self.runs[1], Self.runs[7], Self.runs[8], Self.runs[9]],
                    fault: "no capture procedures",
                    environment: ["DATABASE_URL": try TestDatabase.url, "HEROKU_CONNECT_SCHEMA": schema.name],
                    expected: { run in
                        run.captures ? Expected(status: 65, words: ["schema \"\(schema.name)\" has no hc_capture_", "_from_row procedure"]) : nil
                    }, unchanged: unchanged)
                print("EnvironmentFaultTests: no capture procedures, \(rows) rows compared")
            }
        }

        // MARK: - Permissions and timeouts

        /// A role that may only read: the reading commands work, the writing ones are refused
        /// with 77 before any row changes.
        @Test func aRoleWithoutWritePermissionChangesNothing() throws {
            try TestDatabase.withConnectSchema { schema in
                try Self.fill(schema.connection, schema: schema.name)
                let role = TestDatabase.uniqueSchemaName(prefix: "hc_reader_")
                try schema.connection.execute("CREATE ROLE \(role) LOGIN")
                defer {
                    _ = try? schema.connection.execute("DROP OWNED BY \(role)")
                    _ = try? schema.connection.execute("DROP ROLE \(role)")
                }
                try schema.connection.execute("GRANT USAGE ON SCHEMA \(schema.quoted) TO \(role)")
                try schema.connection.execute("GRANT SELECT ON ALL TABLES IN SCHEMA \(schema.quoted) TO \(role)")
                let unchanged = { try Self.snapshot(schema.connection, schema: schema.name, tables: Self.standardTables) }
                let rows = try expectEachRun(
                    Self.runs + Self.capturingRuns.dropFirst(), fault: "SELECT only",
                    environment: ["DATABASE_URL": try TestDatabase.roleURL(role), "HEROKU_CONNECT_SCHEMA": schema.name],
                    expected: { run in run.writes ? Expected(status: 77, words: ["permission denied"]) : nil },
                    unchanged: unchanged)
                print("EnvironmentFaultTests: SELECT only, \(rows) rows compared")
            }
        }

        /// Another session holds the log tables locked; with a long --lock-timeout and a short
        /// --statement-timeout, each command's statement is cancelled by statement_timeout: 75,
        /// and nothing changed.
        @Test func aStatementTimeoutIsATemporaryFailure() throws {
            try TestDatabase.withConnectSchema { schema in
                try Self.fill(schema.connection, schema: schema.name)
                let logTables = ["_trigger_log", "_trigger_log_archive"]
                let logBefore = try Self.snapshot(schema.connection, schema: schema.name, tables: logTables)
                let holder = try TestDatabase.plainConnection()
                try holder.execute("BEGIN")
                try holder.execute("LOCK TABLE \(schema.quoted)._trigger_log, \(schema.quoted)._trigger_log_archive IN ACCESS EXCLUSIVE MODE")
                defer { _ = try? holder.execute("ROLLBACK") }
                // while the lock is held, the rest is compared run by run; the log after it
                let unchanged = { try Self.snapshot(schema.connection, schema: schema.name, tables: ["account", "_hcmeta"]) }
                let rows = try expectEachRun(
                    Self.runs, fault: "statement_timeout",
                    extra: ["--lock-timeout", "1m", "--statement-timeout", "1s"],
                    environment: ["DATABASE_URL": try TestDatabase.url, "HEROKU_CONNECT_SCHEMA": schema.name],
                    expected: { _ in Expected(status: 75, words: ["statement timeout"]) }, unchanged: unchanged)
                try holder.execute("ROLLBACK")
                let logAfter = try Self.snapshot(schema.connection, schema: schema.name, tables: logTables)
                #expect(logBefore == logAfter, "the log is as it was")
                #expect(logAfter.count == Self.liveIDs.count + Self.archivedIDs.count)
                print("EnvironmentFaultTests: statement_timeout, \(rows + logAfter.count) rows compared")
            }
        }

        // MARK: - Wrong password

        /// Sets up a private server for the password tests: a standard connection with entries,
        /// and a role `hc_login` (password `Right-Passw0rd-42`) that must log in with
        /// scram-sha-256; returns the administrator's connection.
        private static func passwordServer(_ server: PrivateServer) throws -> PostgresConnection {
            let admin = try server.connect()
            try admin.execute("SELECT hcemu.create_standard_connection('salesforce')")
            try fill(admin, schema: "salesforce")
            try admin.execute("CREATE ROLE hc_login LOGIN SUPERUSER PASSWORD 'Right-Passw0rd-42'")
            try server.setHostBasedAuthentication([
                "host all hc_login 127.0.0.1/32 scram-sha-256",
                "host all all 127.0.0.1/32 trust",
            ])
            return admin
        }

        /// A private server asking for scram-sha-256 passwords: a wrong password is refused
        /// with 77 and one line, and the right one works (the control).
        @Test func aWrongPasswordIsRefused() throws {
            try PrivateServer.with { server in
                let admin = try Self.passwordServer(server)
                let unchanged = { try Self.snapshot(admin, schema: "salesforce", tables: Self.standardTables) }
                let wrong = server.url(user: "hc_login", password: "Wrong-Passw0rd-42")
                let rows = try expectEachRun(
                    Self.runs, fault: "wrong password", environment: ["DATABASE_URL": wrong],
                    expected: { _ in
                        Expected(status: 77, words: ["the database refused the login: ", "password authentication failed for user \"hc_login\""])
                    }, unchanged: unchanged)
                let right = try hcconnect(["failed", "--format", "ids"], environment: ["DATABASE_URL": server.url(user: "hc_login", password: "Right-Passw0rd-42")])
                #expect(right.status == 0, "\(right.stderr)")
                #expect(Set(right.lines) == ["1", "2", "3", "11", "12", "13"], "\(right.stdout)")
                print("EnvironmentFaultTests: wrong password, \(rows) rows compared")
            }
        }
        // MARK: - Passwords in refused logins

        /// Logins refused with the password given every way libpq takes one — in the URL, in
        /// the URL percent-encoded, in its query, in `PGPASSWORD`, in a keyword string, quoted
        /// with a space and a quote — run as processes (libpq reads `PGPASSWORD` itself) with
        /// `--verbose`, in text and as JSON events: exit 77, one error, and the password in no
        /// form anywhere (``PasswordLeakGuard`` checks every run; the checks here say it again).
        @Test func passwordsStayHiddenWhenTheLoginFails() throws {
            try PrivateServer.with { server in
                let admin = try Self.passwordServer(server)
                let before = try Self.snapshot(admin, schema: "salesforce", tables: Self.standardTables)
                let port = server.port
                // (name, environment, arguments before the command, the secret in its plain form)
                let ways: [(String, [String: String], [String], String)] = [
                    ("URL", ["DATABASE_URL": server.url(user: "hc_login", password: "Wrong-Url-Pw-1")], [], "Wrong-Url-Pw-1"),
                    ("URL, percent-encoded", [:],
                     ["--database-url", server.url(user: "hc_login", password: "W%40r%3Ang%2FP%25w%20d%27-2")], "W@r:ng/P%w d'-2"),
                    ("URL query", ["DATABASE_URL": server.url(user: "hc_login", query: "password=Wrong-Query-Pw-3")], [],
                     "Wrong-Query-Pw-3"),
                    ("PGPASSWORD", ["DATABASE_URL": server.url(user: "hc_login"), "PGPASSWORD": "Wrong-Env-Pw-4"], [], "Wrong-Env-Pw-4"),
                    ("keyword string", [:],
                     ["--database-url", "host=127.0.0.1 port=\(port) user=hc_login dbname=postgres password='Wr ong\\'Kw-Pw-5'"],
                     "Wr ong'Kw-Pw-5"),
                    ("keyword string, server down", [:],
                     ["--database-url", "host=127.0.0.1 port=\(try Self.freePort()) user=hc_login password=Down-Kw-Pw-6", "--retries", "1"],
                     "Down-Kw-Pw-6"),
                ]
                var runs = 0
                for (way, environment, global, secret) in ways {
                    for format in [["--log-format", "text"], ["--log-format", "json"]] {
                        for command in [["failed"], ["retry", "--failed", "--yes", "--json"]] {
                            var env = environment
                            env["HEROKU_CONNECT_SCHEMA"] = "salesforce"
                            env["PATH"] = "/usr/bin:/bin"
                            let arguments = global + ["--verbose"] + format + command
                            let result = try BackgroundProcess.hcconnect(arguments, environment: env).wait(timeout: .seconds(60))
                            runs += 1
                            let context = "\(way): hcconnect \(arguments.joined(separator: " ")) -> \(result.status)\n\(result.stderr)"
                            let down = way.hasSuffix("server down")
                            #expect(result.status == (down ? 69 : 77), "\(context)")
                            for form in PasswordLeakGuard.forms(of: secret).union([secret]) {
                                #expect(!result.stderr.contains(form) && !result.stdout.contains(form), "\(context)")
                            }
                            let lines = result.stderrLines
                            #expect(lines.contains { $0.contains(down ? "cannot connect to the database" : "refused the login") }, "\(context)")
                            if format.last == "json" {
                                let events = jsonEventLines(result.stderr)
                                #expect(events.count == lines.count, "every line is a JSON event: \(context)")
                                let connect = events.first { $0["event"] as? String == "connect" }
                                #expect(connect != nil, "\(context)")
                                if way.hasPrefix("URL") {
                                    #expect((connect?["target"] as? String)?.contains("***") == true, "the URL is shown masked: \(context)")
                                }
                            }
                            #expect(try Self.snapshot(admin, schema: "salesforce", tables: Self.standardTables) == before, "\(context)")
                        }
                    }
                }
                // the control: the right password in each form works, and is not shown either
                for (environment, global) in [
                    (["DATABASE_URL": server.url(user: "hc_login", password: "Right-Passw0rd-42")], [String]()),
                    (["DATABASE_URL": server.url(user: "hc_login"), "PGPASSWORD": "Right-Passw0rd-42"], []),
                    ([:], ["--database-url", "host=127.0.0.1 port=\(port) user=hc_login dbname=postgres password=Right-Passw0rd-42"]),
                ] {
                    var env = environment
                    env["HEROKU_CONNECT_SCHEMA"] = "salesforce"
                    let result = try BackgroundProcess.hcconnect(
                        global + ["--verbose", "--log-format", "json", "failed", "--format", "ids"], environment: env
                    ).wait(timeout: .seconds(60))
                    runs += 1
                    #expect(result.status == 0, "\(result.stderr)")
                    #expect(Set(result.stdout.split(separator: "\n")) == ["1", "2", "3", "11", "12", "13"])
                    #expect(!result.stderr.contains("Right-Passw0rd-42"))
                }
                print("EnvironmentFaultTests: refused logins, \(runs) runs, no password shown")
            }
        }
    }
}
