import Foundation
import TestSupport
import Testing

extension IntegrationSuites {
    /// `--verbose` and `--log-format`: what the event log writes on standard error, and what
    /// it never writes (parameter values, passwords).
    @Suite(.tags(.database)) struct EventLogTests {
        private static let levels: Set<String> = ["debug", "info", "warning", "error"]

        /// Checks the fields every JSON line has, and returns the events.
        private func expectEvents(_ stderr: String, sourceLocation: SourceLocation = #_sourceLocation) -> [[String: Any]] {
            let lines = stderr.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
            #expect(stderr.hasSuffix("\n"), sourceLocation: sourceLocation)
            let events = jsonEventLines(stderr, sourceLocation: sourceLocation)
            #expect(events.count == lines.count, "every line is a JSON object", sourceLocation: sourceLocation)
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            for event in events {
                let time = event["time"] as? String ?? ""
                #expect(
                    time.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"#, options: .regularExpression) != nil,
                    "ISO 8601 UTC with milliseconds: \(time)", sourceLocation: sourceLocation)
                let date = formatter.date(from: time)
                #expect(date.map { abs($0.timeIntervalSinceNow) < 120 } == true, "\(time) is now", sourceLocation: sourceLocation)
                #expect(Self.levels.contains(event["level"] as? String ?? ""), "\(event)", sourceLocation: sourceLocation)
                #expect((event["event"] as? String)?.isEmpty == false, "\(event)", sourceLocation: sourceLocation)
                #expect(event["message"] is String, "\(event)", sourceLocation: sourceLocation)
            }
            return events
        }

        private func named(_ events: [[String: Any]], _ kind: String) -> [[String: Any]] {
            events.filter { $0["event"] as? String == kind }
        }

        private func fill(_ schema: ConnectTestSchema) throws -> (live: Int, archived: Int) {
            let live = try schema.insertEntry(state: "FAILED", table: "account", sfid: "0015e00000AbCdEAAV", message: "boom live")
            let archived = try schema.insertEntry(archived: true, state: "FAILED", table: "contact", message: "boom archived")
            return (live, archived)
        }

        @Test func everyLineOfSeveralCommandsIsAJSONEvent() throws {
            try TestDatabase.withConnectSchema { schema in
                let (live, archived) = try fill(schema)
                let log = ["--verbose", "--log-format", "json"]
                for arguments in [
                    ["failed"], ["failed", "--json"], ["list", "--in", "all"], ["show", String(live)], ["tables"],
                    ["related", String(live)], ["retry", String(archived), "--json"], ["ignore", String(live)],
                ] {
                    let result = try hcconnect(arguments + log, schema: schema.name)
                    #expect(result.status == 0, "\(arguments): \(result.stderr)")
                    let events = expectEvents(result.stderr)
                    #expect(named(events, "connect").count == 1, "\(arguments)")
                    #expect(named(events, "connected").count == 1, "\(arguments)")
                    #expect(!named(events, "statement").isEmpty, "\(arguments)")
                    #expect(!result.stdout.contains("\"event\""), "standard output holds data only: \(arguments)")
                }
            }
        }

        /// The summary a repair writes for people is part of standard error, so with
        /// --log-format json it is JSON lines too.
        @Test func aRepairSummaryOnStandardErrorIsJSONToo() throws {
            try TestDatabase.withConnectSchema { schema in
                _ = try fill(schema)
                let result = try hcconnect(["retry", "--failed", "--yes", "--verbose", "--log-format", "json"], schema: schema.name)
                #expect(result.status == 0, "\(result.stderr)")
                let events = expectEvents(result.stderr)
                let notes = events.filter { $0["event"] as? String == "note" }.compactMap { $0["message"] as? String }
                #expect(notes.first?.hasPrefix("retry (merged writes): 2 requested, 2 changed") == true, "\(notes)")
            }
        }

        @Test func statementsCarryTheirSQLDurationAndRowsButNeverParameterValues() throws {
            try TestDatabase.withConnectSchema { schema in
                _ = try fill(schema)
                let needle = "Needle-\(UUID().uuidString)"
                let sfid = "0015e00000XyZwVAAV"
                for arguments in [
                    ["failed", "--message", needle, "--sfid", sfid], ["list", "--message", needle],
                    ["retry", "--failed", "--message", needle, "--yes"], ["ignore", "--failed", "--sfid", sfid, "--yes"],
                ] {
                    let result = try hcconnect(arguments + ["--verbose", "--log-format", "json"], schema: schema.name)
                    #expect(result.status == 0, "\(arguments): \(result.stderr)")
                    #expect(!result.stderr.contains(needle), "\(arguments)")
                    #expect(!result.stderr.contains(sfid), "\(arguments)")
                    let statements = named(expectEvents(result.stderr), "statement")
                    #expect(!statements.isEmpty)
                    for statement in statements {
                        let sql = statement["sql"] as? String ?? ""
                        #expect(!sql.isEmpty && !sql.contains("\n"), "one line of SQL: \(sql)")
                        #expect((statement["duration_ms"] as? Double).map { $0 >= 0 && $0 < 60_000 } == true, "\(statement)")
                        #expect(statement["rows"] is Int, "\(statement)")
                        #expect(statement["failed"] as? Bool == false, "\(statement)")
                    }
                    // The filter's statement is there, with placeholders where the values went.
                    #expect(statements.contains { ($0["sql"] as? String)?.contains("ILIKE $") == true || ($0["sql"] as? String)?.contains("= ANY($") == true })
                }
            }
        }

