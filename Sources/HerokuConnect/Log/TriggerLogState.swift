/// The `state` of a trigger log entry.
///
/// The column is unconstrained, so a value outside Heroku Connect's documented list is
/// kept as ``other(_:)`` and shown as it is, never rejected.
public enum TriggerLogState: Sendable, Hashable, CustomStringConvertible {
    /// Captured, waiting to be processed.
    case new
    /// Being processed by Heroku Connect.
    case pending
    /// Written to Salesforce.
    case success
    /// The write failed; `sf_message` says why.
    case failed
    /// Merged with another change (merged-writes algorithm).
    case merged
    /// A captured change that needs no sync (set by the logger).
    case ignore
    /// Not synced; set by Heroku Connect or by an operator to silence a failure.
    case ignored
    /// A change on a read-only mapping.
    case readOnly
    /// Set by an operator on an archived row: asks Connect to copy it back as NEW.
    case requeue
    /// The archived row was copied back into the live log as NEW.
    case requeued
    /// A value outside the documented list, as stored.
    case other(String)

    /// Every documented state, in the order of Heroku Connect's documentation.
    public static let documented: [TriggerLogState] = [
        .new, .pending, .success, .failed, .merged, .ignore, .ignored, .readOnly, .requeue, .requeued,
    ]

    /// The state a stored value stands for (exact, case-sensitive: the column's convention
    /// is upper case, and anything else is ``other(_:)``).
    public init(rawValue: String) {
        switch rawValue {
        case "NEW": self = .new
        case "PENDING": self = .pending
        case "SUCCESS": self = .success
        case "FAILED": self = .failed
        case "MERGED": self = .merged
        case "IGNORE": self = .ignore
        case "IGNORED": self = .ignored
        case "READONLY": self = .readOnly
        case "REQUEUE": self = .requeue
        case "REQUEUED": self = .requeued
        default: self = .other(rawValue)
        }
    }

    /// A documented state named by a user, in any case (`failed`, `FAILED`); nil when the
    /// name is not documented.
    public init?(userInput: String) {
        let upper = userInput.uppercased()
        guard let state = Self.documented.first(where: { $0.rawValue == upper }) else { return nil }
        self = state
    }

    /// The value as stored in the column.
    public var rawValue: String {
        switch self {
        case .new: "NEW"
        case .pending: "PENDING"
        case .success: "SUCCESS"
        case .failed: "FAILED"
        case .merged: "MERGED"
        case .ignore: "IGNORE"
        case .ignored: "IGNORED"
        case .readOnly: "READONLY"
        case .requeue: "REQUEUE"
        case .requeued: "REQUEUED"
        case .other(let value): value
        }
    }

    /// True for a value outside the documented list.
    public var isDocumented: Bool {
        if case .other = self { return false }
        return true
    }

    public var description: String { rawValue }
}
