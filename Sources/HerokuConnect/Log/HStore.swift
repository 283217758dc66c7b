/// The field/value pairs of a trigger log's `old` or `values` column, decoded from the
/// hstore text Heroku Connect writes there (`"name"=>"Acme", "phone"=>NULL`).
///
/// The parser reads text the way hstore's own input function does (``RawPairReader``):
/// keys and values double-quoted with `\` escaping, or unquoted (a key up to white space or
/// `=`, a value up to white space or `,`); an unquoted `NULL` (any case) as a value is SQL
/// NULL, which stays distinct from the empty string `""`. Pairs keep the order of the text.
/// Text that is not valid hstore is kept and reported, never fatal: the pairs decoded before
/// the fault are still available.
public struct HStore: Sendable, Equatable {
    /// One field and its value; nil is SQL NULL.
    public struct Pair: Sendable, Equatable {
        public let key: String
        public let value: String?

        public init(_ key: String, _ value: String?) {
            self.key = key
            self.value = value
        }
    }

    /// The text as stored in the column.
    public let text: String

    /// Keeps hstore text; it is decoded when its pairs are asked for (listings that only
    /// pass the text on, or transcode it with ``forEachRawPair(_:)``, never build them).
    public init(text: String) {
        self.text = text
    }

    /// Builds a value from pairs; ``text`` is their hstore output form.
    public init(pairs: [Pair]) {
        self.text = pairs.map { pair in
            HStore.quote(pair.key) + "=>" + (pair.value.map(HStore.quote) ?? "NULL")
        }.joined(separator: ", ")
    }

    /// The decoded pairs, in the order of the text; up to the fault when the text is
    /// malformed. Decoded on each use.
    public var pairs: [Pair] { decoded.pairs }

    /// Why the text is not valid hstore, or nil when it is.
    public var error: HStoreParseError? { decoded.error }

    private var decoded: (pairs: [Pair], error: HStoreParseError?) {
        var pairs: [Pair] = []
        let error = forEachRawPair { key, value in
            pairs.append(Pair(key.decoded, value?.decoded))
        }
        return (pairs, error)
    }

    /// Calls `body` with each pair's key and value (nil for NULL) as they stand in the text,
    /// without building strings; stops at the first fault.
    ///
    /// - Returns: Why the text is not valid hstore, or nil when it is.
    @discardableResult
    public func forEachRawPair(_ body: (RawToken, RawToken?) -> Void) -> HStoreParseError? {
        var fault: HStoreParseError?
        withRawPairs { reader in
            while let pair = reader.next() { body(pair.key, pair.value) }
            fault = reader.fault
        }
        return fault
    }

    /// Calls `body` with a reader of the pairs as they stand in the text (see
    /// ``RawPairReader``), valid only inside `body`.
    public func withRawPairs(_ body: (inout RawPairReader) -> Void) {
        var text = self.text
        text.withUTF8 { bytes in
            var reader = RawPairReader(bytes: bytes)
            body(&reader)
        }
    }

    /// True when the text is valid hstore.
    public var isWellFormed: Bool { forEachRawPair { _, _ in } == nil }

    /// The field names, in order.
    public var keys: [String] { pairs.map(\.key) }

    /// The values by key, decoded once (for a key given twice, the first, as the subscript
    /// answers); for many lookups, where the subscript would decode the text each time.
    public var valuesByKey: [String: String?] {
        Dictionary(pairs.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
    }

    /// The value of `key`: nil when the key is absent, `.some(nil)` when it is NULL. Decodes
    /// the text on each use (see ``valuesByKey``).
    public subscript(key: String) -> String?? {
        guard let pair = pairs.first(where: { $0.key == key }) else { return nil }
        return .some(pair.value)
    }

    /// Quotes a key or value the way hstore's output does.
    static func quote(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            if scalar == "\"" || scalar == "\\" { result += "\\" }
            result.unicodeScalars.append(scalar)
        }
        return result + "\""
    }
}

/// Where and why hstore text could not be decoded.
public struct HStoreParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The byte offset of the fault in the UTF-8 text.
    public let offset: Int
    /// What was expected or found.
    public let reason: String

    public var description: String { "\(reason) at byte \(offset)" }
}

