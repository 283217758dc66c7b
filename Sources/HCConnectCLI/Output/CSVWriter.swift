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

    /// Appends one field, quoted when it must be.
    static func appendField<Sink: ByteSink & ~Copyable>(_ utf8: UnsafeBufferPointer<UInt8>, to sink: inout Sink) {
        var needsQuotes = utf8.isEmpty || utf8.first == 0x20 || utf8.last == 0x20
        if !needsQuotes {
            for byte in utf8 where byte == UInt8(ascii: ",") || byte == UInt8(ascii: "\"") || byte == 10 || byte == 13 {
                needsQuotes = true
                break
            }
        }
        guard needsQuotes else { return sink.append(bytes: utf8) }
        sink.append(UInt8(ascii: "\""))
        var runStart = 0
        for index in 0..<utf8.count where utf8[index] == UInt8(ascii: "\"") {
            // the run includes the quote, which then starts the next run: written twice
            sink.append(bytes: UnsafeBufferPointer(rebasing: utf8[runStart...index]))
            runStart = index
        }
        sink.append(bytes: UnsafeBufferPointer(rebasing: utf8[runStart..<utf8.count]))
        sink.append(UInt8(ascii: "\""))
    }
}
