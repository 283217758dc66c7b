#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import HerokuConnect
import Postgres

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

    /// Appends UTF-8 text as a string, or `null`.
    static func appendValue<Sink: ByteSink & ~Copyable>(utf8 value: UnsafeBufferPointer<UInt8>?, to sink: inout Sink) {
        if let value { appendString(utf8: value, to: &sink) } else { sink.append(literal: "null") }
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
        guard var text = value?.text else { return sink.append(literal: "null") }
        text.withUTF8 { appendHStore(utf8: $0, exactly: exactly, to: &sink) }
    }

    /// Appends hstore text (UTF-8) as ``appendValue(_:exactly:to:)`` does, or `null`. Text in
    /// hstore's output form (nearly all there is) is transcoded in one pass
    /// (``appendOutputFormObject(_:to:)``); other text is written as a string with
    /// `exactly`, else read pair by pair as hstore reads it.
    static func appendHStore<Sink: ByteSink & ~Copyable>(
        utf8 text: UnsafeBufferPointer<UInt8>?, exactly: Bool, to sink: inout Sink
    ) {
        guard let text else { return sink.append(literal: "null") }
        let start = sink.count
        if appendOutputFormObject(text, to: &sink) { return }
        sink.truncate(to: start)
        if exactly { return appendString(utf8: text, to: &sink) }
        appendObject(HStore(text: String(decoding: text, as: UTF8.self)), to: &sink)
    }

    /// Appends hstore text as a JSON object when the text is in hstore's output form (see
    /// ``HStore/isInOutputForm``): `"key"=>"value"` or `"key"=>NULL` pairs joined by `, `,
    /// keys in hstore's order, only `"` and `\` escaped. Such a quoted token is its JSON
    /// string but for control characters: hstore's escapes `\"` and `\\` are JSON's too.
    ///
    /// - Returns: False, having appended part of an object (which the caller removes), when
    ///   the text is not in output form.
    static func appendOutputFormObject<Sink: ByteSink & ~Copyable>(
        _ text: UnsafeBufferPointer<UInt8>, to sink: inout Sink
    ) -> Bool {
        sink.append(UInt8(ascii: "{"))
        guard let base = text.baseAddress, text.count > 0 else {
            sink.append(UInt8(ascii: "}"))
            return true
        }
        let count = text.count
        var index = 0
        var previousKey: (bytes: UnsafeBufferPointer<UInt8>, escaped: Bool)?
        while true {
            // a quoted key, at index < count
            guard base[index] == UInt8(ascii: "\""),
                let (keyEnd, keyEscaped) = appendQuotedToken(base, from: index + 1, count: count, to: &sink)
            else { return false }
            let key = (bytes: UnsafeBufferPointer(start: base + index + 1, count: keyEnd - index - 1), escaped: keyEscaped)
            if let previousKey, !HStoreKeyOrder.precedes(previousKey, key) { return false }
            previousKey = key
            index = keyEnd + 1
            // "=>", then a quoted value or NULL
            guard count - index >= 3, base[index] == UInt8(ascii: "="), base[index + 1] == UInt8(ascii: ">") else {
                return false
            }
            index += 2
            sink.append(UInt8(ascii: ":"))
            if base[index] == UInt8(ascii: "\"") {
                guard let (valueEnd, _) = appendQuotedToken(base, from: index + 1, count: count, to: &sink) else { return false }
                index = valueEnd + 1
            } else {
                guard count - index >= 4, base[index] == UInt8(ascii: "N"), base[index + 1] == UInt8(ascii: "U"),
                    base[index + 2] == UInt8(ascii: "L"), base[index + 3] == UInt8(ascii: "L")
                else { return false }
                sink.append(literal: "null")
                index += 4
            }
            if index == count { break }
            // ", " and the next key
            guard count - index >= 3, base[index] == UInt8(ascii: ","), base[index + 1] == UInt8(ascii: " ") else {
                return false
            }
            index += 2
            sink.append(UInt8(ascii: ","))
        }
        sink.append(UInt8(ascii: "}"))
        return true
    }

    /// Appends the quoted hstore token starting at `start` (after its opening quote) as a
    /// JSON string.
    ///
    /// - Returns: The index of its closing quote, and whether it holds escapes; nil when it
    ///   is not closed or holds an escape other than `\"` and `\\` (not output form).
    @inline(__always)
    private static func appendQuotedToken<Sink: ByteSink & ~Copyable>(
        _ base: UnsafePointer<UInt8>, from start: Int, count: Int, to sink: inout Sink
    ) -> (end: Int, escaped: Bool)? {
        sink.append(UInt8(ascii: "\""))
        var index = start
        var runStart = start
        var escaped = false
        while true {
            if count - index >= 8 {
                let word = UInt64(littleEndian: UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self))
                let skipped = firstToEscape(word)
                index += skipped
                if skipped == 8 { continue }
            }
            guard index < count else { return nil }
            let byte = base[index]
            if byte >= 0x20, byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\") {
                index += 1
                continue
            }
            if byte == UInt8(ascii: "\\") {
                // kept as it is: the same escape in JSON
                guard index + 1 < count, base[index + 1] == UInt8(ascii: "\"") || base[index + 1] == UInt8(ascii: "\\")
                else { return nil }
                escaped = true
                index += 2
                continue
            }
            if index > runStart { sink.append(bytes: UnsafeBufferPointer(start: base + runStart, count: index - runStart)) }
            if byte == UInt8(ascii: "\"") {
                sink.append(UInt8(ascii: "\""))
                return (index, escaped)
            }
            appendControlEscape(byte, to: &sink)
            index += 1
            runStart = index
        }
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
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                sink.append(UInt8(ascii: "\\"))
                sink.append(byte)
            } else {
                appendControlEscape(byte, to: &sink)
            }
            index += 1
            runStart = index
        }
        if runStart < count { sink.append(bytes: UnsafeBufferPointer(start: base + runStart, count: count - runStart)) }
    }

    /// Appends the JSON escape of a control character (below 0x20).
    private static func appendControlEscape<Sink: ByteSink & ~Copyable>(_ byte: UInt8, to sink: inout Sink) {
        switch byte {
        case 0x0A: sink.append(literal: "\\n")
        case 0x0D: sink.append(literal: "\\r")
        case 0x09: sink.append(literal: "\\t")
        default:
            let hex = hexDigits.utf8Start
            sink.append(literal: "\\u00")
            sink.append(hex[Int(byte >> 4)])
            sink.append(hex[Int(byte & 0xF)])
        }
    }
}

