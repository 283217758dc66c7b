/// Writes records as RFC 4180 CSV: CRLF line ends, fields quoted when they hold a comma, a
/// quote, a line break or surrounding space, quotes doubled. NULL is an empty unquoted
/// field and the empty string `""`, as PostgreSQL's `COPY ... CSV` writes them.
enum CSVWriter {
    /// One record's line as UTF-8 bytes, CRLF included.
    static func line(_ fields: [String?]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(256)
        for (index, field) in fields.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            if let field { appendField(field, to: &bytes) }
        }
        bytes.append(13)
        bytes.append(10)
        return bytes
    }

    /// One record's line as text.
    static func text(_ fields: [String?]) -> String {
        String(decoding: line(fields), as: UTF8.self)
    }

    private static func appendField(_ field: String, to bytes: inout [UInt8]) {
        var field = field
        field.withUTF8 { utf8 in
            let needsQuotes =
                utf8.isEmpty || utf8.first == 0x20 || utf8.last == 0x20
                || utf8.contains { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 10 || $0 == 13 }
            guard needsQuotes else {
                bytes.append(contentsOf: utf8)
                return
            }
            bytes.append(UInt8(ascii: "\""))
            for byte in utf8 {
                if byte == UInt8(ascii: "\"") { bytes.append(byte) }
                bytes.append(byte)
            }
            bytes.append(UInt8(ascii: "\""))
        }
    }
}
