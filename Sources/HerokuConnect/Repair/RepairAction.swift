/// How a connection writes its changes to Salesforce, which decides how a failed change is
/// retried (Heroku Connect's "merged" and "ordered" write algorithms).
public enum WriteMode: String, Sendable, CaseIterable {
    /// Changes to a record may be merged; a retry re-queues the failed change itself.
    case merged
    /// Changes are written in order (`poll_db_no_merge`); a retry re-captures the record's
    /// current state, because replaying an old change out of order would be wrong.
    case ordered

    /// Reads `merged` or `ordered`, ignoring case; nil for anything else.
    public init?(userInput: String) {
        self.init(rawValue: userInput.trimmingWhitespace().lowercased())
    }
}

/// A change hcconnect makes to FAILED trigger log entries.
public enum RepairAction: Sendable, Equatable {
    /// Retry the failed writes, in the connection's write mode. With `viaConnect`, an
    /// archived entry is set to REQUEUE for Heroku Connect to copy back, instead of being
    /// copied by hcconnect.
    case retry(WriteMode, viaConnect: Bool)
    /// Set the entries to IGNORED, silencing the failures.
    case ignore

    /// The command's name: `retry` or `ignore`.
    public var name: String {
        switch self {
        case .retry: "retry"
        case .ignore: "ignore"
        }
    }
}

/// What a repair did, or would do, to one FAILED entry.
public enum RepairStep: String, Sendable, CaseIterable, Comparable {
    /// A live entry set back to NEW in place (merged writes).
    case requeuedInPlace = "live-to-new"
    /// An archived entry copied into the live log as a NEW entry, and set to REQUEUED (merged writes).
    case copiedToLive = "archive-copied"
    /// An archived entry set to REQUEUE, for Heroku Connect to copy back (`--via-connect`).
    case markedRequeue = "archive-requeue"
    /// The record's current state captured with `hc_capture_insert_from_row`; the entry set
    /// to REQUEUED (ordered writes).
    case capturedInsert = "capture-insert"
    /// The record's current state captured with `hc_capture_update_from_row` for the
    /// entry's columns; the entry set to REQUEUED (ordered writes).
    case capturedUpdate = "capture-update"
    /// The entry set to IGNORED.
    case ignored = "ignored"
    /// The entry set to REQUEUED without a retry of its own: another entry's retry in the
    /// same run carries its change (the same record's capture under ordered writes, the
    /// newest of several INSERTs or DELETEs of one record, the live twin of an id that is in
    /// both log tables).
    case coalesced = "coalesced"

    public static func < (lhs: RepairStep, rhs: RepairStep) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }

    /// The case, not its name: a summary counts a step for every entry it records, and
    /// hashing the name took a tenth of a bulk ignore's client time.
    public func hash(into hasher: inout Hasher) {
        let ordinal =
            switch self {
            case .requeuedInPlace: 0
            case .copiedToLive: 1
            case .markedRequeue: 2
            case .capturedInsert: 3
            case .capturedUpdate: 4
            case .ignored: 5
            case .coalesced: 6
            }
        hasher.combine(ordinal)
    }
}
