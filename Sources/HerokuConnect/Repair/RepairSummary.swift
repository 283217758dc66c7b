/// What happened to one entry a repair was asked to change.
public struct RepairOutcome: Sendable, Equatable {
    /// Why an entry was left as it was, or what was done to it.
    public enum Result: Sendable, Equatable {
        /// Changed (or, in a dry run, would be): how, and the new live entry's id when one
        /// was written.
        case changed(RepairStep, newID: Int?)
        /// Set to REQUEUED because the retry of entry `into` (same run) carries its change;
        /// `newID` is the live entry written for that retry, if any.
        case coalesced(into: Int, newID: Int?)
        /// Left alone: it is not FAILED (any more); its state when hcconnect looked.
        case notFailed(TriggerLogState?)
        /// Left alone: it is still FAILED but no longer matches the selection's filters
        /// (Heroku Connect retried it and it failed again with another message, say).
        case noLongerMatches
        /// Left alone: another session holds its row lock (Heroku Connect's worker or
        /// another hcconnect), or changed it while hcconnect was working.
        case locked
        /// Left alone: its table is a read-only mapping, whose changes Heroku Connect never
        /// writes to Salesforce. Nothing forces this.
        case readOnlyMapping
        /// Left alone: its table is not a mapped table of the schema (a deleted mapping, or
        /// a table that is not a mapping), so Connect would not process it.
        case tableNotMapped
        /// Left alone: its table's mapping has no log trigger (dropped or paused).
        case mappingWithoutLogTrigger
        /// Left alone: a later change made it obsolete. `by` is the later entry of the same
        /// record that reached SUCCESS; nil when the entry is an INSERT and the record
        /// already has its Salesforce id.
        case superseded(by: Int?)
        /// Left alone (INSERT and UPDATE): the record it belongs to no longer exists, so
        /// retrying it would create or change a Salesforce record that has no row here.
        case recordMissing
        /// Left alone (DELETE): the record has a row again, so re-sending the DELETE would
        /// delete the Salesforce record that row is synced with.
        case recordExists
        /// Left alone (ordered writes): its `values` is not readable hstore text, so the
        /// columns to capture are unknown.
        case valuesUnreadable
        /// Left alone: its action is not INSERT, UPDATE or DELETE.
        case unknownAction
        /// Left alone: it left its table while hcconnect worked (Heroku Connect moved it to
        /// the archive, or purged it). A rerun finds it where it is now.
        case gone

        /// True for an outcome that changed the entry (or would).
        public var isChange: Bool {
            switch self {
            case .changed, .coalesced: true
            default: false
            }
        }
    }

    public let id: Int
    public let location: TriggerLogLocation
    public let tableName: String?
    public let recordID: Int?
    public let result: Result

    public init(id: Int, location: TriggerLogLocation, tableName: String?, recordID: Int?, result: Result) {
        self.id = id
        self.location = location
        self.tableName = tableName
        self.recordID = recordID
        self.result = result
    }

    /// The new live entry that carries this entry's retry, if one was written.
    public var newID: Int? {
        switch result {
        case .changed(_, let newID), .coalesced(_, let newID): newID
        default: nil
        }
    }
}

/// The tally of a repair run: what was requested, changed, skipped and not found.
public struct RepairSummary: Sendable, Equatable {
    /// An entry left alone, and why.
    public struct Skipped: Sendable, Equatable {
        public let id: Int
        public let location: TriggerLogLocation
        public let tableName: String?
        public let recordID: Int?
        /// The entry's state when hcconnect looked (for entries that are not FAILED).
        public let state: TriggerLogState?
        /// The later entry that made it obsolete (superseded entries; nil when the record's
        /// sfid did).
        public let supersededBy: Int?

        public init(
            id: Int, location: TriggerLogLocation, tableName: String?, recordID: Int?, state: TriggerLogState?,
            supersededBy: Int? = nil
        ) {
            self.id = id
            self.location = location
            self.tableName = tableName
            self.recordID = recordID
            self.state = state
            self.supersededBy = supersededBy
        }
    }

    /// A new live entry written for a FAILED one.
    public struct Created: Sendable, Equatable {
        /// The FAILED entry.
        public let sourceID: Int
        public let sourceLocation: TriggerLogLocation
        /// The new live entry.
        public let newID: Int
        /// How it was written: an archive copy or a capture.
        public let step: RepairStep
    }

    /// An entry set to REQUEUED because another entry's retry carries its change.
    /// An entry that was changed (or would be), in the order of the batches: the audit
    /// trail of a run.
    public struct Change: Sendable, Equatable {
        public let id: Int
        public let location: TriggerLogLocation
        public let step: RepairStep
        /// The entry written for it (an archived entry's copy, a capture, or, for a
        /// coalesced entry, the one its record's retry wrote), if any.
        public let newID: Int?
    }

    public struct Coalesced: Sendable, Equatable {
        public let id: Int
        public let location: TriggerLogLocation
        public let tableName: String?
        public let recordID: Int?
        /// The entry whose retry carries it.
        public let into: Int
        /// The live entry written for that retry, if any.
        public let newID: Int?
    }

