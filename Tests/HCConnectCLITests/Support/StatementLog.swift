import Foundation

/// The statements a private server logged (`log_statement=all`, `log_destination=csvlog`,
/// `logging_collector=on`), read from its CSV log files, by session's application name.
///
/// hcconnect's sessions are told apart by `application_name`, which a test sets in the
/// connection URL (`?application_name=...`) for each run.
struct StatementLog {
    /// One logged line.
    struct Line {
        let applicationName: String
        /// LOG, ERROR, FATAL...
        let severity: String
        let sqlState: String
        /// The message: for a statement, `statement: SQL` or `execute <unnamed>: SQL`.
        let message: String
        /// The statement an error happened in.
        let query: String

        /// The statements the line shows: a logged one, or the one an error happened in.
        var statements: [String] {
            if let statement { return [statement] }
            return severity != "LOG" && !query.isEmpty ? [query] : []
        }

        /// The SQL text of a logged statement, or nil for another kind of line.
        var statement: String? {
            guard severity == "LOG" else { return nil }
            for prefix in ["statement: ", "execute "] where message.hasPrefix(prefix) {
                if prefix == "statement: " { return String(message.dropFirst(prefix.count)) }
                // "execute <unnamed>: SQL" or "execute S_1: SQL"
                guard let colon = message.range(of: ": ") else { return nil }
                return String(message[colon.upperBound...])
            }
            return nil
        }
    }

    /// The server's options that make this log.
    static let serverOptions =
        "-c log_statement=all -c log_destination=csvlog -c logging_collector=on -c log_rotation_size=0 -c log_rotation_age=0"

    let lines: [Line]

    /// Reads every CSV log file of a data directory.
    init(dataDirectory: String) throws {
        let folder = dataDirectory + "/log"
        let names = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".csv") }.sorted()
        var lines: [Line] = []
        for name in names {
            let data = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + name))
            for record in Self.records(Array(data)) where record.count >= 23 {
                lines.append(
                    Line(
                        applicationName: record[22], severity: record[11], sqlState: record[12], message: record[13],
                        query: record[19]))
            }
        }
        self.lines = lines
    }

    /// The lines of one application name.
    func lines(of applicationName: String) -> [Line] { lines.filter { $0.applicationName == applicationName } }

    /// Splits CSV text (RFC 4180: `"` quoting with `""` inside, newlines inside quotes) into
    /// records of fields. Invalid UTF-8 in a field is replaced, not dropped.
    static func records(_ bytes: [UInt8]) -> [[String]] {
        var records: [[String]] = []
        var record: [String] = []
        var field: [UInt8] = []
        var quoted = false
        var index = 0
        func endField() {
            record.append(String(decoding: field, as: UTF8.self))
            field.removeAll(keepingCapacity: true)
        }
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            if quoted {
                if byte == UInt8(ascii: "\"") {
                    if index < bytes.count, bytes[index] == UInt8(ascii: "\"") {
                        field.append(byte)
                        index += 1
                    } else {
                        quoted = false
                    }
                } else {
                    field.append(byte)
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): quoted = true
            case UInt8(ascii: ","): endField()
            case UInt8(ascii: "\n"):
                endField()
                records.append(record)
                record = []
            default: field.append(byte)
            }
        }
        if !field.isEmpty || !record.isEmpty {
            endField()
            records.append(record)
        }
        return records
    }
}

/// Values as hcconnect's messages quote them: control characters written `\u{N}`.
enum DisplayTextForTests {
    static func printable(_ value: String) -> String {
        var result = ""
        for scalar in value.unicodeScalars {
            if scalar.value < 0x20 || scalar.value == 0x7F {
                result += "\\u{" + String(scalar.value, radix: 16) + "}"
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}
