import Foundation
import Postgres
import TestSupport
import Testing

/// `hcconnect console` driven in a real terminal (tmux), as a person at 80×24 would use it:
/// navigate to a cause, open an entry, mark three entries and retry them through the
/// preview and its confirmation; a failure written by another session appears on its own;
/// a resize redraws; every way out leaves the terminal as it was; `--read-only` refuses.
extension IntegrationSuites {
    @Suite(.tags(.process)) struct ConsoleTerminalTests {
        static let lockError = "UNABLE_TO_LOCK_ROW: unable to obtain exclusive access to this record or 1 records: 0015e00000AbCdEAAV"
        static let duplicateError = "DUPLICATE_VALUE: duplicate value found: External_Id__c duplicates value on record with id: 0015e00000XyZabAAF"

        /// Three lock errors on account, two duplicates on contact, one archived lock error.
        private func prepare(_ schema: ConnectTestSchema) throws -> (lock: [Int], duplicate: [Int], archived: Int) {
            var lock: [Int] = []
            for record in 1...3 {
                lock.append(try schema.insertEntry(table: "account", recordID: record, message: Self.lockError, createdAgo: "\(record) hours"))
            }
            var duplicate: [Int] = []
            for record in 4...5 {
                duplicate.append(
                    try schema.insertEntry(table: "contact", recordID: record, message: Self.duplicateError, createdAgo: "\(record) hours"))
            }
            let archived = try schema.insertEntry(
                archived: true, table: "opportunity", recordID: 6, message: Self.lockError, createdAgo: "3 days")
            return (lock, duplicate, archived)
        }

        private func console(
            _ schema: ConnectTestSchema, _ arguments: [String] = [], columns: Int = 80, rows: Int = 24,
            environment: [String: String] = [:]
        ) throws -> TmuxTerminal {
            var variables = environment
            variables["DATABASE_URL"] = try TestDatabase.url
            variables["HEROKU_CONNECT_SCHEMA"] = schema.name
            return try TmuxTerminal(
                [TestDatabase.packageRoot.appendingPathComponent(".build/debug/hcconnect").path, "console"] + arguments,
                columns: columns, rows: rows, environment: variables)
        }

        private func states(_ schema: ConnectTestSchema, _ ids: [Int]) throws -> [String] {
            try schema.connection.query(
                "SELECT state FROM \(schema.quoted)._trigger_log WHERE id = ANY($1::int[]) ORDER BY id", [.array(ids)]
            ).map { $0.string(0) ?? "NULL" }
        }

        /// The terminal after the program: the normal screen, the cursor shown, echo and
        /// line input on.
        private func expectRestored(_ terminal: TmuxTerminal, sourceLocation: SourceLocation = #_sourceLocation) throws {
            #expect(try !terminal.isAlternateScreenOn, "alternate screen left", sourceLocation: sourceLocation)
            #expect(try terminal.isCursorVisible, "cursor shown", sourceLocation: sourceLocation)
            let modes = try terminal.modes()
            #expect(modes.echo && modes.canonical, "echo and line input on: \(modes.description)", sourceLocation: sourceLocation)
        }

        @Test func aCauseAnEntryThreeMarksAndARetryWithItsPreview() throws {
            try TestDatabase.withConnectSchema { schema in
                let ids = try prepare(schema)
                let folder = FileManager.default.temporaryDirectory.appendingPathComponent("console-\(schema.name)").path
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
                defer { try? FileManager.default.removeItem(atPath: folder) }
                let terminal = try console(schema, environment: ["HCCONNECT_AUDIT_LOG": folder + "/audit.jsonl"])
                defer { terminal.close() }
                var screen = try terminal.waitFor("FAILED 6")
                #expect(screen[0].contains(schema.name) && screen[0].contains("merged writes"))
                #expect(try terminal.isAlternateScreenOn)
                #expect(try !terminal.isCursorVisible)

                // the causes, most entries first; Enter opens the entries of one
                try terminal.sendKeys("2")
                screen = try terminal.waitFor("DUPLICATE_VALUE")
                let lockLine = try #require(screen.firstIndex { $0.contains("UNABLE_TO_LOCK_ROW") })
                let duplicateLine = try #require(screen.firstIndex { $0.contains("DUPLICATE_VALUE") })
                #expect(lockLine < duplicateLine)
                #expect(screen[lockLine].contains(" 4 "))
                try terminal.sendKeys("Enter")
                screen = try terminal.waitFor("cause UNABLE_TO_LOCK_ROW")
                for id in ids.lock + [ids.archived] { #expect(screen.contains { $0.hasPrefix("   \(id) ") }, "entry \(id) listed") }
                #expect(!screen.contains { $0.contains("DUPLICATE_VALUE") })

                // an entry in full, with its record's history
                try terminal.sendKeys("Enter")
                screen = try terminal.waitFor("History of the record")
                #expect(screen.contains { $0.contains("Entry \(ids.lock[0])") })
                try terminal.sendKeys("Escape")
                try terminal.waitFor("cause UNABLE_TO_LOCK_ROW")

                // three marks, then the preview names the count and the groups
                try terminal.sendKeys("m", "m", "m")
                try terminal.waitFor("3 marked")
                try terminal.sendKeys("r")
                screen = try terminal.waitFor("Retry these 3 entries?")
                #expect(screen.contains { $0.contains("merged writes") })
                #expect(screen.contains { $0.contains("account") && $0.contains("UNABLE_TO_LOCK_ROW") && $0.contains(" 3 ") })
                #expect(try states(schema, ids.lock) == ["FAILED", "FAILED", "FAILED"], "nothing changes before y")
                try terminal.sendKeys("y")
                screen = try terminal.waitFor("3 changed")
                // the newest three of the cause, the live ones; the archived one and the
                // other cause are left as they were
                #expect(try states(schema, ids.lock) == ["NEW", "NEW", "NEW"])
                #expect(try states(schema, ids.duplicate) == ["FAILED", "FAILED"])
                let archived = try schema.connection.query(
                    "SELECT state FROM \(schema.quoted)._trigger_log_archive WHERE id = $1", [.int(ids.archived)])
                #expect(archived[0].string(0) == "FAILED")
                let audit = try String(contentsOfFile: folder + "/audit.jsonl", encoding: .utf8)
                #expect(audit.contains("\"action\":\"retry\""))

                try terminal.sendKeys("Escape", "q")
                let exit = try terminal.waitForExit()
                #expect(exit.status == 0)
                try expectRestored(terminal)
            }
        }

        @Test func aCauseIsIgnoredWholeFromTheCausesView() throws {
            try TestDatabase.withConnectSchema { schema in
                let ids = try prepare(schema)
                let terminal = try console(schema)
                defer { terminal.close() }
                try terminal.waitFor("FAILED 6")
                try terminal.sendKeys("2")
                try terminal.waitFor("DUPLICATE_VALUE")
                try terminal.sendKeys("I")  // the first cause: the lock errors, 4 entries in both log tables
                let screen = try terminal.waitFor("Ignore these 4 entries?")
                #expect(screen.contains { $0.contains("the 4 FAILED entries of the cause UNABLE_TO_LOCK_ROW") })
                try terminal.sendKeys("y")
                try terminal.waitFor("4 changed")
                #expect(try states(schema, ids.lock) == ["IGNORED", "IGNORED", "IGNORED"])
                #expect(try states(schema, ids.duplicate) == ["FAILED", "FAILED"])
                let archived = try schema.connection.query(
                    "SELECT state FROM \(schema.quoted)._trigger_log_archive WHERE id = $1", [.int(ids.archived)])
                #expect(archived[0].string(0) == "IGNORED")
                try terminal.sendKeys("Escape")
                try terminal.waitFor("FAILED 2")
            }
        }

        @Test func aFailureWrittenByAnotherSessionAppearsWithinFiveSeconds() throws {
            try TestDatabase.withConnectSchema { schema in
                _ = try prepare(schema)
                let terminal = try console(schema)
                defer { terminal.close() }
                try terminal.waitFor("FAILED 6")
                try terminal.sendKeys("3")
                try terminal.waitFor("6 entries")
                try schema.insertEntry(table: "account", recordID: 9, message: "FIELD_INTEGRITY_EXCEPTION: a new failure", createdAgo: "1 second")
                let screen = try terminal.waitFor("FIELD_INTEGRITY_EXCEPTION", timeout: .seconds(5))
                #expect(screen[1].contains("FAILED 7"))
                #expect(screen.contains { $0.contains("7 entries") })
            }
        }

        @Test func theListGoesToItsEndAndBackAPageAtATime() throws {
            try TestDatabase.withConnectSchema { schema in
                let ids = try prepare(schema)
                // enough entries for several pages (the console reads 100 at a time)
                try schema.connection.execute(
                    """
                    INSERT INTO \(schema.quoted)._trigger_log (table_name, record_id, action, state, sf_message, created_at)
                    SELECT 'account', n, 'UPDATE', 'FAILED', 'X_ERROR: bulk ' || n, now() - interval '1 day' - n * interval '1 minute'
                    FROM generate_series(1, 250) AS n
                    """)
                let terminal = try console(schema)
                defer { terminal.close() }
                try terminal.waitFor("FAILED 256")
                try terminal.sendKeys("3")
                try terminal.waitFor("256 entries · at 1")
                try terminal.sendKeys("G")
                var screen = try terminal.waitFor("at 256")
                // the oldest: the archived entry of three days ago, on the last line of the list
                #expect(screen.contains { $0.hasPrefix("   \(ids.archived) ") })
                for _ in 0..<20 { try terminal.sendKeys("PageUp") }
                screen = try terminal.waitUntil("back at the first entry") { $0[2].hasSuffix("· at 1") }
                #expect(screen.contains { $0.hasPrefix("   \(ids.lock[0]) ") }, "back at the newest")
                try terminal.sendKeys("G")
                try terminal.waitFor("at 256")
                try terminal.sendKeys("g")
                try terminal.waitUntil("at the first entry again") { $0[2].hasSuffix("· at 1") }
            }
        }

        @Test func aResizeRedrawsAtTheNewSize() throws {
            try TestDatabase.withConnectSchema { schema in
                _ = try prepare(schema)
                let terminal = try console(schema)
                defer { terminal.close() }
                var screen = try terminal.waitFor("FAILED 6")
                #expect(screen.count == 24)
                let liveColumn = try #require(screen[0].range(of: "live")).lowerBound.utf16Offset(in: screen[0])
                try terminal.resize(columns: 120, rows: 40)
                screen = try terminal.waitUntil("the header reaches column 120") { screen in
                    // the key line on the last row: the whole frame is there
                    screen.count == 40 && screen[39].contains("q:quit")
                        && (screen[0].range(of: "live").map { $0.lowerBound.utf16Offset(in: screen[0]) > 100 } ?? false)
                }
                #expect(!screen[23].contains("q:quit"), "the old key line is gone")
                try terminal.resize(columns: 80, rows: 24)
                screen = try terminal.waitUntil("back at 80×24") { screen in
                    screen.count == 24 && screen[23].contains("q:quit")
                        && screen[0].range(of: "live").map { $0.lowerBound.utf16Offset(in: screen[0]) } == liveColumn
                }
            }
        }

        @Test func aTerminalTooSmallSaysSoAndTheViewsComeBack() throws {
            try TestDatabase.withConnectSchema { schema in
                _ = try prepare(schema)
                let terminal = try console(schema)
                defer { terminal.close() }
                try terminal.waitFor("FAILED 6")
                try terminal.resize(columns: 40, rows: 10)
                try terminal.waitFor("needs at least 50×12")
                try terminal.resize(columns: 80, rows: 24)
                try terminal.waitFor("FAILED 6")
            }
        }

        @Test func aLostConnectionIsShownAndTheConsoleReconnects() throws {
            try TestDatabase.withConnectSchema { schema in
                _ = try prepare(schema)
                let terminal = try console(schema)
                defer { terminal.close() }
                try terminal.waitFor("FAILED 6")
                let ended = try schema.connection.query(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'hcconnect'"
                        + " AND pid <> pg_backend_pid() AND strpos(query, $1) > 0", [.text(schema.name)])
                #expect(try ended[0].int(0) == 1, "the console's session was found and ended")
                try terminal.waitFor("reconnecting")
                try terminal.waitFor("reconnected at")
                // and it is live again: a new failure appears
                try schema.insertEntry(table: "account", recordID: 9, message: "FIELD_INTEGRITY_EXCEPTION: after the reconnection")
                let screen = try terminal.waitFor("FAILED 7")
                #expect(screen[0].contains("● live"))
            }
        }

        @Test(arguments: [("q", Int32(0)), ("C-c", Int32(130)), ("SIGTERM", Int32(143)), ("SIGHUP", Int32(129))])
        func everyWayOutLeavesTheTerminalAsItWas(_ way: String, _ status: Int32) throws {
            try TestDatabase.withConnectSchema { schema in
                _ = try prepare(schema)
                let terminal = try console(schema)
                defer { terminal.close() }
                try terminal.waitFor("FAILED 6")
                try terminal.sendKeys("3")  // a view with a list and a highlighted line
                try terminal.waitFor("6 entries")
                switch way {
                case "SIGTERM": try terminal.sendSignal(SIGTERM)
                case "SIGHUP": try terminal.sendSignal(SIGHUP)
                default: try terminal.sendKeys(way)
                }
                let exit = try terminal.waitForExit()
                #expect(exit.status == status)
                try expectRestored(terminal)
            }
        }

        @Test func aCrashLeavesTheTerminalAsItWas() throws {
            try TestDatabase.withConnectSchema { schema in
                let terminal = try console(schema, environment: ["HCCONNECT_CONSOLE_TEST_CRASH": "1"])
                defer { terminal.close() }
                let exit = try terminal.waitForExit()
                #expect(exit.status > 128, "ended by the crash's signal")
                try expectRestored(terminal)
            }
        }

        @Test func readOnlyRefusesEveryAction() throws {
            try TestDatabase.withConnectSchema { schema in
                let ids = try prepare(schema)
                let terminal = try console(schema, ["--read-only"])
                defer { terminal.close() }
                let screen = try terminal.waitFor("FAILED 6")
                #expect(screen[0].contains("read-only"))
                try terminal.sendKeys("3")
                try terminal.waitFor("6 entries")
                try terminal.sendKeys("m")
                for key in ["r", "i", "u", "R", "I"] {
                    try terminal.sendKeys(key)
                    try terminal.waitFor("Read-only console")
                    try terminal.sendKeys("Escape")
                    try terminal.waitUntil("the dialog closed") { !$0.contains { $0.contains("Read-only console") } }
                }
                try terminal.sendKeys("2")
                try terminal.waitFor("DUPLICATE_VALUE")
                try terminal.sendKeys("R")
                try terminal.waitFor("Read-only console")
                #expect(try states(schema, ids.lock + ids.duplicate) == Array(repeating: "FAILED", count: 5))
            }
        }

        @Test func withAnAppTheConsoleTakesTheConnectionsWriteMode() throws {
            try TestDatabase.withConnectSchema { schema in
                _ = try prepare(schema)
                let standIn = HerokuAPIStandIn.scenarios(databaseURL: try TestDatabase.url, schema: schema.name)
                let server = try LocalHTTPServer { standIn.handle($0) }
                defer { server.stop() }
                standIn.baseURL = server.baseURL
                let terminal = try TmuxTerminal(
                    [TestDatabase.packageRoot.appendingPathComponent(".build/debug/hcconnect").path, "console", "-a", "ordered-app"],
                    environment: [
                        "HEROKU_API_KEY": HerokuAPIStandIn.demoToken, "HCCONNECT_HEROKU_API_URL": server.baseURL,
                        "HCCONNECT_CONNECT_API_URL": server.baseURL,
                    ])
                defer { terminal.close() }
                var screen = try terminal.waitFor("FAILED 6")
                #expect(screen[0].contains("\(schema.name) · ordered writes"))
                try terminal.sendKeys("3")
                try terminal.waitFor("6 entries")
                try terminal.sendKeys("r")
                screen = try terminal.waitFor("Retry this entry?")
                #expect(screen.contains { $0.contains("Write mode: ordered (app ordered-app's connection)") })
                #expect(!screen.joined().contains(HerokuAPIStandIn.demoToken))
                try terminal.sendKeys("n", "q")
                #expect(try terminal.waitForExit().status == 0)
            }
        }

        /// The overview at 80×24, line by line (the clock and the ages, which move, masked).
        @Test func theOverviewAt80x24() throws {
            try TestDatabase.withConnectSchema { schema in
                _ = try prepare(schema)
                let terminal = try console(schema)
                defer { terminal.close() }
                let screen = try terminal.waitFor("FAILED 6").map(Self.masked)
                let url = try TestDatabase.url
                let database = url.split(separator: "/").last.map { String($0.prefix { $0 != "?" }) } ?? url
                let expected = [
                    " hcconnect · \(database) · \(schema.name) · merged writes",
                    "  1 Overview   2 Causes   3 Entries   FAILED 6",
                    "  Backlog         0 waiting",
                    "  FAILED          6 now, oldest AGE old",
                    "  Last processed  AGE ago",
                    "",
                    "  TABLE                    FAILED   BACKLOG  OLDEST FAILED",
                    "  account                       3         0  AGE",
                    "  contact                       2         0  AGE",
                    "  opportunity                   1         0  AGE",
                    "",
                    "  Failures per hour, last 24 hours (all tables) · p: table · d: per day",
                ]
                for (index, line) in expected.enumerated() {
                    #expect(screen[index].hasPrefix(line), "line \(index + 1): \(screen[index])")
                }
                #expect(screen[0].hasSuffix("● live CLOCK"))
                #expect(screen[12].hasPrefix("  1 ┤"), "the scale: the most failures in an hour")
                #expect(screen.contains { $0.hasPrefix("  0 └") }, "the axis")
                #expect(screen[23].hasPrefix(" ?:keys"))
                #expect(screen.allSatisfy { $0.count <= 80 })
            }
        }

        /// The clock and ages masked: `12:03:04` → CLOCK, `2h 5m`, `59s` → AGE.
        static func masked(_ line: String) -> String {
            let result = line.replacing(/\d\d:\d\d:\d\d/, with: "CLOCK")
            // an age stands alone: after a space, before a space or the end
            return result.replacing(/\ (\d+[dhms] ?)+(?= |$)/, with: " AGE")
        }
    }
}
