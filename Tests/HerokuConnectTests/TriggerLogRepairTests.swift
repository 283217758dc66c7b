import Foundation
@testable import HerokuConnect
import Postgres
import TestSupport
import Testing

extension IntegrationSuites {
    /// Proves `TriggerLogRepair` against a real PostgreSQL holding the Heroku Connect emulation:
    /// the recovery procedures of both write modes in both log tables, ignore, the guards that
    /// leave everything but FAILED entries alone, row locks held by another session, batches
    /// and dry runs. Every test works in a schema of its own.
    @Suite(.tags(.database)) struct TriggerLogRepairTests {
        /// Every kind of repair: retry in both write modes (with and without `viaConnect`) and ignore.
        static let allActions: [RepairAction] = [
            .retry(.merged, viaConnect: false), .retry(.merged, viaConnect: true),
            .retry(.ordered, viaConnect: false), .retry(.ordered, viaConnect: true), .ignore,
        ]

        /// How a test's schema is named: plainly, or so that it needs quoting everywhere.
        enum SchemaName: CaseIterable, Sendable {
            case plain, needsQuoting

            func withSchema<T>(_ body: (ConnectTestSchema) throws -> T) throws -> T {
                let unique = TestDatabase.uniqueSchemaName()
                return try TestDatabase.withConnectSchema(named: self == .plain ? unique : "Odd \"S\" 'q' $$ \(unique)", body)
            }
        }

        // MARK: Merged writes

        /// A live FAILED entry goes back to NEW in place; no column but `state` changes and no
        /// live entry is written (with or without `viaConnect`, which concerns archived entries).
        @Test(arguments: [false, true])
        func mergedRetrySetsALiveFailedEntryBackToNewInPlace(viaConnect: Bool) throws {
            try TestDatabase.withConnectSchema { schema in
                let id = try schema.insertEntry(
                    state: "FAILED", action: "UPDATE", recordID: 4, sfid: "0015e00000AbCdEAAV",
                    values: #""name"=>"Acme, \"Q\" => x""#, old: #""name"=>"Acme""#, message: "UNABLE_TO_LOCK_ROW: busy")
                let unselected = try schema.insertEntry(state: "FAILED", recordID: 5)
                let unselectedBefore = try schema.logRow(unselected, .live)
                let before = try #require(try schema.logRow(id, .live))
                let sequence = try schema.sequenceState()

                let run = try runRepair(.retry(.merged, viaConnect: viaConnect), .ids([id]), in: schema)

                #expect(run.outcomes == [
                    RepairOutcome(id: id, location: .live, tableName: "account", recordID: 4, result: .changed(.requeuedInPlace, newID: nil))
                ])
                let after = try #require(try schema.logRow(id, .live))
                #expect(after["state"] == .some("NEW"))
                expectStamped(after, before)
                #expect(try schema.ids(in: .live) == [id, unselected])
                #expect(try schema.logRow(unselected, .live) == unselectedBefore)
                #expect(try schema.sequenceState() == sequence)
                #expect(run.summary.steps == [.requeuedInPlace: 1])
                #expect(run.summary.created == [])
                #expect(run.summary.requested == 1 && run.summary.changed == 1 && run.summary.isComplete)
            }
        }

