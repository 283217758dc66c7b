/// What one batch of a repair does, worked out from each entry's ``RepairDecision``: the
/// entries set to a state, copied to the live log or captured, and those whose change
/// another entry's retry carries. Pure, like the decision: a dry run reports the plan, a
/// real run carries it out in one statement and reports the same outcomes with the new ids.
///
/// Several retries of one record in a run become one:
///
/// - Ordered writes capture each record once, whatever number of its INSERT and UPDATE
///   failures the batch holds: with `hc_capture_insert_from_row` when one of them is an
///   INSERT (the whole row carries every change), else `hc_capture_update_from_row` with the
///   union of the columns they wrote. The newest entry carries the capture; the others are
///   set to REQUEUED as coalesced.
/// - Under merged writes (and for DELETEs under ordered writes), one INSERT and one DELETE
///   per record are re-queued, the newest; an UPDATE is re-queued each time (Connect merges
///   them), but an id that is FAILED in both log tables is re-queued once, live.
///
/// The batches of a run keep each record's entries together (``TriggerLogRepair``), so
/// "once per batch" is "once per run".
public struct RepairPlan: Sendable, Equatable {
    /// Entries set to one state in one log table.
    public struct StateChange: Sendable, Equatable {
        public let state: TriggerLogState
        public let location: TriggerLogLocation
        public internal(set) var ids: [Int]
    }

    /// One capture of a record's current state.
    public struct Capture: Sendable, Equatable {
        /// Its number in the batch: the captures run in this order, the order of each
        /// record's oldest failed change.
        public let key: Int
        public let tableName: String
        public let recordID: Int
        public let procedure: CaptureProcedure
        /// The columns to capture with `hc_capture_update_from_row`; empty means all.
        public let columns: [String]
        /// The entry that carries it (the newest).
        public let carrier: TriggerLogRepair.Target
        /// The entries set to REQUEUED once it is written, the carrier among them.
        public let members: [TriggerLogRepair.Target]
    }

    /// The outcome of each entry, in id order; changed ones without their new ids.
    public internal(set) var outcomes: [RepairOutcome] = []
    /// Entries set to NEW (live), REQUEUE (archive, via Connect), REQUEUED (coalesced) or
    /// IGNORED, in place.
    public internal(set) var stateChanges: [StateChange] = []
    /// Archived entries copied to the live log as NEW (and set to REQUEUED).
    public internal(set) var copies: [Int] = []
    /// Records captured.
    public internal(set) var captures: [Capture] = []

    /// True when the plan changes nothing.
    public var isEmpty: Bool { stateChanges.isEmpty && copies.isEmpty && captures.isEmpty }

