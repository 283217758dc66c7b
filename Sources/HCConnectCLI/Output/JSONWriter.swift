import HerokuConnect
import Postgres

/// Builds one JSON object, key by key, as UTF-8 bytes, with strings escaped per RFC 8259.
///
/// Bytes rather than `String`: a listing writes hundreds of thousands of objects, and
/// escaping byte by byte is many times cheaper than walking Unicode scalars. Listings
/// write their rows with ``JSONObjectWriter/Fields`` straight into the output buffer.
struct JSONObjectWriter {
    /// The object so far, still open.
    private(set) var bytes: [UInt8] = [UInt8(ascii: "{")]
    private var isFirst = true

    /// An empty object.
    init() {}

    /// The keys and values of one object written into any byte sink, for rows written
    /// straight into an output buffer; the caller writes the braces. Keys are literals,
    /// which need no escaping.
    struct Fields<Sink: ByteSink & ~Copyable> {
        private var isFirst = true

        private mutating func key(_ name: StaticString, to sink: inout Sink) {
            if !isFirst { sink.append(UInt8(ascii: ",")) }
            isFirst = false
            sink.append(UInt8(ascii: "\""))
            sink.append(literal: name)
            sink.append(literal: "\":")
        }

        mutating func add(_ name: StaticString, _ value: String?, to sink: inout Sink) {
            key(name, to: &sink)
            JSONEncoding.appendValue(value, to: &sink)
        }

        mutating func add(_ name: StaticString, _ value: Int?, to sink: inout Sink) {
            key(name, to: &sink)
            JSONEncoding.appendValue(value.map(Int64.init), to: &sink)
        }

        mutating func add(_ name: StaticString, _ value: Int64?, to sink: inout Sink) {
            key(name, to: &sink)
            JSONEncoding.appendValue(value, to: &sink)
        }

        mutating func add(_ name: StaticString, _ value: Bool, to sink: inout Sink) {
            key(name, to: &sink)
            sink.append(literal: value ? "true" : "false")
        }

        mutating func add(_ name: StaticString, _ value: PostgresTimestamp?, to sink: inout Sink) {
            key(name, to: &sink)
            JSONEncoding.appendValue(value, to: &sink)
        }

        mutating func add(_ name: StaticString, _ value: HStore?, exactly: Bool, to sink: inout Sink) {
            key(name, to: &sink)
            JSONEncoding.appendValue(value, exactly: exactly, to: &sink)
        }
    }

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

/// JSON values written into byte sinks.
enum JSONEncoding {
    /// Appends `value` as a JSON string: quotes, backslashes and control characters escaped,
    /// everything else as it is in UTF-8.
    static func appendString<Sink: ByteSink & ~Copyable>(_ value: String, to sink: inout Sink) {
        var value = value
        value.withUTF8 { appendString(utf8: $0, to: &sink) }
    }

    /// Appends UTF-8 text as a JSON string.
    static func appendString<Sink: ByteSink & ~Copyable>(utf8: UnsafeBufferPointer<UInt8>, to sink: inout Sink) {
        sink.append(UInt8(ascii: "\""))
        appendEscaped(utf8, to: &sink)
        sink.append(UInt8(ascii: "\""))
    }

    /// Appends an hstore key or value, its escapes removed, as a JSON string.
    static func appendString<Sink: ByteSink & ~Copyable>(_ token: HStore.RawToken, to sink: inout Sink) {
        sink.append(UInt8(ascii: "\""))
        if token.hasEscapes {
            token.forEachRun { appendEscaped($0, to: &sink) }
        } else {
            appendEscaped(token.bytes, to: &sink)
        }
        sink.append(UInt8(ascii: "\""))
    }

    /// Appends a string, or `null`.
    static func appendValue<Sink: ByteSink & ~Copyable>(_ value: String?, to sink: inout Sink) {
        if let value { appendString(value, to: &sink) } else { sink.append(literal: "null") }
    }

    /// Appends a number, or `null`.
    static func appendValue<Sink: ByteSink & ~Copyable>(_ value: Int64?, to sink: inout Sink) {
        if let value { sink.append(decimal: value) } else { sink.append(literal: "null") }
    }

