import Foundation
import Postgres
import TestSupport
import Testing

extension IntegrationSuites {
    /// The one confirmation rule, run as a person meets it: the built executable on a
    /// pseudo-terminal of 80 columns (and without one, as cron runs it). Selections that change
    /// entries ask at a terminal and show what will happen; explicit ids and dry runs never ask;
    /// without a terminal a selection needs --yes.
    @Suite(.tags(.process)) struct ConfirmationTests {
        /// Failures of three codes over two tables, one whose record is gone (left alone by a
        /// retry), and entries in other states.
        struct Fixture {
            let schema: ConnectTestSchema
            var duplicates: [Int] = []
            var locks: [Int] = []
            var gone = 0
            var other = 0

            init(_ schema: ConnectTestSchema) throws {
                self.schema = schema
                for record in 1...3 {
                    duplicates.append(try schema.insertEntry(
                        recordID: record, message: "DUPLICATE_VALUE: duplicate value found: External_Id__c"))
                }
                locks.append(try schema.insertEntry(
                    table: "contact", recordID: 10, message: "UNABLE_TO_LOCK_ROW: unable to obtain exclusive access"))
                locks.append(try schema.insertEntry(
                    archived: true, table: "contact", recordID: 11, message: "UNABLE_TO_LOCK_ROW: unable to obtain exclusive access",
                    createdAgo: "2 days"))
                gone = try schema.insertEntry(recordID: 99, message: "DUPLICATE_VALUE: duplicate value found", withRecord: false)
                other = try schema.insertEntry(state: "SUCCESS", recordID: 1)
            }

            var environment: [String: String] {
                get throws { ["DATABASE_URL": try TestDatabase.url, "HEROKU_CONNECT_SCHEMA": schema.name] }
            }

            /// Every entry's state, live and archived.
            func states() throws -> [String: String] {
                var states: [String: String] = [:]
                for table in ["_trigger_log", "_trigger_log_archive"] {
                    for row in try schema.connection.query("SELECT id, state FROM \(schema.quoted).\(table)") {
                        states["\(table == "_trigger_log" ? "live" : "archive") \(try row.int(0)!)"] = row.string(1)
                    }
                }
                return states
            }
        }

        @Test func aRetryOfASelectionShowsWhatWillHappenAndGoesAheadOnYes() throws {
            try TestDatabase.withConnectSchema { schema in
                let f = try Fixture(schema)
                let terminal = try TerminalSession.hcconnect(["retry", "--failed"], environment: try f.environment)
                #expect(terminal.waitFor("Type yes to go ahead, no to cancel: "), "\(terminal.screen)")
                let before = try f.states()
                #expect(before["live \(f.duplicates[0])"] == "FAILED", "nothing changes while the question waits")
                #expect(terminal.screen == """
                    hcconnect: about to retry 5 FAILED entries (merged writes):
                      TABLE    ERROR CODE          ENTRIES
                      account  DUPLICATE_VALUE           3
                      contact  UNABLE_TO_LOCK_ROW        2
                      left alone, not retried, the record no longer exists (still FAILED): 1
                    Retry these 5 entries? Type yes to go ahead, no to cancel: 
                    """)
                terminal.type("yes\n")
                let result = try terminal.wait()
                #expect(result.status == 1, "one entry was left alone: \(result.screen)")
                #expect(result.screen.contains("retry (merged writes): 6 requested, 5 changed, 1 left alone\n"))
                let after = try f.states()
                for id in f.duplicates + [f.locks[0]] { #expect(after["live \(id)"] == "NEW") }
                #expect(after["archive \(f.locks[1])"] == "REQUEUED")
                #expect(after["live \(f.gone)"] == "FAILED")
                #expect(after["live \(f.other)"] == "SUCCESS")
                for line in result.screen.split(separator: "\n") { #expect(line.count <= 80, "\(line)") }
            }
        }

        @Test(arguments: [("no\n", "not confirmed; nothing was changed"), ("y\n", "not confirmed ('y' is not yes); nothing was changed")])
        func anyAnswerButYesChangesNothing(_ answer: String, _ message: String) throws {
            try TestDatabase.withConnectSchema { schema in
                let f = try Fixture(schema)
                let before = try f.states()
                for command in [["ignore", "--failed"], ["retry", "--failed", "--table", "account"],
                                ["cleanup", "--ignore-matching", "DUPLICATE_VALUE"]] {
                    let terminal = try TerminalSession.hcconnect(command, environment: try f.environment)
                    #expect(terminal.waitFor("Type yes to go ahead, no to cancel: "), "\(command): \(terminal.screen)")
                    terminal.type(answer)
                    let result = try terminal.wait()
                    #expect(result.status == 1, "\(command): \(result.screen)")
                    #expect(result.screen.hasSuffix("hcconnect: \(message)\n"), "\(command): \(result.screen)")
                    #expect(try f.states() == before, "\(command)")
                }
                // Ctrl-D: no answer
                let terminal = try TerminalSession.hcconnect(["ignore", "--failed"], environment: try f.environment)
                #expect(terminal.waitFor("Type yes to go ahead, no to cancel: "))
                terminal.endInput()
                let result = try terminal.wait()
                #expect(result.status == 1)
                #expect(result.screen.hasSuffix("\nhcconnect: not confirmed (no answer); nothing was changed\n"), "\(result.screen)")
                #expect(try f.states() == before)
            }
        }

        @Test func cleanupAsksWithItsPlanAndChangesOnlyWhatWasShown() throws {
            try TestDatabase.withConnectSchema { schema in
                let f = try Fixture(schema)
                let terminal = try TerminalSession.hcconnect(
                    ["cleanup", "--retry-matching", "UNABLE_TO_LOCK_ROW", "--ignore-matching", "DUPLICATE_VALUE"],
                    environment: try f.environment)
                #expect(terminal.waitFor("Type yes to go ahead, no to cancel: "), "\(terminal.screen)")
                #expect(terminal.screen == """
                    hcconnect: about to retry 2 FAILED entries (merged writes), then ignore 4 FAILED
                      entries:
                      TABLE    ERROR CODE          ENTRIES
                      account  DUPLICATE_VALUE           4
                      contact  UNABLE_TO_LOCK_ROW        2
                    Go ahead with these 6 entries? Type yes to go ahead, no to cancel: 
                    """)
                // a failure that arrives while the question waits is not part of what was confirmed
                let late = try schema.insertEntry(recordID: 2, message: "DUPLICATE_VALUE: arrived later")
                // and no lock is held meanwhile: another cleanup's dry run and a listing go on
                #expect(try hcconnect(["cleanup", "--ignore-matching", "X_Y", "--dry-run"], schema: schema.name).status == 0)
                terminal.type("yes\n")
                let result = try terminal.wait()
                #expect(result.status == 0, "\(result.screen)")
                let after = try f.states()
                #expect(after["live \(late)"] == "FAILED")
                for id in f.duplicates + [f.gone] { #expect(after["live \(id)"] == "IGNORED") }
                #expect(after["live \(f.locks[0])"] == "NEW")
            }
        }

        /// Standard output sent to a file is still a person's command: standard input and
        /// standard error are the terminal, so it asks.
        @Test func aPersonRedirectingTheOutputIsStillAsked() throws {
            try TestDatabase.withConnectSchema { schema in
                let f = try Fixture(schema)
                let terminal = try TerminalSession.hcconnect(
                    ["ignore", "--failed", "--code", "DUPLICATE_VALUE", "--format", "ids"], environment: try f.environment,
                    stdoutToFile: true)
                #expect(terminal.waitFor("Ignore these 4 entries? Type yes to go ahead, no to cancel: "), "\(terminal.screen)")
                terminal.type("yes\n")
                let result = try terminal.wait()
                #expect(result.status == 0)
                #expect(Set(result.stdout.split(separator: "\n").compactMap { Int($0) }) == Set(f.duplicates + [f.gone]))
            }
        }

        /// Named ids, --yes and --dry-run never ask, at a terminal or not.
        @Test func namedIdsYesAndDryRunsNeverAsk() throws {
            try TestDatabase.withConnectSchema { schema in
                let f = try Fixture(schema)
                try schema.ensureRecord(table: "account", id: 42)
                for command in [
                    ["retry", String(f.duplicates[0])], ["ignore", String(f.duplicates[1]), String(f.locks[1])],
                    ["capture-update", "account", "42", "--fields", "Name"], ["retry", "--failed", "--dry-run"],
                    ["cleanup", "--ignore-older-than", "1d", "--dry-run"], ["ignore", "--failed", "--table", "contact", "--yes"],
                    ["cleanup", "--ignore-matching", "DUPLICATE_VALUE", "--yes"],
                ] {
                    let terminal = try TerminalSession.hcconnect(command, environment: try f.environment)
                    let result = try terminal.wait(timeout: .seconds(30))
                    #expect(!result.screen.contains("Type yes"), "\(command): \(result.screen)")
                    #expect(result.status <= 1, "\(command): \(result.screen)")
                }
                let after = try f.states()
                #expect(after["live \(f.duplicates[0])"] == "NEW")
                #expect(after["live \(f.duplicates[1])"] == "IGNORED")
                #expect(after["live \(f.locks[0])"] == "IGNORED")
                #expect(after["live \(f.duplicates[2])"] == "IGNORED")
            }
        }

        /// Without a terminal (cron), every selection that changes entries is refused unless
        /// --yes, before it connects; ids, --yes and --dry-run go ahead.
        @Test func withoutATerminalASelectionNeedsYes() throws {
            try TestDatabase.withConnectSchema { schema in
                let f = try Fixture(schema)
                let before = try f.states()
                let nowhere = ["DATABASE_URL": "postgresql://127.0.0.1:1/never", "HEROKU_CONNECT_SCHEMA": schema.name]
                for (command, name) in [
                    (["retry", "--failed"], "retry --failed"), (["ignore", "--failed", "--code", "DUPLICATE_VALUE"], "ignore --failed"),
                    (["cleanup", "--retry-matching", "UNABLE_TO_LOCK_ROW"], "cleanup"),
                    (["cleanup", "--ignore-older-than", "1d", "--format", "json"], "cleanup"),
                ] {
                    let started = ContinuousClock.now
                    let result = try hcconnectProcess(command, environment: nowhere)
                    #expect(result.status == 2, "\(command): \(result.stderr)")
                    #expect(result.stderr == """
                        hcconnect: \(name) changes every entry it selects and there is no terminal to confirm at: add --yes \
                        to go ahead (or --dry-run to see what it would change)

                        """)
                    #expect(ContinuousClock.now - started < .seconds(1), "no connection was tried")
                }
                #expect(try f.states() == before)
                let yes = try hcconnectProcess(["ignore", "--failed", "--code", "UNABLE_TO_LOCK_ROW", "--yes"], environment: try f.environment)
                #expect(yes.status == 0, "\(yes.stderr)")
                #expect(try f.states()["archive \(f.locks[1])"] == "IGNORED")
            }
        }
    }
}
