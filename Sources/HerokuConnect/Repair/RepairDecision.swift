/// The one rule that decides what a repair does with an entry, from what is known about the
/// entry, its record and its mapping. A pure function: dry runs and real runs call it with
/// the same facts (gathered by one statement per batch) and get the same answer.
///
/// The rule, in order:
///
/// 1. Only an entry that is FAILED, still matches the selection and is held by this run
///    (row lock) is changed; otherwise it is reported as not FAILED, no longer matching, or
///    locked.
/// 2. Ignore sets every such entry to IGNORED, whatever its table.
/// 3. A retry refuses entries of read-only mappings (nothing forces it), of tables that are
///    not mapped, of mappings without a log trigger, and of unknown actions.
/// 4. An INSERT or UPDATE whose record is gone is not retried, in either write mode:
///    retrying it would create or change a Salesforce record with no row here; nor is a
///    DELETE whose record has a row again: it would delete the Salesforce record that row
///    is synced with.
/// 5. Unless superseded entries are included: an INSERT whose record has an sfid, or that a
///    later entry of the record brought to SUCCESS, is superseded; an UPDATE is superseded
///    when later SUCCESS entries of the record wrote every column it wrote (an INSERT
///    writes all; a DELETE ends the record); a DELETE when a later DELETE succeeded.
/// 6. Merged writes re-queue the entry; ordered writes capture the record's current state
///    (an UPDATE with the columns it wrote; unreadable `values` are refused) and re-queue
///    a DELETE.
public enum RepairDecision: Sendable, Equatable {
    /// Leave the entry alone, for this reason (never a change).
    case skip(RepairOutcome.Result)
    /// Set it to IGNORED.
    case ignore
    /// The merged-writes procedure: a live entry back to NEW, an archived one copied to the
    /// live log (or set to REQUEUE, via Connect).
    case requeue
    /// Ordered writes: capture the record's current state with this procedure and these
    /// columns.
    case capture(CaptureProcedure, WrittenColumns)

    /// Decides for one entry.
    ///
    /// - Parameters:
    ///   - action: Retry (in a write mode) or ignore.
    ///   - entry: The entry as the batch's statement found it.
    ///   - mapping: Its table's mapping.
    ///   - record: Its record now; nil when it has none (no row, no table or no record id).
    ///   - later: The SUCCESS entries of the same record (table and record id) with a higher
    ///     id, live and archive, in any order.
    ///   - includeSuperseded: Retry superseded entries too.
    public static func decide(
        _ action: RepairAction, _ entry: RepairCandidate, mapping: MappingStatus, record: RecordState?,
        later: [LaterEntry], includeSuperseded: Bool = false
    ) -> RepairDecision {
        guard entry.state == .failed else { return .skip(.notFailed(entry.state)) }
        guard entry.matchesSelection else { return .skip(.noLongerMatches) }
        guard entry.isHeld else { return .skip(.locked) }
        guard case .retry(let mode, _) = action else { return .ignore }
        switch mapping {
        case .readWrite: break
        case .readOnly: return .skip(.readOnlyMapping)
        case .withoutLogTrigger: return .skip(.mappingWithoutLogTrigger)
        case .notMapped: return .skip(.tableNotMapped)
        }
        guard let kind = entry.action, TriggerLogAction.documented.contains(kind) else { return .skip(.unknownAction) }
        if kind != .delete, record == nil { return .skip(.recordMissing) }
        if kind == .delete, record != nil { return .skip(.recordExists) }
        if !includeSuperseded, let reason = supersession(of: entry, kind, record: record, later: later) {
            return .skip(reason)
        }
        switch (mode, kind) {
        case (.merged, _), (.ordered, .delete):
            return .requeue
        case (.ordered, .insert):
            return .capture(.insert, .all)
        default:
            if case .unreadable = entry.columns { return .skip(.valuesUnreadable) }
            return .capture(.update, entry.columns)
        }
    }