extension HStore {
    /// A key or value as it stands in hstore text: its bytes without the surrounding quotes,
    /// still holding hstore's backslash escapes. Valid only inside the call that gives it.
    public struct RawToken {
        /// The bytes between the quotes (or of the unquoted token).
        public let bytes: UnsafeBufferPointer<UInt8>
        /// True when the bytes hold backslash escapes.
        public let hasEscapes: Bool

        /// Calls `body` with the token's text in pieces: the runs between escapes, each
        /// escaped byte starting the next run, so the pieces joined are the decoded text.
        public func forEachRun(_ body: (UnsafeBufferPointer<UInt8>) throws -> Void) rethrows {
            guard hasEscapes else { return try body(bytes) }
            var start = 0
            var index = 0
            while index < bytes.count {
                if bytes[index] == UInt8(ascii: "\\"), index + 1 < bytes.count {
                    if index > start { try body(UnsafeBufferPointer(rebasing: bytes[start..<index])) }
                    start = index + 1
                    index += 2
                } else {
                    index += 1
                }
            }
            if start < bytes.count { try body(UnsafeBufferPointer(rebasing: bytes[start..<bytes.count])) }
        }

        /// The decoded text.
        public var decoded: String {
            guard hasEscapes else { return String(decoding: bytes, as: UTF8.self) }
            var unescaped: [UInt8] = []
            unescaped.reserveCapacity(bytes.count)
            forEachRun { unescaped.append(contentsOf: $0) }
            return String(decoding: unescaped, as: UTF8.self)
        }
    }
}

extension HStore {
    /// One pair as it stands in hstore text; the value is nil for NULL.
    public struct RawPair {
        public let key: RawToken
        public let value: RawToken?
    }

    /// Reads the pairs of hstore text one by one, without building strings, the way
    /// hstore's own input function (`hstore_in`) reads them, so that a text PostgreSQL
    /// accepts gives the same pairs and a text it refuses is reported as malformed:
    ///
    /// - a key or value is double-quoted (`\\` escapes any byte), or unquoted: then it runs
    ///   from its first byte (whatever it is, but a key's cannot be `=`) to white space or the
    ///   end, a key also to `=` and a value also to `,`, and `\\` escapes the next byte
    ///   (quotes inside are plain bytes);
    /// - `=>` follows a key after optional white space, with nothing between `=` and `>`;
    /// - pairs are separated by `,`; a `,` at the end is allowed;
    /// - an unquoted value that reads `NULL` (any case, once unescaped) is SQL NULL.
    public struct RawPairReader {
        private let bytes: UnsafeBufferPointer<UInt8>
        private var index = 0
        private var isAtEnd = false
        /// Why the text is not valid hstore, once ``next()`` met the fault; nil otherwise.
        public private(set) var fault: HStoreParseError?

        init(bytes: UnsafeBufferPointer<UInt8>) {
            self.bytes = bytes
        }

        private static let quote = UInt8(ascii: "\"")
        private static let backslash = UInt8(ascii: "\\")
        private static let equals = UInt8(ascii: "=")
        private static let greater = UInt8(ascii: ">")
        private static let comma = UInt8(ascii: ",")

        /// A token, or the end of the text where a token could start.
        private enum Scanned {
            case token(RawToken, quoted: Bool)
            case end
        }

        /// The next pair; nil at the end of the text or at a fault (see ``fault``).
        public mutating func next() -> RawPair? {
            guard fault == nil, !isAtEnd else { return nil }
            guard let scannedKey = token(isKey: true) else { return nil }
            guard case .token(let key, _) = scannedKey else {
                // the end, at the start or after a comma
                isAtEnd = true
                return nil
            }
            skipSpace()
            guard index < bytes.count, bytes[index] == Self.equals else { return fail("expected \"=>\"") }
            index += 1
            guard index < bytes.count, bytes[index] == Self.greater else { return fail("expected \"=>\"") }
            index += 1
            guard let scannedValue = token(isKey: false) else { return nil }
            guard case .token(let value, let quoted) = scannedValue else { return fail("expected a value") }
            skipSpace()
            if index >= bytes.count {
                isAtEnd = true
            } else if bytes[index] == Self.comma {
                index += 1
            } else {
                // the pair is read whole; the fault is after it, and ends the reading
                _ = fail("expected \",\"")
            }
            return RawPair(key: key, value: !quoted && Self.isNull(value) ? nil : value)
        }

