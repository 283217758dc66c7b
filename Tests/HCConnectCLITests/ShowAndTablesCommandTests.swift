import Foundation
import TestSupport
import Testing

extension IntegrationSuites {
    /// `show`, `tables` and `help`.
    @Suite(.tags(.database)) struct ShowAndTablesCommandTests {
        @Test func showPutsValuesBesideOldAndTheRecordNow() throws {
            try TestDatabase.withConnectSchema { schema in
                try schema.execute("INSERT INTO account (name, billingcity, sfid) VALUES ('Acme', 'Bonn', '0015e00000AbCdEAAV')")
                try schema.execute("UPDATE account SET billingcity = 'Berlin'")
                // Heroku Connect's worker marks the update FAILED and the record too.
                try schema.execute("""
                    UPDATE _trigger_log SET state = 'FAILED', sf_result = 1, processed_at = now(),
                      sf_message = 'FIELD_CUSTOM_VALIDATION_EXCEPTION: Billing City is required'
                    WHERE action = 'UPDATE'
                    """)
                try schema.execute("SET xmlbinary = 'hex'")
                try schema.execute("UPDATE account SET _hc_lastop = 'FAILED', _hc_err = 'validation failed'")
                try schema.execute("RESET xmlbinary")
                let id = try #require(try hcconnect(["failed", "--format", "ids"], schema: schema.name).lines.first)
                let show = try hcconnect(["show", id, "--no-color"], schema: schema.name)
                #expect(show.status == 0)
                let text = show.stdout
                #expect(text.hasPrefix("Entry \(id)  FAILED  UPDATE account 1  in the live log\n"))
                #expect(text.contains("  message     FIELD_CUSTOM_VALIDATION_EXCEPTION: Billing City is required\n"))
                #expect(text.contains("  FIELD              VALUES (written)  OLD (before)        NOW\n"))
                #expect(text.contains("  billingcity        Berlin            Bonn                Berlin\n"))
                #expect(text.contains("  name                                 Acme                Acme\n"))
                #expect(text.contains("Record account 1 now: _hc_lastop FAILED, sfid 0015e00000AbCdEAAV\n"))
                #expect(text.contains("_hc_err: validation failed\n"))
                // The written fields come first.
                #expect(text.range(of: "billingcity")!.lowerBound < text.range(of: "  name ")!.lowerBound)

                let json = try jsonLines(try hcconnect(["show", id, "--json"], schema: schema.name).stdout)
                #expect(json.count == 1)
                #expect(json[0]["state"] as? String == "FAILED")
                let record = try #require(json[0]["record"] as? [String: Any])
                #expect(record["billingcity"] as? String == "Berlin")
                #expect(record["_hc_lastop"] as? String == "FAILED")
                #expect(try hcconnect(["show", id, "--format", "ids"], schema: schema.name).stdout == "\(id)\n")
                let csv = try hcconnect(["show", id, "--format", "csv"], schema: schema.name)
                #expect(csv.lines.count == 2, "\(csv)")
            }
        }

        @Test func showSaysWhenTheRecordNoLongerExists() throws {
            try TestDatabase.withConnectSchema { schema in
                let id = try schema.insertEntry(archived: true, state: "FAILED", action: "INSERT", table: "contact", recordID: 42,
                                                values: #""lastname"=>NULL"#, message: "REQUIRED_FIELD_MISSING", withRecord: false)
                let show = try hcconnect(["show", String(id)], schema: schema.name)
                #expect(show.status == 0)
                #expect(show.stdout.contains("in the archive"))
                #expect(show.stdout.contains("Record contact 42 no longer exists."))
                #expect(show.stdout.contains("lastname  NULL"))
                let json = try jsonLines(try hcconnect(["show", String(id), "--json"], schema: schema.name).stdout)
                #expect(json[0]["record"] is NSNull)
                #expect(json[0]["archived"] as? Bool == true)
            }
        }

        @Test func showHandlesOddEntries() throws {
            try TestDatabase.withConnectSchema { schema in
                let unmapped = try schema.insertEntry(state: "WEIRD", action: "UPSERT", table: "gone_table", recordID: 1,
                                                      values: #""broken"=>"#, message: nil)
                let show = try hcconnect(["show", String(unmapped)], schema: schema.name)
                #expect(show.status == 0)
                #expect(show.stdout.contains("WEIRD  UPSERT gone_table 1"))
                #expect(show.stdout.contains("values is not valid hstore"))
                #expect(show.stdout.contains("gone_table is not a mapped table of this schema"))
                let both = try schema.insertEntry(archived: true, state: "FAILED")
                try schema.insertEntry(state: "NEW", id: both)
                let twice = try hcconnect(["show", String(both)], schema: schema.name)
                #expect(twice.stdout.contains("NEW"))
                #expect(twice.stdout.contains("(an entry with this id is in the archive too)"))
            }
        }

        @Test func showRefusesBadAndUnknownIDs() throws {
            try TestDatabase.withConnectSchema { schema in
                let unknown = try hcconnect(["show", "999999"], schema: schema.name)
                #expect(unknown.status == 3)
                #expect(unknown.stderr == "hcconnect: no trigger log entry with id 999999 (live or archive)\n")
                #expect(try hcconnect(["show"], schema: schema.name).status == 2)
                #expect(try hcconnect(["show", "abc"], schema: schema.name).stderr == "hcconnect: ID: 'abc' is not a trigger log id (a whole number above 0)\n")
                #expect(try hcconnect(["show", "0"], schema: schema.name).status == 2)
                #expect(try hcconnect(["show", "-5"], schema: schema.name).status == 2)
                #expect(try hcconnect(["show", "99999999999"], schema: schema.name).status == 2)
                #expect(try hcconnect(["show", "1", "2"], schema: schema.name).stderr == "hcconnect: unexpected argument '2'\n")
                #expect(try hcconnect(["related", "999999"], schema: schema.name).status == 3)
            }
        }

        @Test func tablesCountsEntriesPerTablePlaceAndState() throws {
            try TestDatabase.withConnectSchema { schema in
                try schema.insertEntry(state: "FAILED", table: "account")
                try schema.insertEntry(state: "FAILED", table: "account")
                try schema.insertEntry(archived: true, state: "SUCCESS", table: "account")
                try schema.insertEntry(archived: true, state: "FAILED", table: "old_mapping")
                let table = try hcconnect(["tables"], schema: schema.name)
                #expect(table.status == 0)
                #expect(table.lines[0].hasPrefix("TABLE        MODE        IN       TOTAL  SUCCESS  FAILED"))
                #expect(table.lines[1].hasPrefix("account      read-write  live         2        -       2"))
                #expect(table.lines[2].hasPrefix("                         archive      1        1       -"))
                #expect(table.stdout.contains("user         read-only   live"))
                #expect(table.stdout.contains("old_mapping  not mapped  live"))

                let json = try jsonLines(try hcconnect(["tables", "--json"], schema: schema.name).stdout)
                #expect(json.map { $0["table"] as? String } == ["account", "contact", "opportunity", "user", "old_mapping"])
                #expect((json[0]["live"] as? [String: Int]) == ["FAILED": 2])
                #expect((json[0]["archive"] as? [String: Int]) == ["SUCCESS": 1])
                #expect(json[3]["read_only"] as? Bool == true)
                #expect(json[4]["mapped"] as? Bool == false)
                #expect(json.allSatisfy { $0["estimated"] as? Bool == false })

                let csv = try hcconnect(["tables", "--format", "csv"], schema: schema.name)
                #expect(csv.stdout == "table,mapped,read_only,in,state,count,estimated\r\naccount,true,false,live,FAILED,2,false\r\naccount,true,false,archive,SUCCESS,1,false\r\nold_mapping,false,false,archive,FAILED,1,false\r\n")
                #expect(try hcconnect(["tables", "--format", "ids"], schema: schema.name).status == 2)
            }
        }

        @Test func helpIsThereForEveryCommand() throws {
            let overview = try hcconnect(["help"])
            #expect(overview.status == 0)
            for command in ["failed", "list", "show", "related", "history", "tables", "help"] {
                #expect(overview.stdout.contains("\n  \(command) "), "\(command)")
                let page = try hcconnect(["help", command])
                #expect(page.status == 0)
                #expect(page.stdout.hasPrefix("hcconnect \(command) — "))
                #expect(page.stdout.contains("Exit status:"))
                #expect(try hcconnect([command, "--help"]).stdout == page.stdout)
                #expect(try hcconnect(["-h", command]).stdout == page.stdout)
            }
            #expect(try hcconnect(["--help"]).stdout == overview.stdout)
            #expect(try hcconnect(["help", "faild"]).stderr == "hcconnect: unknown command 'faild'; did you mean 'failed'?\n")
            #expect(try hcconnect(["--version"]).stdout.hasPrefix("hcconnect "))
            // Help never needs the database.
            #expect(try hcconnect(["failed", "--help"], environment: ["DATABASE_URL": "postgresql://nowhere.invalid/x"]).status == 0)
        }
    }
}
