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
        // built as bytes: a retry's arrays hold a hundred thousand elements
        var literal: [UInt8] = [UInt8(ascii: "{")]
        literal.reserveCapacity(elements.count * 12 + 2)
        for (index, element) in elements.enumerated() {
            if index > 0 { literal.append(UInt8(ascii: ",")) }
            guard var element else {
                literal += "NULL".utf8
                continue
            }
            literal.append(UInt8(ascii: "\""))
            element.withUTF8 { bytes in
                for byte in bytes {
                    if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { literal.append(UInt8(ascii: "\\")) }
                    literal.append(byte)
                }
            }
            literal.append(UInt8(ascii: "\""))
        }
        literal.append(UInt8(ascii: "}"))
        return .text(String(decoding: literal, as: UTF8.self))
    }

    /// An array of integers.
    public static func array(_ elements: [Int]) -> PostgresParameter {
        var literal: [UInt8] = [UInt8(ascii: "{")]
        literal.reserveCapacity(elements.count * 8 + 2)
        for (index, element) in elements.enumerated() {
            if index > 0 { literal.append(UInt8(ascii: ",")) }
            appendDecimal(element, to: &literal)
        }
        literal.append(UInt8(ascii: "}"))
        return .text(String(decoding: literal, as: UTF8.self))
    }

    /// Appends the decimal digits of `value` (with a minus sign when negative).
    private static func appendDecimal(_ value: Int, to bytes: inout [UInt8]) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes: room for the 20 digits of any Int
        withUnsafeMutableBytes(of: &digits) { buffer in
            var count = 0
            repeat {
                buffer[count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                count += 1
                magnitude /= 10
            } while magnitude > 0
            while count > 0 {
                count -= 1
                bytes.append(buffer[count])
            }
        }
    }

    /// The text sent to the server, nil for NULL.
    public var textValue: String? {
        if case .text(let value) = self { return value }
        return nil
    }
}
