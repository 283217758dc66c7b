import Foundation
import TestSupport
import Testing

extension IntegrationSuites {
    /// `failed`, `list`, `related` and `history` against the emulation, in every format.
    @Suite(.tags(.database)) struct ListingCommandTests {
        /// A small log: failures live and archived on two tables, and rows in other states.
        struct Fixture {
            let schema: ConnectTestSchema
            var liveAccount = 0, archivedAccount = 0, archivedContact = 0, liveSuccess = 0, liveNew = 0

            init(_ schema: ConnectTestSchema) throws {
                self.schema = schema
                archivedContact = try schema.insertEntry(
                    archived: true, state: "FAILED", action: "INSERT", table: "contact", recordID: 5,
                    values: #""lastname"=>NULL, "email"=>"x@example.com""#,
                    message: "REQUIRED_FIELD_MISSING: Required fields are missing: [LastName]", createdAgo: "3 days")
                archivedAccount = try schema.insertEntry(
                    archived: true, state: "FAILED", action: "UPDATE", table: "account", recordID: 1, sfid: "0015e00000AbCdEAAV",
                    values: #""billingcity"=>"Berlin""#, old: #""billingcity"=>"Bonn", "name"=>"Acme""#,
                    message: "FIELD_CUSTOM_VALIDATION_EXCEPTION: Billing City is required", createdAgo: "2 days")
                liveSuccess = try schema.insertEntry(state: "SUCCESS", action: "UPDATE", table: "account", recordID: 1, createdAgo: "90 minutes")
                liveAccount = try schema.insertEntry(
                    state: "FAILED", action: "UPDATE", table: "account", recordID: 1, sfid: "0015e00000AbCdEAAV",
                    values: #""name"=>"Acme, \"Inc\"""#, message: "UNABLE_TO_LOCK_ROW: unable to obtain exclusive access",
                    createdAgo: "1 hour")
                liveNew = try schema.insertEntry(state: "NEW", action: "INSERT", table: "opportunity", recordID: 9,
                                                 createdAgo: "5 minutes", processed: false)
            }
        }

        @Test func failedListsLiveAndArchivedFailuresNewestFirstInEveryFormat() throws {
            try TestDatabase.withConnectSchema { schema in
                let f = try Fixture(schema)
                let ids = try hcconnect(["failed", "--format", "ids"], schema: schema.name)
                #expect(ids.status == 0)
                #expect(ids.stdout == "\(f.liveAccount)\n\(f.archivedAccount)\n\(f.archivedContact)\n")
                #expect(ids.stderr.isEmpty)

                let json = try hcconnect(["failed", "--json"], schema: schema.name)
                let objects = try jsonLines(json.stdout)
                #expect(objects.map { $0["id"] as? Int } == [f.liveAccount, f.archivedAccount, f.archivedContact])
                #expect(objects.map { $0["archived"] as? Bool } == [false, true, true])
                #expect(Set(objects[0].keys) == Set([
                    "id", "txid", "created_at", "updated_at", "processed_at", "processed_tx", "state", "action", "table_name",
                    "record_id", "sfid", "old", "values", "sf_result", "sf_message", "archived",
                ]))
                #expect((objects[0]["values"] as? [String: Any])?["name"] as? String == "Acme, \"Inc\"")
                #expect((objects[2]["values"] as? [String: Any])?["lastname"] is NSNull)
                #expect(objects[2]["old"] is NSNull)
                let created = try #require(objects[0]["created_at"] as? String)
                #expect(created.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?[+-]\d\d:\d\d$"#, options: .regularExpression) != nil)

                let csv = try hcconnect(["failed", "--format", "csv"], schema: schema.name)
                let rows = csv.stdout.components(separatedBy: "\r\n").filter { !$0.isEmpty }
                #expect(rows.first == "id,txid,created_at,updated_at,processed_at,processed_tx,state,action,table_name,record_id,sfid,old,values,sf_result,sf_message,archived")
                #expect(rows.count == 4)
                #expect(rows[1].hasPrefix("\(f.liveAccount),"))
                #expect(rows[1].contains(#""""name""=>""Acme, \""Inc\""""""#))
                #expect(rows[1].hasSuffix(",UNABLE_TO_LOCK_ROW: unable to obtain exclusive access,false"))

