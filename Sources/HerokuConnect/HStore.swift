/// The field/value pairs of a trigger log's `old` or `values` column, decoded from the
/// hstore text Heroku Connect writes there (`"name"=>"Acme", "phone"=>NULL`).
///
/// The parser follows hstore's input syntax: keys and values double-quoted with `\` escaping
/// `"` and `\`, or unquoted up to white space, `=>` or a comma; an unquoted `NULL` (any case)
/// as a value is SQL NULL, which stays distinct from the empty string `""`. Pairs keep the
/// order of the text. Text that is not valid hstore is kept and reported, never fatal: the
/// pairs decoded before the fault are still available.
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
    /// The decoded pairs, in the order of the text; up to the fault when the text is
    /// malformed.
    public let pairs: [Pair]
    /// Why the text is not valid hstore, or nil when it is.
    public let error: HStoreParseError?

    /// Decodes hstore text. Never fails: see ``error``.
    public init(text: String) {
        var copy = text
        let (pairs, error) = copy.withUTF8 { HStoreParser.parse($0) }
        self.text = text
        self.pairs = pairs
        self.error = error
    }

    /// Builds a value from pairs; ``text`` is their hstore output form.
    public init(pairs: [Pair]) {
        self.pairs = pairs
        self.error = nil
        self.text = pairs.map { pair in
            HStore.quote(pair.key) + "=>" + (pair.value.map(HStore.quote) ?? "NULL")
        }.joined(separator: ", ")
    }

    /// True when the text is valid hstore.
    public var isWellFormed: Bool { error == nil }

    /// The field names, in order.
    public var keys: [String] { pairs.map(\.key) }

    /// The value of `key`: nil when the key is absent, `.some(nil)` when it is NULL.
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

/// A byte-level parser for hstore's input syntax.
enum HStoreParser {
    private static let quote = UInt8(ascii: "\"")
    private static let backslash = UInt8(ascii: "\\")
    private static let equals = UInt8(ascii: "=")
    private static let greater = UInt8(ascii: ">")
    private static let comma = UInt8(ascii: ",")

    static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> ([HStore.Pair], HStoreParseError?) {
        var pairs: [HStore.Pair] = []
        var index = 0
        var scratch: [UInt8] = []

        func isSpace(_ byte: UInt8) -> Bool {
            byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D || byte == 0x0B || byte == 0x0C
        }
        func skipSpace() {
            while index < bytes.count, isSpace(bytes[index]) { index += 1 }
        }
        func fail(_ reason: String) -> ([HStore.Pair], HStoreParseError?) {
            (pairs, HStoreParseError(offset: index, reason: reason))
        }
        /// Reads a quoted or unquoted token; returns the text and whether it was quoted.
        func token(isKey: Bool) -> (String, Bool)? {
            guard index < bytes.count else { return nil }
            if bytes[index] == quote {
                index += 1
                let start = index
                var escaped = false
                while index < bytes.count, bytes[index] != quote {
                    if bytes[index] == backslash {
                        escaped = true
                        index += 1
                    }
                    index += 1
                }
                guard index < bytes.count else { return nil }
                let text = decode(start..<index, escaped: escaped)
                index += 1
                return (text, true)
            }
            let start = index
            var escaped = false
            while index < bytes.count {
                let byte = bytes[index]
                if isSpace(byte) || byte == comma || (isKey && byte == equals) || byte == quote { break }
                if byte == backslash {
                    escaped = true
                    index += 1
                }
                index += 1
            }
            index = min(index, bytes.count)
            guard index > start else { return nil }
            return (decode(start..<index, escaped: escaped), false)
        }
        func decode(_ range: Range<Int>, escaped: Bool) -> String {
            let slice = UnsafeBufferPointer(rebasing: bytes[range])
            guard escaped else { return String(decoding: slice, as: UTF8.self) }
            scratch.removeAll(keepingCapacity: true)
            var position = slice.startIndex
            while position < slice.endIndex {
                if slice[position] == backslash, position + 1 < slice.endIndex { position += 1 }
                scratch.append(slice[position])
                position += 1
            }
            return String(decoding: scratch, as: UTF8.self)
        }

        skipSpace()
        while index < bytes.count {
            let keyStart = index
            guard let (key, _) = token(isKey: true) else {
                index = min(index, bytes.count)
                return fail(index >= bytes.count && keyStart < bytes.count && bytes[keyStart] == quote
                    ? "unterminated quoted key" : "expected a key")
            }
            skipSpace()
            guard index + 1 < bytes.count, bytes[index] == equals, bytes[index + 1] == greater else {
                return fail("expected \"=>\"")
            }
            index += 2
            skipSpace()
            let valueStart = index
            guard let (value, quoted) = token(isKey: false) else {
                index = min(index, bytes.count)
                return fail(valueStart < bytes.count && bytes[valueStart] == quote
                    ? "unterminated quoted value" : "expected a value")
            }
            let isNull = !quoted && value.utf8.count == 4 && value.lowercased() == "null"
            pairs.append(HStore.Pair(key, isNull ? nil : value))
            skipSpace()
            guard index < bytes.count else { break }
            guard bytes[index] == comma else { return fail("expected \",\"") }
            index += 1
            skipSpace()
            if index >= bytes.count { return fail("expected a key after \",\"") }
        }
        return (pairs, nil)
    }
}
