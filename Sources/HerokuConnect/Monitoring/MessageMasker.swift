/// The scanner behind ``SalesforceErrorMessage``: one pass over the bytes, linear in their
/// length (every look-ahead either consumes what it read or is bounded or remembered).
struct MessageMasker {
    private let bytes: UnsafeBufferPointer<UInt8>
    private var start: Int
    private var end: Int
    private var output: [UInt8] = []

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
        start = 0
        end = bytes.count
        while start < end, Self.isSpace(bytes[start]) { start += 1 }
        while end > start, Self.isSpace(bytes[end - 1]) { end -= 1 }
    }

    // MARK: - Code and suffix

    /// Takes the status code from the front of the message, if there is one.
    mutating func takeCode() -> String? {
        if let (code, after) = code(at: start) {
            start = after
            return code
        }
        // One short prefix of words, then the code: `Failed: CODE: ...`.
        var index = start
        while index < min(end, start + 40), Self.isLetter(bytes[index]) || bytes[index] == 0x20 { index += 1 }
        guard index > start, index + 1 < end, bytes[index] == UInt8(ascii: ":"), bytes[index + 1] == 0x20,
            bytes[start..<index].contains(where: { (0x61...0x7A).contains($0) })
        else { return nil }
        var codeStart = index + 1
        while codeStart < end, bytes[codeStart] == 0x20 { codeStart += 1 }
        guard let (code, after) = self.code(at: codeStart) else { return nil }
        // Keep the prefix: mask it and what follows the code as one text.
        output.append(contentsOf: bytes[start...index])
        output.append(0x20)
        start = after
        return code
    }

    /// A code starting at `index` and where the text after it starts.
    private func code(at index: Int) -> (String, Int)? {
        guard index < end, (0x41...0x5A).contains(bytes[index]) else { return nil }
        var after = index + 1
        var hasUnderscore = false
        while after < end, (0x41...0x5A).contains(bytes[after]) || Self.isDigit(bytes[after]) || bytes[after] == 0x5F {
            if bytes[after] == 0x5F { hasUnderscore = true }
            after += 1
        }
        guard after - index >= 2 else { return nil }
        let code = String(decoding: UnsafeBufferPointer(rebasing: bytes[index..<after]), as: UTF8.self)
        if after == end { return hasUnderscore ? (code, after) : nil }
        guard bytes[after] == UInt8(ascii: ":") else { return nil }
        after += 1
        while after < end, Self.isSpace(bytes[after]) { after += 1 }
        return (code, after)
    }

    /// Drops the Bulk API's `:FIELDS --` (or `:--`) from the end.
    mutating func dropBulkFieldSuffix() {
        guard end - start >= 3, bytes[end - 1] == UInt8(ascii: "-"), bytes[end - 2] == UInt8(ascii: "-") else { return }
        var index = end - 3
        while index >= start {
            let byte = bytes[index]
            if byte == UInt8(ascii: ":") {
                end = index
                while end > start, Self.isSpace(bytes[end - 1]) { end -= 1 }
                return
            }
            guard Self.isASCIIAlphanumeric(byte) || byte == 0x5F || byte == 0x20 || byte == 0x2C || byte == 0x2E else {
                return
            }
            index -= 1
        }
    }

    // MARK: - Masking

    /// The text between the code and the suffix, masked.
    mutating func maskedRest() -> String {
        output.reserveCapacity(min(end - start, SalesforceErrorMessage.maximumMaskedLength) + 8)
        var pendingSpace = false
        var index = start
        var noQuoteEnd: (single: Bool, double: Bool) = (false, false)
        var noAtBefore = start
        let maximum = SalesforceErrorMessage.maximumMaskedLength
        while index < end, output.count <= maximum {
            let byte = bytes[index]
            if Self.isSpace(byte) {
                pendingSpace = !output.isEmpty
                index += 1
                continue
            }
            let space = pendingSpace
            pendingSpace = false
            let atBoundary = index == start || !Self.isWord(bytes[index - 1])
            if atBoundary, let (phraseEnd, valueEnd) = phraseValue(at: index) {
                append(bytes[index..<phraseEnd - 1], space: space)  // the phrase's last space is pending
                if valueEnd > phraseEnd { append("<value>", space: true) } else { pendingSpace = true }
                index = valueEnd
            } else if byte == UInt8(ascii: "'") || byte == UInt8(ascii: "\"") {
                let isSingle = byte == UInt8(ascii: "'")
                let known = isSingle ? noQuoteEnd.single : noQuoteEnd.double
                if atBoundary, !known, let close = closingQuote(byte, after: index) {
                    append(close == index + 1 ? [byte, byte] : [byte] + Array("…".utf8) + [byte], space: space)
                    index = close + 1
                } else {
                    // No closing quote after this one means none after any later one either.
                    if atBoundary, !known {
                        if isSingle { noQuoteEnd.single = true } else { noQuoteEnd.double = true }
                    }
                    append(CollectionOfOne(byte), space: space)
                    index += 1
                }
            } else if Self.isWord(byte) {
                index = maskWord(at: index, space: space, noAtBefore: &noAtBefore)
            } else {
                append(CollectionOfOne(byte), space: space)
                index += 1
            }
        }
        if output.count > maximum {
            output.removeSubrange(maximum...)
            cutAtCharacterBoundary()
            output.append(contentsOf: "…".utf8)
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Masks the token starting with a word character at `index`; returns where it ends.
    private mutating func maskWord(at index: Int, space: Bool, noAtBefore: inout Int) -> Int {
        if Self.isDigit(bytes[index]), let (after, hasTime) = isoDate(at: index) {
            appendMask(hasTime ? "<time>" : "<date>", space: space)
            return after
        }
        if let after = uuid(at: index) {
            appendMask("<uuid>", space: space)
            return after
        }
        if index >= noAtBefore {
            let (after, hasAt) = email(at: index)
            if let after {
                appendMask("<email>", space: space)
                return after
            }
            if !hasAt { noAtBefore = scanEnd(from: index, where: Self.isEmailCharacter, limit: Int.max) }
        }
        let wordEnd = scanEnd(from: index, where: Self.isWord, limit: Int.max)
        let word = bytes[index..<wordEnd]
        if word.allSatisfy(Self.isDigit) {
            let after = numberEnd(digitsEnd: wordEnd)
            if keepsNumber(space: space) {
                append(bytes[index..<after], space: space)
            } else {
                appendMask("<n>", space: space)
            }
            return after
        }
        if isSalesforceID(word) {
            appendMask("<id>", space: space)
        } else {
            append(word, space: space)
        }
        return wordEnd
    }

    /// The end of a number whose integer digits end at `digitsEnd`: a fraction and an
    /// exponent are taken when they are digits to the end of the token.
    private func numberEnd(digitsEnd: Int) -> Int {
        guard digitsEnd + 1 < end, bytes[digitsEnd] == UInt8(ascii: "."), Self.isDigit(bytes[digitsEnd + 1]) else {
            return digitsEnd
        }
        var after = scanEnd(from: digitsEnd + 1, where: Self.isDigit, limit: Int.max)
        if after < end, bytes[after] | 0x20 == UInt8(ascii: "e") {
            var exponent = after + 1
            if exponent < end, bytes[exponent] == UInt8(ascii: "+") || bytes[exponent] == UInt8(ascii: "-") {
                exponent += 1
            }
            let exponentEnd = scanEnd(from: exponent, where: Self.isDigit, limit: Int.max)
            if exponentEnd > exponent { after = exponentEnd }
        }
        return after < end && Self.isWord(bytes[after]) ? digitsEnd : after
    }

    /// True after the words `line`, `column` and `length` (or `length=`): positions and field
    /// sizes, which say where the fault is rather than which record had it.
    ///
    /// - Parameter space: Whether a space separates the number from what is in the output.
    private func keepsNumber(space: Bool) -> Bool {
        for utf8 in space ? Self.numberNamingWords : Self.numberNamingAssignments {
            guard output.count >= utf8.count else { continue }
            let tail = output[(output.count - utf8.count)...]
            guard zip(tail, utf8).allSatisfy({ $0 | 0x20 == $1 || $0 == $1 }) else { continue }
            let before = output.count - utf8.count - 1
            if before < 0 || !Self.isWord(output[before]) { return true }
        }
        return false
    }

    private static let numberNamingWords = ["line", "column", "length"].map { Array($0.utf8) }
    private static let numberNamingAssignments = [Array("length=".utf8)]

    /// 15 or 18 ASCII letters and digits with three digits or more, or 18 with a valid
    /// case-safe checksum; plain words of that length have neither.
    private func isSalesforceID(_ word: Slice<UnsafeBufferPointer<UInt8>>) -> Bool {
        guard word.count == 15 || word.count == 18, word.allSatisfy(Self.isASCIIAlphanumeric) else { return false }
        if word.prefix(15).reduce(0, { $0 + (Self.isDigit($1) ? 1 : 0) }) >= 3 { return true }
        guard word.count == 18 else { return false }
        let text = String(decoding: UnsafeBufferPointer(rebasing: word), as: UTF8.self)
        return SalesforceID.checksum(of: String(text.prefix(15))) == String(text.suffix(3))
    }

    /// An e-mail address starting at `index`: letters, digits and `._%+-` around one or more
    /// `@`, with a letter or digit on both sides of them. Returns its end (a final `.` or
    /// `-` left out) and whether the token held an `@` at all.
    private func email(at index: Int) -> (Int?, Bool) {
        let limit = 320
        var firstAt: Int?
        var lastAt = 0
        var after = index
        while after < end, after - index < limit, Self.isEmailCharacter(bytes[after]) {
            if bytes[after] == UInt8(ascii: "@") {
                if firstAt == nil { firstAt = after }
                lastAt = after
            }
            after += 1
        }
        guard let firstAt else { return (nil, false) }
        guard firstAt > index, Self.isWord(bytes[firstAt - 1]), lastAt + 1 < after,
            Self.isWord(bytes[lastAt + 1]), after == end || !Self.isWord(bytes[after])
        else { return (nil, true) }
        while bytes[after - 1] == UInt8(ascii: ".") || bytes[after - 1] == UInt8(ascii: "-") { after -= 1 }
        return (after, true)
    }

    /// `YYYY-MM-DD`, optionally followed by `[T ]HH:MM[:SS[.fraction]]` and `Z` or an offset,
    /// ending at a non-word character. Returns the end and whether there was a time.
    private func isoDate(at index: Int) -> (Int, Bool)? {
        func digits(_ from: Int, _ count: Int) -> Bool {
            from + count <= end && (from..<from + count).allSatisfy { Self.isDigit(bytes[$0]) }
        }
        func isByte(_ at: Int, _ character: Unicode.Scalar) -> Bool { at < end && bytes[at] == UInt8(ascii: character) }
        guard digits(index, 4), isByte(index + 4, "-"), digits(index + 5, 2), isByte(index + 7, "-"),
            digits(index + 8, 2)
        else { return nil }
        var after = index + 10
        var hasTime = false
        if isByte(after, "T") || isByte(after, " "), digits(after + 1, 2), isByte(after + 3, ":"), digits(after + 4, 2) {
            hasTime = true
            after += 6
            if isByte(after, ":"), digits(after + 1, 2) { after += 3 }
            if isByte(after, "."), digits(after + 1, 1) { after = scanEnd(from: after + 1, where: Self.isDigit, limit: Int.max) }
            if isByte(after, "Z") {
                after += 1
            } else if isByte(after, "+") || isByte(after, "-"), digits(after + 1, 2) {
                after += 3
                if isByte(after, ":"), digits(after + 1, 2) { after += 3 } else if digits(after, 2) { after += 2 }
            }
        }
        return after == end || !Self.isWord(bytes[after]) ? (after, hasTime) : nil
    }

    /// A UUID (8-4-4-4-12 hexadecimal digits) starting at `index`.
    private func uuid(at index: Int) -> Int? {
        guard index + 36 <= end else { return nil }
        for offset in 0..<36 {
            let byte = bytes[index + offset]
            if offset == 8 || offset == 13 || offset == 18 || offset == 23 {
                guard byte == UInt8(ascii: "-") else { return nil }
            } else {
                guard Self.isDigit(byte) || (0x61...0x66).contains(byte | 0x20) else { return nil }
            }
        }
        let after = index + 36
        return after == end || !Self.isWord(bytes[after]) ? after : nil
    }

    /// Phrases after which Salesforce quotes the record's value: the phrase's end, and the
    /// value's (the end of the line, or the first ` (max length=` that follows a too-long value).
    private func phraseValue(at index: Int) -> (Int, Int)? {
        let first = bytes[index] | 0x20
        guard first == UInt8(ascii: "d") || first == UInt8(ascii: "i") || first == UInt8(ascii: "b")
            || first == UInt8(ascii: "v")
        else { return nil }
        for phrase in Self.valuePhrases where matches(phrase, at: index) {
            let phraseEnd = index + phrase.count
            var valueEnd = phraseEnd
            var isFollowedByMaxLength = false
            while valueEnd < end, bytes[valueEnd] != 0x0A, bytes[valueEnd] != 0x0D {
                if bytes[valueEnd] == 0x20, matches(Self.maxLengthSuffix, at: valueEnd) {
                    isFollowedByMaxLength = true
                    break
                }
                valueEnd += 1
            }
            if !isFollowedByMaxLength, valueEnd > phraseEnd, bytes[valueEnd - 1] == UInt8(ascii: ")"),
                !bytes[phraseEnd..<valueEnd].contains(UInt8(ascii: "("))
            {
                valueEnd -= 1  // the value closes a parenthesis opened before it
            }
            return (phraseEnd, valueEnd)
        }
        return nil
    }

    private static let valuePhrases: [[UInt8]] = [
        "data value too large: ", "invalid email address: ", "bad value for restricted picklist field: ",
        "value not of required type: ", "id value of incorrect type: ",
    ].map { Array($0.utf8) }

    private static let maxLengthSuffix = Array(" (max length=".utf8)

    private func matches(_ phrase: [UInt8], at index: Int) -> Bool {
        guard index + phrase.count <= end else { return false }
        for (offset, byte) in phrase.enumerated() where bytes[index + offset] | 0x20 != byte { return false }
        return true
    }

    /// The closing quote for the one at `index`: the next same quote followed by a non-word
    /// character or the end.
    private func closingQuote(_ quote: UInt8, after index: Int) -> Int? {
        var close = index + 1
        while close < end {
            if bytes[close] == quote, close + 1 == end || !Self.isWord(bytes[close + 1]) { return close }
            close += 1
        }
        return nil
    }

    private func scanEnd(from index: Int, where predicate: (UInt8) -> Bool, limit: Int) -> Int {
        var after = index
        while after < end, after - index < limit, predicate(bytes[after]) { after += 1 }
        return after
    }

    // MARK: - Output

    private mutating func append(_ text: some Sequence<UInt8>, space: Bool) {
        if space, !output.isEmpty { output.append(0x20) }
        output.append(contentsOf: text)
    }

    private mutating func append(_ text: String, space: Bool) {
        append(text.utf8, space: space)
    }

    /// Appends a mask, unless it continues a list of the same mask (`<id>, <id>`).
    private mutating func appendMask(_ mask: String, space: Bool) {
        let utf8 = Array(mask.utf8)
        if output.last == UInt8(ascii: ","), output.count > utf8.count,
            output[(output.count - 1 - utf8.count)..<(output.count - 1)].elementsEqual(utf8)
        {
            output.removeLast()
            return
        }
        append(utf8, space: space)
    }

    /// Drops the last character when it may have been cut in the middle.
    private mutating func cutAtCharacterBoundary() {
        while let last = output.last, last & 0xC0 == 0x80 { output.removeLast() }
        if let last = output.last, last >= 0xC0 { output.removeLast() }
    }

    // MARK: - Character classes

    private static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || (0x09...0x0D).contains(byte) }
    private static func isDigit(_ byte: UInt8) -> Bool { (0x30...0x39).contains(byte) }
    private static func isLetter(_ byte: UInt8) -> Bool { (0x61...0x7A).contains(byte | 0x20) }
    private static func isASCIIAlphanumeric(_ byte: UInt8) -> Bool { isDigit(byte) || isLetter(byte) }
    /// Letters, digits, `_` and any non-ASCII byte (letters of other scripts).
    private static func isWord(_ byte: UInt8) -> Bool { isASCIIAlphanumeric(byte) || byte == 0x5F || byte >= 0x80 }

    private static func isEmailCharacter(_ byte: UInt8) -> Bool {
        isWord(byte) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "@") || byte == UInt8(ascii: "%")
            || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-")
    }
}