                let table = try hcconnect(["failed"], schema: schema.name)
                #expect(table.lines.count == 4)
                #expect(table.lines[0].hasPrefix("ID"))
                #expect(table.lines[1].contains("UNABLE_TO_LOCK_ROW: unable to obtain exclusive access"))
                #expect(table.lines[2].contains("archive"))
            }
        }

        @Test func filtersSelectFromTheCommandLine() throws {
            try TestDatabase.withConnectSchema { schema in
                let f = try Fixture(schema)
                func ids(_ arguments: [String]) throws -> [Int] {
                    let result = try hcconnect(arguments + ["--format", "ids"], schema: schema.name)
                    #expect(result.status == 0, "\(arguments): \(result.stderr)")
                    return result.lines.compactMap { Int($0) }
                }
                #expect(try ids(["failed", "--table", "account"]) == [f.liveAccount, f.archivedAccount])
                #expect(try ids(["failed", "--table", "Account,CONTACT"]) == [f.liveAccount, f.archivedAccount, f.archivedContact])
                #expect(try ids(["failed", "--in", "live"]) == [f.liveAccount])
                #expect(try ids(["failed", "--in", "archive"]) == [f.archivedAccount, f.archivedContact])
                #expect(try ids(["failed", "--action", "insert"]) == [f.archivedContact])
                #expect(try ids(["failed", "--since", "1d"]) == [f.liveAccount])
                #expect(try ids(["failed", "--until", "1d"]) == [f.archivedAccount, f.archivedContact])
                #expect(try ids(["failed", "--since", "2000-01-01T00:00:00Z", "--until", "2h"]) == [f.archivedAccount, f.archivedContact])
                #expect(try ids(["failed", "--message", "billing CITY"]) == [f.archivedAccount])
                #expect(try ids(["failed", "--record-id", "1"]) == [f.liveAccount, f.archivedAccount])
                #expect(try ids(["failed", "--record-id", "5", "--record-id", "1"]) == [f.liveAccount, f.archivedAccount, f.archivedContact])
                #expect(try ids(["failed", "--sfid", "0015e00000AbCdE"]) == [f.liveAccount, f.archivedAccount])
                #expect(try ids(["failed", "--limit", "2"]) == [f.liveAccount, f.archivedAccount])
                #expect(try ids(["failed", "--message", "nothing like this"]) == [])
                #expect(try ids(["list"]) == [f.liveNew, f.liveAccount, f.liveSuccess, f.archivedAccount, f.archivedContact])
                #expect(try ids(["list", "--state", "new,success"]) == [f.liveNew, f.liveSuccess])
                #expect(try ids(["list", "--state", "FAILED", "--in", "live"]) == [f.liveAccount])
            }
        }

        @Test func relatedAndHistoryShowARecordsSyncHistoryOldestFirst() throws {
            try TestDatabase.withConnectSchema { schema in
                let f = try Fixture(schema)
                // (the fixture's entries gave account 1 a row; a user's update logs an entry)
                try schema.execute("UPDATE account SET name = 'Acme', sfid = '0015e00000AbCdEAAV' WHERE id = 1")
                let history = [f.archivedAccount, f.liveSuccess, f.liveAccount]
                func ids(_ arguments: [String]) throws -> [Int] {
                    let result = try hcconnect(arguments + ["--format", "ids"], schema: schema.name)
                    #expect(result.status == 0, "\(arguments): \(result.stderr)")
                    return result.lines.compactMap { Int($0) }
                }
                // The update of account 1 wrote a log row of its own for record 1.
                let logged = try ids(["related", String(f.liveAccount)])
                #expect(Array(logged.prefix(3)) == history)
                #expect(logged.count == 4)
                #expect(try ids(["related", String(f.liveAccount), "--exclude-self"]).contains(f.liveAccount) == false)
                #expect(try ids(["related", String(f.liveAccount), "--state", "FAILED"]) == [f.archivedAccount, f.liveAccount])
                #expect(try ids(["history", "account", "1", "--state", "failed,success"]) == history)
                #expect(try ids(["history", "Account", "--sfid", "0015e00000AbCdEAAV", "--in", "archive"]) == [f.archivedAccount])
            }
        }

        @Test func historyFollowsAnSfidToADeletedRecordThroughTheLog() throws {
            try TestDatabase.withConnectSchema { schema in
                let f = try Fixture(schema)
                let result = try hcconnect(["history", "account", "--sfid", "0015e00000AbCdEAAV", "--format", "ids"], schema: schema.name)
                #expect(result.status == 0)
                #expect(result.lines == ["\(f.archivedAccount)", "\(f.liveSuccess)", "\(f.liveAccount)"])
                #expect(result.stderr.contains("account has no record with sfid 0015e00000AbCdEAAV now"))
                let missing = try hcconnect(["history", "account", "--sfid", "0015e00000ZZZZZAA5"], schema: schema.name)
                #expect(missing.status == 3)
                #expect(missing.stderr == "hcconnect: account has no record with sfid 0015e00000ZZZZZAA5\n")
            }
        }

        @Test func aPersonAtATerminalSeesAHundredRowsAndHowToSeeTheRest() throws {
            try TestDatabase.withConnectSchema { schema in
                try schema.execute("""
                    INSERT INTO _trigger_log (state, action, table_name, record_id, sf_message, created_at)
                    SELECT 'FAILED', 'UPDATE', 'account', g, 'FIELD_CUSTOM_VALIDATION_EXCEPTION: ' || repeat('long message ', 20),
                           now() - g * interval '1 minute'
                    FROM generate_series(1, 130) AS g
                    """)
                let person = try hcconnect(["failed", "--no-color"], schema: schema.name, terminal: true, columns: 100)
                #expect(person.status == 0)
                #expect(person.lines.count == 101)
                #expect(person.lines.allSatisfy { $0.count <= 100 })
                #expect(person.lines[1].hasSuffix("…"))
                #expect(person.stderr.contains("30 more FAILED entries not shown (130 in all)"))
                #expect(person.stderr.contains("--limit 130 or --all"))

                let all = try hcconnect(["failed", "--all"], schema: schema.name, terminal: true, columns: 100)
                #expect(all.lines.count == 131)
                #expect(all.stderr.isEmpty)
                let limited = try hcconnect(["failed", "--limit", "10"], schema: schema.name, terminal: true, columns: 100)
                #expect(limited.lines.count == 11)
                #expect(limited.stderr.contains("120 more"))

                let script = try hcconnect(["failed"], schema: schema.name)
                #expect(script.lines.count == 131)
                #expect(script.lines[1].contains(String(repeating: "long message ", count: 20).trimmingCharacters(in: .whitespaces)))
                #expect(script.stderr.isEmpty)
                #expect(try hcconnect(["failed", "--json"], schema: schema.name, terminal: true).lines.count == 130)
            }
        }

        @Test func anEmptyResultSaysSoToAPersonAndGivesScriptsAHeader() throws {
            try TestDatabase.withConnectSchema { schema in
                let person = try hcconnect(["failed"], schema: schema.name, terminal: true, columns: 80)
                #expect(person.status == 0)
                #expect(person.stdout.isEmpty)
                #expect(person.stderr == "No FAILED entries.\n")
                let csv = try hcconnect(["failed", "--format", "csv"], schema: schema.name)
                #expect(csv.stdout.hasPrefix("id,txid,"))
                #expect(try hcconnect(["failed", "--json"], schema: schema.name).stdout.isEmpty)
                #expect(try hcconnect(["failed"], schema: schema.name).lines.count == 1)
            }
        }

        @Test func dataCannotDriveTheTerminal() throws {
            try TestDatabase.withConnectSchema { schema in
                try schema.insertEntry(state: "FAILED", message: "evil \u{1B}[2J\u{1B}]0;pwned\u{7} message\nsecond line")
                let person = try hcconnect(["failed", "--no-color"], schema: schema.name, terminal: true, columns: 200)
                #expect(!person.stdout.contains("\u{1B}"))
                #expect(!person.stdout.contains("\u{7}"))
                #expect(person.lines.count == 2)
                let json = try hcconnect(["failed", "--json"], schema: schema.name)
                #expect(json.stdout.contains(#"\u001b[2J"#))
            }
        }

        @Test func coloursAppearOnlyOnATerminal() throws {
            try TestDatabase.withConnectSchema { schema in
                try schema.insertEntry(state: "FAILED", message: "boom")
                #expect(try hcconnect(["failed"], schema: schema.name, terminal: true, columns: 120).stdout.contains("\u{1B}[31mFAILED"))
                #expect(try !hcconnect(["failed", "--no-color"], schema: schema.name, terminal: true, columns: 120).stdout.contains("\u{1B}"))
                #expect(try !hcconnect(["failed"], schema: schema.name, environment: ["NO_COLOR": "1"], terminal: true).stdout.contains("\u{1B}"))
                #expect(try !hcconnect(["failed"], schema: schema.name).stdout.contains("\u{1B}"))
            }
        }

        @Test func aTerminalGetsTheCompactLayout() throws {
            try TestDatabase.withConnectSchema { schema in
                try schema.insertEntry(state: "FAILED", sfid: "0015e00000AbCdEAAV", message: "boom")
                let narrow = try hcconnect(["failed", "--no-color"], schema: schema.name, terminal: true, columns: 100)
                #expect(narrow.lines[0] == "ID  IN    CREATED           STATE   ACTION  TABLE    RECORD  MESSAGE")
                #expect(narrow.lines[1].range(of: #"^ 1  live  \d{4}-\d\d-\d\d \d\d:\d\d  FAILED  UPDATE  account       1  boom$"#, options: .regularExpression) != nil)
                let wide = try hcconnect(["failed", "--no-color"], schema: schema.name, terminal: true, columns: 200)
                #expect(wide.lines[0].contains("SFID"))
                #expect(wide.lines[1].contains("0015e00000AbCdEAAV"))
                let piped = try hcconnect(["failed"], schema: schema.name)
                #expect(piped.lines[1].range(of: #"\d\d:\d\d:\d\d[+-]\d\d"#, options: .regularExpression) != nil)
                #expect(piped.lines[1].contains("0015e00000AbCdEAAV"))
            }
        }
    }
}
