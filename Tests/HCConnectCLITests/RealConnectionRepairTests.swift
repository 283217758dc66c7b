import Foundation
import Postgres
import TestSupport
import Testing

extension IntegrationSuites {
    /// What was seen when hcconnect repaired real connections (issue 13), one test per finding,
    /// run through the command line as an operator runs it, and checked in the database. Each
    /// of them failed on the code before the repairs looked at the record and the mapping.
    @Suite(.tags(.database)) struct RealConnectionRepairTests {
        // MARK: - 1. Read-only mappings

        /// On a connection whose mappings are all read-only, nothing puts a change back into the
        /// live log: not a single id (ordered or merged), not a --failed selection, not cleanup.
        /// Only the capture commands refused before.
        @Test func aReadOnlyMappingIsNeverRetried() throws {
            try TestDatabase.withConnectSchema(kind: .readOnly) { schema in
                let log = LogTables(schema)
                try log.insertRecords("INSERT INTO account (id, name, sfid) VALUES (7, 'Acme', '\(accountSFID)')")
                let live = try schema.insertEntry(
                    state: "FAILED", action: "UPDATE", recordID: 7, sfid: accountSFID, values: #""name"=>"Acme 2""#,
                    message: "UNABLE_TO_LOCK_ROW: unable to obtain exclusive access")
                let archived = try schema.insertEntry(
                    archived: true, state: "FAILED", action: "INSERT", recordID: 7, values: #""name"=>"Acme""#,
                    message: "UNABLE_TO_LOCK_ROW: unable to obtain exclusive access", createdAgo: "2 days")
                let before = try log.dump()

                for mode in ["ordered", "merged"] {
                    let one = try hcconnect(["retry", String(live), "--write-mode", mode], schema: schema.name)
                    #expect(one.status == 1, "\(mode): \(one.stderr)")
                    #expect(one.stderr == """
                        hcconnect: entry \(live) (live) was not retried: account is a read-only mapping: Heroku Connect never \
                        writes its changes to Salesforce (hcconnect ignore \(live) silences it)

                        """, "\(mode)")
                    let bulk = try hcconnect(
                        ["retry", "--failed", "--yes", "--write-mode", mode, "--format", "json"], schema: schema.name)
                    #expect(bulk.status == 1, "\(mode): \(bulk.stderr)")
                    let object = try singleJSONObject(bulk.stdout)
                    #expect(object["changed"] as? Int == 0)
                    #expect((object["read_only"] as? [[String: Any]])?.compactMap { $0["id"] as? Int }.sorted() == [live, archived])
                    let cleanup = try hcconnect(
                        ["cleanup", "--yes", "--retry-matching", "UNABLE_TO_LOCK_ROW", "--write-mode", mode, "--json"],
                        schema: schema.name)
                    #expect(cleanup.status == 1, "\(mode): \(cleanup.stderr)")
                }
                // --table names a table whose failures cannot be retried: refused before anything
                let named = try hcconnect(["retry", "--failed", "--table", "account", "--yes"], schema: schema.name)
                #expect(named.status == 2)
                #expect(named.stderr.hasPrefix("hcconnect: account is a read-only mapping"), "\(named.stderr)")
                #expect(try log.dump() == before, "nothing changed")
                // ignoring them is fine
                let ignored = try hcconnect(["ignore", String(live)], schema: schema.name)
                #expect(ignored.status == 0)
                #expect(try log.state(live) == "IGNORED")
            }
        }

        // MARK: - 2. Superseded failures, and one capture per record

        /// Under ordered writes a record's failures become one capture (UPDATEs with the union of
        /// their columns); a failed INSERT of a record that has its sfid, and an UPDATE whose
        /// columns a later SUCCESS wrote, are not sent again.
        @Test func supersededFailuresAreSkippedAndARecordIsCapturedOnce() throws {
            try TestDatabase.withConnectSchema { schema in
                let log = LogTables(schema)
                try log.insertRecords("""
                    INSERT INTO account (id, name, phone, billingcity, sfid) VALUES
                      (1, 'Has SFID', NULL, NULL, '\(accountSFID)'),
                      (2, 'Many Failures', '+49 1', 'Berlin', '0015e00000XyZaBAAV'),
                      (3, 'Fixed Later', NULL, 'Paris', '0015e00000QrStUAAV')
                    """)
                let insertWithSFID = try schema.insertEntry(
                    archived: true, action: "INSERT", recordID: 1, values: #""name"=>"Has SFID""#, message: "UNABLE_TO_LOCK_ROW: a",
                    createdAgo: "3 days")
                var many: [Int] = []
                for (index, column) in ["name", "phone", "billingcity", "name"].enumerated() {
                    many.append(try schema.insertEntry(
                        archived: index < 2, action: "UPDATE", recordID: 2, sfid: "0015e00000XyZaBAAV",
                        values: "\"\(column)\"=>\"x\"", message: "UNABLE_TO_LOCK_ROW: b", createdAgo: "\(10 - index) hours"))
                }
                let fixedLater = try schema.insertEntry(
                    action: "UPDATE", recordID: 3, values: #""billingcity"=>"Lyon""#, message: "UNABLE_TO_LOCK_ROW: c",
                    createdAgo: "2 hours")
                let success = try schema.insertEntry(
                    state: "SUCCESS", action: "UPDATE", recordID: 3, values: #""billingcity"=>"Paris", "name"=>"Fixed Later""#,
                    createdAgo: "1 hour")
                let liveBefore = try log.liveIDs()

                let result = try hcconnect(
                    ["retry", "--failed", "--write-mode", "ordered", "--yes", "--format", "json"], schema: schema.name)

                #expect(result.status == 1, "two superseded entries are left: \(result.stderr)")
                let object = try singleJSONObject(result.stdout)
                let written = try log.liveIDs().filter { !liveBefore.contains($0) }
                #expect(written.count == 1, "one capture for account 2, none else: \(written)")
                let first = try #require(written.first)
                let capture = try #require(try log.row(first))
                #expect(capture["record_id"] as? Int == 2 && capture["action"] as? String == "UPDATE")
                #expect(try log.values(written[0]) as? [String: String] == ["name": "Many Failures", "phone": "+49 1", "billingcity": "Berlin"])
                #expect(try many.enumerated().map { try log.state($1, archived: $0 < 2) } == ["REQUEUED", "REQUEUED", "REQUEUED", "REQUEUED"])
                #expect(object["steps"] as? [String: Int] == ["capture-update": 1, "coalesced": 3])
                let superseded = try #require(object["superseded"] as? [[String: Any]])
                #expect(superseded.map { $0["id"] as? Int } == [insertWithSFID, fixedLater])
                #expect(superseded.map { $0["superseded_by"] as? Int } == [nil, success])
                #expect(try log.state(insertWithSFID, archived: true) == "FAILED")
                #expect(try log.state(fixedLater) == "FAILED")

                // --include-superseded sends them anyway
                let forced = try hcconnect(
                    ["retry", String(fixedLater), "--write-mode", "ordered", "--include-superseded"], schema: schema.name)
                #expect(forced.status == 0, "\(forced.stderr)")
                #expect(try log.state(fixedLater) == "REQUEUED")
            }
        }

        // MARK: - 3. Deleted records

        /// A merged retry (here cleanup's) does not re-queue an INSERT or UPDATE whose record's
        /// row is gone: Connect would create or change a Salesforce record with no row here.
        @Test func aMergedRetryDoesNotReviveADeletedRecord() throws {
            try TestDatabase.withConnectSchema { schema in
                let log = LogTables(schema)
                let deleted = try schema.insertEntry(
                    archived: true, action: "INSERT", recordID: 404, values: #""name"=>"Deleted""#,
                    message: "UNABLE_TO_LOCK_ROW: unable to obtain exclusive access", createdAgo: "1 day", withRecord: false)
                let alive = try schema.insertEntry(
                    archived: true, action: "INSERT", recordID: 5, values: #""name"=>"Alive""#,
                    message: "UNABLE_TO_LOCK_ROW: unable to obtain exclusive access", createdAgo: "1 day")
                let liveBefore = try log.liveIDs()

                let result = try hcconnect(
                    ["cleanup", "--yes", "--retry-matching", "UNABLE_TO_LOCK_ROW", "--json"], schema: schema.name)

                #expect(result.status == 1, "\(result.stderr)")
                let retry = try #require(try singleJSONObject(result.stdout)["retry"] as? [String: Any])
                #expect((retry["record_missing"] as? [[String: Any]])?.map { $0["id"] as? Int } == [deleted])
                #expect(try log.state(deleted, archived: true) == "FAILED")
                #expect(try log.state(alive, archived: true) == "REQUEUED")
                #expect(try log.liveIDs().count == liveBefore.count + 1, "one copy, of the record that exists")
            }
        }

        // MARK: - 4. Backlog age after a retry

        /// Right after a retry the backlog is young: a live entry set back to NEW, an archived
        /// one copied back, and one set to REQUEUE for Connect (once Connect copied it) all wait
        /// since the retry, not since their capture a day ago, so `check --max-backlog-age 15m`
        /// passes.
        @Test(arguments: ["live", "archive", "via-connect"])
        func aRetryDoesNotMakeTheBacklogOld(_ how: String) throws {
            try TestDatabase.withConnectSchema { schema in
                let id = try schema.insertEntry(
                    archived: how != "live", action: "UPDATE", values: #""name"=>"x""#, message: "UNABLE_TO_LOCK_ROW: x",
                    createdAgo: "22 hours")
                let retry = try hcconnect(["retry", String(id)] + (how == "via-connect" ? ["--via-connect"] : []), schema: schema.name)
                #expect(retry.status == 0, "\(retry.stderr)")
                let check = try hcconnect(["check", "--max-backlog-age", "15m", "--format", "json"], schema: schema.name)
                #expect(check.status == 0, "\(check.stdout)")
                let object = try singleJSONObject(check.stdout)
                let figures = try #require(object["figures"] as? [String: Any])
                if how == "via-connect" {
                    // an archived REQUEUE entry is Connect's to copy back; check cannot see it
                    // without reading the whole archive, so it joins the backlog once copied
                    #expect(figures["backlog"] as? Int == 0, "\(figures)")
                    let exact = try singleJSONObject(try hcconnect(["stats", "--exact", "--json"], schema: schema.name).stdout)
                    #expect(((exact["totals"] as? [String: Any])?["archive"] as? [String: Int])?["REQUEUE"] == 1)
                    try schema.execute(
                        "UPDATE _trigger_log_archive SET state = 'REQUEUED' WHERE id = $1", [.int(id)])
                    try schema.execute("""
                        INSERT INTO _trigger_log (state, updated_at, created_at, action, table_name, record_id, "values")
                        SELECT 'NEW', now(), created_at, action, table_name, record_id, "values" FROM _trigger_log_archive WHERE id = $1
                        """, [.int(id)])
                    let copied = try hcconnect(["check", "--max-backlog-age", "15m", "--format", "json"], schema: schema.name)
                    let after = try #require(try singleJSONObject(copied.stdout)["figures"] as? [String: Any])
                    #expect(after["backlog"] as? Int == 1, "Connect's copy waits: \(after)")
                    #expect(try #require(after["backlog_oldest_age_seconds"] as? NSNumber).doubleValue < 60)
                } else {
                    #expect(figures["backlog"] as? Int == 1, "the retried entry waits for Connect: \(figures)")
                    let age = try #require(figures["backlog_oldest_age_seconds"] as? NSNumber)
                    #expect(age.doubleValue < 60)
                }
                // a day-old entry that nobody retried is old, as before
                try schema.insertEntry(state: "NEW", action: "UPDATE", recordID: 2, createdAgo: "1 day", processed: false)
                let stuck = try hcconnect(["check", "--max-backlog-age", "15m"], schema: schema.name)
                #expect(stuck.status == 1)
                #expect(stuck.stdout.hasPrefix("oldest backlog entry is 1d old"), "\(stuck.stdout)")
            }
        }

        // MARK: - 5. A deleted mapping's entries

        /// A table whose mapping was deleted still has entries: --table finds them in every
        /// reading command; a retry of them is refused with the reason, an ignore works.
        @Test func aTableWhoseMappingWasDeletedIsStillAFilter() throws {
            try TestDatabase.withConnectSchema { schema in
                let live = try schema.insertEntry(
                    action: "UPDATE", table: "el_history__c", recordID: 3, values: #""name"=>"x""#, message: "INVALID_TYPE: gone")
                let archived = try schema.insertEntry(
                    archived: true, action: "INSERT", table: "el_history__c", recordID: 4, message: "INVALID_TYPE: gone",
                    createdAgo: "2 days")
                try schema.insertEntry(action: "UPDATE", table: "account", message: "other")
                func ids(_ arguments: [String]) throws -> [Int] {
                    let result = try hcconnect(arguments + ["--format", "ids"], schema: schema.name)
                    #expect(result.status == 0, "\(arguments): \(result.stderr)")
                    return result.lines.compactMap { Int($0) }
                }
                #expect(try ids(["failed", "--table", "el_history__c"]) == [live, archived])
                #expect(try ids(["failed", "--table", "EL_History__c"]) == [live, archived])
                #expect(try ids(["list", "--table", "el_history__c", "--in", "archive"]) == [archived])
                #expect(try ids(["history", "el_history__c", "4"]) == [archived])
                let stats = try hcconnect(["stats", "--table", "el_history__c", "--format", "json"], schema: schema.name)
                #expect(stats.status == 0, "\(stats.stderr)")
                let totals = try #require(try singleJSONObject(stats.stdout)["totals"] as? [String: Any])
                #expect(totals["failed"] as? Int == 2)
                let retry = try hcconnect(["retry", "--failed", "--table", "el_history__c", "--yes"], schema: schema.name)
                #expect(retry.status == 2)
                #expect(retry.stderr == """
                    hcconnect: el_history__c is not mapped (any more): Connect does not process its entries, so its failures \
                    cannot be retried (hcconnect ignore --failed --table el_history__c silences them)

                    """)
                let ignore = try hcconnect(["ignore", "--failed", "--table", "el_history__c", "--yes"], schema: schema.name)
                #expect(ignore.status == 0, "\(ignore.stderr)")
                #expect(try ids(["failed", "--table", "el_history__c"]) == [])
                // a name no table has is still not found
                let typo = try hcconnect(["failed", "--table", "el_histroy__c"], schema: schema.name)
                #expect(typo.status == 3)
                #expect(typo.stderr.hasPrefix("hcconnect: no table \"el_histroy__c\" in schema"), "\(typo.stderr)")
            }
        }

        // MARK: - 6. An sfid as typed

        /// An sfid whose checksum does not match its case is found as typed, before hcconnect
        /// restores the case from the checksum.
        @Test func anSfidIsLookedUpAsTypedFirst() throws {
            try TestDatabase.withConnectSchema { schema in
                let stored = "0015e00000Qtz01AAA"  // "AAA" says all lower case; the value is not
                let log = LogTables(schema)
                try log.insertRecords("INSERT INTO account (id, name, sfid) VALUES (12, 'Odd', '\(stored)')")
                let entry = try schema.insertEntry(action: "UPDATE", recordID: 12, sfid: stored, message: "x")
                let history = try hcconnect(["history", "account", "--sfid", stored, "--format", "ids"], schema: schema.name)
                #expect(history.status == 0, "\(history.stderr)")
                #expect(history.lines == [String(entry)])
                let failed = try hcconnect(["failed", "--sfid", stored, "--format", "ids"], schema: schema.name)
                #expect(failed.lines == [String(entry)])
                let capture = try hcconnect(["capture-update", "account", "--sfid", stored, "--fields", "Name"], schema: schema.name)
                #expect(capture.status == 0, "\(capture.stderr)")
                // an id that is nowhere is reported as typed
                let unknown = try hcconnect(["history", "account", "--sfid", "0015e00000Zzz01AAA"], schema: schema.name)
                #expect(unknown.status == 3)
                #expect(unknown.stderr == "hcconnect: account has no record with sfid 0015e00000Zzz01AAA\n")
            }
        }

        // MARK: - 7. An id in both log tables

        /// An id FAILED in both log tables is one change: it is sent once (the live entry back
        /// to NEW), the archived twin is set to REQUEUED as coalesced, nothing is copied; under
        /// ordered writes one capture.
        @Test(arguments: ["merged", "ordered"])
        func anIdInBothLogTablesIsRetriedOnce(mode: String) throws {
            try TestDatabase.withConnectSchema { schema in
                let log = LogTables(schema)
                let id = try schema.insertEntry(archived: true, action: "INSERT", recordID: 8, message: "UNABLE_TO_LOCK_ROW: x")
                try schema.insertEntry(action: "INSERT", recordID: 8, message: "UNABLE_TO_LOCK_ROW: x", id: id)
                let liveBefore = try log.liveIDs()

                let result = try hcconnect(["retry", String(id), "--write-mode", mode, "--format", "json"], schema: schema.name)

                #expect(result.status == 0, "\(result.stderr)")
                let object = try singleJSONObject(result.stdout)
                #expect(object["requested"] as? Int == 2)
                #expect(object["changed"] as? Int == 2)
                let written = try log.liveIDs().filter { !liveBefore.contains($0) }
                if mode == "merged" {
                    #expect(object["steps"] as? [String: Int] == ["live-to-new": 1, "coalesced": 1])
                    #expect(written == [], "no copy of the archived twin")
                    #expect(try log.state(id) == "NEW")
                } else {
                    #expect(object["steps"] as? [String: Int] == ["capture-insert": 1, "coalesced": 1])
                    #expect(written.count == 1, "one capture")
                    #expect(try log.state(id) == "REQUEUED")
                }
                #expect(try log.state(id, archived: true) == "REQUEUED")
            }
        }
    }
}