        /// An archived FAILED entry is copied into the live log as a NEW entry whose every
        /// column but `id` and `state` equals the archived entry's; the new id is the live
        /// sequence's next value and is reported; the archived entry becomes REQUEUED.
        @Test(arguments: SchemaName.allCases)
        func mergedRetryCopiesAnArchivedFailedEntryIntoTheLiveLog(_ naming: SchemaName) throws {
            try naming.withSchema { schema in
                try schema.insertEntry(state: "SUCCESS", processed: true)  // an unrelated live entry
                let id = try schema.insertEntry(
                    archived: true, state: "FAILED", action: "UPDATE", recordID: 42, sfid: "0015e00000AbCdEAAV",
                    values: "\"description\"=>\"Line 1\nLine 2, \\\"quoted\\\" => \\\\ ünïcödé\", \"phone\"=>NULL",
                    old: #""description"=>NULL, "phone"=>"+49 30 1234567""#,
                    message: "FIELD_CUSTOM_VALIDATION_EXCEPTION: Billing City is required", createdAgo: "3 days")
                // Every column distinct, so that a column copied into another one shows.
                try schema.execute("""
                    UPDATE _trigger_log_archive SET txid = 7001, processed_tx = 7002, sf_result = 17,
                      created_at = '2024-03-01 10:00:00.123456+00', updated_at = '2024-03-01 10:05:00.5+00',
                      processed_at = '2024-03-01 10:04:00+00'
                    WHERE id = \(id)
                    """)
                let source = try #require(try schema.archivedRow(id))
                let lastBefore = try schema.sequenceLastValue()

                let run = try runRepair(.retry(.merged, viaConnect: false), .ids([id]), in: schema)

                let newID = lastBefore + 1
                #expect(try schema.sequenceLastValue() == newID)
                #expect(run.outcomes == [
                    RepairOutcome(id: id, location: .archive, tableName: "account", recordID: 42, result: .changed(.copiedToLive, newID: newID))
                ])
                #expect(run.summary.created == [RepairSummary.Created(sourceID: id, sourceLocation: .archive, newID: newID, step: .copiedToLive)])
                #expect(run.summary.steps == [.copiedToLive: 1])
                let copy = try #require(try schema.logRow(newID, .live))
                #expect(copy["state"] == .some("NEW"))
                #expect(copy.count == 15)
                expectStamped(copy, source, except: ["id"])
                let archived = try #require(try schema.archivedRow(id))
                #expect(archived["state"] == .some("REQUEUED"))
                expectStamped(archived, source)
                #expect(archived["updated_at"] == copy["updated_at"], "the copy and the REQUEUED entry share the retry's time")
                #expect(try schema.ids(in: .live).count == 2)
            }
        }

        /// With `viaConnect`, an archived FAILED entry is only set to REQUEUE, for Heroku
        /// Connect to copy back; no live entry is written.
        @Test func mergedRetryViaConnectMarksAnArchivedEntryRequeue() throws {
            try TestDatabase.withConnectSchema { schema in
                let id = try schema.insertEntry(archived: true, state: "FAILED", action: "INSERT", recordID: 3, message: "boom")
                let source = try #require(try schema.archivedRow(id))
                let sequence = try schema.sequenceState()

                let run = try runRepair(.retry(.merged, viaConnect: true), .ids([id]), in: schema)

                #expect(run.outcomes == [
                    RepairOutcome(id: id, location: .archive, tableName: "account", recordID: 3, result: .changed(.markedRequeue, newID: nil))
                ])
                let after = try #require(try schema.archivedRow(id))
                #expect(after["state"] == .some("REQUEUE"))
                expectStamped(after, source)
                #expect(try schema.ids(in: .live) == [])
                #expect(try schema.sequenceState() == sequence)
                #expect(run.summary.steps == [.markedRequeue: 1] && run.summary.created == [])
            }
        }

        // MARK: Ordered writes

        /// A FAILED INSERT is re-captured with `hc_capture_insert_from_row`: a new live INSERT
        /// entry, NEW, whose `values` is the whole current record but `_hc_lastop`/`_hc_err`,
        /// sfid NULL; the failed entry becomes REQUEUED and nothing else of it changes.
        @Test(arguments: TriggerLogLocation.allCases)
        func orderedRetryRecapturesAnInsertEntryFromTheCurrentRecord(_ location: TriggerLogLocation) throws {
            try TestDatabase.withConnectSchema { schema in
                let record = try schema.makeAccount(
                    name: "Acme", billingCity: "Berlin", description: "Key account, \"Anna\" => call\nfirst \\ ü")
                let id = try schema.insertEntry(
                    archived: location == .archive, state: "FAILED", action: "INSERT", recordID: record,
                    values: "\"id\"=>\"\(record)\", \"name\"=>\"Acme\", \"billingcity\"=>\"Berlin\"",
                    message: "REQUIRED_FIELD_MISSING: Required fields are missing: [Industry]")
                try schema.unlogged { try schema.execute("UPDATE account SET name = 'Acme Now', industry = 'Energy' WHERE id = \(record)") }
                let source = try #require(try schema.logRow(id, location))
                let expected = try schema.currentFields(of: record).filter { !RecordCapture.bookkeepingColumns.contains($0.key) }

                let run = try runRepair(.retry(.ordered, viaConnect: false), .ids([id]), in: schema)

                let newID = try #require(try schema.ids(in: .live).last)
                #expect(run.outcomes == [
                    RepairOutcome(id: id, location: location, tableName: "account", recordID: record, result: .changed(.capturedInsert, newID: newID))
                ])
                #expect(run.summary.created == [RepairSummary.Created(sourceID: id, sourceLocation: location, newID: newID, step: .capturedInsert)])
                let captured = try #require(try schema.store().entries(id: newID).first)
                #expect(!captured.isArchived)
                #expect(captured.action == .insert && captured.state == .new && captured.tableName == "account")
                #expect(captured.recordID == record && captured.sfid == nil && captured.old == nil)
                #expect(captured.values?.isWellFormed == true)
                #expect(captured.values.map(repairSortedPairs) == expected)
                #expect(captured.values?.keys.sorted() == repairAccountColumns.sorted())
                #expect(captured.values?["name"] == .some("Acme Now"))
                #expect(captured.values?["industry"] == .some("Energy"))
                let after = try #require(try schema.logRow(id, location))
                #expect(after["state"] == .some("REQUEUED"))
                expectStamped(after, source)
            }
        }

        /// A FAILED UPDATE is re-captured with `hc_capture_update_from_row` for exactly the
        /// columns its `values` names, with their CURRENT values (not the failed ones), and the
        /// record's sfid; the failed entry becomes REQUEUED.
        @Test(arguments: TriggerLogLocation.allCases, SchemaName.allCases)
        func orderedRetryRecapturesAnUpdateWithItsColumnsFromTheCurrentRecord(
            _ location: TriggerLogLocation, _ naming: SchemaName
        ) throws {
            try naming.withSchema { schema in
                let sfid = "0015e00000AbCdEAAV"
                let record = try schema.makeAccount(name: "Old Name", billingCity: "Old City", phone: "+1 1", sfid: sfid)
                let id = try schema.insertEntry(
                    archived: location == .archive, state: "FAILED", action: "UPDATE", recordID: record, sfid: sfid,
                    values: #""name"=>"Failed Name", "billingcity"=>"Failed City""#,
                    old: #""name"=>"Old Name", "billingcity"=>"Old City""#, message: "STRING_TOO_LONG")
                try schema.unlogged {
                    try schema.execute("UPDATE account SET name = 'Current Name', billingcity = 'München', phone = '+1 2' WHERE id = \(record)")
                }
                let source = try #require(try schema.logRow(id, location))

                let run = try runRepair(.retry(.ordered, viaConnect: false), .ids([id]), in: schema)

                let newID = try #require(try schema.ids(in: .live).last)
                #expect(run.outcomes == [
                    RepairOutcome(id: id, location: location, tableName: "account", recordID: record, result: .changed(.capturedUpdate, newID: newID))
                ])
                let captured = try #require(try schema.store().entries(id: newID).first)
                #expect(captured.action == .update && captured.state == .new && captured.tableName == "account")
                #expect(captured.recordID == record && captured.sfid == sfid && captured.old == nil)
                #expect(captured.values.map(repairSortedPairs) == [.init("billingcity", "München"), .init("name", "Current Name")])
                let after = try #require(try schema.logRow(id, location))
                #expect(after["state"] == .some("REQUEUED"))
                expectStamped(after, source)
                #expect(run.summary.steps == [.capturedUpdate: 1])
            }
        }

        /// A FAILED UPDATE without `values` (NULL or empty) is re-captured with every column of
        /// the record but `_hc_lastop`/`_hc_err` (an empty column list means all columns).
        @Test(arguments: [String?.none, ""], TriggerLogLocation.allCases)
        func orderedRetryOfAnUpdateWithoutValuesCapturesEveryColumn(_ values: String?, _ location: TriggerLogLocation) throws {
            try TestDatabase.withConnectSchema { schema in
                let sfid = "0015e00000XyZaBAAV"
                let record = try schema.makeAccount(name: "Globex", billingCity: "Paris", sfid: sfid)
                let id = try schema.insertEntry(
                    archived: location == .archive, state: "FAILED", action: "UPDATE", recordID: record, sfid: sfid, values: values)
                let expected = try schema.currentFields(of: record).filter { !RecordCapture.bookkeepingColumns.contains($0.key) }

                let run = try runRepair(.retry(.ordered, viaConnect: false), .ids([id]), in: schema)

                let newID = try #require(try schema.ids(in: .live).last)
                #expect(run.outcomes.map(\.result) == [.changed(.capturedUpdate, newID: newID)])
                let captured = try #require(try schema.store().entries(id: newID).first)
                #expect(captured.action == .update && captured.sfid == sfid)
                #expect(captured.values?.keys.sorted() == repairAccountColumns.sorted())
                #expect(captured.values.map(repairSortedPairs) == expected)
                #expect(try schema.logRow(id, location)?["state"] == .some("REQUEUED"))
            }
        }

        /// A FAILED DELETE cannot be re-captured: it is retried as under merged writes (live:
        /// NEW in place; archive: copied into the live log and set to REQUEUED).
        @Test(arguments: TriggerLogLocation.allCases)
        func orderedRetryOfADeleteFallsBackToMergedWrites(_ location: TriggerLogLocation) throws {
            try TestDatabase.withConnectSchema { schema in
                let id = try schema.insertEntry(
                    archived: location == .archive, state: "FAILED", action: "DELETE", recordID: 77, sfid: "0015e00000AbCdEAAV",
                    old: #""id"=>"77", "name"=>"Gone""#, message: "ENTITY_IS_DELETED: entity is deleted")
                let source = try #require(try schema.logRow(id, location))

                let run = try runRepair(.retry(.ordered, viaConnect: false), .ids([id]), in: schema)

                switch location {
                case .live:
                    #expect(run.outcomes.map(\.result) == [.changed(.requeuedInPlace, newID: nil)])
                    let after = try #require(try schema.logRow(id, .live))
                    #expect(after["state"] == .some("NEW"))
                    expectStamped(after, source)
                    #expect(try schema.ids(in: .live) == [id])
                case .archive:
                    let newID = try #require(try schema.ids(in: .live).first)
                    #expect(run.outcomes.map(\.result) == [.changed(.copiedToLive, newID: newID)])
                    #expect(try schema.ids(in: .live) == [newID])
                    let copy = try #require(try schema.logRow(newID, .live))
                    #expect(copy["state"] == .some("NEW"))
                    expectStamped(copy, source, except: ["id"])
                    #expect(try schema.logRow(id, .archive)?["state"] == .some("REQUEUED"))
                }
            }
        }

        /// An INSERT or UPDATE whose record no longer exists cannot be re-captured: it stays
        /// FAILED, untouched, and is reported as `recordMissing`; nothing is written.
        @Test(arguments: TriggerLogLocation.allCases)
        func orderedRetryLeavesAnEntryWhoseRecordIsGoneFailed(_ location: TriggerLogLocation) throws {
            try TestDatabase.withConnectSchema { schema in
                let insert = try schema.insertEntry(
                    archived: location == .archive, state: "FAILED", action: "INSERT", recordID: 501, withRecord: false)
                let update = try schema.insertEntry(
                    archived: location == .archive, state: "FAILED", action: "UPDATE", recordID: 502, values: #""name"=>"x""#,
                    withRecord: false)
                let before = try schema.snapshot()

                let run = try runRepair(.retry(.ordered, viaConnect: false), .ids([insert, update]), in: schema)

                #expect(run.outcomes == [
                    RepairOutcome(id: insert, location: location, tableName: "account", recordID: 501, result: .recordMissing),
                    RepairOutcome(id: update, location: location, tableName: "account", recordID: 502, result: .recordMissing),
                ])
                #expect(run.summary.recordMissing.map(\.id) == [insert, update])
                #expect(run.summary.recordMissing.map(\.state) == [.failed, .failed])
                #expect(run.summary.changed == 0 && !run.summary.isComplete)
                #expect(try schema.snapshot() == before)
            }
        }

        /// An INSERT or UPDATE of a table that is not mapped cannot be re-captured: it is
        /// reported as `tableNotMapped` and left alone.
        @Test(arguments: TriggerLogLocation.allCases)
        func orderedRetryOfAnUnmappedTableIsReportedAndLeftAlone(_ location: TriggerLogLocation) throws {
            try TestDatabase.withConnectSchema { schema in
                _ = try schema.makeAccount(name: "record 1 exists in account")
                let id = try schema.insertEntry(
                    archived: location == .archive, state: "FAILED", action: "UPDATE", table: "widget__c", recordID: 1,
                    values: #""name"=>"x""#)
                let before = try schema.snapshot()

                let run = try runRepair(.retry(.ordered, viaConnect: false), .ids([id]), in: schema)

                #expect(run.outcomes == [
                    RepairOutcome(id: id, location: location, tableName: "widget__c", recordID: 1, result: .tableNotMapped)
                ])
                #expect(run.summary.tableNotMapped.map(\.id) == [id])
                #expect(try schema.snapshot() == before)
            }
        }

        /// Under ordered writes the re-captures are written in the order of the failed entries
        /// (records in the order of their oldest failed change), one per record: a record whose
        /// INSERT and a later UPDATE failed is captured once, with hc_capture_insert_from_row,
        /// at the place of its INSERT, and the UPDATE is coalesced into it.
        @Test(arguments: TriggerLogLocation.allCases)
        func orderedRetryWritesTheCapturesInTheOrderOfTheFailedEntries(_ location: TriggerLogLocation) throws {
            try TestDatabase.withConnectSchema { schema in
                let records = try (1...4).map { try schema.makeAccount(name: "Account \($0)") }
                // Entries for the records in reverse record order, and two for the last record.
                let archived = location == .archive
                let entries = [
                    try schema.insertEntry(archived: archived, action: "INSERT", recordID: records[3]),
                    try schema.insertEntry(archived: archived, action: "UPDATE", recordID: records[2], values: #""name"=>"a""#),
                    try schema.insertEntry(archived: archived, action: "UPDATE", recordID: records[1], values: #""name"=>"b""#),
                    try schema.insertEntry(archived: archived, action: "UPDATE", recordID: records[0], values: #""name"=>"c""#),
                    try schema.insertEntry(archived: archived, action: "UPDATE", recordID: records[3], values: #""name"=>"d""#),
                ]

                let run = try runRepair(.retry(.ordered, viaConnect: false), .ids(entries), in: schema)

                #expect(run.outcomes.map(\.id) == entries)
                let written = try schema.store().entries(matching: TriggerLogQuery().source(.live).ordered(.idAscending))
                    .filter { $0.state == .new }
                #expect(written.map(\.recordID) == [records[3], records[2], records[1], records[0]])
                #expect(written.map(\.action) == [.insert, .update, .update, .update])
                let ids = written.map(\.id)
                #expect(run.outcomes.map(\.result) == [
                    .coalesced(into: entries[4], newID: ids[0]),
                    .changed(.capturedUpdate, newID: ids[1]),
                    .changed(.capturedUpdate, newID: ids[2]),
                    .changed(.capturedUpdate, newID: ids[3]),
                    .changed(.capturedInsert, newID: ids[0]),
                ])
                #expect(run.summary.created.map(\.newID).sorted() == ids)
                #expect(run.summary.coalesced.map(\.id) == [entries[0]])
                #expect(try entries.map { try schema.logRow($0, location)?["state"] } == Array(repeating: "REQUEUED", count: 5))
            }
        }

        /// Across the two log tables too: an archived FAILED INSERT and a later live FAILED
        /// UPDATE of the same record are one capture of the whole record with
        /// hc_capture_insert_from_row (an UPDATE replayed before the INSERT, or after it with
        /// no sfid yet, would fail); the UPDATE is coalesced into it.
        @Test func orderedRetryCapturesARecordWhoseInsertAndUpdateFailedOnceAsAnInsert() throws {
            try TestDatabase.withConnectSchema { schema in
                let record = try schema.makeAccount(name: "Initech")
                let insert = try schema.insertEntry(archived: true, state: "FAILED", action: "INSERT", recordID: record, createdAgo: "2 days")
                let update = try schema.insertEntry(state: "FAILED", action: "UPDATE", recordID: record, values: #""name"=>"x""#)

                let run = try runRepair(.retry(.ordered, viaConnect: false), .ids([insert, update]), in: schema)

                #expect(run.summary.steps == [.capturedInsert: 1, .coalesced: 1])
                let captures = try schema.store().entries(matching: TriggerLogQuery().source(.live).ordered(.idAscending))
                    .filter { $0.state == .new }
                #expect(captures.map(\.action) == [.insert])
                #expect(captures.first?.values?["name"] == .some("Initech"))
                // the newest entry carries the capture; the INSERT is coalesced into it
                #expect(run.outcomes.map(\.result) == [
                    .coalesced(into: update, newID: captures.first?.id), .changed(.capturedInsert, newID: captures.first?.id),
                ])
                #expect(try schema.logRow(insert, .archive)?["state"] == .some("REQUEUED"))
                #expect(try schema.logRow(update, .live)?["state"] == .some("REQUEUED"))
            }
        }

        /// The order holds across mapped tables: a FAILED contact INSERT older than a FAILED
        /// account INSERT is captured first (a child inserted before its parent would be the
        /// reverse of what the user did).
        @Test func orderedRetryCapturesAcrossTablesInEntryOrder() throws {
            try TestDatabase.withConnectSchema { schema in
                let account = try schema.makeAccount(name: "Parent")
                let contact = try schema.unlogged {
                    try schema.connection.query(
                        "INSERT INTO \(schema.quoted).contact (lastname) VALUES ('Child') RETURNING id")[0].int(0)!
                }
                let first = try schema.insertEntry(state: "FAILED", action: "INSERT", table: "contact", recordID: contact)
                let second = try schema.insertEntry(state: "FAILED", action: "INSERT", table: "account", recordID: account)

                let run = try runRepair(.retry(.ordered, viaConnect: false), .ids([first, second]), in: schema)

                #expect(run.summary.changed == 2)
                let written = try schema.store().entries(matching: TriggerLogQuery().source(.live).ordered(.idAscending))
                    .filter { $0.state == .new }
                // Entry order across mapped tables, not one table after the other.
                #expect(written.map(\.tableName) == ["contact", "account"])
            }
        }

        /// An UPDATE entry whose `values` is not readable hstore cannot say which columns to
        /// capture: it is reported and left FAILED, and the rest of its batch is still captured.
        @Test(arguments: [false, true])
        func orderedRetryReportsAnEntryWithUnreadableValuesAndCapturesTheRest(dryRun: Bool) throws {
            try TestDatabase.withConnectSchema { schema in
                let record = try schema.makeAccount(name: "Initech")
                let broken = try schema.insertEntry(state: "FAILED", action: "UPDATE", recordID: record, values: #""name"=>"unclosed"#)
                let fine = try schema.insertEntry(archived: true, state: "FAILED", action: "UPDATE", recordID: record, values: #""name"=>"x""#)

                let run = try runRepair(.retry(.ordered, viaConnect: false), .ids([broken, fine]), in: schema, dryRun: dryRun)

                #expect(run.summary.valuesUnreadable.map(\.id) == [broken])
                #expect(run.summary.steps == [.capturedUpdate: 1])
                #expect(!run.summary.isComplete)
                let states = try schema.connection.query("""
                    SELECT (SELECT state FROM \(schema.quoted)._trigger_log WHERE id = $1),
                           (SELECT state FROM \(schema.quoted)._trigger_log_archive WHERE id = $2)
                    """, [.int(broken), .int(fine)])[0]
                #expect(states.string(0) == "FAILED")
                #expect(states.string(1) == (dryRun ? "FAILED" : "REQUEUED"))
            }
        }

        // MARK: Ignore

        /// Ignore sets FAILED entries to IGNORED, live and archived, changing nothing else and
        /// writing no live entry.
        @Test func ignoreSetsFailedEntriesToIgnoredInBothTables() throws {
            try TestDatabase.withConnectSchema { schema in
                let live = try schema.insertEntry(state: "FAILED", action: "UPDATE", recordID: 1, message: "a")
                let archived = try schema.insertEntry(archived: true, state: "FAILED", action: "DELETE", table: "contact", recordID: 2)
                let unselected = [try schema.insertEntry(state: "FAILED"), try schema.insertEntry(archived: true, state: "FAILED")]
                let unselectedBefore = [try schema.logRow(unselected[0], .live), try schema.archivedRow(unselected[1])]
                let liveBefore = try #require(try schema.logRow(live, .live))
                let archivedBefore = try #require(try schema.archivedRow(archived))
                let sequence = try schema.sequenceState()

                let run = try runRepair(.ignore, .ids([archived, live]), in: schema)

                #expect(run.outcomes == [
                    RepairOutcome(id: live, location: .live, tableName: "account", recordID: 1, result: .changed(.ignored, newID: nil)),
                    RepairOutcome(id: archived, location: .archive, tableName: "contact", recordID: 2, result: .changed(.ignored, newID: nil)),
                ])
                let liveAfter = try #require(try schema.logRow(live, .live))
                let archivedAfter = try #require(try schema.archivedRow(archived))
                #expect(liveAfter["state"] == .some("IGNORED") && archivedAfter["state"] == .some("IGNORED"))
                expectStamped(liveAfter, liveBefore)
                expectStamped(archivedAfter, archivedBefore)
                #expect(try schema.ids(in: .live) == [live, unselected[0]])
                #expect([try schema.logRow(unselected[0], .live), try schema.archivedRow(unselected[1])] == unselectedBefore)
                #expect(try schema.sequenceState() == sequence)
                #expect(run.summary.steps == [.ignored: 2] && run.summary.isComplete)
            }
        }
    }
}
