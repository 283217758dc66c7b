import HerokuConnect
import Postgres

/// Builds one JSON object, key by key, as UTF-8 bytes, with strings escaped per RFC 8259.
///
/// Bytes rather than `String`: a listing writes hundreds of thousands of objects, and
/// escaping byte by byte is many times cheaper than walking Unicode scalars. Listings
/// write their rows straight into the output buffer (``EntryWriters/appendJSONLine(_:exact:to:)``).
struct JSONObjectWriter {
    /// The object so far, still open.
    private(set) var bytes: [UInt8] = [UInt8(ascii: "{")]
    private var isFirst = true

    /// An empty object.
    init() {}

    private mutating func key(_ name: String) {
        if !isFirst { bytes.append(UInt8(ascii: ",")) }
        isFirst = false
        JSONEncoding.appendString(name, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
    }

    mutating func add(_ name: String, _ value: String?) {
        key(name)
        JSONEncoding.appendValue(value, to: &bytes)
    }

    mutating func add(_ name: String, _ value: Int?) {
        key(name)
        JSONEncoding.appendValue(value.map(Int64.init), to: &bytes)
    }

    mutating func add(_ name: String, _ value: Int64?) {
        key(name)
        JSONEncoding.appendValue(value, to: &bytes)
    }

    mutating func add(_ name: String, _ value: Bool) {
        key(name)
        bytes.append(literal: value ? "true" : "false")
    }

    mutating func add(_ name: String, _ value: Bool?) {
        guard let value else {
            add(name, nil as String?)
            return
        }
        add(name, value)
    }

    mutating func add(_ name: String, _ value: PostgresTimestamp?) {
        key(name)
        JSONEncoding.appendValue(value, to: &bytes)
    }

    /// Adds a value that is already JSON (an object built by another writer).
    mutating func add(_ name: String, raw json: [UInt8]) {
        key(name)
        bytes.append(contentsOf: json)
    }

    /// Adds field/value pairs as an object (`null` values kept); a malformed hstore text is
    /// written as the string it is.
    mutating func add(_ name: String, _ value: HStore?) {
        key(name)
        JSONEncoding.appendValue(value, exactly: false, to: &bytes)
    }

    /// Adds pairs as an object.
    mutating func add(_ name: String, pairs: [HStore.Pair]) {
        key(name)
        bytes.append(UInt8(ascii: "{"))
        for (index, pair) in pairs.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            JSONEncoding.appendString(pair.key, to: &bytes)
            bytes.append(UInt8(ascii: ":"))
            JSONEncoding.appendValue(pair.value, to: &bytes)
        }
        bytes.append(UInt8(ascii: "}"))
    }

    /// Adds keys and values written elsewhere (`"a":1,"b":2`, without braces).
    mutating func add(fieldsJSON: some Collection<UInt8>) {
        guard !fieldsJSON.isEmpty else { return }
        if !isFirst { bytes.append(UInt8(ascii: ",")) }
        isFirst = false
        bytes.append(contentsOf: fieldsJSON)
    }

    /// Adds the fields another object holds, in their order (an object whose bytes were
    /// not handed over with ``takeBytes()``).
    mutating func add(fieldsOf other: JSONObjectWriter) {
        precondition(other.bytes.first == UInt8(ascii: "{"), "add(fieldsOf:) of an object already handed over")
        add(fieldsJSON: other.bytes.dropFirst())
    }

    /// Opens an array field whose elements the caller writes itself, streamed, separated by
    /// commas; ``closeArray()`` ends it, and the object goes on with more fields.
    mutating func openArray(_ name: String) {
        key(name)
        bytes.append(UInt8(ascii: "["))
    }

    /// Ends the array ``openArray(_:)`` began.
    mutating func closeArray() {
        bytes.append(UInt8(ascii: "]"))
    }

    /// The bytes written so far, handed over to be written out; the object goes on from
    /// there (the next field still gets its comma).
    mutating func takeBytes() -> [UInt8] {
        defer { bytes.removeAll(keepingCapacity: true) }
        return bytes
    }

    /// The object's bytes, closed.
    func finished() -> [UInt8] {
        var closed = bytes
        closed.append(UInt8(ascii: "}"))
        return closed
    }

    /// The object's text, closed.
    var text: String { String(decoding: finished(), as: UTF8.self) }

    /// Appends `value` as a JSON string.
    static func appendString(_ value: String, to bytes: inout [UInt8]) {
        JSONEncoding.appendString(value, to: &bytes)
    }
}
