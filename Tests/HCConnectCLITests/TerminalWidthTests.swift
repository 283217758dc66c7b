@testable import HCConnectCLI
import Foundation
import TestSupport
import Testing

extension IntegrationSuites {
    /// Every table, summary and note fits the terminal it is on, at 80, 120 and 200 columns:
    /// columns go or narrow in their documented order and the message gets the room left.
    @Suite(.tags(.process)) struct TerminalWidthTests {
        /// A generated log of 22,000 entries (counts in the thousands, every state), a deleted
        /// mapping's entries with a long name, and long messages.
        private func fill(_ schema: ConnectTestSchema) throws -> (failed: Int, record: Int) {
            try schema.connection.execute("SELECT hcemu.generate_log($1, 20000, 2000, 0.1)", [.text(schema.name)])
            let long = String(repeating: "a very long Salesforce message ", count: 12)
            try schema.insertEntry(table: "Very_Long_Custom_Object_Name__c", recordID: 77, message: "FIELD_INTEGRITY_EXCEPTION: " + long)
            let failed = try schema.insertEntry(table: "opportunity", recordID: 99_999_999, message: "STRING_TOO_LONG: " + long)
            return (failed, 99_999_999)
        }

        /// The lines of a text as a terminal shows them (colour codes take no room).
        private func overlong(_ text: String, _ width: Int) -> [String] {
            text.split(separator: "\n").map(String.init).filter { DisplayText.width($0) > width }
        }

        @Test func everyCommandFitsTheTerminal() throws {
            try TestDatabase.withConnectSchema { schema in
                let (failed, record) = try fill(schema)
                let commands: [[String]] = [
                    ["failed"], ["failed", "--all"], ["list", "--limit", "30"], ["errors"], ["errors", "--by-table"],
                    ["stats"], ["tables"], ["related", String(failed)], ["history", "opportunity", String(record)],
                    ["show", String(failed)], ["retry", "--failed", "--dry-run", "--table", "opportunity"],
                    ["ignore", "--failed", "--dry-run", "--max", "1500"],
                    ["cleanup", "--dry-run", "--retry-matching", "UNABLE_TO_LOCK_ROW", "--ignore-older-than", "1d"],
                    ["check", "--max-failed", "0"], ["help"], ["help", "retry"], ["retry", "--help"], ["help", "cleanup"],
                ]
                for width in [80, 120, 200] {
                    for command in commands {
                        let result = try hcconnect(command, schema: schema.name, terminal: true, columns: width, inputIsTerminal: true)
                        #expect(result.status <= 1, "\(command) at \(width): \(result.stderr)")
                        for (name, text) in [("output", result.stdout), ("error", result.stderr)] {
                            let lines = overlong(text, width)
                            #expect(lines.isEmpty, "\(command) at \(width), standard \(name): \(lines)")
                        }
                    }
                }
            }
        }

        /// At 80 columns `failed` keeps ID, CREATED, ACTION, TABLE, RECORD and the message;
        /// at 200 it shows every column and the message whole.
        @Test func theDocumentedColumnsGoFirst() throws {
            try TestDatabase.withConnectSchema { schema in
                _ = try fill(schema)
                let narrow = try hcconnect(["failed", "--limit", "5", "--no-color"], schema: schema.name, terminal: true, columns: 80)
                #expect(narrow.lines[0].split(separator: " ") == ["ID", "CREATED", "ACTION", "TABLE", "RECORD", "MESSAGE"])
                let medium = try hcconnect(["failed", "--limit", "5", "--no-color"], schema: schema.name, terminal: true, columns: 120)
                #expect(medium.lines[0].split(separator: " ") == ["ID", "IN", "CREATED", "STATE", "ACTION", "TABLE", "RECORD", "MESSAGE"])
                let wide = try hcconnect(["failed", "--limit", "5", "--no-color"], schema: schema.name, terminal: true, columns: 200)
                #expect(wide.lines[0].split(separator: " ").contains("SFID"))
                // list shows several states: there STATE stays longer than IN and ACTION
                let list = try hcconnect(["list", "--limit", "5", "--no-color"], schema: schema.name, terminal: true, columns: 80)
                #expect(list.lines[0].split(separator: " ") == ["ID", "CREATED", "STATE", "TABLE", "RECORD", "MESSAGE"])
                let stats = try hcconnect(["stats"], schema: schema.name, terminal: true, columns: 80)
                #expect(stats.stdout.contains("(not shown at this width: "), "\(stats.stdout)")
                #expect(stats.stdout.contains("FAILED"))
                let statsWide = try hcconnect(["stats"], schema: schema.name, terminal: true, columns: 200)
                #expect(!statsWide.stdout.contains("not shown"))
            }
        }

        /// A real terminal: hcconnect asks it its size (TIOCGWINSZ); COLUMNS wins when set.
        @Test func theTerminalsOwnSizeIsUsed() throws {
            try TestDatabase.withConnectSchema { schema in
                _ = try fill(schema)
                let environment = ["DATABASE_URL": try TestDatabase.url, "HEROKU_CONNECT_SCHEMA": schema.name]
                for (columns, variable) in [(80, nil), (120, nil), (200, nil), (200, "90")] as [(Int, String?)] {
                    var withColumns = environment
                    withColumns["COLUMNS"] = variable
                    for command in [["failed"], ["errors"], ["stats"], ["tables"]] {
                        let terminal = try TerminalSession.hcconnect(command, environment: withColumns, columns: columns, rows: 50)
                        let result = try terminal.wait()
                        #expect(result.status == 0, "\(command): \(result.screen)")
                        let width = variable.flatMap(Int.init) ?? columns
                        #expect(overlong(result.screen, width).isEmpty, "\(command) at \(width): \(overlong(result.screen, width))")
                        if command == ["failed"], width == 200 {
                            #expect(result.screen.contains("SFID"), "the whole width is used")
                        }
                    }
                }
            }
        }

        /// Piped, a table is for scripts and written whole; asked for by name (--format table),
        /// it is for a person and fits COLUMNS, else 80.
        @Test func aPipeGetsTheWholeTableUnlessATableWasAskedFor() throws {
            try TestDatabase.withConnectSchema { schema in
                _ = try fill(schema)
                let piped = try hcconnect(["failed"], schema: schema.name)
                #expect(!overlong(piped.stdout, 200).isEmpty, "messages are whole")
                let asked = try hcconnect(["failed", "--format", "table"], schema: schema.name)
                #expect(overlong(asked.stdout, 80).isEmpty)
                let columns = try hcconnect(["errors", "--format", "table"], schema: schema.name, environment: ["COLUMNS": "120"])
                #expect(overlong(columns.stdout, 120).isEmpty)
                #expect(!overlong(columns.stdout, 80).isEmpty, "COLUMNS=120 is used")
            }
        }
    }
}
