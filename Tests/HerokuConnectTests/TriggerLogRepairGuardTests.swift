import Foundation
@testable import HerokuConnect
import Postgres
import TestSupport
import Testing

/// The guards of a repair: states, selections, batches, locks and dry runs.
extension IntegrationSuites.TriggerLogRepairTests {
    // MARK: Guards

    /// Entries named explicitly that are not FAILED, in any state (documented, unknown or
    /// NULL) and either table, are reported with their state and left byte for byte as
    /// they were, whatever the repair.
    @Test(arguments: allActions)
    func entriesThatAreNotFailedAreReportedAndLeftAlone(_ action: RepairAction) throws {
        try TestDatabase.withConnectSchema { schema in
            _ = try schema.makeAccount(name: "record 1 exists")
            let states: [String?] = ["SUCCESS", "NEW", "PENDING", "IGNORED", "IGNORE", "MERGED", "READONLY", "REQUEUE", "REQUEUED", "failed", "WEIRD", nil]
            var expected: [RepairOutcome] = []
            for state in states {
                for location in TriggerLogLocation.allCases {
                    let id = try schema.insertEntry(archived: location == .archive, state: state, action: "UPDATE", recordID: 1, values: #""name"=>"x""#)
                    expected.append(RepairOutcome(
                        id: id, location: location, tableName: "account", recordID: 1,
                        result: .notFailed(state.map(TriggerLogState.init(rawValue:)))))
                }
            }
            let before = try schema.snapshot()

            let run = try runRepair(action, .ids(expected.map(\.id)), in: schema)

            #expect(run.outcomes == expected)
            #expect(run.summary.notFailed.map(\.id) == expected.map(\.id))
            #expect(run.summary.notFailed.map(\.state) == expected.map { outcome -> TriggerLogState? in
                if case .notFailed(let state) = outcome.result { return state }
                return .failed
            })
            #expect(run.summary.changed == 0 && run.summary.skipped == expected.count)
            #expect(try schema.snapshot() == before)
        }
    }

    /// Explicit ids in neither table are reported as not found, in the candidates and in
    /// the summary, and the others are changed.
    @Test func unknownExplicitIDsAreReportedNotFound() throws {
        try TestDatabase.withConnectSchema { schema in
            let id = try schema.insertEntry(state: "FAILED")
            let repair = TriggerLogRepair(store: try schema.store())
            let candidates = try repair.candidates(for: .ids([999_999, id, 888_888, id]))
            #expect(candidates.targets == [TriggerLogRepair.Target(id: id, location: .live)])
            #expect(candidates.notFound == [888_888, 999_999])
            #expect(candidates.isExplicit && candidates.requested == 3)

            let summary = try repair.run(.ignore, on: candidates)

            #expect(summary.notFound == [888_888, 999_999])
            #expect(summary.requested == 3 && summary.changed == 1 && summary.handled == 3 && !summary.isComplete)
            #expect(try schema.logRow(id, .live)?["state"] == .some("IGNORED"))
        }
    }

    /// A `.failed` selection takes only FAILED entries, and only those its filters (table,
    /// source, action, message) match; the run changes exactly those.
    @Test func aFailedSelectionChangesOnlyTheFailedEntriesItsFiltersMatch() throws {
        try TestDatabase.withConnectSchema { schema in
            let a = try schema.insertEntry(state: "FAILED", action: "INSERT", table: "account", message: "DUPLICATE_VALUE: dup")
            let b = try schema.insertEntry(archived: true, state: "FAILED", action: "UPDATE", table: "account", message: "UNABLE_TO_LOCK_ROW")
            let c = try schema.insertEntry(state: "FAILED", action: "UPDATE", table: "contact", message: "DUPLICATE_VALUE: other")
            let d = try schema.insertEntry(archived: true, state: "FAILED", action: "DELETE", table: "contact", message: "ENTITY_IS_DELETED")
            let e = try schema.insertEntry(state: "SUCCESS", action: "UPDATE", table: "account", message: "DUPLICATE_VALUE: old")
            let f = try schema.insertEntry(archived: true, state: "IGNORED", action: "UPDATE", table: "contact", message: "DUPLICATE_VALUE")
            let repair = TriggerLogRepair(store: try schema.store())
            func selected(_ query: TriggerLogQuery) throws -> [TriggerLogRepair.Target] {
                let candidates = try repair.candidates(for: .failed(query))
                #expect(!candidates.isExplicit && candidates.notFound == [])
                return candidates.targets
            }
            func live(_ id: Int) -> TriggerLogRepair.Target { .init(id: id, location: .live) }
            func archive(_ id: Int) -> TriggerLogRepair.Target { .init(id: id, location: .archive) }

            #expect(try selected(TriggerLogQuery()) == [live(a), archive(b), live(c), archive(d)])
            // The query's own states are replaced by FAILED.
            #expect(try selected(TriggerLogQuery().states([.success, .ignored])) == [live(a), archive(b), live(c), archive(d)])
            #expect(try selected(TriggerLogQuery().tables(["contact"])) == [live(c), archive(d)])
            #expect(try selected(TriggerLogQuery().source(.live)) == [live(a), live(c)])
            #expect(try selected(TriggerLogQuery().source(.archive)) == [archive(b), archive(d)])
            #expect(try selected(TriggerLogQuery().actions([.update])) == [archive(b), live(c)])
            #expect(try selected(TriggerLogQuery().message(containing: "duplicate_value")) == [live(a), live(c)])
            #expect(try selected(TriggerLogQuery().tables(["account"]).source(.archive)) == [archive(b)])

            let before = try schema.snapshot()
            let candidates = try repair.candidates(for: .failed(TriggerLogQuery().message(containing: "DUPLICATE_VALUE")))
            let summary = try repair.run(.ignore, on: candidates)

            #expect(summary.requested == 2 && summary.steps == [.ignored: 2])
            #expect(try schema.states() == [
                "live \(a) IGNORED", "live \(c) IGNORED", "live \(e) SUCCESS",
                "archive \(b) FAILED", "archive \(d) FAILED", "archive \(f) IGNORED",
            ])
            // Apart from the two states and their time of change, nothing changed (the
            // fixtures' updated_at is their created_at).
            try schema.execute("UPDATE _trigger_log SET state = 'FAILED', updated_at = created_at WHERE id IN (\(a), \(c))")
            #expect(try schema.snapshot() == before)
        }
    }

    /// `max` caps the selection: the lowest ids first, for queries and explicit ids.
    @Test func maxCapsTheSelectionToTheLowestIDs() throws {
        try TestDatabase.withConnectSchema { schema in
            let ids = try (0..<5).map { try schema.insertEntry(archived: $0 % 2 == 1, state: "FAILED") }
            let repair = TriggerLogRepair(store: try schema.store())

            let capped = try repair.candidates(for: .failed(TriggerLogQuery()), max: 3)
            #expect(capped.targets.map(\.id) == Array(ids.prefix(3)))
            #expect(capped.targets.map(\.location) == [.live, .archive, .live])
            let explicit = try repair.candidates(for: .ids(ids.reversed()), max: 2)
            #expect(explicit.targets.map(\.id) == Array(ids.prefix(2)))

            let summary = try repair.run(.ignore, on: capped)

            #expect(summary.requested == 3 && summary.changed == 3)
            #expect(try schema.store().entries(matching: .failed().ordered(.idAscending)).map(\.id) == Array(ids.suffix(2)))
        }
    }

    /// Batches of 2 over 7 entries make 4 batches, each reported to the observer, and the
    /// same end state as one batch.
    @Test(arguments: [RepairAction.retry(.merged, viaConnect: false), .retry(.ordered, viaConnect: false), .ignore])
    func batchesOfTwoGiveTheSameEndStateAsOneBatch(_ action: RepairAction) throws {
        func fixture(_ schema: ConnectTestSchema) throws -> [Int] {
            try (0..<7).map { n in
                // the DELETE's record is gone (a DELETE of a row that exists is not sent again)
                let record = n == 5 ? 10_000 : try schema.makeAccount(name: "Account \(n)")
                return try schema.insertEntry(
                    archived: n % 3 == 1, state: "FAILED", action: n == 5 ? "DELETE" : "UPDATE", recordID: record,
                    values: #""name"=>"x""#, createdAgo: "\(10 - n) hours")
            }
        }
        let oneBatch = try TestDatabase.withConnectSchema { schema in
            let ids = try fixture(schema)
            let run = try runRepair(action, .ids(ids), in: schema)
            #expect(run.batchSummaries.count == 1 && run.summary.batches == 1)
            return (run.summary, try schema.timelessState())
        }
        try TestDatabase.withConnectSchema { schema in
            let ids = try fixture(schema)

            let run = try runRepair(action, .ids(ids), in: schema, batchSize: 2)

            #expect(run.summary.batches == 4)
            #expect(run.batchSummaries.map(\.batches) == [1, 2, 3, 4])
            #expect(run.batchSummaries.map(\.changed) == [2, 4, 6, 7])
            #expect(run.outcomes.map(\.id) == ids)
            #expect(run.summary.changed == 7 && run.summary.isComplete)
            #expect(run.summary.steps == oneBatch.0.steps)
            #expect(run.summary.created.map(\.sourceID).sorted() == oneBatch.0.created.map(\.sourceID).sorted())
            #expect(try schema.timelessState() == oneBatch.1)
        }
    }

    /// When the observer throws after the first batch, that batch stays committed, the
    /// others are untouched, and the observer's error reaches the caller.
    @Test func anObserverErrorStopsTheRunAfterTheCommittedBatch() throws {
        struct Stop: Error, Equatable {}
        try TestDatabase.withConnectSchema { schema in
            // four records: a record's entries would share a batch
            let ids = try (0..<4).map { try schema.insertEntry(state: "FAILED", recordID: $0 + 1) }
            let repair = TriggerLogRepair(store: try schema.store())
            let candidates = try repair.candidates(for: .ids(ids))
            var seen: [RepairSummary] = []

            #expect(throws: Stop()) {
                try repair.run(.ignore, on: candidates, batchSize: 2) { summary, _, _ in
                    seen.append(summary)
                    throw Stop()
                }
            }

            #expect(seen.map(\.changed) == [2])
            #expect(try schema.states() == ids.enumerated().map { "live \($1) \($0 < 2 ? "IGNORED" : "FAILED")" })
            #expect(!schema.connection.isInTransaction)
        }
    }

    // MARK: Locks

    /// In bulk, an entry another session holds locked is skipped and reported as locked;
    /// the others are changed.
    @Test(arguments: allActions, TriggerLogLocation.allCases)
    func aBulkRunSkipsAnEntryAnotherSessionHolds(_ action: RepairAction, _ location: TriggerLogLocation) throws {
        try TestDatabase.withConnectSchema { schema in
            let ids = try schema.failedUpdates(3, in: location)
            try schema.connection.execute("SET lock_timeout = '10s'")
            try schema.holdingLock(on: ids[1], in: location) {
                let lockedBefore = try schema.logRow(ids[1], location)

                let run = try runRepair(action, .ids(ids), in: schema)

                #expect(run.outcomes.map(\.id) == ids)
                let step = updateStep(action, location)
                #expect(run.outcomes.map(\.withoutNewID.result) == [.changed(step, newID: nil), .locked, .changed(step, newID: nil)])
                #expect(run.summary.changed == 2)
                #expect(run.summary.locked.map(\.id) == [ids[1]])
                #expect(try schema.logRow(ids[1], location) == lockedBefore)
                #expect(try schema.logRow(ids[0], location)?["state"] != .some("FAILED"))
                #expect(try schema.logRow(ids[2], location)?["state"] != .some("FAILED"))
            }
        }
    }

    /// A `.failed` selection skips a locked entry too, in both tables.
    @Test(arguments: [RepairAction.retry(.merged, viaConnect: false), .retry(.ordered, viaConnect: false)])
    func aFailedSelectionSkipsALockedEntry(_ action: RepairAction) throws {
        try TestDatabase.withConnectSchema { schema in
            let live = try schema.failedUpdates(2, in: .live)
            let archived = try schema.failedUpdates(2, in: .archive)
            try schema.connection.execute("SET lock_timeout = '10s'")
            try schema.holdingLock(on: archived[0], in: .archive) {
                let run = try runRepair(action, .failed(TriggerLogQuery()), in: schema)

                #expect(run.summary.requested == 4)
                #expect(run.summary.locked.map(\.id) == [archived[0]])
                #expect(run.summary.changed == 3)
                #expect(try schema.store().entries(matching: .failed()).map(\.id) == [archived[0]])
                let liveState = action == .retry(.merged, viaConnect: false) ? "NEW" : "REQUEUED"
                #expect(try live.map { try schema.logRow($0, .live)?["state"] } == [.some(liveState), .some(liveState)])
            }
        }
    }

    /// A single explicit entry that another session holds is an error at once (NOWAIT, not
    /// a wait for the lock), and nothing changes.
    @Test(arguments: allActions, TriggerLogLocation.allCases)
    func aSingleLockedEntryIsAnErrorAtOnce(_ action: RepairAction, _ location: TriggerLogLocation) throws {
        try TestDatabase.withConnectSchema { schema in
            let id = try schema.failedUpdates(1, in: location)[0]
            // Were the lock waited for, the wait would end after 10 s (with the same SQLSTATE).
            try schema.connection.execute("SET lock_timeout = '10s'")
            try schema.holdingLock(on: id, in: location) {
                let before = try schema.snapshot()
                let repair = TriggerLogRepair(store: try schema.store())
                let candidates = try repair.candidates(for: .ids([id]))
                let clock = ContinuousClock()
                let start = clock.now
                #expect(throws: HerokuConnectError.entryLocked(id: id)) {
                    try repair.run(action, on: candidates)
                }
                #expect(clock.now - start < .seconds(5))
                #expect(try schema.snapshot() == before)
                #expect(!schema.connection.isInTransaction)
            }
            // Once the lock is released, the same run succeeds.
            #expect(try runRepair(action, .ids([id]), in: schema).summary.changed == 1)
        }
    }

    // MARK: Dry run

    /// A dry run reports the outcomes a real run then has (the steps; new ids are not known),
    /// passes the entries to the observer, and changes no byte of either log table nor the
    /// live sequence.
    @Test(arguments: allActions)
    func aDryRunReportsWhatARealRunDoesAndChangesNothing(_ action: RepairAction) throws {
        try TestDatabase.withConnectSchema { schema in
            let one = try schema.makeAccount(name: "One", sfid: "0015e00000AbCdEAAV")
            let two = try schema.makeAccount(name: "Two")
            let liveUpdate = try schema.insertEntry(state: "FAILED", action: "UPDATE", recordID: one, values: #""name"=>"x""#)
            let archivedInsert = try schema.insertEntry(archived: true, state: "FAILED", action: "INSERT", recordID: two)
            let missing = try schema.insertEntry(
                state: "FAILED", action: "UPDATE", recordID: 999, values: #""name"=>"x""#, withRecord: false)
            let archivedMissing = try schema.insertEntry(
                archived: true, state: "FAILED", action: "INSERT", recordID: 998, withRecord: false)
            let archivedDelete = try schema.insertEntry(archived: true, state: "FAILED", action: "DELETE", recordID: 3)
            let liveDelete = try schema.insertEntry(state: "FAILED", action: "DELETE", recordID: 4)
            let unmapped = try schema.insertEntry(state: "FAILED", action: "INSERT", table: "widget__c", recordID: one)
            let success = try schema.insertEntry(state: "SUCCESS", recordID: one)
            let ignored = try schema.insertEntry(archived: true, state: "IGNORED", recordID: one)
            let ids = [liveUpdate, archivedInsert, missing, archivedMissing, archivedDelete, liveDelete, unmapped, success, ignored, 424_242]
            let entriesBefore = try schema.store().entries(matching: TriggerLogQuery().ordered(.idAscending))
            let before = try schema.snapshot()

            let dry = try runRepair(action, .ids(ids), in: schema, batchSize: 4, dryRun: true)

            #expect(try schema.snapshot() == before)
            // a record's entries stay in one batch: account `one` has three, so the first
            // batch is theirs and account `two`'s
            let batches = TriggerLogRepair.batches(dry.candidates.entries, size: 4)
            #expect(batches.map { $0.map(\.target.id).sorted() } == [
                [liveUpdate, archivedInsert, success, ignored], [missing, archivedMissing, archivedDelete, liveDelete], [unmapped],
            ])
            #expect(dry.summary.isDryRun && dry.summary.batches == 3)
            #expect(dry.summary.notFound == [424_242])
            let byID = { (entries: [TriggerLogEntry]) in entries.sorted { ($0.id, $0.isArchived ? 1 : 0) < ($1.id, $1.isArchived ? 1 : 0) } }
            #expect(byID(dry.observedEntries) == entriesBefore)

            // What the dry run says, worked out from the recovery procedures and the rule.
            let ordered = { if case .retry(.ordered, _) = action { true } else { false } }()
            let viaConnect = action == .retry(.merged, viaConnect: true) || action == .retry(.ordered, viaConnect: true)
            func expected(_ id: Int) -> RepairOutcome.Result {
                if id == success { return .notFailed(.success) }
                if id == ignored { return .notFailed(.ignored) }
                if action == .ignore { return .changed(.ignored, newID: nil) }
                if id == unmapped { return .tableNotMapped }
                if id == missing || id == archivedMissing { return .recordMissing }
                let isArchived = [archivedInsert, archivedMissing, archivedDelete].contains(id)
                let merged: RepairStep = !isArchived ? .requeuedInPlace : viaConnect ? .markedRequeue : .copiedToLive
                guard ordered, ![archivedDelete, liveDelete].contains(id) else { return .changed(merged, newID: nil) }
                return .changed(id == archivedInsert ? .capturedInsert : .capturedUpdate, newID: nil)
            }
            let sorted = dry.outcomes.sorted { $0.id < $1.id }
            #expect(sorted.map(\.id) == Array(ids.dropLast()))
            #expect(sorted.map(\.result) == ids.dropLast().map(expected))

            let real = try runRepair(action, .ids(ids), in: schema, batchSize: 4)

            #expect(real.outcomes.map(\.withoutNewID) == dry.outcomes)
            #expect(real.summary.steps == dry.summary.steps)
            #expect(real.summary.notFailed == dry.summary.notFailed)
            #expect(real.summary.recordMissing == dry.summary.recordMissing)
            #expect(real.summary.tableNotMapped == dry.summary.tableNotMapped)
            #expect(try schema.snapshot() != before)
        }
    }

    /// A dry run of an ordered retry needs no capture procedures and writes nothing.
    @Test func aDryRunOfAnOrderedRetryNeverCallsTheCaptureProcedures() throws {
        try TestDatabase.withConnectSchema { schema in
            let record = try schema.makeAccount(name: "One")
            let id = try schema.insertEntry(state: "FAILED", action: "UPDATE", recordID: record, values: #""name"=>"x""#)
            let before = try schema.snapshot()
            let dry = try runRepair(.retry(.ordered, viaConnect: false), .ids([id]), in: schema, dryRun: true)
            #expect(dry.outcomes.map(\.result) == [.changed(.capturedUpdate, newID: nil)])
            #expect(try schema.snapshot() == before)
        }
    }

    /// An ordered retry in a schema without the capture procedures is refused before
    /// anything changes.
    @Test func anOrderedRetryWithoutTheCaptureProceduresIsRefused() throws {
        try TestDatabase.withConnectSchema { schema in
            let record = try schema.makeAccount(name: "One")
            let id = try schema.insertEntry(state: "FAILED", action: "UPDATE", recordID: record, values: #""name"=>"x""#)
            try schema.execute("DROP FUNCTION hc_capture_update_from_row(public.hstore, varchar, text[])")
            let before = try schema.snapshot()
            let repair = TriggerLogRepair(store: try schema.store())
            let candidates = try repair.candidates(for: .ids([id]))
            #expect(throws: HerokuConnectError.captureProcedureMissing(schema: schema.name, procedure: "hc_capture_update_from_row")) {
                try repair.run(.retry(.ordered, viaConnect: false), on: candidates)
            }
            #expect(try schema.snapshot() == before)
        }
    }
}
