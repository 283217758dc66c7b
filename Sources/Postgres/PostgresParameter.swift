/// A statement parameter (`$1`, `$2`, ...), sent in PostgreSQL's text format.
///
/// Values never become part of the SQL text: they travel separately through
/// `PQexecParams`/`PQsendQueryParams`, and the server infers their types from the statement
/// (write `$1::text[]` where the context does not say).
public enum PostgresParameter: Sendable, Equatable, ExpressibleByStringLiteral,
    ExpressibleByIntegerLiteral, ExpressibleByNilLiteral, ExpressibleByBooleanLiteral
{
    /// SQL NULL.
    case null
    /// A value in PostgreSQL's text input format.
    case text(String)

    public init(stringLiteral value: String) { self = .text(value) }
    public init(integerLiteral value: Int) { self = .text(String(value)) }
    public init(nilLiteral: ()) { self = .null }
    public init(booleanLiteral value: Bool) { self = .text(value ? "true" : "false") }

    /// An integer parameter.
    public static func int(_ value: Int) -> PostgresParameter { .text(String(value)) }

    /// An optional text parameter: NULL for nil.
    public static func optional(_ value: String?) -> PostgresParameter {
        value.map { .text($0) } ?? .null
    }

    /// A one-dimensional array, in the text form of an array literal (`{"a","b"}`), with
    /// every element quoted and escaped; nil elements become NULL.
    public static func array(_ elements: [String?]) -> PostgresParameter {
        var literal = "{"
        for (index, element) in elements.enumerated() {
            if index > 0 { literal += "," }
            guard let element else {
                literal += "NULL"
                continue
            }
            literal += "\""
            for character in element.unicodeScalars {
                if character == "\"" || character == "\\" { literal += "\\" }
                literal.unicodeScalars.append(character)
            }
            literal += "\""
        }
        literal += "}"
        return .text(literal)
    }

    /// An array of integers.
    public static func array(_ elements: [Int]) -> PostgresParameter {
        .text("{" + elements.map(String.init).joined(separator: ",") + "}")
    }

    /// The text sent to the server, nil for NULL.
    public var textValue: String? {
        if case .text(let value) = self { return value }
        return nil
    }
}
