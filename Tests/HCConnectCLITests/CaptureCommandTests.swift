import Foundation
import Postgres
import TestSupport
import Testing

extension IntegrationSuites {
    /// `capture-insert` and `capture-update` from the command line: records by id, standard
    /// input and sfid; fields, columns and exclusions; what is written to the live log; dry
    /// runs; and every way to get the names wrong, none of which writes anything.
    @Suite(.tags(.database)) struct CaptureCommandTests {
        static let betaSFID = "0015e00000BbBbBAAV"

        /// Four accounts (3 and 4 without sfid: not in Salesforce yet, what capture-insert is
        /// for), one contact and one user, written as Heroku Connect would (no log rows).
        struct Records {
            let schema: ConnectTestSchema
            var log: LogTables { LogTables(schema) }

            init(_ schema: ConnectTestSchema) throws {
                self.schema = schema
                try LogTables(schema).insertRecords("""
                    INSERT INTO account (id, name, billingcity, phone, numberofemployees, description, sfid)
                    VALUES (1, 'Acme, "Inc"', 'Berlin', '+49 30 1', 250, E'two\\nlines => here', '\(accountSFID)'),
                           (2, 'Beta', 'Bonn', NULL, NULL, NULL, '\(CaptureCommandTests.betaSFID)'),
                           (3, 'Gamma', NULL, NULL, 7, NULL, NULL),
                           (4, 'Delta, "Ltd"', 'Köln', '+49 221 1', 40, E'two\\nlines => there', NULL);
                    """)
                try LogTables(schema).insertRecords(
                    "INSERT INTO contact (id, firstname, lastname, email) VALUES (5, 'Ada', 'Lovelace', 'ada@example.com')")
                try LogTables(schema).insertRecords(
                    "INSERT INTO \"user\" (id, username, sfid) VALUES (1, 'admin', '0055e00000AbCdEAAV')")
                // One entry that must stay as it is.
                try schema.insertEntry(state: "FAILED", action: "UPDATE", table: "account", recordID: 1, message: "boom")
            }

            /// The id the live log's next row gets.
            func nextID() throws -> Int {
                let row = try schema.connection.query(
                    "SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END FROM \(schema.quoted)._trigger_log_id_seq")[0]
                return try row.int(0)!
            }

            /// The account columns every capture may hold: all but Heroku Connect's bookkeeping.
            func capturable(_ table: String) throws -> Set<String> {
                Set(try log.columns(of: table)).subtracting(["_hc_lastop", "_hc_err"])
            }
        }

        // MARK: - capture-update

        @Test func captureUpdateWritesTheNamedFieldsWithTheRecordsCurrentValues() throws {
            try TestDatabase.withConnectSchema { schema in
                let r = try Records(schema)
                let before = try r.log.dump()
                let first = try r.nextID()
                let result = try hcconnect(["capture-update", "account", "1", "2", "--fields", "Name,BillingCity"], schema: schema.name)
                #expect(result.status == 0, "\(result.stderr)")
                #expect(result.stdout == "\(first)\n\(first + 1)\n")
                #expect(result.stderr == """
                    hc_capture_update_from_row on account: captured 2 of 2 records (columns name, billingcity)
                      new live ids: \(first), \(first + 1)

                    """)
                for (id, record, sfid) in [(first, 1, accountSFID), (first + 1, 2, Self.betaSFID)] {
                    let row = try #require(try r.log.row(id))
                    #expect(row["state"] as? String == "NEW")
                    #expect(row["action"] as? String == "UPDATE")
                    #expect(row["table_name"] as? String == "account")
                    #expect(row["record_id"] as? Int == record)
                    #expect(row["sfid"] as? String == sfid)
                    #expect(row["old"] is NSNull)
                }
                #expect(try r.log.values(first) as? [String: String] == ["name": "Acme, \"Inc\"", "billingcity": "Berlin"])
                #expect(try r.log.values(first + 1) as? [String: String] == ["name": "Beta", "billingcity": "Bonn"])
                expectUnchanged(before, try r.log.dump(), except: ["sequence"], added: ["live \(first)", "live \(first + 1)"])
            }
        }

        @Test func columnsAreExactNamesAndCombineWithFields() throws {
            try TestDatabase.withConnectSchema { schema in
                let r = try Records(schema)
                let byColumns = try hcconnect(
                    ["capture-update", "account", "1", "--columns", "phone,numberofemployees", "--format", "ids"], schema: schema.name)
                #expect(byColumns.status == 0, "\(byColumns.stderr)")
                let columnsID = try #require(Int(byColumns.stdout.dropLast()))
                #expect(try r.log.values(columnsID) as? [String: String] == ["phone": "+49 30 1", "numberofemployees": "250"])
                #expect(byColumns.stderr.hasPrefix("hc_capture_update_from_row on account: captured 1 of 1 records (columns phone, numberofemployees)\n"))

                let both = try hcconnect(
                    ["capture-update", "account", "1", "--fields", "DESCRIPTION", "--columns", "phone", "--fields", "name"],
                    schema: schema.name)
                #expect(both.status == 0, "\(both.stderr)")
                let bothID = try #require(Int(both.stdout.dropLast()))
                #expect(try r.log.values(bothID) as? [String: String] == [
                    "description": "two\nlines => here", "name": "Acme, \"Inc\"", "phone": "+49 30 1",
                ])

                // A column name is exact: "Name" is not a column, and nothing is written.
                let before = try r.log.dump()
                let exact = try hcconnect(["capture-update", "account", "1", "--columns", "Name"], schema: schema.name)
                #expect(exact.status == 3)
                #expect(exact.stdout == "")
                #expect(exact.stderr == "hcconnect: account has no column \"Name\"; did you mean \"name\"?\n")
                #expect(try r.log.dump() == before)
            }
        }

        @Test func noFieldsAndNoColumnsMeansEveryColumn() throws {
            try TestDatabase.withConnectSchema { schema in
                let r = try Records(schema)
                let result = try hcconnect(["capture-update", "account", "3"], schema: schema.name)
                #expect(result.status == 0, "\(result.stderr)")
                let id = try #require(Int(result.stdout.dropLast()))
                #expect(result.stderr.hasPrefix("hc_capture_update_from_row on account: captured 1 of 1 records (all columns)\n"))
                let values = try #require(try r.log.values(id))
                #expect(Set(values.keys) == (try r.capturable("account")))
                #expect(values["_hc_lastop"] == nil)
                #expect(values["_hc_err"] == nil)
                #expect(values["name"] as? String == "Gamma")
                #expect(values["numberofemployees"] as? String == "7")
                #expect(values["billingcity"] is NSNull)
                #expect(values["id"] as? String == "3")
                #expect(try r.log.row(id)?["sfid"] is NSNull)
            }
        }

        @Test func recordsCanBeNamedBySfidOfFifteenOrEighteenCharacters() throws {
            try TestDatabase.withConnectSchema { schema in
                let r = try Records(schema)
                for sfid in ["0015e00000AbCdE", accountSFID, "0015e00000abcdeaav"] {
                    let result = try hcconnect(["capture-update", "account", "--sfid", sfid, "--fields", "name", "--json"], schema: schema.name)
                    #expect(result.status == 0, "\(sfid): \(result.stderr)")
                    let object = try singleJSONObject(result.stdout)
                    let entries = try #require(object["entries"] as? [[String: Any]])
                    #expect(entries.map { $0["record_id"] as? Int } == [1], "\(sfid)")
                    #expect(entries.first?["sfid"] as? String == accountSFID)
                    let id = try #require(entries.first?["id"] as? Int)
                    #expect(try r.log.row(id)?["record_id"] as? Int == 1)
                }
                // Ids and sfids together, each record once.
                let mixed = try hcconnect(
                    ["capture-update", "account", "3", "1", "--sfid", Self.betaSFID, "--sfid", accountSFID, "--json"], schema: schema.name)
                #expect(mixed.status == 0, "\(mixed.stderr)")
                let object = try singleJSONObject(mixed.stdout)
                #expect(object["requested"] as? Int == 3)
                #expect(object["captured"] as? Int == 3)
                #expect((object["entries"] as? [[String: Any]])?.map { $0["record_id"] as? Int } == [1, 2, 3])

                // An sfid no record has: exit 3, the others still captured.
                let before = try r.log.liveIDs()
                let unknown = try hcconnect(
                    ["capture-update", "account", "--sfid", "0015e00000XXXXX", "--sfid", Self.betaSFID], schema: schema.name)
                #expect(unknown.status == 3)
                #expect(unknown.stdout == "\(before.last! + 1)\n")
                #expect(unknown.stderr.hasPrefix("hc_capture_update_from_row on account: captured 1 of 2 records (all columns)\n"))
                #expect(unknown.stderr.hasSuffix("  no record with sfid: 0015e00000XXXXX\n"), "as typed")
                #expect(try r.log.row(before.last! + 1)?["record_id"] as? Int == 2)
            }
        }

        @Test func recordIdsComeFromStandardInput() throws {
            try TestDatabase.withConnectSchema { schema in
                let r = try Records(schema)
                let first = try r.nextID()
                let result = try hcconnect(["capture-update", "account", "-", "--fields", "name"], schema: schema.name, input: "\n3\n  \n1\n")
                #expect(result.status == 0, "\(result.stderr)")
                #expect(result.stdout == "\(first)\n\(first + 1)\n")
                #expect(try r.log.row(first)?["record_id"] as? Int == 1, "record id order")
                #expect(try r.log.row(first + 1)?["record_id"] as? Int == 3)

                // Small batches, --format ids: the same, one id per line.
                let batched = try hcconnect(
                    ["capture-update", "account", "-", "2", "--fields", "name", "--batch-size", "1", "--format", "ids"],
                    schema: schema.name, input: "3\r\n1\r\n")
                #expect(batched.status == 0, "\(batched.stderr)")
                #expect(batched.stdout == "\(first + 2)\n\(first + 3)\n\(first + 4)\n")
                #expect(try [2, 3, 4].map { try r.log.row(first + $0)?["record_id"] as? Int } == [1, 2, 3], "batch by batch, in record id order")

                let before = try r.log.dump()
                let bad = try hcconnect(["capture-insert", "account", "-"], schema: schema.name, input: "1\n2x\n")
                #expect(bad.status == 2)
                #expect(bad.stderr == "hcconnect: standard input, line 2: '2x' is not a record id (a whole number above 0)\n")
                #expect(try r.log.dump() == before)
            }
        }

        @Test func theJSONResultNamesTheNewEntriesAndWhatWasNotFound() throws {
            try TestDatabase.withConnectSchema { schema in
                let r = try Records(schema)
                let first = try r.nextID()
                let result = try hcconnect(
                    ["capture-update", "account", "2", "999", "1", "--fields", "BillingCity", "--sfid", "0015e00000XXXXX", "--format", "json"],
                    schema: schema.name)
                #expect(result.status == 3)
                #expect(result.stderr == "")
                let object = try singleJSONObject(result.stdout)
                #expect(Set(object.keys) == [
                    "command", "dry_run", "table_name", "columns", "requested", "captured", "not_found", "entries",
                    "already_in_salesforce", "not_found_record_ids", "not_found_sfids",
                ])
                #expect(object["command"] as? String == "capture-update")
                #expect(object["dry_run"] as? Bool == false)
                #expect(object["table_name"] as? String == "account")
                #expect(object["columns"] as? [String] == ["billingcity"])
                #expect(object["requested"] as? Int == 4)
                #expect(object["captured"] as? Int == 2)
                #expect(object["not_found"] as? Int == 2)
                #expect(object["not_found_record_ids"] as? [Int] == [999])
                #expect(object["not_found_sfids"] as? [String] == ["0015e00000XXXXX"])
                let entries = try #require(object["entries"] as? [[String: Any]])
                #expect(entries.map { $0["record_id"] as? Int } == [1, 2])
                #expect(entries.map { $0["id"] as? Int } == [first, first + 1])
                #expect(entries.map { $0["sfid"] as? String } == [accountSFID, Self.betaSFID])

                let insert = try hcconnect(["capture-insert", "contact", "5", "--exclude", "Email", "--json"], schema: schema.name)
                let inserted = try singleJSONObject(insert.stdout)
                #expect(inserted["command"] as? String == "capture-insert")
                #expect(inserted["excluded_columns"] as? [String] == ["email"])
                #expect(inserted["columns"] == nil)
            }
        }

        @Test func anUnknownRecordIsNotFoundAndTheOthersAreStillCaptured() throws {
            try TestDatabase.withConnectSchema { schema in
                let r = try Records(schema)
                let before = try r.log.dump()
                let first = try r.nextID()
                let result = try hcconnect(["capture-update", "account", "1", "999", "2", "--fields", "name"], schema: schema.name)
                #expect(result.status == 3)
                #expect(result.stdout == "\(first)\n\(first + 1)\n")
                #expect(result.stderr == """
                    hc_capture_update_from_row on account: captured 2 of 3 records (columns name)
                      new live ids: \(first), \(first + 1)
                      no such record: 999

                    """)
                expectUnchanged(before, try r.log.dump(), except: ["sequence"], added: ["live \(first)", "live \(first + 1)"])

                let none = try hcconnect(["capture-insert", "account", "998"], schema: schema.name)
                #expect(none.status == 3)
                #expect(none.stdout == "")
                #expect(none.stderr == "hc_capture_insert_from_row on account: captured 0 of 1 records (all columns)\n  no such record: 998\n")
            }
        }

        // MARK: - Names that are wrong

        @Test(arguments: [
            (["capture-update", "account", "1", "--fields", "Name,BilingCity"], "hcconnect: account has no column \"BilingCity\"; did you mean \"billingcity\"?"),
            (["capture-update", "account", "1", "2", "--columns", "phone", "--columns", "fone"], "hcconnect: account has no column \"fone\"; did you mean \"phone\"?"),
            (["capture-insert", "contact", "5", "--exclude", "Emial"], "hcconnect: contact has no column \"Emial\"; did you mean \"email\"?"),
            (["capture-update", "acount", "1"], "hcconnect: no mapped table \"acount\" in schema \"SCHEMA\"; did you mean \"account\"?"),
            (["capture-insert", "Contacts", "5"], "hcconnect: no mapped table \"Contacts\" in schema \"SCHEMA\"; did you mean \"contact\"?"),
        ])
        func unknownNamesAreNotFoundWithTheClosestMatchAndNothingIsWritten(arguments: [String], message: String) throws {
            try TestDatabase.withConnectSchema { schema in
                let r = try Records(schema)
                let before = try r.log.dump()
                let result = try hcconnect(arguments, schema: schema.name)
                #expect(result.status == 3)
                #expect(result.stdout == "")
                #expect(result.stderr == message.replacingOccurrences(of: "SCHEMA", with: schema.name) + "\n")
                #expect(try r.log.dump() == before, "nothing written, the sequence did not move")
            }
        }

        @Test(arguments: [
            (["capture-update", "account", "1", "--exclude", "name"],
             "--exclude is for capture-insert; capture-update captures the columns named by --fields or --columns (all when none)"),
            (["capture-insert", "account", "1", "--fields", "name"],
             "--fields is for capture-update; capture-insert captures every column except those named by --exclude"),
            (["capture-insert", "account", "1", "--columns", "name"],
             "--columns is for capture-update; capture-insert captures every column except those named by --exclude"),
            (["capture-insert", "account", "1", "--exclude", "id"],
             "--exclude: 'id' cannot be excluded: Heroku Connect always captures id and sfid"),
            (["capture-insert", "account", "1", "--exclude", "phone,SFID"],
             "--exclude: 'SFID' cannot be excluded: Heroku Connect always captures id and sfid"),
            (["capture-update", "account", "1", "--fields", "_hc_lastop"],
             "--fields: '_hc_lastop' is Heroku Connect's bookkeeping column, which is never captured"),
            (["capture-update", "account", "1", "--columns", "_hc_err"],
             "--columns: '_hc_err' is Heroku Connect's bookkeeping column, which is never captured"),
            // With both lists, the message names the option the bad name came from.
            (["capture-update", "account", "1", "--fields", "Name", "--columns", "_hc_err"],
             "--columns: '_hc_err' is Heroku Connect's bookkeeping column, which is never captured"),
            (["capture-insert", "account", "1", "--exclude", "_HC_LASTOP"],
             "--exclude: '_HC_LASTOP' is Heroku Connect's bookkeeping column, which is never captured"),
            (["capture-update", "account"], "missing RECORD_ID (the table's id; - reads them from standard input) or --sfid SFID"),
            (["capture-insert"], "missing TABLE (a mapped table)"),
            (["capture-update", "account", "0"], "RECORD_ID: '0' is not a record id (a whole number above 0)"),
            (["capture-update", "account", "1", "--sfid", "001"], "--sfid: '001' is not a Salesforce id (15 or 18 letters and digits)"),
            (["capture-update", "account", "1", "--batch-size", "0"], "--batch-size: '0' is not a batch size (a whole number above 0)"),
            (["capture-update", "account", "1", "--write-mode", "ordered"], "unknown option '--write-mode'"),
            (["capture-update", "user", "1"], "user is a read-only mapping: Heroku Connect does not write its changes to Salesforce"),
            (["capture-insert", "User", "1", "--exclude", "email"],
             "user is a read-only mapping: Heroku Connect does not write its changes to Salesforce"),
        ])
        func wrongCommandLinesAreUsageErrorsAndWriteNothing(arguments: [String], message: String) throws {
            try TestDatabase.withConnectSchema { schema in
                let r = try Records(schema)
                let before = try r.log.dump()
                let result = try hcconnect(arguments, schema: schema.name)
                #expect(result.status == 2)
                #expect(result.stdout == "")
                #expect(result.stderr == "hcconnect: \(message)\n")
                #expect(try r.log.dump() == before)
            }
        }

        @Test func aSchemaWithoutTheCaptureProceduresIsUnusableForCapturesAndOrderedRetries() throws {
            try TestDatabase.withConnectSchema { schema in
                let r = try Records(schema)
                let failed = try schema.insertEntry(state: "FAILED", action: "UPDATE", recordID: 1, values: #""name"=>"x""#)
                try schema.execute("DROP FUNCTION hc_capture_update_from_row(public.hstore, character varying, text[])")
                let before = try r.log.dump()
                let capture = try hcconnect(["capture-update", "account", "1"], schema: schema.name)
                #expect(capture.status == 65)
                #expect(capture.stdout == "")
                #expect(capture.stderr == """
                    hcconnect: schema "\(schema.name)" has no hc_capture_update_from_row procedure, which Heroku Connect creates in every connection's schema

                    """)
                let retry = try hcconnect(["retry", String(failed), "--write-mode", "ordered"], schema: schema.name)
                #expect(retry.status == 65)
                #expect(retry.stderr.hasPrefix("hcconnect: schema \"\(schema.name)\" has no hc_capture_update_from_row procedure"))
                #expect(try r.log.dump() == before)
                // capture-insert and merged retries do not need it.
                #expect(try hcconnect(["capture-insert", "account", "3"], schema: schema.name).status == 0)
                #expect(try hcconnect(["retry", String(failed)], schema: schema.name).status == 0)
                #expect(try r.log.state(failed) == "NEW")
            }
        }

        // MARK: - capture-insert

        @Test func captureInsertWritesTheWholeRecordButTheExcludedFields() throws {
            try TestDatabase.withConnectSchema { schema in
                let r = try Records(schema)
                let before = try r.log.dump()
                let first = try r.nextID()
                let result = try hcconnect(["capture-insert", "account", "4", "--exclude", "Phone,DESCRIPTION"], schema: schema.name)
                #expect(result.status == 0, "\(result.stderr)")
                #expect(result.stdout == "\(first)\n")
                #expect(result.stderr == """
                    hc_capture_insert_from_row on account: captured 1 of 1 records (all columns but phone, description)
                      new live ids: \(first)

                    """)
                let row = try #require(try r.log.row(first))
                #expect(row["action"] as? String == "INSERT")
                #expect(row["state"] as? String == "NEW")
                #expect(row["table_name"] as? String == "account")
                #expect(row["record_id"] as? Int == 4)
                #expect(row["sfid"] is NSNull)
                #expect(row["old"] is NSNull)
                let values = try #require(try r.log.values(first))
                #expect(Set(values.keys) == (try r.capturable("account")).subtracting(["phone", "description"]))
                #expect(values["name"] as? String == "Delta, \"Ltd\"")
                #expect(values["sfid"] is NSNull, "sfid is captured, even when named")
                #expect(values["id"] as? String == "4")
                expectUnchanged(before, try r.log.dump(), except: ["sequence"], added: ["live \(first)"])

                // A record with an sfid is in Salesforce already: an INSERT would duplicate it.
                let duplicate = try hcconnect(["capture-insert", "account", "1", "3"], schema: schema.name)
                #expect(duplicate.status == 1)
                #expect(duplicate.stdout == "\(first + 1)\n")
                #expect(duplicate.stderr == """
                    hc_capture_insert_from_row on account: captured 1 of 2 records (all columns)
                      new live ids: \(first + 1)
                      not captured, already in Salesforce (it has an sfid; an INSERT would duplicate it, capture-update \
                    sends its fields): 1 \(accountSFID)

                    """)

                let all = try hcconnect(["capture-insert", "contact", "5"], schema: schema.name)
                #expect(all.status == 0)
                let id = try #require(Int(all.stdout.dropLast()))
                let contact = try #require(try r.log.values(id))
                #expect(Set(contact.keys) == (try r.capturable("contact")))
                #expect(contact["lastname"] as? String == "Lovelace")
            }
        }

        // MARK: - Dry run

        @Test(arguments: ["capture-insert", "capture-update"])
        func aDryRunShowsTheValuesAndWritesNothing(command: String) throws {
            try TestDatabase.withConnectSchema { schema in
                let r = try Records(schema)
                let before = try r.log.dump()
                let names = command == "capture-insert" ? ["--exclude", "Phone,Description"] : ["--fields", "Name,BillingCity"]
                // capture-insert is for records not yet in Salesforce (no sfid)
                let records = command == "capture-insert" ? [4, 3] : [1, 2]
                let arguments = [command, "account"] + records.map(String.init) + names

                let json = try hcconnect(arguments + ["--dry-run", "--json"], schema: schema.name)
                #expect(json.status == 0, "\(json.stderr)")
                #expect(try r.log.dump() == before, "nothing written, the sequence did not move")
                let object = try singleJSONObject(json.stdout)
                #expect(object["dry_run"] as? Bool == true)
                #expect(object["captured"] as? Int == 2)
                let entries = try #require(object["entries"] as? [[String: Any]])
                #expect(entries.map { $0["record_id"] as? Int } == records.sorted())
                #expect(entries.allSatisfy { $0["id"] == nil })
                let previewed = entries.map { $0["values"] as? [String: Any] }

                let table = try hcconnect(arguments + ["--dry-run"], schema: schema.name)
                #expect(table.status == 0)
                #expect(table.lines.first?.hasPrefix("RECORD") == true)
                #expect(table.lines.count == 3)
                #expect(table.lines[command == "capture-insert" ? 2 : 1].contains(
                    command == "capture-insert" ? #""name"=>"Delta, \"Ltd\"""# : #""name"=>"Acme, \"Inc\"""#))
                #expect(table.stderr.hasPrefix("hc_capture_\(command.dropFirst(8))_from_row on account, dry run (nothing written): would capture 2 of 2 records ("))
                let csv = try hcconnect(arguments + ["--dry-run", "--format", "csv"], schema: schema.name)
                #expect(csv.stdout.hasPrefix("record_id,sfid,values\r\n\(records.min()!),"))
                let ids = try hcconnect(arguments + ["--dry-run", "--format", "ids"], schema: schema.name)
                #expect(ids.stdout == records.sorted().map { "\($0)\n" }.joined())
                #expect(try r.log.dump() == before)

                // What the dry run showed is what a real run writes.
                let real = try hcconnect(arguments + ["--json"], schema: schema.name)
                #expect(real.status == 0)
                let written = try #require(try singleJSONObject(real.stdout)["entries"] as? [[String: Any]])
                for (index, entry) in written.enumerated() {
                    let id = try #require(entry["id"] as? Int)
                    let values = try r.log.values(id)
                    #expect(values.map { NSDictionary(dictionary: $0) } == previewed[index].map { NSDictionary(dictionary: $0) })
                }
                if command == "capture-update" {
                    #expect(previewed[0] as? [String: String] == ["name": "Acme, \"Inc\"", "billingcity": "Berlin"])
                } else {
                    #expect(Set(previewed[1].map { Array($0.keys) } ?? []) == (try r.capturable("account")).subtracting(["phone", "description"]))
                }
            }
        }
    }
}
