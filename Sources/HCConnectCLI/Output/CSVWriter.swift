import Postgres

/// Writes records as RFC 4180 CSV: CRLF line ends, fields quoted when they hold a comma, a
/// quote, a line break or surrounding space, quotes doubled. NULL is an empty unquoted
/// field and the empty string `""`, as PostgreSQL's `COPY ... CSV` writes them.
enum CSVWriter {
    /// One record's line, CRLF included.
    static func line(_ fields: [String?]) -> String {
        var text = ""
        for (index, field) in fields.enumerated() {
            if index > 0 { text += "," }
            guard let field else { continue }
            text += quoted(field)
        }
        return text + "\r\n"
    }

    static func quoted(_ field: String) -> String {
        let needsQuotes =
            field.isEmpty
            || field.utf8.contains { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 10 || $0 == 13 }
            || field.first == " " || field.last == " "
        guard needsQuotes else { return field }
        return "\"" + field.replacingAll("\"", with: "\"\"") + "\""
    }
}
