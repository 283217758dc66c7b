import Postgres

/// Writes records as RFC 4180 CSV: CRLF line ends, fields quoted when they hold a comma, a
/// quote, a line break or surrounding space, quotes doubled. NULL is an empty unquoted
/// field and the empty string `""`, as PostgreSQL's `COPY ... CSV` writes them.
enum CSVWriter {
    /// One record's line as UTF-8 bytes, CRLF included.
    static func line(_ fields: [String?]) -> [UInt8] {
        var bytes: [UInt8] = []
        var line = Line<[UInt8]>()
        for field in fields { line.add(field, to: &bytes) }
        line.end(to: &bytes)
        return bytes
    }

    /// One record's line as text.
    static func text(_ fields: [String?]) -> String {
        String(decoding: line(fields), as: UTF8.self)
    }

    /// The writing of one line into a byte sink, field by field; numbers and times are
    /// written straight as bytes.
    struct Line<Sink: ByteSink & ~Copyable> {
        private var isFirst = true

        private mutating func separate(_ sink: inout Sink) {
            if !isFirst { sink.append(UInt8(ascii: ",")) }
            isFirst = false
        }

        /// Adds a text field (NULL when nil).
        mutating func add(_ field: String?, to sink: inout Sink) {
            separate(&sink)
            guard var field else { return }
            field.withUTF8 { CSVWriter.appendField($0, to: &sink) }
        }

        /// Adds a text field given as UTF-8 (NULL when nil).
        mutating func add(utf8 field: UnsafeBufferPointer<UInt8>?, to sink: inout Sink) {
            separate(&sink)
            if let field { CSVWriter.appendField(field, to: &sink) }
        }

        /// Adds a number (NULL when nil); numbers never need quotes.
        mutating func add(_ field: Int?, to sink: inout Sink) {
            separate(&sink)
            if let field { sink.append(decimal: field) }
        }

        /// Adds a number (NULL when nil).
        mutating func add(_ field: Int64?, to sink: inout Sink) {
            separate(&sink)
            if let field { sink.append(decimal: field) }
        }

        /// Adds a timestamp in ISO 8601 (NULL when nil); it never needs quotes.
        mutating func add(_ field: PostgresTimestamp?, to sink: inout Sink) {
            separate(&sink)
            field?.withISO8601Bytes { sink.append(bytes: $0) }
        }

        /// Ends the line with CRLF.
        func end(to sink: inout Sink) {
            sink.append(13)
            sink.append(10)
        }
    }

    /// Appends one field, quoted when it must be; the bytes that decide it (`,`, `"`, LF,
    /// CR) and the quotes to double are found eight bytes at a time.
    static func appendField<Sink: ByteSink & ~Copyable>(_ utf8: UnsafeBufferPointer<UInt8>, to sink: inout Sink) {
        guard let base = utf8.baseAddress, !utf8.isEmpty else { return sink.append(literal: "\"\"") }
        let count = utf8.count
        let needsQuotes = base[0] == 0x20 || base[count - 1] == 0x20 || firstIndex(in: utf8, from: 0, where: isSpecial) < count
        guard needsQuotes else { return sink.append(bytes: utf8) }
        sink.append(UInt8(ascii: "\""))
        var runStart = 0
        var quote = firstIndex(in: utf8, from: 0, where: isQuote)
        while quote < count {
            // the run includes the quote, which then starts the next run: written twice
            sink.append(bytes: UnsafeBufferPointer(start: base + runStart, count: quote + 1 - runStart))
            runStart = quote
            quote = firstIndex(in: utf8, from: quote + 1, where: isQuote)
        }
        sink.append(bytes: UnsafeBufferPointer(start: base + runStart, count: count - runStart))
        sink.append(UInt8(ascii: "\""))
    }

    /// The index of the first byte from `start` on that `matches`, or the count when there
    /// is none; `matches` tests eight bytes at once (see ``isSpecial(_:)``).
    @inline(__always)
    private static func firstIndex(
        in bytes: UnsafeBufferPointer<UInt8>, from start: Int, where matches: (UInt64) -> UInt64
    ) -> Int {
        let base = bytes.baseAddress!
        let count = bytes.count
        var index = start
        while count - index >= 8 {
            let found = matches(UInt64(littleEndian: UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)))
            if found != 0 { return index + found.trailingZeroBitCount / 8 }
            index += 8
        }
        while index < count {
            if matches(UInt64(base[index])) & 0x80 != 0 { return index }
            index += 1
        }
        return count
    }

    private static let ones: UInt64 = 0x0101_0101_0101_0101
    private static let highs: UInt64 = 0x8080_8080_8080_8080

    /// The high bit of each byte of `word` that equals `byte` ("Bit Twiddling Hacks", has a
    /// byte equal to n; exact for the lowest such byte, which is all that is read).
    @inline(__always)
    private static func bytes(of word: UInt64, equalTo byte: UInt8) -> UInt64 {
        let difference = word ^ (ones &* UInt64(byte))
        return (difference &- ones) & ~difference & highs
    }

    /// Marks the bytes that make a field need quotes: `,`, `"`, LF, CR.
    @inline(__always)
    private static func isSpecial(_ word: UInt64) -> UInt64 {
        bytes(of: word, equalTo: UInt8(ascii: ",")) | bytes(of: word, equalTo: UInt8(ascii: "\""))
            | bytes(of: word, equalTo: 10) | bytes(of: word, equalTo: 13)
    }

    /// Marks the quotes.
    @inline(__always)
    private static func isQuote(_ word: UInt64) -> UInt64 {
        bytes(of: word, equalTo: UInt8(ascii: "\""))
    }
}