/// hstore's order of keys (shorter first, then by bytes), on keys as they stand in the
/// text, escapes and all.
enum HStoreKeyOrder {
    /// True when the first key comes strictly before the second.
    static func precedes(
        _ first: (bytes: UnsafeBufferPointer<UInt8>, escaped: Bool), _ second: (bytes: UnsafeBufferPointer<UInt8>, escaped: Bool)
    ) -> Bool {
        guard !first.escaped, !second.escaped else {
            return precedes(decoded(first.bytes), decoded(second.bytes))
        }
        return precedes(first.bytes, second.bytes)
    }

    private static func precedes(_ first: UnsafeBufferPointer<UInt8>, _ second: UnsafeBufferPointer<UInt8>) -> Bool {
        if first.count != second.count { return first.count < second.count }
        guard let a = first.baseAddress, let b = second.baseAddress else { return false }
        return memcmp(a, b, first.count) < 0
    }

    private static func precedes(_ first: [UInt8], _ second: [UInt8]) -> Bool {
        first.withUnsafeBufferPointer { a in second.withUnsafeBufferPointer { b in precedes(a, b) } }
    }

    /// The key without its escapes (each `\\` drops, the byte after it stays).
    private static func decoded(_ bytes: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "\\"), index + 1 < bytes.count { index += 1 }
            result.append(bytes[index])
            index += 1
        }
        return result
    }
}
