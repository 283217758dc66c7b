/// The `action` of a trigger log entry: the kind of write that was captured.
///
/// Like the state, the column is unconstrained; unknown values are kept as ``other(_:)``.
public enum TriggerLogAction: Sendable, Hashable, CustomStringConvertible {
    case insert
    case update
    case delete
    /// A value outside the documented list, as stored.
    case other(String)

    /// Every documented action.
    public static let documented: [TriggerLogAction] = [.insert, .update, .delete]

    /// The action a stored value stands for (exact; anything else is ``other(_:)``).
    public init(rawValue: String) {
        switch rawValue {
        case "INSERT": self = .insert
        case "UPDATE": self = .update
        case "DELETE": self = .delete
        default: self = .other(rawValue)
        }
    }

    /// A documented action named by a user, in any case; nil when it is not documented.
    public init?(userInput: String) {
        let upper = userInput.uppercased()
        guard let action = Self.documented.first(where: { $0.rawValue == upper }) else { return nil }
        self = action
    }

    /// The value as stored in the column.
    public var rawValue: String {
        switch self {
        case .insert: "INSERT"
        case .update: "UPDATE"
        case .delete: "DELETE"
        case .other(let value): value
        }
    }

    public var description: String { rawValue }
}