    /// Appends a timestamp as an ISO 8601 string, or `null`.
    static func appendValue<Sink: ByteSink & ~Copyable>(_ value: PostgresTimestamp?, to sink: inout Sink) {
        guard let value else { return sink.append(literal: "null") }
        sink.append(UInt8(ascii: "\""))
        value.withISO8601Bytes { sink.append(bytes: $0) }
        sink.append(UInt8(ascii: "\""))
    }

    /// Appends hstore pairs as an object (``appendObject(_:to:)``), or `null`. With
    /// `exactly`, as an object only when the pairs rebuild the text byte for byte
    /// (``HStore/isInOutputForm``, true of everything hstore itself writes), otherwise as the
    /// text, so that nothing is lost.
    static func appendValue<Sink: ByteSink & ~Copyable>(_ value: HStore?, exactly: Bool, to sink: inout Sink) {
        guard let value else { return sink.append(literal: "null") }
        if exactly, !value.isInOutputForm { return appendString(value.text, to: &sink) }
        appendObject(value, to: &sink)
    }

    /// Appends hstore pairs as an object, transcoded pair by pair from the text; when a
    /// fault turns up, the object is dropped again for the text as a string.
    static func appendObject<Sink: ByteSink & ~Copyable>(_ fields: HStore, to sink: inout Sink) {
        let start = sink.count
        sink.append(UInt8(ascii: "{"))
        var fault: HStoreParseError?
        fields.withRawPairs { reader in
            var isFirst = true
            while let pair = reader.next() {
                if !isFirst { sink.append(UInt8(ascii: ",")) }
                isFirst = false
                appendString(pair.key, to: &sink)
                sink.append(UInt8(ascii: ":"))
                if let value = pair.value { appendString(value, to: &sink) } else { sink.append(literal: "null") }
            }
            fault = reader.fault
        }
        if fault == nil {
            sink.append(UInt8(ascii: "}"))
        } else {
            sink.truncate(to: start)
            appendString(fields.text, to: &sink)
        }
    }

    private static let hexDigits: StaticString = "0123456789abcdef"

    /// The position (0–7) of the first control character, `"` or `\` among the eight
    /// bytes of a little-endian `word`, or 8 when there is none: the word tests of "Bit
    /// Twiddling Hacks" (has a byte less than n; has a byte equal to n), whose lowest set
    /// bit marks the first such byte.
    @inline(__always)
    private static func firstToEscape(_ word: UInt64) -> Int {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        let control = (word &- ones &* 0x20) & ~word & highs
        let quote = word ^ (ones &* 0x22)
        let backslash = word ^ (ones &* 0x5C)
        let quoteZero = (quote &- ones) & ~quote & highs
        let backslashZero = (backslash &- ones) & ~backslash & highs
        return (control | quoteZero | backslashZero).trailingZeroBitCount / 8
    }

    /// Appends UTF-8 text with quotes, backslashes and control characters escaped; runs of
    /// plain bytes are copied at once, found eight bytes at a time.
    private static func appendEscaped<Sink: ByteSink & ~Copyable>(_ utf8: UnsafeBufferPointer<UInt8>, to sink: inout Sink) {
        guard let base = utf8.baseAddress else { return }
        var runStart = 0
        var index = 0
        let count = utf8.count
        while index < count {
            if count - index >= 8 {
                // skip to the first byte to escape among the next eight
                let word = UInt64(littleEndian: UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self))
                let skipped = firstToEscape(word)
                index += skipped
                if skipped == 8 { continue }
            }
            let byte = base[index]
            if byte >= 0x20, byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\") {
                index += 1
                continue
            }
            if index > runStart { sink.append(bytes: UnsafeBufferPointer(start: base + runStart, count: index - runStart)) }
            sink.append(UInt8(ascii: "\\"))
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): sink.append(byte)
            case 0x0A: sink.append(UInt8(ascii: "n"))
            case 0x0D: sink.append(UInt8(ascii: "r"))
            case 0x09: sink.append(UInt8(ascii: "t"))
            default:
                let hex = hexDigits.utf8Start
                sink.append(literal: "u00")
                sink.append(hex[Int(byte >> 4)])
                sink.append(hex[Int(byte & 0xF)])
            }
            index += 1
            runStart = index
        }
        if runStart < count { sink.append(bytes: UnsafeBufferPointer(start: base + runStart, count: count - runStart)) }
    }
}
