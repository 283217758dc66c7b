/// One statement that ran, as reported to ``PostgresConnection/statementObserver``.
public struct StatementEvent: Sendable {
    /// The statement's text, with `$n` placeholders where the values went.
    public let sql: String
    /// From sending the statement to its last row.
    public let duration: Duration
    /// The rows it returned.
    public let rowCount: Int
    /// True when the statement failed.
    public let failed: Bool
    /// The SQLSTATE of the server's error, when it failed with one (`55P03`: a lock was
    /// not granted within `lock_timeout`).
    public let sqlState: String?
}