        private mutating func fail(_ reason: String) -> RawPair? {
            fault = HStoreParseError(offset: index, reason: reason)
            return nil
        }

        private static func isSpace(_ byte: UInt8) -> Bool {
            byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D || byte == 0x0B || byte == 0x0C
        }

        private mutating func skipSpace() {
            while index < bytes.count, Self.isSpace(bytes[index]) { index += 1 }
        }

        /// The position (0–7) of the first `"` or `\\` among the eight bytes of a
        /// little-endian `word`, or 8 when there is none: the "has a byte equal to n" word
        /// test of "Bit Twiddling Hacks", whose lowest set bit marks the first such byte.
        @inline(__always)
        private static func firstQuoteOrBackslash(_ word: UInt64) -> Int {
            let ones: UInt64 = 0x0101_0101_0101_0101
            let highs: UInt64 = 0x8080_8080_8080_8080
            let quote = word ^ (ones &* 0x22)
            let backslash = word ^ (ones &* 0x5C)
            let found = ((quote &- ones) & ~quote & highs) | ((backslash &- ones) & ~backslash & highs)
            return found.trailingZeroBitCount / 8
        }

        /// Reads a key or value after optional white space; nil at a fault.
        private mutating func token(isKey: Bool) -> Scanned? {
            skipSpace()
            guard index < bytes.count, let base = bytes.baseAddress else { return .end }
            let what = isKey ? "key" : "value"
            if bytes[index] == Self.quote {
                index += 1
                let start = index
                var escaped = false
                while true {
                    if bytes.count - index >= 8 {
                        // skip to the first quote or backslash of the next eight bytes
                        let word = UInt64(littleEndian: UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self))
                        let skipped = Self.firstQuoteOrBackslash(word)
                        index += skipped
                        if skipped == 8 { continue }
                    }
                    guard index < bytes.count else {
                        _ = fail("unterminated quoted \(what)")
                        return nil
                    }
                    let byte = bytes[index]
                    if byte == Self.quote { break }
                    if byte == Self.backslash {
                        escaped = true
                        index += 1
                    }
                    index += 1
                }
                let token = RawToken(bytes: UnsafeBufferPointer(rebasing: bytes[start..<index]), hasEscapes: escaped)
                index += 1
                return .token(token, quoted: true)
            }
            if isKey, bytes[index] == Self.equals {
                _ = fail("expected a key")
                return nil
            }
            // the first byte belongs to the token whatever it is (a value may start with "," or
            // "="), the next ones up to white space, or "=" (key) or "," (value)
            let start = index
            var escaped = false
            while index < bytes.count {
                let byte = bytes[index]
                if byte == Self.backslash {
                    guard index + 1 < bytes.count else {
                        _ = fail("a backslash at the end of an unquoted \(what)")
                        return nil
                    }
                    escaped = true
                    index += 2
                    continue
                }
                if index > start, Self.isSpace(byte) || (isKey ? byte == Self.equals : byte == Self.comma) { break }
                index += 1
            }
            return .token(RawToken(bytes: UnsafeBufferPointer(rebasing: bytes[start..<index]), hasEscapes: escaped), quoted: false)
        }

        /// An unquoted `NULL`, in any case, once escapes are removed (as hstore reads it).
        private static func isNull(_ token: RawToken) -> Bool {
            if token.hasEscapes { return token.decoded.lowercased() == "null" }
            let bytes = token.bytes
            return bytes.count == 4 && bytes[0] | 0x20 == UInt8(ascii: "n") && bytes[1] | 0x20 == UInt8(ascii: "u")
                && bytes[2] | 0x20 == UInt8(ascii: "l") && bytes[3] | 0x20 == UInt8(ascii: "l")
        }
    }
}
