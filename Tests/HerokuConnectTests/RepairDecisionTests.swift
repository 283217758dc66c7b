@testable import HerokuConnect
import TestSupport
import Testing

/// The repair rule as a table, without a database: each row is an entry, the facts about its
/// record and mapping, and what a retry in each write mode and an ignore decide.
@Suite(.tags(.unit)) struct RepairDecisionTests {
    static let merged = RepairAction.retry(.merged, viaConnect: false)
    static let ordered = RepairAction.retry(.ordered, viaConnect: false)

    struct Row: Sendable, CustomStringConvertible {
        let name: String
        var state: TriggerLogState? = .failed
        var action: TriggerLogAction? = .update
        var columns: WrittenColumns = .some(["name"])
        var matches = true
        var held = true
        var mapping: MappingStatus = .readWrite
        /// nil: no row; else whether it has an sfid.
        var record: Bool? = false
        var later: [LaterEntry] = []
        var includeSuperseded = false
        let merged: RepairDecision
        let ordered: RepairDecision
        var ignore: RepairDecision = .ignore

        var description: String { name }
    }

    static let rows: [Row] = [
        Row(name: "an UPDATE", merged: .requeue, ordered: .capture(.update, .some(["name"]))),
        Row(name: "an INSERT", action: .insert, columns: .all, merged: .requeue, ordered: .capture(.insert, .all)),
        Row(name: "a DELETE", action: .delete, columns: .all, record: nil, merged: .requeue, ordered: .requeue),
        Row(name: "an UPDATE with no columns", columns: .all, merged: .requeue, ordered: .capture(.update, .all)),
        Row(
            name: "an UPDATE with unreadable values", columns: .unreadable, merged: .requeue,
            ordered: .skip(.valuesUnreadable)),
        // state, selection, lock
        Row(
            name: "not FAILED", state: .success, merged: .skip(.notFailed(.success)), ordered: .skip(.notFailed(.success)),
            ignore: .skip(.notFailed(.success))),
        Row(
            name: "no longer matching", matches: false, merged: .skip(.noLongerMatches), ordered: .skip(.noLongerMatches),
            ignore: .skip(.noLongerMatches)),
        Row(name: "locked", held: false, merged: .skip(.locked), ordered: .skip(.locked), ignore: .skip(.locked)),
        // the mapping: nothing forces these, but they can be ignored
        Row(name: "a read-only mapping", mapping: .readOnly, merged: .skip(.readOnlyMapping), ordered: .skip(.readOnlyMapping)),
        Row(
            name: "a read-only mapping, superseded included", mapping: .readOnly, includeSuperseded: true,
            merged: .skip(.readOnlyMapping), ordered: .skip(.readOnlyMapping)),
        Row(
            name: "a DELETE of a read-only mapping", action: .delete, mapping: .readOnly, record: nil,
            merged: .skip(.readOnlyMapping), ordered: .skip(.readOnlyMapping)),
        Row(name: "an unmapped table", mapping: .notMapped, merged: .skip(.tableNotMapped), ordered: .skip(.tableNotMapped)),
        Row(
            name: "a mapping without log trigger", mapping: .withoutLogTrigger, merged: .skip(.mappingWithoutLogTrigger),
            ordered: .skip(.mappingWithoutLogTrigger)),
        Row(name: "an unknown action", action: .other("UPSERT"), merged: .skip(.unknownAction), ordered: .skip(.unknownAction)),
        // the record
        Row(name: "an UPDATE of a deleted record", record: nil, merged: .skip(.recordMissing), ordered: .skip(.recordMissing)),
        Row(
            name: "a DELETE of a record that has a row again", action: .delete, record: true, merged: .skip(.recordExists),
            ordered: .skip(.recordExists)),
        Row(
            name: "an INSERT of a deleted record", action: .insert, columns: .all, record: nil, merged: .skip(.recordMissing),
            ordered: .skip(.recordMissing)),
        Row(
            name: "a deleted record, superseded included", record: nil, includeSuperseded: true,
            merged: .skip(.recordMissing), ordered: .skip(.recordMissing)),
        Row(
            name: "an INSERT of a record with an sfid", action: .insert, columns: .all, record: true,
            merged: .skip(.superseded(by: nil)), ordered: .skip(.superseded(by: nil))),
        Row(
            name: "an INSERT of a record with an sfid, superseded included", action: .insert, columns: .all, record: true,
            includeSuperseded: true, merged: .requeue, ordered: .capture(.insert, .all)),
        // later successes
        Row(
            name: "an INSERT with a later SUCCESS", action: .insert, columns: .all,
            later: [LaterEntry(id: 20, action: .update, columns: .some(["phone"]))],
            merged: .skip(.superseded(by: 20)), ordered: .skip(.superseded(by: 20))),
        Row(
            name: "an UPDATE whose columns a later UPDATE wrote", columns: .some(["name", "phone"]),
            later: [
                LaterEntry(id: 30, action: .update, columns: .some(["phone"])),
                LaterEntry(id: 20, action: .update, columns: .some(["name", "industry"])),
            ],
            merged: .skip(.superseded(by: 30)), ordered: .skip(.superseded(by: 30))),
        Row(
            name: "an UPDATE a later UPDATE covered in part", columns: .some(["name", "phone"]),
            later: [LaterEntry(id: 20, action: .update, columns: .some(["phone"]))],
            merged: .requeue, ordered: .capture(.update, .some(["name", "phone"]))),
        Row(
            name: "an UPDATE and a later UPDATE that wrote nothing", columns: .some(["name"]),
            later: [LaterEntry(id: 20, action: .update, columns: .all)],
            merged: .requeue, ordered: .capture(.update, .some(["name"]))),
        Row(
            name: "an UPDATE and a later INSERT", later: [LaterEntry(id: 20, action: .insert, columns: .all)],
            merged: .skip(.superseded(by: 20)), ordered: .skip(.superseded(by: 20))),
        Row(
            name: "an UPDATE with no columns, a later UPDATE", columns: .all,
            later: [LaterEntry(id: 20, action: .update, columns: .some(["name"]))],
            merged: .requeue, ordered: .capture(.update, .all)),
        Row(
            name: "a success before the failure", columns: .some(["name"]),
            later: [LaterEntry(id: 5, action: .update, columns: .some(["name"]))],
            merged: .requeue, ordered: .capture(.update, .some(["name"]))),
        Row(
            name: "a DELETE and a later DELETE", action: .delete, record: nil,
            later: [LaterEntry(id: 20, action: .delete, columns: .all)],
            merged: .skip(.superseded(by: 20)), ordered: .skip(.superseded(by: 20))),
        Row(
            name: "a DELETE and a later UPDATE", action: .delete, record: nil,
            later: [LaterEntry(id: 20, action: .update, columns: .some(["name"]))],
            merged: .requeue, ordered: .requeue),
        Row(
            name: "an UPDATE superseded, included anyway",
            later: [LaterEntry(id: 20, action: .update, columns: .some(["name"]))], includeSuperseded: true,
            merged: .requeue, ordered: .capture(.update, .some(["name"]))),
    ]

    @Test(arguments: rows)
    func eachRowDecidesAsTheRuleSays(_ row: Row) {
        let entry = RepairCandidate(
            id: 10, location: .live, state: row.state, action: row.action, tableName: "account", recordID: 1,
            columns: row.columns, matchesSelection: row.matches, isHeld: row.held)
        let record = row.record.map(RecordState.init(hasSalesforceID:))
        func decide(_ action: RepairAction) -> RepairDecision {
            RepairDecision.decide(
                action, entry, mapping: row.mapping, record: record, later: row.later, includeSuperseded: row.includeSuperseded)
        }
        #expect(decide(Self.merged) == row.merged, "merged")
        #expect(decide(Self.ordered) == row.ordered, "ordered")
        #expect(decide(.ignore) == row.ignore, "ignore")
    }

    // MARK: - Plans

    private func entry(
        _ id: Int, _ location: TriggerLogLocation = .live, _ action: TriggerLogAction = .update, record: Int = 1,
        columns: WrittenColumns = .some(["name"])
    ) -> RepairCandidate {
        RepairCandidate(id: id, location: location, state: .failed, action: action, tableName: "account", recordID: record, columns: columns)
    }

    @Test func orderedWritesCaptureEachRecordOnceWithTheUnionOfTheColumns() {
        let entries = [
            entry(1, .archive, columns: .some(["name"])), entry(2, columns: .some(["phone", "name"])),
            entry(3, record: 2, columns: .some(["industry"])), entry(4, columns: .some(["billingcity"])),
        ]
        let plan = RepairPlan(Self.ordered, entries.map { ($0, RepairDecision.capture(.update, $0.columns)) })
        #expect(plan.captures.map(\.recordID) == [1, 2])
        #expect(plan.captures[0].columns == ["name", "phone", "billingcity"])
        #expect(plan.captures[0].procedure == .update)
        #expect(plan.captures[0].carrier == .init(id: 4, location: .live))
        #expect(plan.captures[0].members.map(\.id) == [1, 2, 4])
        #expect(plan.outcomes.map(\.result) == [
            .coalesced(into: 4, newID: nil), .coalesced(into: 4, newID: nil), .changed(.capturedUpdate, newID: nil),
            .changed(.capturedUpdate, newID: nil),
        ])
        #expect(plan.stateChanges == [] && plan.copies == [])
    }

    @Test func anInsertAmongARecordsFailuresMakesTheCaptureAnInsert() {
        let entries = [entry(1, .archive, .insert, columns: .all), entry(2, columns: .some(["name"]))]
        let plan = RepairPlan(
            Self.ordered,
            [(entries[0], .capture(.insert, .all)), (entries[1], .capture(.update, .some(["name"])))])
        #expect(plan.captures.count == 1)
        #expect(plan.captures[0].procedure == .insert && plan.captures[0].columns == [])
        #expect(plan.outcomes.map(\.result) == [.coalesced(into: 2, newID: nil), .changed(.capturedInsert, newID: nil)])
    }

    @Test func mergedWritesRequeueOneInsertPerRecordEveryUpdateAndAnIdInBothTablesOnce() {
        let entries = [
            entry(1, .archive, .insert, columns: .all), entry(2, .archive, .insert, columns: .all),
            entry(3), entry(3, .archive), entry(4), entry(5, .live, .delete, record: 2), entry(6, .archive, .delete, record: 2),
        ]
        let plan = RepairPlan(Self.merged, entries.map { ($0, RepairDecision.requeue) })
        #expect(plan.outcomes.map(\.result) == [
            .coalesced(into: 2, newID: nil), .changed(.copiedToLive, newID: nil),
            .changed(.requeuedInPlace, newID: nil), .coalesced(into: 3, newID: nil),
            .changed(.requeuedInPlace, newID: nil),
            .coalesced(into: 6, newID: nil), .changed(.copiedToLive, newID: nil),
        ])
        #expect(plan.copies == [2, 6])
        #expect(plan.stateChanges.contains(.init(state: .new, location: .live, ids: [3, 4])))
        #expect(plan.stateChanges.contains(.init(state: .requeued, location: .archive, ids: [1, 3])))
        #expect(plan.stateChanges.contains(.init(state: .requeued, location: .live, ids: [5])))
    }

    @Test func viaConnectMarksTheArchivedCarrierRequeue() {
        let entries = [entry(1, .archive, .insert, columns: .all), entry(2, .archive, .insert, columns: .all)]
        let plan = RepairPlan(.retry(.merged, viaConnect: true), entries.map { ($0, RepairDecision.requeue) })
        #expect(plan.outcomes.map(\.result) == [.coalesced(into: 2, newID: nil), .changed(.markedRequeue, newID: nil)])
        #expect(plan.stateChanges == [
            .init(state: .requeue, location: .archive, ids: [2]), .init(state: .requeued, location: .archive, ids: [1]),
        ])
        #expect(plan.copies == [])
    }

    @Test func batchesKeepARecordsEntriesTogether() {
        func candidate(_ id: Int, _ record: Int?) -> TriggerLogRepair.Candidate {
            .init(target: .init(id: id, location: .live), tableName: record == nil ? nil : "account", recordID: record)
        }
        let entries = [candidate(1, 1), candidate(2, 2), candidate(3, 1), candidate(4, nil), candidate(5, 3), candidate(6, 2)]
        let batches = TriggerLogRepair.batches(entries, size: 2)
        #expect(batches.map { $0.map(\.target.id) } == [[1, 3], [2, 6], [4, 5]])
        #expect(TriggerLogRepair.batches([], size: 2).isEmpty)
        #expect(TriggerLogRepair.batches(entries, size: 100).map(\.count) == [6])
    }

    @Test func writtenColumnsComeFromTheValuesText() {
        #expect(WrittenColumns(values: nil) == .all)
        #expect(WrittenColumns(values: "") == .all)
        #expect(WrittenColumns(values: #""name"=>"a", "phone"=>NULL"#) == .some(["name", "phone"]))
        #expect(WrittenColumns(values: #""name"=>"unclosed"#) == .unreadable)
        #expect(WrittenColumns.some(["a", "b"]).union(.some(["b", "c"])) == .some(["a", "b", "c"]))
        #expect(WrittenColumns.some(["a"]).union(.all) == .all)
        #expect(WrittenColumns.all.union(.unreadable) == .unreadable)
    }
}