        @Test func thePasswordInTheURLIsMasked() throws {
            try TestDatabase.withConnectSchema { schema in
                let password = "Pw-\(UUID().uuidString)"
                var components = try #require(URLComponents(string: try TestDatabase.url))
                components.password = password
                let url = try #require(components.string)
                let result = try hcconnect(
                    ["failed", "--verbose", "--log-format", "json", "--database-url", url], schema: schema.name)
                #expect(result.status == 0, "\(result.stderr)")
                #expect(!result.stderr.contains(password))
                let connect = try #require(named(expectEvents(result.stderr), "connect").first)
                #expect((connect["target"] as? String)?.contains(":***@") == true, "\(connect)")

                // A failure to connect does not show it either.
                components.path = "/no_such_database_\(UUID().uuidString.prefix(8))"
                let failed = try hcconnect(
                    ["failed", "--verbose", "--log-format", "json", "--retries", "0", "--database-url", try #require(components.string)],
                    schema: schema.name)
                #expect(failed.status == 69, "\(failed.stderr)")
                #expect(!failed.stderr.contains(password))
                #expect(named(expectEvents(failed.stderr), "error").count == 1)
            }
        }

        @Test func aRetryLogsOneBatchEventPerBatch() throws {
            try TestDatabase.withConnectSchema { schema in
                try TriggerLogFixture(schema).fillArchivedFailures(25)
                let result = try hcconnect(
                    ["retry", "--failed", "--yes", "--batch-size", "10", "--verbose", "--log-format", "json", "--json"],
                    schema: schema.name)
                #expect(result.status == 0, "\(result.stderr)")
                let batches = named(expectEvents(result.stderr), "batch")
                #expect(batches.map { $0["batch"] as? Int } == [1, 2, 3])
                #expect(batches.map { $0["handled"] as? Int } == [10, 20, 25])
                #expect(batches.map { $0["changed"] as? Int } == [10, 20, 25])
                #expect(batches.allSatisfy { $0["total"] as? Int == 25 })
                #expect(batches.first?["message"] as? String == "batch 1 committed: 10 of 25 entries handled, 10 changed")
            }
        }

        @Test func theFinalErrorIsAJSONLineWithTheExitStatus() throws {
            try TestDatabase.withConnectSchema { schema in
                for (arguments, status) in [
                    (["show", "987654321", "--verbose"], 3), (["show", "987654321"], 3),
                    (["failed", "--verbose", "--table", "nope"], 3),
                    (["retry", "--failed", "--yes", "--batch-size", "0", "--verbose"], 2),
                    (["failed", "--verbose", "--schema", "no_such_schema"], 65),
                ] as [([String], Int)] {
                    let result = try hcconnect(arguments + ["--log-format", "json"], schema: schema.name)
                    #expect(result.status == Int32(status), "\(arguments): \(result.stderr)")
                    let events = expectEvents(result.stderr)
                    let last = try #require(events.last)
                    #expect(last["event"] as? String == "error", "\(arguments)")
                    #expect(last["level"] as? String == "error")
                    #expect(last["exit_status"] as? Int == status)
                    #expect((last["message"] as? String)?.isEmpty == false)
                    #expect(named(events, "error").count == 1)
                    if !arguments.contains("--verbose") { #expect(events.count == 1, "without --verbose only the error") }
                }
                // Options that cannot be read leave no log format to speak of: one line of text.
                let bad = try hcconnect(["failed", "--log-format", "json", "--lock-timeout", "10"], schema: schema.name)
                #expect(bad.status == 2)
                #expect(bad.stderr.hasPrefix("hcconnect: --lock-timeout: "))
            }
        }

        @Test func textLinesStartWithTheProgramName() throws {
            try TestDatabase.withConnectSchema { schema in
                let (live, _) = try fill(schema)
                for arguments in [["failed"], ["list", "--in", "all"], ["show", String(live)], ["tables"], ["failed", "--table", "nope"]] {
                    let result = try hcconnect(arguments + ["--verbose"], schema: schema.name)
                    let lines = result.stderr.split(separator: "\n")
                    #expect(lines.count >= 4, "\(arguments): \(result.stderr)")
                    #expect(lines.allSatisfy { $0.hasPrefix("hcconnect: ") }, "\(arguments): \(result.stderr)")
                    #expect(!result.stderr.contains("\u{1B}"), "no colour when standard error is not a terminal")
                    #expect(lines.contains { $0.hasPrefix("hcconnect: sql: ") })
                }
                // Without --verbose, nothing but the results.
                let quiet = try hcconnect(["failed", "--json"], schema: schema.name)
                #expect(quiet.stderr.isEmpty)
            }
        }

        /// Retries while connecting are events too.
        @Test func retriesWhileConnectingAreLogged() throws {
            let result = try hcconnect(
                ["failed", "--verbose", "--log-format", "json", "--retries", "2"],
                environment: ["DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"])
            #expect(result.status == 69)
            let retries = named(expectEvents(result.stderr), "retry")
            #expect(retries.count == 2, "\(result.stderr)")
            #expect(retries.allSatisfy { $0["rule"] as? String == "connection" && $0["operation"] as? String == "connecting" })
            #expect(retries.map { $0["retry"] as? Int } == [1, 2])
        }
    }
}
