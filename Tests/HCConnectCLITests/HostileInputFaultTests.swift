import Foundation
import Postgres
import TestSupport
import Testing

extension IntegrationSuites {
    /// Hostile values in every place where a name or a value of the command line reaches SQL,
    /// proven against a private server's statement log.
    ///
    /// A private server logs every statement (``StatementLog``). Each run of hcconnect (in
    /// process) connects with an application name of its own. The baseline runs, with ordinary
    /// values, show which statements hcconnect sends; then each place is tried with each hostile
    /// value (quotes, semicolons, comments, Unicode, NUL bytes, 100 kB, real objects outside the
    /// schema), and every statement of those runs must be one of the baseline's (schema names
    /// normalised), no hostile value may appear in a statement's text, an error must be one
    /// line naming the input with its exit code, and the database must be unchanged.
    @Suite(.serialized, .tags(.process, .fault)) struct HostileInputFaultTests {
        /// A place a value goes: a label that a refusal must name, and the command line.
        struct Place: Sendable {
            let label: String
            let command: @Sendable (String) -> [String]
            /// The value goes to standard input instead (`retry -`).
            var viaInput = false
            /// The value is the content of a checkpoint file.
            var viaCheckpoint = false
            /// Ordinary values not to try here (a watch's --timeout of 30m would run 30 minutes).
            var slowValues: Set<String> = []
        }

        /// The schema with a hostile name, a real Heroku Connect schema.
        static let weirdSchema = "hx\"; DROP SCHEMA secret CASCADE; --"

        static let values: [String] = [
            "x'; DROP TABLE salesforce._trigger_log; --",
            "x\"; DROP TABLE salesforce._trigger_log; --",
            // a combining mark makes one character of the quote (or wildcard) and itself, but
            // the server reads the quote
            "x\"\u{0301}; DROP TABLE salesforce._trigger_log; --",
            "100%\u{0301}",
            "1; SELECT pg_sleep(3)",
            "1 OR 1=1",
            "1) OR (1=1",
            "/* hx */ account",
            "account -- hx",
            "account/*",
            "$1",
            "$$ hx $$",
            "E'\\x27'",
            "\u{202E}tnuocca\u{202C}",
            "ac\u{0301}\u{0327}count",
            "acc\0ount",
            "1\0",
            String(repeating: "'\"; --", count: 17_000),
            "pg_catalog.pg_authid",
            "pg_authid",
            "other.account",
            "secret.t",
            "public",
            "information_schema.tables",
            "",
            "%",
            "_",
            "\\",
            "-1",
            "99999999999999999999",
            "1,2,'3'",
            "2026-11-24'; --",
            "1d'; --",
            "tab\there\nline\u{7}\u{1B}[2J",
        ]

        /// A watch that ends by itself.
        static func watch(_ rest: [String]) -> [String] { ["watch"] + rest + ["--timeout", "200ms", "--interval", "100ms"] }

        static let places: [Place] = [
            Place(label: "schema") { ["failed", "--schema", $0] },
            Place(label: "schema") { ["cleanup", "--dry-run", "--retry-matching", "x", "--schema", $0] },
            Place(label: "--table") { ["failed", "--table", $0] },
            Place(label: "--table") { ["retry", "--failed", "--yes", "--table", $0] },
            Place(label: "--table") { ["stats", "--table", $0] },
            Place(label: "--table") { ["export", "--table", $0] },
            Place(label: "table") { ["capture-update", $0, "1"] },
            Place(label: "table") { ["capture-insert", $0, "1"] },
            Place(label: "--fields") { ["capture-update", "account", "1", "--fields", $0] },
            Place(label: "--columns") { ["capture-update", "account", "1", "--columns", $0] },
            Place(label: "--message") { ["failed", "--message", $0] },
            Place(label: "--message") { ["retry", "--failed", "--yes", "--message", $0] },
            Place(label: "--message") { watch(["--message", $0]) },
            Place(label: "--retry-matching") { ["cleanup", "--dry-run", "--retry-matching", $0] },
            Place(label: "--ignore-matching") { ["cleanup", "--dry-run", "--ignore-matching", $0] },
            Place(label: "--state") { ["list", "--state", $0] },
            Place(label: "--state") { watch(["--state", $0]) },
            Place(label: "--action") { ["list", "--action", $0] },
            Place(label: "--record-id") { ["list", "--record-id", $0] },
            Place(label: "--record-id") { ["retry", "--failed", "--yes", "--record-id", $0] },
            Place(label: "--sfid") { ["list", "--sfid", $0] },
            Place(label: "--sfid") { ["history", "account", "--sfid", $0] },
            Place(label: "--sfid") { ["capture-update", "account", "--sfid", $0] },
            Place(label: "record_id") { ["history", "account", $0] },
            Place(label: "id") { ["show", $0] },
            Place(label: "id") { ["related", $0] },
            Place(label: "id") { ["retry", $0] },
            Place(label: "id") { ["ignore", $0] },
            Place(label: "id", command: { _ in ["retry", "-"] }, viaInput: true),
            Place(label: "id", command: { _ in ["ignore", "-"] }, viaInput: true),
            Place(label: "record") { ["capture-update", "account", $0] },
            Place(label: "--since") { ["failed", "--since", $0] },
            Place(label: "--until") { ["failed", "--until", $0] },
            Place(label: "--ignore-older-than") { ["cleanup", "--dry-run", "--ignore-older-than", $0] },
            Place(label: "--stuck-after") { ["export", "--processed", "--stuck-after", $0] },
            Place(label: "--after-id") { ["export", "--after-id", $0] },
            Place(label: "checkpoint", command: { _ in ["export"] }, viaCheckpoint: true),
            Place(label: "--interval") { ["watch", "--timeout", "200ms", "--interval", $0] },
            Place(label: "--count") { watch(["--count", $0]) },
            Place(
                label: "--timeout", command: { ["watch", "--interval", "100ms", "--timeout", $0] },
                slowValues: ["30m", "1d", "10s", "1", "2", "5", "101"]),
            Place(label: "--in") { ["failed", "--in", $0] },
            Place(label: "--limit") { ["failed", "--limit", $0] },
            Place(label: "--max") { ["retry", "--failed", "--yes", "--max", $0] },
            Place(label: "--batch-size") { ["retry", "--failed", "--yes", "--batch-size", $0] },
            Place(label: "--write-mode") { ["retry", "1", "--write-mode", $0] },
            Place(label: "--max-attempts") { ["cleanup", "--dry-run", "--retry-matching", "x", "--max-attempts", $0] },
            Place(label: "--max-failed") { ["check", "--max-failed", $0] },
            Place(label: "--examples") { ["errors", "--examples", $0] },
            Place(label: "--lock-timeout") { ["failed", "--lock-timeout", $0] },
            Place(label: "--statement-timeout") { ["retry", "--failed", "--yes", "--message", "nomatch", "--statement-timeout", $0] },
            Place(label: "--retries") { ["failed", "--retries", $0] },
            Place(label: "--format") { ["failed", "--format", $0] },
            Place(label: "--log-format") { ["failed", "--verbose", "--log-format", $0] },
        ]

        /// Ordinary values for each place, valid and not: the statements these runs send are the
        /// ones hcconnect is known to send.
        static let baselineValues = [
            "salesforce", "account", "nosuchtable", "Name", "name", "Nosuchfield", "failure 1", "FAILED", "NEW", "UPDATE", "1", "2",
            "101", "0011x000003DGb2AAG", "30m", "2026-11-24", "1d", "all", "archive", "5", "ordered", "merged", "json", "10s", "x",
        ]

        /// The same commands in the schema with the hostile name, and in salesforce as baseline.
        static let weirdSchemaRuns: [[String]] = [
            ["failed"], ["list", "--table", "account"], ["tables"], ["stats"], ["errors"], ["check"], ["export"],
            ["export", "--format", "csv", "--processed"], ["show", "1"], ["related", "1"], ["history", "account", "1"],
            ["retry", "--failed", "--yes", "--message", "nomatch"], ["ignore", "--failed", "--yes", "--message", "nomatch"],
            ["retry", "--failed", "--dry-run"], ["cleanup", "--dry-run", "--retry-matching", "failure"],
            ["capture-update", "account", "1", "--dry-run"], ["capture-update", "account", "1", "--fields", "Name", "--dry-run"],
            watch(["--existing"]),
        ]

        /// One run of hcconnect and what it left.
        struct Run {
            let applicationName: String
            let arguments: [String]
            let value: String?
            let place: Place?
            let result: CLIResult
        }

        /// What the database holds: every table's rows (md5 of the ordered rows), the schemas
        /// and the roles.
        static let fingerprintSQL = """
            SELECT (SELECT string_agg(nspname, ',' ORDER BY nspname) FROM pg_namespace)
                || (SELECT string_agg(rolname || rolsuper::text, ',' ORDER BY rolname) FROM pg_roles)
                || (SELECT string_agg(c.oid::regclass::text || '=' || (xpath('/row/m/text()', query_to_xml(
                       format('SELECT md5(coalesce(string_agg(t::text, %L ORDER BY t::text), %L)) AS m FROM %s AS t',
                              E'\\n', '', c.oid::regclass), false, true, '')))[1]::text, ';' ORDER BY c.oid::regclass::text)
                    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast'))
            """

        @Test func noHostileValueReachesSQLAndEachIsRefusedByName() throws {
            let server = try PrivateServer(serverOptions: StatementLog.serverOptions)
            defer { server.stop() }
            let control = try server.connect()
            for schema in ["salesforce", "other", Self.weirdSchema] {
                try control.execute("SELECT hcemu.create_standard_connection($1)", [.text(schema)])
                let fixture = TriggerLogFixture(connection: control, schema: schema)
                try fixture.fillArchivedFailures(5)
                try fixture.fillLiveFailures(5, firstID: 101)
                try control.execute("SELECT hcemu.generate_records($1, 'account', 3)", [.text(schema)])
            }
            try control.execute("CREATE SCHEMA secret")
            try control.execute("CREATE TABLE secret.t (id int, secret text)")
            try control.execute("INSERT INTO secret.t VALUES (1, 'do not read')")
            let before = try control.query(Self.fingerprintSQL)[0].string(0)!

            let checkpoint = NSTemporaryDirectory() + "/hcconnect-hostile-\(UUID().uuidString).checkpoint"
            defer { try? FileManager.default.removeItem(atPath: checkpoint) }
            var counter = 0
            func run(_ prefix: String, _ arguments: [String], value: String?, place: Place?, input: String = "") throws -> Run {
                counter += 1
                let name = "\(prefix)_\(counter)"
                let result = try hcconnect(
                    arguments,
                    environment: ["DATABASE_URL": server.url + "?application_name=" + name, "HEROKU_CONNECT_SCHEMA": "salesforce"],
                    input: input)
                return Run(applicationName: name, arguments: arguments, value: value, place: place, result: result)
            }
            func commandLine(_ place: Place, _ value: String) throws -> (arguments: [String], input: String) {
                if place.viaCheckpoint {
                    try Data(value.utf8).write(to: URL(fileURLWithPath: checkpoint))
                    return (["export", "--checkpoint", checkpoint], "")
                }
                return (place.command(value), place.viaInput ? value + "\n" : "")
            }

            // first the runs that the schema with the hostile name repeats, while salesforce's
            // entries are still FAILED as they are there
            var baseline: [Run] = []
            for arguments in Self.weirdSchemaRuns {
                baseline.append(try run("base", arguments, value: nil, place: nil))
            }
            for place in Self.places {
                for value in Self.baselineValues where !place.slowValues.contains(value) {
                    let (arguments, input) = try commandLine(place, value)
                    baseline.append(try run("base", arguments, value: value, place: place, input: input))
                }
            }
            // the baseline changed data (retries of "failure 1"...): the fixture as it is now
            // is what the hostile runs must leave alone
            let reference = try control.query(Self.fingerprintSQL)[0].string(0)!
            #expect(reference != before, "the baseline's runs did change something, so that a change can be seen")

            var hostile: [Run] = []
            for place in Self.places {
                for value in Self.values {
                    let (arguments, input) = try commandLine(place, value)
                    let run = try run("hx", arguments, value: value, place: place, input: input)
                    hostile.append(run)
                    let now = try control.query(Self.fingerprintSQL)[0].string(0)!
                    #expect(now == reference, "\(Self.describe(run)) changed the database")
                }
            }
            for arguments in Self.weirdSchemaRuns {
                hostile.append(try run("hx", ["--schema", Self.weirdSchema] + arguments, value: Self.weirdSchema, place: nil))
            }

            // the log is complete once the control session's marker is in it
            try control.execute("SET application_name = 'hostile_control'")
            try control.execute("SELECT 'hostile-log-end'")
            var log = try StatementLog(dataDirectory: server.dataDirectory)
            let complete = try waitUntil(timeout: .seconds(30)) {
                log = try StatementLog(dataDirectory: server.dataDirectory)
                return log.lines.contains { $0.message.contains("hostile-log-end") && $0.applicationName == "hostile_control" }
            }
            try #require(complete, "the statement log was written")
            let byName = Dictionary(grouping: log.lines, by: \.applicationName)
            // The schema's name, quoted, is the one name a statement may hold as given: a read
            // that checks nothing first (`failed`) names the schema straight away, and the
            // server's own error says whether it exists. So in a statement, the quoted --schema
            // value counts as the schema, and the statement must still be a known one.
            func normalized(_ sql: String, _ run: Run) -> String {
                var names = ["salesforce", "other", Self.weirdSchema]
                if let place = run.place, place.label == "schema", let value = run.value, !value.isEmpty,
                    !value.utf8.contains(0)
                {
                    names.append(value)
                }
                var text = sql
                for name in names {
                    text = text.replacingOccurrences(of: try! SQLIdentifier(name).quoted, with: "\"<schema>\"")
                        .replacingOccurrences(of: try! SQLIdentifier(name + ".hc_trigger_log").quoted, with: "\"<schema>.channel\"")
                }
                return text
            }

            var known = Set<String>()
            for run in baseline {
                for line in byName[run.applicationName] ?? [] {
                    for sql in line.statements { known.insert(normalized(sql, run)) }
                }
            }
            #expect(known.count > 20, "the baseline sent hcconnect's statements: \(known.count)")
            let knownText = known.joined(separator: "\n")

            var statementsChecked = 0
            var refusals: [Int32: Int] = [:]
            for run in hostile {
                let lines = byName[run.applicationName] ?? []
                for line in lines {
                    for sql in line.statements {
                        statementsChecked += 1
                        #expect(known.contains(normalized(sql, run)), "\(Self.describe(run)) sent a statement never seen: \(sql.prefix(500))")
                        if let value = run.value, value.count >= 2, run.place != nil, run.place?.label != "schema",
                            !knownText.contains(value)
                        {
                            #expect(!sql.contains(value), "\(Self.describe(run)): the value is in the statement's text")
                        }
                    }
                    if line.severity != "LOG", line.sqlState == "42P01", run.place?.label == "schema" {
                        // the unchecked first read of `failed`: the server took the whole value as
                        // one schema name
                        #expect(line.message.hasPrefix("relation \"" + String((run.value ?? "").prefix(10))), "\(line.message)")
                    } else if line.severity != "LOG" {
                        #expect(!line.sqlState.hasPrefix("42"), "\(Self.describe(run)): \(line.sqlState) \(line.message)")
                    }
                }
                refusals[run.result.status, default: 0] += 1
                Self.expectOutcome(run)
            }
            print("hostile input: \(hostile.count) runs, \(baseline.count) baseline runs, \(known.count) known statements,"
                  + " \(statementsChecked) statements checked, exit codes \(refusals.sorted { $0.key < $1.key })")
            #expect(try control.query(Self.fingerprintSQL)[0].string(0)! == reference)
        }

        /// What a refusal may say instead of the option's name.
        static let alternativeNames: [String: [String]] = [
            "--table": ["table"], "--fields": ["column"], "--columns": ["column"], "table": ["argument"], "id": ["argument"],
            "record": ["argument"], "record_id": ["argument"], "--log-format": ["log-format"],
        ]

        /// One line for a failure message: the command line, with long values cut.
        static func describe(_ run: Run) -> String {
            let arguments = run.arguments.map { $0.count > 60 ? String($0.prefix(40)) + "...(\($0.utf8.count) bytes)" : $0 }
            return "hcconnect " + arguments.map { $0.debugDescription }.joined(separator: " ")
        }

        /// The run ended with a documented code; a refusal is one line naming the input, and
        /// nothing on standard output; a value with a NUL byte is always refused.
        static func expectOutcome(_ run: Run) {
            let result = run.result
            let what = describe(run)
            #expect([0, 1, 2, 3, 65].contains(result.status), "\(what): exit \(result.status): \(result.stderr.prefix(500))")
            if let value = run.value, value.utf8.contains(0) {
                #expect(result.status == 2, "\(what): a NUL byte is refused, exit \(result.status) \(result.stderr.prefix(300))")
            }
            guard result.status >= 2 else { return }
            let lines = result.stderr.split(separator: "\n")
            #expect(lines.count == 1, "\(what): one line: \(result.stderr.prefix(500))")
            #expect(result.stderr.hasPrefix("hcconnect: "), "\(what): \(result.stderr.prefix(300))")
            if let place = run.place, let value = run.value {
                // names the option, or what the value was taken for, or quotes the value
                let names = [place.label] + (Self.alternativeNames[place.label] ?? [])
                let quoted = String(DisplayTextForTests.printable(value).prefix(20))
                let message = result.stderr.lowercased()
                #expect(
                    names.contains { message.contains($0.lowercased()) } || (!quoted.isEmpty && message.contains(quoted.lowercased())),
                    "\(what): exit \(result.status) does not name \(place.label): \(result.stderr.prefix(300))")
            }
            #expect(result.stdout.isEmpty, "\(what): \(result.stdout.prefix(300))")
            #expect(!result.stderr.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" }, "\(what): a control character")
        }
    }
}
