import Foundation
import TestSupport
import Testing

extension IntegrationSuites {
    /// `errors` against the emulation: groups, counts, times and ids in every format, the
    /// filters, a person's terminal, and bad command lines.
    @Suite(.tags(.database)) struct ErrorsCommandTests {
        /// Lock errors on two tables, live and archived; validation errors; one failure of
        /// another cause; an IGNORED lock error that must not count.
        struct Fixture {
            let schema: ConnectTestSchema
            var lockOld = 0, lockContact = 0, lockNew = 0, validationOld = 0, validationNew = 0, deleted = 0

            init(_ schema: ConnectTestSchema) throws {
                self.schema = schema
                let lock = "UNABLE_TO_LOCK_ROW: unable to obtain exclusive access to this record or 1 records: "
                lockOld = try schema.insertEntry(
                    archived: true, table: "account", recordID: 1, sfid: "0015e00000AbCdEAAV", message: lock + "0015e00000AbCdEAAV",
                    createdAgo: "4 days")
                validationOld = try schema.insertEntry(
                    archived: true, action: "INSERT", table: "account", recordID: 2,
                    message: "FIELD_CUSTOM_VALIDATION_EXCEPTION: Billing City is required for customers in Germany",
                    createdAgo: "3 days")
                lockContact = try schema.insertEntry(
                    archived: true, table: "contact", recordID: 5, sfid: "0035e00000XyZ12AAF", message: lock + "0035e00000XyZ12AAF",
                    createdAgo: "2 days")
                try schema.insertEntry(archived: true, state: "IGNORED", table: "account", message: lock + "0015e00000XyZaBAAV",
                                       createdAgo: "2 days")
                deleted = try schema.insertEntry(
                    action: "DELETE", table: "opportunity", recordID: 9, message: "ENTITY_IS_DELETED:entity is deleted:--",
                    createdAgo: "30 hours")
                validationNew = try schema.insertEntry(
                    table: "account", recordID: 3,
                    message: "FIELD_CUSTOM_VALIDATION_EXCEPTION:Billing City is required for customers in Germany:BillingCity --",
                    createdAgo: "20 hours")
                lockNew = try schema.insertEntry(
                    table: "account", recordID: 1, sfid: "0015e00000AbCdEAAV", message: lock + "0015e00000AbCdEAAV",
                    createdAgo: "1 hour")
                try schema.insertEntry(state: "SUCCESS", table: "account", createdAgo: "10 minutes")
            }

            /// `coalesce(processed_at, created_at)` of an entry, in ISO 8601 as hcconnect writes it.
            func seen(_ id: Int) throws -> String {
                let rows = try schema.connection.query(
                    "SELECT coalesce(processed_at, created_at) FROM (SELECT * FROM \(schema.quoted)._trigger_log UNION ALL "
                        + "SELECT * FROM \(schema.quoted)._trigger_log_archive) l WHERE id = $1", [.int(id)])
                return try #require(try rows[0].timestamp(0)).iso8601
            }
        }

        @Test func groupsAreWrittenAsJSONLines() throws {
            try TestDatabase.withConnectSchema { schema in
                let f = try Fixture(schema)
                let result = try hcconnect(["errors", "--json"], schema: schema.name)
                #expect(result.status == 0)
                #expect(result.stderr.isEmpty)
                let objects = try jsonLines(result.stdout)
                #expect(objects.map { $0["code"] as? String } == ["UNABLE_TO_LOCK_ROW", "FIELD_CUSTOM_VALIDATION_EXCEPTION", "ENTITY_IS_DELETED"])
                #expect(objects.map { $0["count"] as? Int } == [3, 2, 1])
                let lock = objects[0]
                #expect(Set(lock.keys) == Set([
                    "code", "message", "table", "count", "live", "archive", "tables", "first_seen", "last_seen", "example_ids",
                    "example_message",
                ]))
                #expect(lock["message"] as? String == "unable to obtain exclusive access to this record or <n> records: <id>")
                #expect(lock["table"] is NSNull)
                #expect(lock["live"] as? Int == 1)
                #expect(lock["archive"] as? Int == 2)
                #expect(lock["tables"] as? [String: Int] == ["account": 2, "contact": 1])
                #expect(lock["example_ids"] as? [Int] == [f.lockNew, f.lockContact, f.lockOld])
                #expect(lock["first_seen"] as? String == (try f.seen(f.lockOld)))
                #expect(lock["last_seen"] as? String == (try f.seen(f.lockNew)))
                #expect(lock["example_message"] as? String
                        == "UNABLE_TO_LOCK_ROW: unable to obtain exclusive access to this record or 1 records: 0015e00000AbCdEAAV")
                #expect(objects[1]["message"] as? String == "Billing City is required for customers in Germany")
                #expect(objects[1]["example_message"] as? String
                        == "FIELD_CUSTOM_VALIDATION_EXCEPTION:Billing City is required for customers in Germany:BillingCity --")
                #expect(objects[2]["message"] as? String == "entity is deleted")
                #expect(objects[2]["tables"] as? [String: Int] == ["opportunity": 1])
            }
        }

        @Test func groupsAreWrittenAsCSVAndAsATable() throws {
            try TestDatabase.withConnectSchema { schema in
                let f = try Fixture(schema)
                let csv = try hcconnect(["errors", "--format", "csv"], schema: schema.name)
                #expect(csv.status == 0)
                let rows = csv.stdout.components(separatedBy: "\r\n").filter { !$0.isEmpty }
                #expect(rows.count == 4)
                #expect(rows[0] == "code,message,table,count,live,archive,tables,first_seen,last_seen,example_ids,example_message")
                #expect(rows[1].hasPrefix(
                    "UNABLE_TO_LOCK_ROW,unable to obtain exclusive access to this record or <n> records: <id>,,3,1,2,account:2 contact:1,"
                        + (try f.seen(f.lockOld)) + "," + (try f.seen(f.lockNew)) + ",\(f.lockNew) \(f.lockContact) \(f.lockOld),"))
                #expect(rows[3].hasPrefix("ENTITY_IS_DELETED,entity is deleted,,1,1,0,opportunity:1,"))

                let table = try hcconnect(["errors"], schema: schema.name)
                #expect(table.status == 0)
                #expect(table.stderr.isEmpty)
                #expect(table.lines.count == 4)
                #expect(table.lines[0].split(separator: " ", omittingEmptySubsequences: true)
                        == ["COUNT", "FIRST", "SEEN", "LAST", "SEEN", "TABLES", "EXAMPLE", "IDS", "ERROR"])
                func words(_ line: String) -> [String] { line.split(separator: " ").map(String.init) }
                #expect(table.lines[1].hasPrefix("    3  "))
                #expect(words(table.lines[1]).dropFirst(5).prefix(5)
                        == ["account:2", "contact:1", "\(f.lockNew)", "\(f.lockContact)", "\(f.lockOld)"])
                #expect(table.lines[1].hasSuffix(
                    "  UNABLE_TO_LOCK_ROW: unable to obtain exclusive access to this record or <n> records: <id>"))
                #expect(words(table.lines[3]).dropFirst(5) == ["opportunity", "\(f.deleted)", "ENTITY_IS_DELETED:", "entity", "is", "deleted"])
                // Columns line up: each error starts under ERROR.
                let errorColumn = table.lines[0].utf16.count - "ERROR".utf16.count
                #expect(table.lines.dropFirst().map { String(decoding: $0.utf16.dropFirst(errorColumn), as: UTF16.self) } == [
                    "UNABLE_TO_LOCK_ROW: unable to obtain exclusive access to this record or <n> records: <id>",
                    "FIELD_CUSTOM_VALIDATION_EXCEPTION: Billing City is required for customers in Germany",
                    "ENTITY_IS_DELETED: entity is deleted",
                ])
            }
        }

        @Test func filtersExamplesAndSplittingByTable() throws {
            try TestDatabase.withConnectSchema { schema in
                let f = try Fixture(schema)
                func groups(_ arguments: [String]) throws -> [[String: Any]] {
                    let result = try hcconnect(["errors", "--json"] + arguments, schema: schema.name)
                    #expect(result.status == 0, "\(arguments): \(result.stderr)")
                    return try jsonLines(result.stdout)
                }
                func counts(_ arguments: [String]) throws -> [Int] { try groups(arguments).compactMap { $0["count"] as? Int } }
                #expect(try counts(["--table", "contact"]) == [1])
                #expect(try counts(["--table", "Account,opportunity"]) == [2, 2, 1])
                #expect(try counts(["--in", "live"]) == [1, 1, 1])
                #expect(try counts(["--in", "archive"]) == [2, 1])
                #expect(try counts(["--since", "1d"]) == [1, 1])
                #expect(try counts(["--until", "1d"]) == [2, 1, 1])
                #expect(try counts(["--action", "insert,delete"]) == [1, 1])
                #expect(try counts(["--message", "billing city"]) == [2])
                #expect(try counts(["--record-id", "1"]) == [2])
                #expect(try counts(["--sfid", "0035e00000XyZ12"]) == [1])
                #expect(try counts(["--message", "no such failure"]) == [])
                #expect(try counts(["--limit", "2"]) == [3, 2])
                #expect(try counts(["--all"]) == [3, 2, 1])

                #expect(try groups(["--examples", "1"]).map { $0["example_ids"] as? [Int] } == [[f.lockNew], [f.validationNew], [f.deleted]])
                #expect(try groups(["--examples", "0"]).allSatisfy { ($0["example_ids"] as? [Int])?.isEmpty == true })

                let split = try groups(["--by-table"])
                #expect(split.map { $0["table"] as? String } == ["account", "account", "opportunity", "contact"])
                #expect(split.map { $0["count"] as? Int } == [2, 2, 1, 1])
                #expect(split[3]["code"] as? String == "UNABLE_TO_LOCK_ROW")
                #expect(split[3]["example_ids"] as? [Int] == [f.lockContact])
                let table = try hcconnect(["errors", "--by-table", "--examples", "1"], schema: schema.name)
                #expect(table.lines[0].contains(" TABLE "))
                #expect(table.lines[4].split(separator: " ").dropFirst(5).prefix(3) == ["contact", "\(f.lockContact)", "UNABLE_TO_LOCK_ROW:"])
            }
        }

        @Test func aPersonGetsAWidthLimitedTableAndNotes() throws {
            try TestDatabase.withConnectSchema { schema in
                _ = try Fixture(schema)
                let narrow = try hcconnect(["errors", "--no-color"], schema: schema.name, terminal: true, columns: 80)
                #expect(narrow.status == 0)
                #expect(narrow.lines[0].hasPrefix("COUNT  LAST SEEN"))
                #expect(narrow.lines.count == 4)
                #expect(narrow.lines.allSatisfy { $0.count <= 80 })
                // the cause keeps 40 columns: EXAMPLE IDS goes, TABLES is narrowed
                #expect(!narrow.lines[0].contains("EXAMPLE IDS"))
                #expect(narrow.lines[1].hasSuffix("UNABLE_TO_LOCK_ROW: unable to obtain ex…"), "\(narrow.lines[1])")
                #expect(narrow.stderr == "6 FAILED entries in 3 groups.\n")
                let coloured = try hcconnect(["errors"], schema: schema.name, terminal: true, columns: 80)
                #expect(coloured.lines[1].contains("\u{1B}[31mUNABLE_TO_LOCK_ROW\u{1B}[0m: unable"))

                let limited = try hcconnect(["errors", "--limit", "1", "--no-color"], schema: schema.name, terminal: true, columns: 200)
                #expect(limited.lines.count == 2)
                #expect(limited.lines[0].hasPrefix("COUNT  FIRST SEEN"))
                #expect(limited.stderr
                        == "… 2 more groups (3 entries) not shown; 6 FAILED entries in 3 groups in all; use a larger --limit or --all to see them\n")

                let none = try hcconnect(["errors", "--table", "user"], schema: schema.name, terminal: true, columns: 80)
                #expect(none.status == 0)
                #expect(none.stdout.isEmpty)
                #expect(none.stderr == "No FAILED entries.\n")
            }
        }

        @Test func aTerminalShowsTheHundredLargestGroups() throws {
            try TestDatabase.withConnectSchema { schema in
                // 102 causes that differ in words, not in masked values.
                try schema.execute("""
                    INSERT INTO _trigger_log (state, action, table_name, record_id, created_at, sf_message)
                    SELECT 'FAILED', 'UPDATE', 'account', g, now() - g * interval '1 minute',
                           'FIELD_CUSTOM_VALIDATION_EXCEPTION: rule ' || chr(97 + g / 26) || chr(97 + g % 26) || ' failed'
                    FROM generate_series(1, 102) g
                    """)
                let person = try hcconnect(["errors", "--no-color"], schema: schema.name, terminal: true, columns: 120)
                #expect(person.lines.count == 101)
                #expect(person.stderr.hasPrefix("… 2 more groups (2 entries) not shown; 102 FAILED entries in 102 groups in all; use --limit 102 or --all"))
                #expect(try hcconnect(["errors", "--all"], schema: schema.name, terminal: true, columns: 120).lines.count == 103)
                #expect(try hcconnect(["errors"], schema: schema.name).lines.count == 103)
                #expect(try hcconnect(["errors", "--format", "json"], schema: schema.name).lines.count == 102)
            }
        }

        @Test func nothingFailedIsAnEmptyResultInEveryFormat() throws {
            try TestDatabase.withConnectSchema { schema in
                try schema.insertEntry(state: "SUCCESS")
                let table = try hcconnect(["errors"], schema: schema.name)
                #expect(table.status == 0)
                #expect(table.lines.count == 1)
                #expect(table.lines[0].hasPrefix("COUNT"))
                let json = try hcconnect(["errors", "--json"], schema: schema.name)
                #expect(json.status == 0)
                #expect(json.stdout.isEmpty)
                let csv = try hcconnect(["errors", "--format", "csv"], schema: schema.name)
                #expect(csv.stdout == "code,message,table,count,live,archive,tables,first_seen,last_seen,example_ids,example_message\r\n")
            }
        }

        @Test func entriesWithoutTableOrMessageAreGroupedToo() throws {
            try TestDatabase.withConnectSchema { schema in
                let id = try schema.insertEntry(table: nil, recordID: nil, message: nil)
                let odd = try schema.insertEntry(state: "FAILED", table: "account", message: "  \n ")
                let json = try jsonLines(try hcconnect(["errors", "--json"], schema: schema.name).stdout)
                #expect(json.count == 1)
                #expect(json[0]["code"] is NSNull)
                #expect(json[0]["message"] as? String == "")
                #expect(json[0]["tables"] as? [String: Int] == ["": 1, "account": 1])
                #expect(json[0]["example_ids"] as? [Int] == [odd, id])
                let table = try hcconnect(["errors", "--by-table"], schema: schema.name)
                #expect(table.lines.count == 3)
                #expect(table.lines[1].hasSuffix("  (no message)"))
                #expect(table.lines.contains { $0.split(separator: " ").suffix(4) == ["(none)", "\(id)", "(no", "message)"] })
            }
        }

        @Test(arguments: [
            (["errors", "--examples", "-1"], "hcconnect: --examples: '-1' is not a number of examples (a whole number from 0 to 100)"),
            (["errors", "--examples", "three"], "hcconnect: --examples: 'three' is not a number of examples (a whole number from 0 to 100)"),
            (["errors", "--examples", "101"], "hcconnect: --examples: '101' is not a number of examples (a whole number from 0 to 100)"),
            (["errors", "--examples"], "hcconnect: --examples needs a value"),
            (["errors", "--limit", "0"], "hcconnect: --limit: '0' is not a limit (a whole number above 0)"),
            (["errors", "--limit", "2", "--all"], "hcconnect: --all and --limit cannot be used together"),
            (["errors", "--by-table=yes"], "hcconnect: --by-table does not take a value"),
            (["errors", "--in", "both"], "hcconnect: --in: 'both' is not live, archive or all"),
            (["errors", "--since", "soon"],
             "hcconnect: --since: 'soon' is not a time; use ISO 8601 (2026-11-24, 2026-11-24T10:00:00Z) or an age (30m, 6h, 2d, 1w)"),
            (["errors", "--sfid", "001"], "hcconnect: --sfid: '001' is not a Salesforce id (15 or 18 letters and digits)"),
            (["errors", "--state", "FAILED"], "hcconnect: unknown option '--state'"),
            (["errors", "--exampels", "2"], "hcconnect: unknown option '--exampels'; did you mean '--examples'?"),
            (["errors", "UNABLE_TO_LOCK_ROW"], "hcconnect: unexpected argument 'UNABLE_TO_LOCK_ROW'"),
            (["errors", "--format", "ids"], "hcconnect: --format: 'ids' is not available for errors; use table, json, csv"),
        ] as [([String], String)])
        func badCommandLinesAreOneClearLine(arguments: [String], message: String) throws {
            let result = try hcconnect(arguments, environment: ["DATABASE_URL": "postgresql://127.0.0.1:1/never"])
            #expect(result.status == 2)
            #expect(result.stderr == message + "\n")
            #expect(result.stdout.isEmpty)
        }

        @Test func anUnknownTableIsNotFoundAndNothingChanges() throws {
            try TestDatabase.withConnectSchema { schema in
                _ = try Fixture(schema)
                let before = try schema.connection.query(
                    "SELECT count(*), string_agg(state, ',' ORDER BY id) FROM \(schema.quoted)._trigger_log")
                let result = try hcconnect(["errors", "--table", "acount"], schema: schema.name)
                #expect(result.status == 3)
                #expect(result.stderr == "hcconnect: no table \"acount\" in schema \"\(schema.name)\" is mapped or has trigger log entries; did you mean \"account\"?\n")
                _ = try hcconnect(["errors", "--all"], schema: schema.name)
                let after = try schema.connection.query(
                    "SELECT count(*), string_agg(state, ',' ORDER BY id) FROM \(schema.quoted)._trigger_log")
                #expect(before[0].string(1) == after[0].string(1))
            }
        }

        @Test func helpDescribesTheCommand() throws {
            let page = try hcconnect(["help", "errors"])
            #expect(page.status == 0)
            for text in ["hcconnect errors — Group FAILED entries by cause", "--examples N", "--by-table", "--limit N",
                         "hcconnect errors --since 1d --in live", "Formats: table, json, csv (default table)"] {
                #expect(page.stdout.contains(text), "\(text)")
            }
            #expect(try hcconnect(["help"]).stdout.contains("errors  "))
        }
    }
}
