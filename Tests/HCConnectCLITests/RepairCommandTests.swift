import Foundation
import Postgres
import TestSupport
import Testing


extension IntegrationSuites {
    /// `retry` and `ignore` from the command line: selection by ids, standard input and
    /// `--failed` filters; write modes; the guards (states, locks, confirmation); dry runs;
    /// the result in every format; and wrong command lines.
    @Suite(.tags(.database)) struct RepairCommandTests {
        /// A log with failures live and archived, and rows that must never be touched.
        struct Fixture {
            let schema: ConnectTestSchema
            var liveFailed = 0, archivedFailed = 0, liveOtherFailed = 0, archivedOtherFailed = 0
            var liveSuccess = 0, liveNew = 0, livePending = 0, liveIgnored = 0, archivedSuccess = 0

            init(_ schema: ConnectTestSchema) throws {
                self.schema = schema
                archivedFailed = try schema.insertEntry(
                    archived: true, state: "FAILED", action: "INSERT", table: "contact", recordID: 5,
                    values: #""lastname"=>NULL, "email"=>"x@example.com""#,
                    message: "REQUIRED_FIELD_MISSING: Required fields are missing: [LastName]", createdAgo: "3 days")
                archivedOtherFailed = try schema.insertEntry(
                    archived: true, state: "FAILED", action: "UPDATE", table: "account", recordID: 1, sfid: accountSFID,
                    values: #""billingcity"=>"Berlin""#, old: #""billingcity"=>"Bonn""#,
                    message: "FIELD_CUSTOM_VALIDATION_EXCEPTION: Billing City is required", createdAgo: "2 days")
                archivedSuccess = try schema.insertEntry(archived: true, state: "SUCCESS", recordID: 2, createdAgo: "2 days")
                liveSuccess = try schema.insertEntry(state: "SUCCESS", recordID: 1, createdAgo: "90 minutes")
                liveFailed = try schema.insertEntry(
                    state: "FAILED", action: "UPDATE", table: "account", recordID: 1, sfid: accountSFID,
                    values: #""name"=>"Acme, \"Inc\"""#, message: "UNABLE_TO_LOCK_ROW: unable to obtain exclusive access",
                    createdAgo: "1 hour")
                liveOtherFailed = try schema.insertEntry(
                    state: "FAILED", action: "DELETE", table: "opportunity", recordID: 9, sfid: opportunitySFID,
                    message: "ENTITY_IS_DELETED: entity is deleted", createdAgo: "50 minutes")
                // (opportunity 9 is deleted: its row stays gone, or its failed DELETE would not be retried)
                liveNew = try schema.insertEntry(state: "NEW", action: "INSERT", table: "opportunity", recordID: 9,
                                                 createdAgo: "5 minutes", processed: false, withRecord: false)
                livePending = try schema.insertEntry(state: "PENDING", recordID: 3, createdAgo: "4 minutes", processed: false)
                liveIgnored = try schema.insertEntry(state: "IGNORED", recordID: 4, createdAgo: "3 minutes")
            }

            var log: LogTables { LogTables(schema) }
        }

        // MARK: - Merged retry by ids

        @Test func mergedRetryByIdsRequeuesLiveInPlaceAndCopiesArchivedBack() throws {
            try TestDatabase.withConnectSchema { schema in
                let f = try Fixture(schema)
                let before = try f.log.dump()
                let liveBefore = try f.log.row(f.liveFailed)
                let archivedBefore = try f.log.row(f.archivedFailed, archived: true)
                let result = try hcconnect(["retry", String(f.liveFailed), String(f.archivedFailed)], schema: schema.name)
                #expect(result.status == 0, "\(result.stderr)")
                #expect(result.stdout == "")
                let after = try f.log.dump()
                let newIDs = Set(try f.log.liveIDs()).subtracting(before.keys.compactMap { $0.hasPrefix("live ") ? Int($0.dropFirst(5)) : nil })
                #expect(newIDs.count == 1)
                let newID = try #require(newIDs.first)
                #expect(newID == f.liveIgnored + 1, "the new id comes from the live sequence")
                #expect(result.stderr == """
                    retry (merged writes): 2 requested, 2 changed
                      live FAILED → NEW: 1
                      archived FAILED → copied to the live log as NEW, archived entry REQUEUED: 1 (new live ids: \(f.archivedFailed)→\(newID))

                    """)
                // The live failure is NEW in place, every other column as it was.
                let liveAfter = try f.log.row(f.liveFailed)
                #expect(liveAfter?["state"] as? String == "NEW")
                #expect(sameColumns(liveBefore, liveAfter, except: ["state", "updated_at"]))
                // The archived failure is REQUEUED, and copied with every column but id and state.
                let archivedAfter = try f.log.row(f.archivedFailed, archived: true)
                #expect(archivedAfter?["state"] as? String == "REQUEUED")
                #expect(sameColumns(archivedBefore, archivedAfter, except: ["state", "updated_at"]))
                let copy = try f.log.row(newID)
                #expect(copy?["state"] as? String == "NEW")
                #expect(sameColumns(archivedBefore, copy, except: ["id", "state", "updated_at"]))
                #expect(copy?["sf_message"] as? String == "REQUIRED_FIELD_MISSING: Required fields are missing: [LastName]")
                #expect(try f.log.row(f.archivedFailed) == nil, "the archived id is not reused in the live log")
                expectUnchanged(
                    before, after, except: ["live \(f.liveFailed)", "archive \(f.archivedFailed)", "sequence"],
                    added: ["live \(newID)"])
            }
        }

        @Test func idsComeFromStandardInputOnePerLineAsFormatIdsWritesThem() throws {
            try TestDatabase.withConnectSchema { schema in
                let f = try Fixture(schema)
                let before = try f.log.dump()
                let bad = try hcconnect(["retry", "-"], schema: schema.name, input: "\(f.liveFailed)\nabc\n\(f.archivedFailed)\n")
                #expect(bad.status == 2)
                #expect(bad.stderr == "hcconnect: standard input, line 2: 'abc' is not a trigger log id (a whole number above 0)\n")
                #expect(bad.stdout == "")
                #expect(try f.log.dump() == before, "nothing changed")

                // Blank lines, surrounding spaces and CRLF line ends are fine.
                let result = try hcconnect(
                    ["retry", "-"], schema: schema.name, input: "\n\(f.liveFailed)\r\n   \n \(f.liveOtherFailed) \n\n")
                #expect(result.status == 0, "\(result.stderr)")
                #expect(result.stderr == "retry (merged writes): 2 requested, 2 changed\n  live FAILED → NEW: 2\n")
                #expect(try f.log.state(f.liveFailed) == "NEW")
                #expect(try f.log.state(f.liveOtherFailed) == "NEW")
                expectUnchanged(before, try f.log.dump(), except: ["live \(f.liveFailed)", "live \(f.liveOtherFailed)"])

                // What a listing selected, piped in: the archive's remaining failures.
                let listed = try hcconnect(["failed", "--in", "archive", "--format", "ids"], schema: schema.name)
                #expect(listed.stdout == "\(f.archivedOtherFailed)\n\(f.archivedFailed)\n")
                let ignored = try hcconnect(["ignore", "-"], schema: schema.name, input: listed.stdout)
                #expect(ignored.status == 0, "\(ignored.stderr)")
                #expect(try f.log.state(f.archivedFailed, archived: true) == "IGNORED")
                #expect(try f.log.state(f.archivedOtherFailed, archived: true) == "IGNORED")
            }
        }

        // MARK: - --failed and its filters

        /// A log where every filter of `failed` selects a different subset of the FAILED rows,
        /// with rows in other states that match the filters too.
        struct FilterFixture {
            /// Name → (id, archived, state).
            var rows: [String: (id: Int, archived: Bool, state: String)] = [:]

            init(_ schema: ConnectTestSchema) throws {
                func add(_ name: String, archived: Bool = false, state: String = "FAILED", action: String, table: String,
                         recordID: Int, sfid: String? = nil, message: String, ago: String) throws {
                    let id = try schema.insertEntry(
                        archived: archived, state: state, action: action, table: table, recordID: recordID, sfid: sfid,
                        values: action == "DELETE" ? nil : #""name"=>"x""#, message: message, createdAgo: ago)
                    rows[name] = (id, archived, state)
                }
                try add("a", action: "UPDATE", table: "account", recordID: 1, sfid: accountSFID,
                        message: "UNABLE_TO_LOCK_ROW: unable to obtain exclusive access", ago: "1 hour")
                try add("b", archived: true, action: "UPDATE", table: "account", recordID: 1, sfid: accountSFID,
                        message: "FIELD_CUSTOM_VALIDATION_EXCEPTION: Billing City is required", ago: "2 days")
                try add("c", archived: true, action: "INSERT", table: "contact", recordID: 5,
                        message: "REQUIRED_FIELD_MISSING: [LastName]", ago: "3 days")
                try add("d", action: "DELETE", table: "opportunity", recordID: 9, sfid: opportunitySFID,
                        message: "ENTITY_IS_DELETED: entity is deleted", ago: "30 minutes")
                // Not FAILED, though they match most filters. (e is of another record than a and b:
                // a later SUCCESS of their record would make them superseded.)
                try add("e", state: "SUCCESS", action: "UPDATE", table: "account", recordID: 2, sfid: accountSFID,
                        message: "UNABLE_TO_LOCK_ROW: earlier", ago: "1 hour")
                try add("f", archived: true, state: "IGNORED", action: "INSERT", table: "contact", recordID: 5,
                        message: "REQUIRED_FIELD_MISSING: [LastName]", ago: "3 days")
                try add("g", state: "NEW", action: "DELETE", table: "opportunity", recordID: 9, sfid: opportunitySFID,
                        message: "ENTITY_IS_DELETED: again", ago: "10 minutes")
                try add("h", archived: true, state: "REQUEUED", action: "UPDATE", table: "account", recordID: 1,
                        sfid: accountSFID, message: "UNABLE_TO_LOCK_ROW: old", ago: "2 days")
            }
        }

        struct FilterCase: Sendable, CustomStringConvertible {
            let filters: [String]
            let selected: [String]
            var description: String { filters.joined(separator: " ") + " → " + selected.joined(separator: ",") }
        }

        static let filterCases: [FilterCase] = [
            FilterCase(filters: [], selected: ["a", "b", "c", "d"]),
            FilterCase(filters: ["--table", "account"], selected: ["a", "b"]),
            FilterCase(filters: ["--table", "Opportunity,CONTACT"], selected: ["c", "d"]),
            FilterCase(filters: ["--in", "live"], selected: ["a", "d"]),
            FilterCase(filters: ["--in", "archive"], selected: ["b", "c"]),
            FilterCase(filters: ["--in", "all"], selected: ["a", "b", "c", "d"]),
            FilterCase(filters: ["--action", "insert"], selected: ["c"]),
            FilterCase(filters: ["--action", "UPDATE", "--action", "delete"], selected: ["a", "b", "d"]),
            FilterCase(filters: ["--since", "1d"], selected: ["a", "d"]),
            FilterCase(filters: ["--until", "1d"], selected: ["b", "c"]),
            FilterCase(filters: ["--since", "4d", "--until", "40m"], selected: ["a", "b", "c"]),
            FilterCase(filters: ["--message", "unable_to_LOCK"], selected: ["a"]),
            FilterCase(filters: ["--record-id", "1"], selected: ["a", "b"]),
            FilterCase(filters: ["--record-id", "5,9"], selected: ["c", "d"]),
            FilterCase(filters: ["--sfid", "0015e00000AbCdE"], selected: ["a", "b"]),
            FilterCase(filters: ["--sfid", opportunitySFID], selected: ["d"]),
            FilterCase(filters: ["--table", "account", "--in", "archive"], selected: ["b"]),
        ]

        @Test(arguments: ["retry", "ignore"], filterCases)
        func failedSelectsOnlyTheFailedEntriesTheFiltersMatch(command: String, filter: FilterCase) throws {
            try TestDatabase.withConnectSchema { schema in
                let fixture = try FilterFixture(schema)
                let log = LogTables(schema)
                let liveBefore = try log.liveIDs()
                let result = try hcconnect(
                    [command, "--failed"] + filter.filters + ["--yes", "--format", "json"], schema: schema.name)
                #expect(result.status == 0, "\(result.stderr)")
                let object = try singleJSONObject(result.stdout)
                #expect(object["requested"] as? Int == filter.selected.count)
                #expect(object["changed"] as? Int == filter.selected.count)
                #expect(object["skipped"] as? Int == 0)
                for (name, row) in fixture.rows {
                    let expected: String
                    if !filter.selected.contains(name) {
                        expected = row.state
                    } else if command == "ignore" {
                        expected = "IGNORED"
                    } else {
                        expected = row.archived ? "REQUEUED" : "NEW"
                    }
                    #expect(try log.state(row.id, archived: row.archived) == expected, "\(name)")
                }
                let copies = command == "retry" ? filter.selected.filter { fixture.rows[$0]!.archived }.count : 0
                #expect(try log.liveIDs().count == liveBefore.count + copies)
            }
        }

        @Test func unknownTablesInASelectionAreNotFoundWithASuggestion() throws {
            try TestDatabase.withConnectSchema { schema in
                let f = try Fixture(schema)
                let before = try f.log.dump()
                let close = try hcconnect(["retry", "--failed", "--table", "acount", "--yes"], schema: schema.name)
                #expect(close.status == 3)
                #expect(close.stderr == "hcconnect: no table \"acount\" in schema \"\(schema.name)\" is mapped or has trigger log entries; did you mean \"account\"?\n")
                let nosuch = try hcconnect(["ignore", "--failed", "--table", "nosuch", "--yes"], schema: schema.name)
                #expect(nosuch.status == 3)
                #expect(nosuch.stderr.hasPrefix("hcconnect: no table \"nosuch\" in schema \"\(schema.name)\" is mapped or has trigger log entries"))
                #expect(nosuch.stdout == "")
                #expect(try f.log.dump() == before)
            }
        }

        // MARK: - Write modes

        @Test func theWriteModeComesFromTheOptionThenTheEnvironmentThenDefaultsToMerged() throws {
            try TestDatabase.withConnectSchema { schema in
                let log = LogTables(schema)
                try log.insertRecords("INSERT INTO account (id, name, billingcity, sfid) VALUES (1, 'Acme', 'Berlin', '\(accountSFID)')")
                var failures: [Int] = []
                for _ in 0..<5 {
                    failures.append(try schema.insertEntry(
                        state: "FAILED", action: "UPDATE", table: "account", recordID: 1, sfid: accountSFID,
                        values: #""name"=>"Old""#, message: "boom"))
                }
                func retry(_ id: Int, _ options: [String], environment: [String: String] = [:]) throws -> [String: Any] {
                    let result = try hcconnect(
                        ["retry", String(id), "--format", "json"] + options, schema: schema.name, environment: environment)
                    #expect(result.status == 0, "\(result.stderr)")
                    return try singleJSONObject(result.stdout)
                }
                let byDefault = try retry(failures[0], [])
                #expect(byDefault["write_mode"] as? String == "merged")
                #expect(byDefault["steps"] as? [String: Int] == ["live-to-new": 1])
                #expect(try log.state(failures[0]) == "NEW")

                let byOption = try retry(failures[1], ["--write-mode", "ordered"])
                #expect(byOption["write_mode"] as? String == "ordered")
                #expect(byOption["steps"] as? [String: Int] == ["capture-update": 1])
                #expect(try log.state(failures[1]) == "REQUEUED")

                let byEnvironment = try retry(failures[2], [], environment: ["HEROKU_CONNECT_WRITE_MODE": "ordered"])
                #expect(byEnvironment["write_mode"] as? String == "ordered")
                #expect(try log.state(failures[2]) == "REQUEUED")

                let optionWins = try retry(failures[3], ["--write-mode", "merged"], environment: ["HEROKU_CONNECT_WRITE_MODE": "ordered"])
                #expect(optionWins["write_mode"] as? String == "merged")
                #expect(try log.state(failures[3]) == "NEW")

                // --verbose says which mode, and the text result names it.
                let verbose = try hcconnect(
                    ["retry", String(failures[4]), "--verbose"], schema: schema.name, environment: ["HEROKU_CONNECT_WRITE_MODE": "ordered"])
                #expect(verbose.status == 0)
                #expect(verbose.stderr.hasPrefix("hcconnect: write mode: ordered\n"))
                #expect(verbose.stderr.contains("\nretry (ordered writes): 1 requested, 1 changed\n"))

                // Bad values name the option or the variable; nothing is changed.
                let fresh = try schema.insertEntry(state: "FAILED", recordID: 1, message: "boom")
                let before = try log.dump()
                let badOption = try hcconnect(["retry", String(fresh), "--write-mode", "fast"], schema: schema.name)
                #expect(badOption.status == 2)
                #expect(badOption.stderr == "hcconnect: --write-mode: 'fast' is not merged or ordered\n")
                let badVariable = try hcconnect(
                    ["retry", String(fresh)], schema: schema.name, environment: ["HEROKU_CONNECT_WRITE_MODE": "sideways"])
                #expect(badVariable.status == 2)
                #expect(badVariable.stderr == "hcconnect: HEROKU_CONNECT_WRITE_MODE: 'sideways' is not merged or ordered\n")
                #expect(badVariable.stdout == "")
                #expect(try log.dump() == before)
            }
        }

        @Test func viaConnectSetsArchivedFailuresToRequeueAndWritesNoLiveRow() throws {
            try TestDatabase.withConnectSchema { schema in
                let f = try Fixture(schema)
                let before = try f.log.dump()
                let result = try hcconnect(
                    ["retry", String(f.archivedFailed), String(f.liveFailed), "--via-connect", "--format", "json"], schema: schema.name)
                #expect(result.status == 0, "\(result.stderr)")
                let object = try singleJSONObject(result.stdout)
                #expect(object["via_connect"] as? Bool == true)
                #expect(object["steps"] as? [String: Int] == ["archive-requeue": 1, "live-to-new": 1])
                #expect((object["created"] as? [Any])?.isEmpty == true)
                #expect(try f.log.state(f.archivedFailed, archived: true) == "REQUEUE")
                #expect(try f.log.state(f.liveFailed) == "NEW")
                expectUnchanged(before, try f.log.dump(), except: ["archive \(f.archivedFailed)", "live \(f.liveFailed)"])

                let text = try hcconnect(["retry", String(f.archivedOtherFailed), "--via-connect"], schema: schema.name)
                #expect(text.status == 0)
                #expect(text.stderr == """
                    retry (merged writes, via Connect): 1 requested, 1 changed
                      archived FAILED → REQUEUE (Heroku Connect copies it back): 1

                    """)
            }
        }

        @Test func orderedRetryRecapturesInsertsAndUpdatesAndFallsBackToMergedForDeletes() throws {
            try TestDatabase.withConnectSchema { schema in
                let log = LogTables(schema)
                try log.insertRecords("""
                    INSERT INTO account (id, name, billingcity, phone, sfid) VALUES
                      (1, 'Acme Now', 'Hamburg', '+49 40 1', '\(accountSFID)'),
                      (2, 'Beta Now', 'Kiel', '+49 431 1', '0015e00000XyZaBAAV')
                    """)
                try log.insertRecords("""
                    INSERT INTO contact (id, firstname, lastname, email) VALUES (5, 'Ada', 'Lovelace', 'ada@example.com')
                    """)
                let update = try schema.insertEntry(
                    state: "FAILED", action: "UPDATE", table: "account", recordID: 1, sfid: accountSFID,
                    values: #""name"=>"Acme Old", "billingcity"=>"Bonn""#, old: #""name"=>"Acme", "billingcity"=>"Köln""#,
                    message: "FIELD_CUSTOM_VALIDATION_EXCEPTION")
                let insert = try schema.insertEntry(
                    archived: true, state: "FAILED", action: "INSERT", table: "contact", recordID: 5,
                    values: #""lastname"=>NULL, "id"=>"5""#, message: "REQUIRED_FIELD_MISSING", createdAgo: "2 days")
                // (another account: two UPDATEs of one record would be one capture)
                let updateAll = try schema.insertEntry(
                    archived: true, state: "FAILED", action: "UPDATE", table: "account", recordID: 2, sfid: "0015e00000XyZaBAAV",
                    values: nil, message: "UNABLE_TO_LOCK_ROW", createdAgo: "1 day")
                let liveDelete = try schema.insertEntry(
                    state: "FAILED", action: "DELETE", table: "account", recordID: 3, sfid: "0015e00000ZzZzZAAV",
                    old: #""name"=>"Gone""#, message: "ENTITY_IS_DELETED")
                let archivedDelete = try schema.insertEntry(
                    archived: true, state: "FAILED", action: "DELETE", table: "contact", recordID: 6, message: "ENTITY_IS_DELETED",
                    createdAgo: "1 day")
                let missing = try schema.insertEntry(
                    state: "FAILED", action: "UPDATE", table: "account", recordID: 99, values: #""name"=>"Nobody""#, message: "x",
                    withRecord: false)
                let unmapped = try schema.insertEntry(
                    state: "FAILED", action: "UPDATE", table: "lead", recordID: 1, values: #""name"=>"L""#, message: "x")
                let untouched = try schema.insertEntry(state: "FAILED", action: "UPDATE", table: "account", recordID: 1, message: "y")
                let before = try log.dump()
                let archivedDeleteBefore = try log.row(archivedDelete, archived: true)
                let liveDeleteBefore = try log.row(liveDelete)

                let ids = [update, insert, updateAll, liveDelete, archivedDelete, missing, unmapped].map(String.init)
                let result = try hcconnect(["retry", "--write-mode", "ordered", "--format", "json"] + ids, schema: schema.name)
                #expect(result.status == 1, "a record that is gone leaves its entry FAILED: \(result.stderr)")
                let object = try singleJSONObject(result.stdout)
                #expect(object["write_mode"] as? String == "ordered")
                #expect(object["requested"] as? Int == 7)
                #expect(object["changed"] as? Int == 5)
                #expect(object["skipped"] as? Int == 0)
                #expect(object["steps"] as? [String: Int] == [
                    "live-to-new": 1, "archive-copied": 1, "capture-insert": 1, "capture-update": 2,
                ])
                let missingList = try #require(object["record_missing"] as? [[String: Any]])
                #expect(missingList.map { $0["id"] as? Int } == [missing])
                #expect(missingList.first?["record_id"] as? Int == 99)
                #expect(missingList.first?["table_name"] as? String == "account")
                let unmappedList = try #require(object["table_not_mapped"] as? [[String: Any]])
                #expect(unmappedList.map { $0["id"] as? Int } == [unmapped])

                let created = try #require(object["created"] as? [[String: Any]])
                var newID: [Int: Int] = [:]
                var steps: [Int: String] = [:]
                for item in created {
                    let source = try #require(item["id"] as? Int)
                    newID[source] = item["new_id"] as? Int
                    steps[source] = item["step"] as? String
                }
                #expect(steps == [update: "capture-update", insert: "capture-insert", updateAll: "capture-update", archivedDelete: "archive-copied"])
                #expect(created.first { $0["id"] as? Int == insert }?["in"] as? String == "archive")
                #expect(created.first { $0["id"] as? Int == update }?["in"] as? String == "live")

                let updateCopy = try #require(newID[update])
                let insertCopy = try #require(newID[insert])
                let updateAllCopy = try #require(newID[updateAll])
                let deleteCopy = try #require(newID[archivedDelete])

                // UPDATE: exactly the failed entry's columns, with the record's values now.
                let capturedUpdate = try #require(try log.row(updateCopy))
                #expect(capturedUpdate["state"] as? String == "NEW")
                #expect(capturedUpdate["action"] as? String == "UPDATE")
                #expect(capturedUpdate["table_name"] as? String == "account")
                #expect(capturedUpdate["record_id"] as? Int == 1)
                #expect(capturedUpdate["sfid"] as? String == accountSFID)
                #expect(capturedUpdate["old"] is NSNull)
                #expect(try log.values(updateCopy) as? [String: String] == ["name": "Acme Now", "billingcity": "Hamburg"])
                #expect(try log.state(update) == "REQUEUED")

                // UPDATE with no values: every column.
                let accountColumns = Set(try log.columns(of: "account")).subtracting(["_hc_lastop", "_hc_err"])
                let all = try #require(try log.values(updateAllCopy))
                #expect(Set(all.keys) == accountColumns)
                #expect(all["name"] as? String == "Beta Now")
                #expect(all["phone"] as? String == "+49 431 1")
                #expect(try log.state(updateAll, archived: true) == "REQUEUED")

                // INSERT: the whole record as it is now.
                let capturedInsert = try #require(try log.row(insertCopy))
                #expect(capturedInsert["action"] as? String == "INSERT")
                #expect(capturedInsert["state"] as? String == "NEW")
                #expect(capturedInsert["sfid"] is NSNull)
                #expect(capturedInsert["record_id"] as? Int == 5)
                let insertValues = try #require(try log.values(insertCopy))
                #expect(Set(insertValues.keys) == Set(try log.columns(of: "contact")).subtracting(["_hc_lastop", "_hc_err"]))
                #expect(insertValues["lastname"] as? String == "Lovelace")
                #expect(insertValues["email"] as? String == "ada@example.com")
                #expect(insertValues["id"] as? String == "5")
                #expect(try log.state(insert, archived: true) == "REQUEUED")

                // DELETE: merged writes' procedure.
                #expect(try log.state(liveDelete) == "NEW")
                #expect(sameColumns(liveDeleteBefore, try log.row(liveDelete), except: ["state", "updated_at"]))
                #expect(try log.state(archivedDelete, archived: true) == "REQUEUED")
                let copy = try log.row(deleteCopy)
                #expect(copy?["state"] as? String == "NEW")
                #expect(sameColumns(archivedDeleteBefore, copy, except: ["id", "state", "updated_at"]))

                // Missing record and unmapped table: reported, still FAILED.
                #expect(try log.state(missing) == "FAILED")
                #expect(try log.state(unmapped) == "FAILED")
                let changed: Set<String> = [
                    "live \(update)", "archive \(insert)", "archive \(updateAll)", "live \(liveDelete)", "archive \(archivedDelete)",
                    "sequence",
                ]
                expectUnchanged(before, try log.dump(), except: changed, added: Set(newID.values.map { "live \($0)" }))
                #expect(try log.state(untouched) == "FAILED")

                // The same run as text: what was done and what was not.
                let again = try schema.insertEntry(
                    state: "FAILED", action: "UPDATE", table: "account", recordID: 99, values: #""name"=>"Nobody""#, message: "x",
                    withRecord: false)
                let text = try hcconnect(["retry", "--write-mode", "ordered", String(again), String(missing)], schema: schema.name)
                #expect(text.status == 1)
                #expect(text.stderr == """
                    retry (ordered writes): 2 requested, 0 changed, 2 left alone
                      not retried, the record no longer exists (still FAILED): 2 (\(missing) account 99, \(again) account 99)

                    """)
            }
        }
    }
}
