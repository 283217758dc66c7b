/// A statement and its parameters, built together so a placeholder always names the value
/// it was made for (in the spirit of postgres-nio's `PostgresQuery`).
///
/// Text is appended as it is; every value goes through ``bind(_:)``, which returns its
/// placeholder (`$1`, `$2`, ...). Binding the same value twice gives two placeholders.
///
/// ```swift
/// var statement = SQLStatement()
/// statement.append("SELECT id FROM \(table) WHERE id = ANY(\(statement.bind(.array(ids)))::int[])")
/// try connection.query(statement.sql, statement.parameters)
/// ```
public struct SQLStatement: Sendable, Equatable {
    /// The SQL text so far.
    public private(set) var sql: String
    /// The values of the placeholders, in order.
    public private(set) var parameters: [PostgresParameter]

    /// An empty statement, or one that starts with `parameters` already bound (for text
    /// that refers to them as `$1`, `$2`, ...).
    public init(parameters: [PostgresParameter] = []) {
        sql = ""
        self.parameters = parameters
    }

    /// Appends text (SQL written by the program, never a value).
    public mutating func append(_ text: String) {
        sql += text
    }

    /// Binds a value and returns its placeholder.
    public mutating func bind(_ value: PostgresParameter) -> String {
        parameters.append(value)
        return "$\(parameters.count)"
    }
}