    /// Why the entry is superseded, or nil when it is not.
    private static func supersession(
        of entry: RepairCandidate, _ kind: TriggerLogAction, record: RecordState?, later: [LaterEntry]
    ) -> RepairOutcome.Result? {
        let successes = later.filter { $0.id > entry.id }.sorted { $0.id < $1.id }
        switch kind {
        case .insert:
            if record?.hasSalesforceID == true { return .superseded(by: nil) }
            return successes.first.map { .superseded(by: $0.id) }
        case .delete:
            return successes.first { $0.action == .delete }.map { .superseded(by: $0.id) }
        default:
            var covered: Set<String> = []
            for success in successes {
                switch (success.action, success.columns) {
                case (.insert?, _), (.delete?, _):
                    return .superseded(by: success.id)
                case (.update?, .some(let columns)):
                    covered.formUnion(columns)
                    if case .some(let wanted) = entry.columns, Set(wanted).isSubset(of: covered) {
                        return .superseded(by: success.id)
                    }
                default:
                    // an UPDATE that names no column wrote nothing; an unreadable one, unknown
                    continue
                }
            }
            return nil
        }
    }
}

/// The columns an entry wrote, read from its `values`.
public enum WrittenColumns: Sendable, Equatable {
    /// Every column: an INSERT, or an UPDATE whose `values` names none.
    case all
    /// These columns, in the order `values` names them.
    case some([String])
    /// `values` is not readable hstore text.
    case unreadable

    /// The columns of an entry's `values` text (nil or empty: all).
    public init(values text: String?) {
        guard let text else {
            self = .all
            return
        }
        // one pass over the text, decoding the keys only (a bulk retry reads every UPDATE's)
        var keys: [String] = []
        let fault = HStore(text: text).forEachRawPair { key, _ in keys.append(key.decoded) }
        guard fault == nil else {
            self = .unreadable
            return
        }
        self = keys.isEmpty ? .all : .some(keys)
    }

    /// The union of two entries' columns, in first-seen order; `all` absorbs the rest.
    func union(_ other: WrittenColumns) -> WrittenColumns {
        switch (self, other) {
        case (.some(let left), .some(let right)): .some((left + right).uniqued())
        case (.unreadable, _), (_, .unreadable): .unreadable
        default: .all
        }
    }
}

/// A FAILED entry as a batch's statement found it: the inputs of ``RepairDecision``.
public struct RepairCandidate: Sendable, Equatable {
    public let id: Int
    public let location: TriggerLogLocation
    public let state: TriggerLogState?
    public let action: TriggerLogAction?
    public let tableName: String?
    public let recordID: Int?
    /// The columns its `values` wrote.
    public let columns: WrittenColumns
    /// False when it no longer matches the selection's filters.
    public let matchesSelection: Bool
    /// False when another session held its row lock (always true in a dry run).
    public let isHeld: Bool

    public init(
        id: Int, location: TriggerLogLocation, state: TriggerLogState?, action: TriggerLogAction?, tableName: String?,
        recordID: Int?, columns: WrittenColumns, matchesSelection: Bool = true, isHeld: Bool = true
    ) {
        self.id = id
        self.location = location
        self.state = state
        self.action = action
        self.tableName = tableName
        self.recordID = recordID
        self.columns = columns
        self.matchesSelection = matchesSelection
        self.isHeld = isHeld
    }

    var target: TriggerLogRepair.Target { .init(id: id, location: location) }
}

/// A record's row as it is now.
public struct RecordState: Sendable, Equatable {
    /// True when the row has an sfid: the record exists in Salesforce.
    public let hasSalesforceID: Bool

    public init(hasSalesforceID: Bool) {
        self.hasSalesforceID = hasSalesforceID
    }
}

/// A later entry of the same record that reached SUCCESS.
public struct LaterEntry: Sendable, Equatable {
    public let id: Int
    public let action: TriggerLogAction?
    /// The columns it wrote.
    public let columns: WrittenColumns

    public init(id: Int, action: TriggerLogAction?, columns: WrittenColumns) {
        self.id = id
        self.action = action
        self.columns = columns
    }
}
