import HerokuConnect
import Postgres

/// `hcconnect show ID`: one entry in full, with its record as it is now.
enum ShowCommand: Command {
    static let help = CommandHelp(
        name: "show",
        summary: "Show one entry in full, with the mapped record as it is now",
        usage: [Usage(.argument("ID"))],
        description: """
            Shows the entry with this id, from the live log or the archive: where it lives, \
            its state, action, times and Salesforce's message; the fields it wrote (values) \
            beside the row before the change (old); and the mapped record as it is now, \
            with its _hc_lastop and _hc_err, or that it no longer exists. With --format \
            json, one object: the entry's columns plus "record", the record's columns now \
            (null when it no longer exists).
            """,
        examples: [
            ("hcconnect show 4711", "the entry, its fields and its record"),
            ("hcconnect show 4711 --json | jq .record", "the record as it is now, as JSON"),
        ])

    static let options: [OptionSpec] = []
    static let formats: [OutputFormat] = [.table, .json, .csv, .ids]
    static var pages: Bool { true }

    static func run(_ context: CommandContext) throws -> ExitStatus {
        let id = try context.entryID()
        let store = try context.triggerLog()
        let copies = try context.retrying("reading the entry") { try store.entries(id: id) }
        guard let entry = copies.first else { throw HerokuConnectError.entryNotFound(id: id) }
        let table = try entry.tableName.flatMap { try store.schema.mappedTable(named: $0) }
        let record = try table.flatMap { table in
            try entry.recordID.flatMap { try store.currentRecord(in: table, recordID: $0) }
        }
        switch context.format {
        case .table:
            // the fields in the table's column order, also when the record is gone (a DELETE)
            let columns = try record == nil ? table.map { try store.columns(of: $0) } ?? [] : record!.fields.map(\.key)
            context.output.write(
                EntryDetail(entry: entry, record: record, mappedTable: table, columns: columns, alsoInOtherTable: copies.count > 1)
                    .render(style: context.style, width: context.output.tableWidth))
        case .json:
            var object = EntryWriters.json(entry)
            if let record { object.add("record", pairs: record.fields) } else { object.add("record", nil as String?) }
            context.output.line(object.text)
        case .csv:
            context.output.write(bytes: CSVWriter.line(EntryWriters.csvHeader))
            context.output.append { EntryWriters.appendCSVLine(entry, to: &$0) }
        case .ids, .prometheus:
            context.output.line(String(entry.id))
        }
        return .success
    }
}

/// The person's view of one entry.
struct EntryDetail {
    let entry: TriggerLogEntry
    let record: MappedRecord?
    let mappedTable: MappedTable?
    /// The mapped table's columns in table order (empty when it is not mapped).
    let columns: [String]
    let alsoInOtherTable: Bool

    func render(style: TextStyle, width: Int?) -> String {
        var text = ""
        let where_ = entry.isArchived ? "archive" : "live log"
        var title = style.bold("Entry \(entry.id)") + "  " + style.state(entry.state?.rawValue ?? "(no state)", entry.state)
        title += "  " + (entry.action?.rawValue ?? "(no action)")
        if let table = entry.tableName { title += " " + DisplayText.sanitized(table) }
        if let recordID = entry.recordID { title += " \(recordID)" }
        title += "  " + style.dim("in the \(where_)")
        text += DisplayText.wrapped(title, width: width ?? Int.max, continuation: "  ").joined(separator: "\n") + "\n"
        if alsoInOtherTable {
            text += style.yellow("  (an entry with this id is in the \(entry.isArchived ? "live log" : "archive") too)") + "\n"
        }
        var facts: [(String, String)] = []
        facts.append(("sfid", entry.sfid ?? "-"))
        facts.append(("created", describe(entry.createdAt) + (entry.txid.map { "  (txid \($0))" } ?? "")))
        facts.append(("updated", describe(entry.updatedAt)))
        facts.append(("processed", describe(entry.processedAt) + (entry.processedTx.map { "  (tx \($0))" } ?? "")))
        facts.append(("sf_result", entry.sfResult.map(String.init) ?? "-"))
        facts.append(("message", entry.sfMessage.map { DisplayText.sanitized($0, markLineBreaks: true) } ?? "-"))
        // a long message wraps under itself: this view shows everything
        for (label, value) in facts {
            let lines = DisplayText.wrapped(
                DisplayText.sanitized(value), width: width ?? Int.max, indent: "  " + DisplayText.padded(label, toColumns: 10) + "  ",
                continuation: String(repeating: " ", count: 14))
            text += lines.joined(separator: "\n") + "\n"
        }
        text += "\n" + fieldsTable(style: style, width: width)
        text += "\n" + recordSummary(style: style)
        return text
    }

