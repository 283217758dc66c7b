import Foundation
import Postgres
import TestSupport
import Testing

extension IntegrationSuites {
    /// The shapes of real connections that the tidy emulation lacked (../shared/heroku-connect.md,
    /// "What real connections look like"), each loaded and run through the reading and repairing
    /// commands as an operator would: a read-only connection, an older one with a bigint log
    /// sequence, and one with composite keys, foreign keys, extra unique indexes, columns after
    /// `_hc_err`, a mapping without log trigger and a table that is not a mapping.
    @Suite(.tags(.database)) struct ConnectionVariantTests {
        /// Runs a command and expects its exit status; returns what it wrote.
        @discardableResult
        private func run(
            _ arguments: [String], _ schema: ConnectTestSchema, status: Int32 = 0, sourceLocation: SourceLocation = #_sourceLocation
        ) throws -> CLIResult {
            let result = try hcconnect(arguments, schema: schema.name)
            #expect(result.status == status, "\(arguments): \(result.stderr)", sourceLocation: sourceLocation)
            return result
        }

        /// Every reading command works on every variant.
        @Test(arguments: [TestDatabase.ConnectionKind.readOnly, .legacy, .variant])
        func everyReadingCommandWorks(_ kind: TestDatabase.ConnectionKind) throws {
            try TestDatabase.withConnectSchema(kind: kind) { schema in
                try LogTables(schema).insertRecords("INSERT INTO account (id, name, sfid) VALUES (3, 'Acme', '\(accountSFID)')")
                let id = try schema.insertEntry(action: "UPDATE", recordID: 3, sfid: accountSFID, values: #""name"=>"x""#, message: "E: x")
                try schema.insertEntry(archived: true, state: "SUCCESS", action: "UPDATE", recordID: 3, createdAgo: "1 day")
                #expect(try run(["failed", "--format", "ids"], schema).lines == [String(id)])
                #expect(try run(["list", "--table", "account", "--format", "ids"], schema).lines.count == 2)
                try run(["stats"], schema)
                try run(["tables"], schema)
                #expect(try run(["errors", "--format", "csv"], schema).lines.count == 2)
                #expect(try run(["show", String(id)], schema).stdout.contains("Record account 3 now"))
                #expect(try run(["history", "account", "--sfid", accountSFID, "--format", "ids"], schema).lines.count == 2)
                try run(["check", "--max-failed", "1"], schema)
                #expect(try run(["export"], schema).lines.count == 2)
            }
        }

        /// An older connection's log sequence is bigint: archived entries are copied back with
        /// ids from it, and captures get their ids from it.
        @Test func aBigintLogSequenceNumbersCopiesAndCaptures() throws {
            try TestDatabase.withConnectSchema(kind: .legacy) { schema in
                let type = try schema.connection.query(
                    "SELECT data_type::text FROM pg_sequences WHERE schemaname = $1 AND sequencename = '_trigger_log_id_seq'",
                    [.text(schema.name)])
                #expect(type.first?.string(0) == "bigint")
                let log = LogTables(schema)
                try log.insertRecords("INSERT INTO account (id, name, sfid) VALUES (3, 'Acme', '\(accountSFID)')")
                let archived = try schema.insertEntry(archived: true, action: "UPDATE", recordID: 3, values: #""name"=>"x""#)
                let live = try schema.insertEntry(action: "UPDATE", recordID: 4, values: #""name"=>"y""#)
                let copy = try singleJSONObject(try run(["retry", String(archived), "--format", "json"], schema).stdout)
                let created = try #require((copy["created"] as? [[String: Any]])?.first?["new_id"] as? Int)
                #expect(created > live)
                #expect(try log.state(created) == "NEW")
                let capture = try run(["retry", String(live), "--write-mode", "ordered", "--format", "ids"], schema)
                #expect(capture.lines == [String(created + 1)])
            }
        }

        /// The variant connection, table by table.
        @Test func aConnectionAsRealDumpsHaveItIsRepairedWhereItCanBe() throws {
            try TestDatabase.withConnectSchema(kind: .variant) { schema in
                let log = LogTables(schema)
                try log.insertRecords("""
                    INSERT INTO account (id, name, external_id__c, sfid) VALUES (1, 'Acme', 'EXT-1', '\(accountSFID)');
                    """)
                try log.insertRecords("""
                    INSERT INTO contact (id, sfid, firstname, lastname, accountid, extra_life_id__c, app_notes, app_score)
                    VALUES (5, '0035e00000AbCdEAAV', 'Ada', 'Lovelace', '\(accountSFID)', 'L-5', 'note', 7)
                    """)
                try log.insertRecords("INSERT INTO lead (id, lastname, sfid) VALUES (2, 'Hopper', '00Q5e00000AbCdEAAV')")
                try log.insertRecords("INSERT INTO app_setting (id, name, value) VALUES (1, 'theme', 'dark')")
                let contactUpdate = try schema.insertEntry(
                    action: "UPDATE", table: "contact", recordID: 5, sfid: "0035e00000AbCdEAAV",
                    values: #""app_score"=>"6", "lastname"=>"L""#, message: "UNABLE_TO_LOCK_ROW: busy", withRecord: false)
                let contactInsert = try schema.insertEntry(
                    archived: true, action: "INSERT", table: "contact", recordID: 5, values: #""lastname"=>"Lovelace""#,
                    message: "UNABLE_TO_LOCK_ROW: busy", createdAgo: "2 days", withRecord: false)
                let leadUpdate = try schema.insertEntry(
                    action: "UPDATE", table: "lead", recordID: 2, values: #""lastname"=>"H""#, message: "UNABLE_TO_LOCK_ROW: busy",
                    withRecord: false)
                let settingUpdate = try schema.insertEntry(
                    action: "UPDATE", table: "app_setting", recordID: 1, values: #""value"=>"light""#,
                    message: "UNABLE_TO_LOCK_ROW: busy", withRecord: false)
                let accountUpdate = try schema.insertEntry(
                    action: "UPDATE", table: "account", recordID: 1, sfid: accountSFID, values: #""external_id__c"=>"EXT-0""#,
                    message: "DUPLICATE_VALUE: duplicate value found: External_Id__c", withRecord: false)

                // tables says what each is
                let tables = try run(["tables"], schema).stdout
                for (table, mode) in [("account", "read-write"), ("contact", "read-write"), ("lead", "no log trigger"), ("app_setting", "not mapped")] {
                    #expect(tables.split(separator: "\n").contains { $0.hasPrefix(table) && $0.contains(mode) }, "\(table) \(mode):\n\(tables)")
                }
                // the deleted mapping's and the application table's entries are listed and filtered
                #expect(try run(["failed", "--table", "app_setting", "--format", "ids"], schema).lines == [String(settingUpdate)])
                // a dropped mapping and a table that is not a mapping are refused by name
                try run(["retry", "--failed", "--table", "lead", "--yes"], schema, status: 2)
                try run(["capture-update", "lead", "2"], schema, status: 2)
                try run(["capture-update", "app_setting", "1"], schema, status: 3)

                let result = try run(["retry", "--failed", "--write-mode", "ordered", "--yes", "--format", "json"], schema, status: 1)
                let object = try singleJSONObject(result.stdout)
                let ids = { (key: String) in (object[key] as? [[String: Any]])?.compactMap { $0["id"] as? Int } ?? [] }
                #expect(ids("no_log_trigger") == [leadUpdate])
                #expect(ids("table_not_mapped") == [settingUpdate])
                #expect(ids("superseded") == [contactInsert], "the contact has its sfid (sfid is NOT NULL)")
                #expect(object["steps"] as? [String: Int] == ["capture-update": 2])
                // the contact's capture reads its current row, columns after _hc_err included
                let created = try #require(object["created"] as? [[String: Any]])
                let contactCapture = try #require(created.first { $0["id"] as? Int == contactUpdate }?["new_id"] as? Int)
                #expect(try log.values(contactCapture) as? [String: String] == ["app_score": "7", "lastname": "Lovelace"])
                #expect(try log.row(contactCapture)?["sfid"] as? String == "0035e00000AbCdEAAV")
                let accountCapture = try #require(created.first { $0["id"] as? Int == accountUpdate }?["new_id"] as? Int)
                #expect(try log.values(accountCapture) as? [String: String] == ["external_id__c": "EXT-1"])
                // show lists the columns after _hc_err
                let show = try run(["show", String(contactUpdate)], schema).stdout
                #expect(show.contains("app_score"), "\(show)")
                // the capture commands work on the composite key table
                let captured = try run(["capture-update", "contact", "5", "--fields", "App_Notes", "--format", "ids"], schema)
                #expect(try log.values(try #require(Int(captured.lines.first ?? ""))) as? [String: String] == ["app_notes": "note"])
                // an INSERT of a record that has its sfid would duplicate it: not captured
                let insert = try run(["capture-insert", "contact", "5"], schema, status: 1)
                #expect(insert.stderr.contains("not captured, already in Salesforce"), "\(insert.stderr)")
            }
        }
    }
}