    /// Plans a batch.
    ///
    /// - Parameters:
    ///   - action: Retry (in a write mode) or ignore.
    ///   - decided: Each entry with its decision.
    public init(_ action: RepairAction, _ decided: [(RepairCandidate, RepairDecision)]) {
        let viaConnect = if case .retry(_, viaConnect: true) = action { true } else { false }
        var results: [TriggerLogRepair.Target: RepairOutcome.Result] = [:]
        results.reserveCapacity(decided.count)
        var requeues: [RequeueKey: [RepairCandidate]] = [:]
        requeues.reserveCapacity(decided.count)
        var requeueOrder: [RequeueKey] = []
        var captured: [CaptureKey: [(RepairCandidate, CaptureProcedure, WrittenColumns)]] = [:]
        captured.reserveCapacity(decided.count)
        var captureOrder: [CaptureKey] = []
        for (entry, decision) in decided {
            switch decision {
            case .skip(let result):
                results[entry.target] = result
            case .ignore:
                results[entry.target] = .changed(.ignored, newID: nil)
                change(.ignored, entry.location, entry.id)
            case .requeue:
                let key = Self.requeueKey(entry)
                if requeues[key] == nil { requeueOrder.append(key) }
                requeues[key, default: []].append(entry)
            case .capture(let procedure, let columns):
                let key = CaptureKey(tableName: entry.tableName ?? "", recordID: entry.recordID ?? 0)
                if captured[key] == nil { captureOrder.append(key) }
                captured[key, default: []].append((entry, procedure, columns))
            }
        }
        for key in requeueOrder {
            let entries = requeues[key]!
            let carrier = entries.max(by: Self.older)!
            switch (carrier.location, viaConnect) {
            case (.live, _):
                results[carrier.target] = .changed(.requeuedInPlace, newID: nil)
                change(.new, .live, carrier.id)
            case (.archive, true):
                results[carrier.target] = .changed(.markedRequeue, newID: nil)
                change(.requeue, .archive, carrier.id)
            case (.archive, false):
                results[carrier.target] = .changed(.copiedToLive, newID: nil)
                copies.append(carrier.id)
            }
            for entry in entries where entry.target != carrier.target {
                results[entry.target] = .coalesced(into: carrier.id, newID: nil)
                change(.requeued, entry.location, entry.id)
            }
        }
        // Records in the order of their first failed change: a parent inserted before its
        // child is captured before it, whatever came later.
        let groups = captureOrder.map { captured[$0]! }.sorted { left, right in
            left.map(\.0.id).min()! < right.map(\.0.id).min()!
        }
        for group in groups {
            let entries = group.map(\.0)
            let carrier = entries.max(by: Self.older)!
            let isInsert = group.contains { $0.1 == .insert }
            let columns = isInsert ? WrittenColumns.all : group.map(\.2).dropFirst().reduce(group[0].2) { $0.union($1) }
            let names: [String] = if case .some(let names) = columns { names } else { [] }
            let capture = Capture(
                key: captures.count, tableName: carrier.tableName ?? "", recordID: carrier.recordID ?? 0,
                procedure: isInsert ? .insert : .update,
                columns: names,
                carrier: carrier.target, members: entries.map(\.target).sorted(by: Self.entryOrder))
            captures.append(capture)
            for entry in entries {
                results[entry.target] =
                    entry.target == carrier.target
                    ? .changed(isInsert ? .capturedInsert : .capturedUpdate, newID: nil)
                    : .coalesced(into: carrier.id, newID: nil)
            }
        }
        outcomes = decided.map(\.0).sorted { Self.entryOrder($0.target, $1.target) }.map { entry in
            RepairOutcome(
                id: entry.id, location: entry.location, tableName: entry.tableName, recordID: entry.recordID,
                result: results[entry.target]!)
        }
        for index in stateChanges.indices { stateChanges[index].ids.sort() }
        copies.sort()
    }

    private mutating func change(_ state: TriggerLogState, _ location: TriggerLogLocation, _ id: Int) {
        if let index = stateChanges.firstIndex(where: { $0.state == state && $0.location == location }) {
            stateChanges[index].ids.append(id)
        } else {
            stateChanges.append(StateChange(state: state, location: location, ids: [id]))
        }
    }

    /// The entries whose merged-writes retries become one: one INSERT and one DELETE per
    /// record; an UPDATE per id (both tables' twins of one id are one).
    private static func requeueKey(_ entry: RepairCandidate) -> RequeueKey {
        if entry.action == .update || entry.tableName == nil || entry.recordID == nil { return .entry(entry.id) }
        return .record(entry.action?.rawValue ?? "", RecordKey(tableName: entry.tableName!, recordID: entry.recordID!))
    }

    /// What makes merged-writes retries one: an entry, or an action on a record.
    private enum RequeueKey: Hashable {
        case entry(Int)
        case record(String, RecordKey)
    }

    /// A record captured once.
    private typealias CaptureKey = RecordKey

    /// Orders entries so the carrier of a group is the greatest: the newest id, and of an id
    /// in both tables the live one.
    private static func older(_ left: RepairCandidate, _ right: RepairCandidate) -> Bool {
        if left.id != right.id { return left.id < right.id }
        return left.location == .archive && right.location == .live
    }

    /// Id order, live before archive for an id in both.
    static func entryOrder(_ left: TriggerLogRepair.Target, _ right: TriggerLogRepair.Target) -> Bool {
        (left.id, left.location == .archive ? 1 : 0) < (right.id, right.location == .archive ? 1 : 0)
    }
}