    private func describe(_ timestamp: PostgresTimestamp?) -> String {
        timestamp?.shortDescription ?? "-"
    }

    /// values, old and the record now, one row per field: the written fields first.
    private func fieldsTable(style: TextStyle, width: Int?) -> String {
        // The written fields first, then the rest; each group in the table's column order
        // when the table is mapped, else in the order of the text.
        // decoded once: a text with thousands of fields is looked up once per field
        let values = entry.values?.valuesByKey
        let old = entry.old?.valuesByKey
        let written = Set(entry.values?.keys ?? [])
        let position = Dictionary(columns.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        var keys: [String] = []
        var seen = Set<String>()
        for key in (entry.values?.keys ?? []) + (entry.old?.keys ?? []) where seen.insert(key).inserted {
            keys.append(key)
        }
        keys = keys.enumerated().sorted { lhs, rhs in
            let left = (written.contains(lhs.element) ? 0 : 1, position[lhs.element] ?? Int.max, lhs.offset)
            let right = (written.contains(rhs.element) ? 0 : 1, position[rhs.element] ?? Int.max, rhs.offset)
            return left < right
        }.map(\.element)
        var notes = ""
        for (name, fields) in [("values", entry.values), ("old", entry.old)] {
            if let fields, let error = fields.error {
                notes += style.yellow("  \(name) is not valid hstore (\(error)); its text:") + "\n    "
                    + DisplayText.sanitized(fields.text) + "\n"
            }
        }
        guard !keys.isEmpty else { return notes + style.dim("  (no fields in values or old)") + "\n" }
        var columns = ["FIELD"]
        if entry.values != nil { columns.append("VALUES (written)") }
        if entry.old != nil { columns.append("OLD (before)") }
        if record != nil { columns.append("NOW") }
        let valueColumns = columns.count - 1
        let fieldWidth = min(40, keys.map(DisplayText.width).max() ?? 5)
        let cellWidth = width.map { max(12, ($0 - fieldWidth - 2 - 2 * valueColumns) / max(1, valueColumns)) }
        func cell(_ value: String??) -> String {
            switch value {
            case .none: ""
            case .some(.none): "NULL"
            case .some(.some(let text)): text.isEmpty ? "\"\"" : text
            }
        }
        var rows: [[String]] = []
        for key in keys {
            var row = [key]
            if let values { row.append(cell(values[key])) }
            if let old { row.append(cell(old[key])) }
            if let record { row.append(cell(record[key])) }
            rows.append(row.map { DisplayText.sanitized($0, markLineBreaks: true) })
        }
        var widths = columns.map(DisplayText.width)
        for row in rows {
            for (index, value) in row.enumerated() {
                let limit = index == 0 ? fieldWidth : (cellWidth ?? Int.max)
                widths[index] = max(widths[index], min(limit, DisplayText.width(value)))
            }
        }
        func line(_ cells: [String], header: Bool, changed: Bool = false) -> String {
            let parts = cells.enumerated().map { index, value in
                let fitted = DisplayText.padded(DisplayText.truncated(value, toColumns: widths[index]), toColumns: widths[index])
                if header { return style.bold(fitted) }
                if value == "NULL", index > 0 { return style.dim(fitted) }
                return index == 0 && changed ? style.cyan(fitted) : fitted
            }
            var joined = "  " + parts.joined(separator: "  ")
            while joined.hasSuffix(" ") { joined.removeLast() }
            return joined + "\n"
        }
        var text = notes + line(columns, header: true)
        for (key, row) in zip(keys, rows) {
            text += line(row, header: false, changed: values?[key] != nil)
        }
        return text
    }

    private func recordSummary(style: TextStyle) -> String {
        guard let tableName = entry.tableName, let recordID = entry.recordID else {
            return style.dim("  The entry names no record.") + "\n"
        }
        let name = DisplayText.sanitized(tableName) + " \(recordID)"
        guard mappedTable != nil else {
            return style.yellow("  \(DisplayText.sanitized(tableName)) is not a mapped table of this schema (any more).") + "\n"
        }
        guard let record else {
            return style.yellow("  Record \(name) no longer exists.") + "\n"
        }
        var text = "  Record \(name) now: _hc_lastop "
        let lastOp = record["_hc_lastop"] ?? nil
        text += lastOp.map { style.state(DisplayText.sanitized($0), TriggerLogState(rawValue: $0)) } ?? "NULL"
        if let sfid = record["sfid"] ?? nil { text += ", sfid " + DisplayText.sanitized(sfid) }
        text += "\n"
        if let error = record["_hc_err"] ?? nil, !error.isEmpty {
            text += "  _hc_err: " + DisplayText.sanitized(error, markLineBreaks: true) + "\n"
        }
        return text
    }
}
