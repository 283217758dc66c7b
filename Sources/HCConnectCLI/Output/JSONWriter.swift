import HerokuConnect
import Postgres

/// Builds one JSON object, key by key, as UTF-8 bytes, with strings escaped per RFC 8259.
///
/// Bytes rather than `String`: a listing writes hundreds of thousands of objects, and
/// escaping byte by byte is many times cheaper than walking Unicode scalars.
struct JSONObjectWriter {
    private(set) var bytes: [UInt8] = [UInt8(ascii: "{")]
    private var isFirst = true

    private mutating func key(_ name: String) {
        if !isFirst { bytes.append(UInt8(ascii: ",")) }
        isFirst = false
        Self.appendString(name, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
    }

    private mutating func appendLiteral(_ text: StaticString) {
        bytes.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    mutating func add(_ name: String, _ value: String?) {
        key(name)
        if let value { Self.appendString(value, to: &bytes) } else { appendLiteral("null") }
    }

    mutating func add(_ name: String, _ value: Int?) {
        key(name)
        if let value { bytes.append(contentsOf: String(value).utf8) } else { appendLiteral("null") }
    }

    mutating func add(_ name: String, _ value: Int64?) {
        key(name)
        if let value { bytes.append(contentsOf: String(value).utf8) } else { appendLiteral("null") }
    }

    mutating func add(_ name: String, _ value: Bool) {
        key(name)
        if value { appendLiteral("true") } else { appendLiteral("false") }
    }

    mutating func add(_ name: String, _ value: PostgresTimestamp?) {
        add(name, value?.iso8601)
    }

    /// Adds a value that is already JSON (an object built by another writer).
    mutating func add(_ name: String, raw json: [UInt8]) {
        key(name)
        bytes.append(contentsOf: json)
    }

    /// Adds field/value pairs as an object (`null` values kept); a malformed hstore text is
    /// written as the string it is.
    mutating func add(_ name: String, _ fields: HStore?) {
        guard let fields else { return add(name, nil as String?) }
        guard fields.isWellFormed else { return add(name, fields.text) }
        add(name, pairs: fields.pairs)
    }

    /// Adds field/value pairs as an object only when they rebuild the column's text byte
    /// for byte (``HStore/isInOutputForm``, true of everything hstore itself writes);
    /// otherwise the text as a string, so that nothing is lost.
    mutating func add(_ name: String, exactly fields: HStore?) {
        guard let fields else { return add(name, nil as String?) }
        guard fields.isInOutputForm else { return add(name, fields.text) }
        add(name, pairs: fields.pairs)
    }

    /// Adds pairs as an object.
    mutating func add(_ name: String, pairs: [HStore.Pair]) {
        key(name)
        bytes.append(UInt8(ascii: "{"))
        for (index, pair) in pairs.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            Self.appendString(pair.key, to: &bytes)
            bytes.append(UInt8(ascii: ":"))
            if let value = pair.value { Self.appendString(value, to: &bytes) } else { appendLiteral("null") }
        }
        bytes.append(UInt8(ascii: "}"))
    }

    /// The object's bytes, closed.
    func finished() -> [UInt8] { bytes + [UInt8(ascii: "}")] }

    /// The object's text, closed.
    var text: String { String(decoding: finished(), as: UTF8.self) }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// Appends `value` as a JSON string: quotes, backslashes and control characters escaped,
    /// everything else as it is in UTF-8.
    static func appendString(_ value: String, to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { utf8 in
            var runStart = 0
            for index in 0..<utf8.count {
                let byte = utf8[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<index]))
                runStart = index + 1
                bytes.append(UInt8(ascii: "\\"))
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): bytes.append(byte)
                case 0x0A: bytes.append(UInt8(ascii: "n"))
                case 0x0D: bytes.append(UInt8(ascii: "r"))
                case 0x09: bytes.append(UInt8(ascii: "t"))
                default:
                    bytes.append(contentsOf: [UInt8(ascii: "u"), 0x30, 0x30, hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0xF)]])
                }
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<utf8.count]))
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
