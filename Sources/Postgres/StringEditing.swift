extension StringProtocol {
    /// The text without leading and trailing white space (Foundation's
    /// `trimmingCharacters(in: .whitespacesAndNewlines)`, which this package does without).
    public func trimmingWhitespace() -> String {
        var slice = self[...]
        while let first = slice.first, first.isWhitespace { slice = slice.dropFirst() }
        while let last = slice.last, last.isWhitespace { slice = slice.dropLast() }
        return String(slice)
    }

    /// Whether `target` occurs in the text, compared byte for byte in UTF-8.
    ///
    /// `contains(_:)` compares characters instead, so it misses a `"` that a combining
    /// mark follows (`"\u{301}` is one character), where PostgreSQL and libpq, which read
    /// bytes, see a quote. It is also costly at start-up: it builds a search table. Like
    /// `contains(_:)`, it finds an empty `target` in any text.
    public func containsUTF8(_ target: some StringProtocol) -> Bool {
        target.isEmpty || UTF8Search.firstOffset(of: Array(target.utf8), in: Array(utf8)) != nil
    }
}

extension String {
    /// Replaces every non-overlapping occurrence of `target`, scanning left to right and
    /// comparing bytes (Foundation's `replacingOccurrences(of:with:)`, without its
    /// character comparison: see ``Swift/StringProtocol/containsUTF8(_:)``).
    public func replacingAll(_ target: String, with replacement: String) -> String {
        let needle = Array(target.utf8)
        let text = Array(utf8)
        guard var found = UTF8Search.firstOffset(of: needle, in: text) else { return self }
        var result: [UInt8] = []
        result.reserveCapacity(text.count)
        var copied = 0
        while true {
            result += text[copied..<found]
            result += replacement.utf8
            copied = found + needle.count
            guard let next = UTF8Search.firstOffset(of: needle, in: text, from: copied) else { break }
            found = next
        }
        result += text[copied...]
        // the pieces are whole UTF-8 sequences: a match starts and ends on scalar boundaries
        return String(decoding: result, as: UTF8.self)
    }
}

/// Byte-string search for ``Swift/StringProtocol/containsUTF8(_:)`` and
/// ``Swift/String/replacingAll(_:with:)``.
enum UTF8Search {
    /// The offset of the first occurrence of `needle` in `haystack` at or after `start`;
    /// nil when there is none or `needle` is empty.
    static func firstOffset(of needle: [UInt8], in haystack: [UInt8], from start: Int = 0) -> Int? {
        guard let first = needle.first, haystack.count - start >= needle.count else { return nil }
        let last = haystack.count - needle.count
        var offset = start
        while offset <= last {
            if haystack[offset] == first, haystack[offset..<(offset + needle.count)].elementsEqual(needle) {
                return offset
            }
            offset += 1
        }
        return nil
    }
}
