/// What happened to one entry a repair was asked to change.
public struct RepairOutcome: Sendable, Equatable {
    /// Why an entry was left as it was, or what was done to it.
    public enum Result: Sendable, Equatable {
        /// Changed (or, in a dry run, would be): how, and the new live entry's id when one
        /// was written.
        case changed(RepairStep, newID: Int?)
        /// Left alone: it is not FAILED (any more); its state when hcconnect looked.
        case notFailed(TriggerLogState?)
        /// Left alone: another session holds its row lock (Heroku Connect's worker or
        /// another hcconnect), or changed it while hcconnect was working.
        case locked
        /// Left alone (ordered writes): the record it belongs to no longer exists, so its
        /// current state cannot be captured.
        case recordMissing
        /// Left alone (ordered writes): its table is not a mapped table of the schema, so
        /// the record cannot be read.
        case tableNotMapped
        /// Left alone (ordered writes): its `values` is not readable hstore text, so the
        /// columns to capture are unknown.
        case valuesUnreadable
        /// Left alone: it left its table while hcconnect worked (Heroku Connect moved it to
        /// the archive, or purged it). A rerun finds it where it is now.
        case gone
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

    public let action: RepairAction
    /// True for a dry run: nothing was changed; "changed" means "would change".
    public let isDryRun: Bool
    /// Entries asked for: the selection's FAILED entries, or the explicit ids (an id in
    /// both tables counts twice; an unknown one once).
    public var requested = 0
    /// Changed entries by step.
    public var steps: [RepairStep: Int] = [:]
    /// New live entries, in the order they were written.
    public var created: [Created] = []
    /// Entries that were not FAILED.
    public var notFailed: [Skipped] = []
    /// Entries locked by another session.
    public var locked: [Skipped] = []
    /// Entries that left their table while hcconnect worked.
    public var gone: [Skipped] = []
    /// Entries whose record no longer exists (ordered writes).
    public var recordMissing: [Skipped] = []
    /// Entries whose table is not mapped (ordered writes).
    public var tableNotMapped: [Skipped] = []
    /// Entries whose `values` cannot be read (ordered writes).
    public var valuesUnreadable: [Skipped] = []
    /// Explicit ids in neither table.
    public var notFound: [Int] = []
    /// Batches committed (or, in a dry run, examined).
    public var batches = 0

    public init(action: RepairAction, isDryRun: Bool = false) {
        self.action = action
        self.isDryRun = isDryRun
    }

    /// Entries changed.
    public var changed: Int { steps.values.reduce(0, +) }
    /// Entries left alone because they were not FAILED, were locked, or left their table.
    public var skipped: Int { notFailed.count + locked.count + gone.count }
    /// Entries left alone for any reason, besides those not found.
    public var unchanged: Int { skipped + recordMissing.count + tableNotMapped.count + valuesUnreadable.count }
    /// Entries handled so far: changed, left alone or not found.
    public var handled: Int { changed + unchanged + notFound.count }
    /// True when every requested entry was changed.
    public var isComplete: Bool { changed == requested }

    /// Adds one entry's outcome.
    public mutating func record(_ outcome: RepairOutcome) {
        func skipped(_ state: TriggerLogState? = nil) -> Skipped {
            Skipped(
                id: outcome.id, location: outcome.location, tableName: outcome.tableName, recordID: outcome.recordID,
                state: state)
        }
        switch outcome.result {
        case .changed(let step, let newID):
            steps[step, default: 0] += 1
            if let newID { created.append(Created(sourceID: outcome.id, sourceLocation: outcome.location, newID: newID, step: step)) }
        case .notFailed(let state): notFailed.append(skipped(state))
        case .locked: locked.append(skipped(.failed))
        case .recordMissing: recordMissing.append(skipped(.failed))
        case .tableNotMapped: tableNotMapped.append(skipped(.failed))
        case .valuesUnreadable: valuesUnreadable.append(skipped(.failed))
        case .gone: gone.append(skipped())
        }
    }
}