    public let action: RepairAction
    /// True for a dry run: nothing was changed; "changed" means "would change".
    public let isDryRun: Bool
    /// Entries asked for: the selection's FAILED entries, or the explicit ids (an id in
    /// both tables counts twice; an unknown one once).
    public var requested = 0
    /// Changed entries by step (coalesced ones under ``RepairStep/coalesced``).
    public var steps: [RepairStep: Int] = [:]
    /// New live entries, in the order they were written.
    public var created: [Created] = []
    /// Entries set to REQUEUED because another entry's retry carries them.
    public var coalesced: [Coalesced] = []
    /// Every entry changed, in order.
    public var changes: [Change] = []
    /// Entries that were not FAILED.
    public var notFailed: [Skipped] = []
    /// Entries still FAILED that no longer match the selection's filters.
    public var noLongerMatching: [Skipped] = []
    /// Entries locked by another session.
    public var locked: [Skipped] = []
    /// Entries that left their table while hcconnect worked.
    public var gone: [Skipped] = []
    /// Entries of read-only mappings.
    public var readOnly: [Skipped] = []
    /// Entries whose table is not mapped.
    public var tableNotMapped: [Skipped] = []
    /// Entries whose mapping has no log trigger.
    public var withoutLogTrigger: [Skipped] = []
    /// Entries a later change made obsolete.
    public var superseded: [Skipped] = []
    /// Entries whose record no longer exists.
    public var recordMissing: [Skipped] = []
    /// DELETE entries whose record has a row again.
    public var recordExists: [Skipped] = []
    /// Entries whose `values` cannot be read (ordered writes).
    public var valuesUnreadable: [Skipped] = []
    /// Entries whose action is not INSERT, UPDATE or DELETE.
    public var unknownAction: [Skipped] = []
    /// Explicit ids in neither table.
    public var notFound: [Int] = []
    /// Batches committed (or, in a dry run, examined).
    public var batches = 0

    public init(action: RepairAction, isDryRun: Bool = false) {
        self.action = action
        self.isDryRun = isDryRun
    }

    /// Entries changed, coalesced ones included.
    public var changed: Int { steps.values.reduce(0, +) }
    /// Entries left alone because they were not FAILED (or no longer matched), were
    /// locked, or left their table: things that changed under hcconnect's feet.
    public var skipped: Int { notFailed.count + noLongerMatching.count + locked.count + gone.count }
    /// Entries left alone because retrying them would be wrong: read-only or unmapped
    /// tables, superseded changes, missing records, unreadable values, unknown actions.
    public var refused: Int {
        readOnly.count + tableNotMapped.count + withoutLogTrigger.count + superseded.count + recordMissing.count
            + recordExists.count + valuesUnreadable.count + unknownAction.count
    }
    /// Entries left alone for any reason, besides those not found.
    public var unchanged: Int { skipped + refused }
    /// Entries handled so far: changed, left alone or not found.
    public var handled: Int { changed + unchanged + notFound.count }
    /// True when every requested entry was changed.
    public var isComplete: Bool { changed == requested }

    /// Adds one entry's outcome.
    public mutating func record(_ outcome: RepairOutcome) {
        func skipped(_ state: TriggerLogState? = .failed, by: Int? = nil) -> Skipped {
            Skipped(
                id: outcome.id, location: outcome.location, tableName: outcome.tableName, recordID: outcome.recordID,
                state: state, supersededBy: by)
        }
        switch outcome.result {
        case .changed(let step, let newID):
            changes.append(Change(id: outcome.id, location: outcome.location, step: step, newID: newID))
            steps[step, default: 0] += 1
            if let newID { created.append(Created(sourceID: outcome.id, sourceLocation: outcome.location, newID: newID, step: step)) }
        case .coalesced(let into, let newID):
            changes.append(Change(id: outcome.id, location: outcome.location, step: .coalesced, newID: newID))
            steps[.coalesced, default: 0] += 1
            coalesced.append(
                Coalesced(
                    id: outcome.id, location: outcome.location, tableName: outcome.tableName, recordID: outcome.recordID,
                    into: into, newID: newID))
        case .notFailed(let state): notFailed.append(skipped(state))
        case .noLongerMatches: noLongerMatching.append(skipped())
        case .locked: locked.append(skipped())
        case .readOnlyMapping: readOnly.append(skipped())
        case .tableNotMapped: tableNotMapped.append(skipped())
        case .mappingWithoutLogTrigger: withoutLogTrigger.append(skipped())
        case .superseded(let by): superseded.append(skipped(by: by))
        case .recordMissing: recordMissing.append(skipped())
        case .recordExists: recordExists.append(skipped())
        case .valuesUnreadable: valuesUnreadable.append(skipped())
        case .unknownAction: unknownAction.append(skipped())
        case .gone: gone.append(skipped(nil))
        }
    }
}
