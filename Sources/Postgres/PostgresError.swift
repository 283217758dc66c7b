/// An error from libpq or from the PostgreSQL server.
///
/// Server errors carry the fields of the server's ErrorResponse (SQLSTATE, message, detail,
/// hint). Every text in it has been through ``ConnectionSettings/redact(_:)`` where a
/// password could have appeared, so printing it never reveals one.
public struct PostgresError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure this is, independent of the message's wording.
    public enum Kind: Sendable, Equatable {
        /// The connection string or URL could not be parsed (libpq's `PQconninfoParse`).
        case invalidConnectionString
        /// The server could not be reached, or refused the connection before authentication.
        case connectionFailed
        /// The server refused the credentials (or the role may not log in).
        case authenticationFailed
        /// The connection broke while a statement was running or being sent.
        case connectionLost
        /// The connection broke while `COMMIT` was on its way: the transaction may or may
        /// not have been committed. Work that is not safe to repeat must not be repeated.
        case commitOutcomeUnknown
        /// The server reported an error for a statement; see ``PostgresError/sqlState``.
        case server
        /// The server's answer did not have the expected shape (a decoding problem, a
        /// statement returning no rows where one was needed).
        case unexpectedResult
        /// The input could not be sent as it is (a NUL byte in a parameter or identifier).
        case invalidInput
    }

    /// What kind of failure this is.
    public let kind: Kind
    /// The five-character SQLSTATE code, when the server sent one.
    public let sqlState: String?
    /// The primary message, one line.
    public let message: String
    /// The server's DETAIL, if any.
    public let detail: String?
    /// The server's HINT (or libpq's second line of advice), if any.
    public let hint: String?
    /// True for a failure to connect that waiting cannot fix: an unknown host name, SSL
    /// required of a server without it, a certificate that does not verify, a database that
    /// does not exist. It is never retried.
    public let isPermanent: Bool

    /// Creates an error. Texts must already be redacted by the caller.
    public init(
        _ kind: Kind, message: String, sqlState: String? = nil, detail: String? = nil,
        hint: String? = nil, isPermanent: Bool = false
    ) {
        self.kind = kind
        self.sqlState = sqlState
        self.message = message
        self.detail = detail
        self.hint = hint
        self.isPermanent = isPermanent
    }

    /// The message, followed by the SQLSTATE when there is one.
    public var description: String {
        if let sqlState { return "\(message) (SQLSTATE \(sqlState))" }
        return message
    }

    /// The SQLSTATE class: its first two characters (`"08"` for connection exceptions).
    public var sqlStateClass: String? {
        guard let sqlState, sqlState.utf8.count == 5 else { return nil }
        return String(sqlState.prefix(2))
    }

    /// True when the server refused the operation for lack of privileges (`42501`) or
    /// refused the login (class `28`).
    public var isPermissionDenied: Bool {
        kind == .authenticationFailed || sqlState == SQLState.insufficientPrivilege || sqlStateClass == "28"
    }
}

extension PostgresError {
    /// Splits a libpq message (which may span lines and end in a newline) into a one-line
    /// message and the remaining lines as a hint.
    static func fromLibpqMessage(_ text: String, kind: Kind, redactor: Redactor) -> PostgresError {
        let lines = redactor.redact(text)
            .split(whereSeparator: \.isNewline)
            .map { $0.trimmingWhitespace() }
            .filter { !$0.isEmpty }
        let message = lines.first ?? "unknown libpq error"
        let rest = lines.dropFirst().joined(separator: " ")
        return PostgresError(kind, message: message, hint: rest.isEmpty ? nil : rest)
    }
}
