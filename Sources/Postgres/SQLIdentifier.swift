/// A name of a database object (schema, table, column) that can be put into SQL text.
///
/// The quoted form wraps the name in double quotes and doubles any double quote inside, so
/// a name is always read as exactly one identifier, whatever characters it holds. Names
/// are checked against the catalog by their users before they reach SQL; quoting is the
/// second line of defence.
public struct SQLIdentifier: Sendable, Hashable, CustomStringConvertible {
    /// The name as stored in the catalog (case-sensitive).
    public let name: String

    /// Creates an identifier.
    ///
    /// - Throws: ``PostgresError/Kind/invalidInput`` for an empty name or one holding a NUL
    ///   byte, which PostgreSQL cannot represent.
    public init(_ name: String) throws(PostgresError) {
        guard !name.isEmpty else {
            throw PostgresError(.invalidInput, message: "an identifier cannot be empty")
        }
        guard !name.utf8.contains(0) else {
            throw PostgresError(.invalidInput, message: "an identifier cannot contain a NUL byte")
        }
        self.name = name
    }

    /// The quoted form, e.g. `"user"` or `"Weird ""Schema"""`.
    public var quoted: String {
        "\"" + name.replacingAll("\"", with: "\"\"") + "\""
    }

    public var description: String { name }

    /// `schema.object`, both quoted.
    public static func qualified(_ schema: SQLIdentifier, _ object: SQLIdentifier) -> String {
        schema.quoted + "." + object.quoted
    }
}
