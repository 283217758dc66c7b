import HerokuConnect
import Postgres

/// One entry in full, as `show` shows it (the fields written beside the old row and the
/// record now), followed by the record's history as `related` lists it; scrollable.
struct ConsoleEntryView {
    var entry: TriggerLogEntry
    /// The text, as lines with `TextStyle`'s colour codes.
    var lines: [String] = []
    var scroll = 0
    var visibleRows = 20
    /// The width the text was laid out for.
    private var width = 0

    init(entry: TriggerLogEntry) {
        self.entry = entry
    }

    /// Reads the entry again (it may have changed state), its record and its history.
    mutating func reload(_ store: TriggerLogStore, style: TextStyle) throws {
        let copies = try store.entries(id: entry.id)
        entry = copies.first { $0.location == entry.location } ?? copies.first ?? entry
        let table = try entry.tableName.flatMap { try store.schema.mappedTable(named: $0) }
        let record = try table.flatMap { table in try entry.recordID.flatMap { try store.currentRecord(in: table, recordID: $0) } }
        let columns = try record == nil ? table.map { try store.columns(of: $0) } ?? [] : record!.fields.map(\.key)
        let detail = EntryDetail(entry: entry, record: record, mappedTable: table, columns: columns, alsoInOtherTable: copies.count > 1)
        var text = detail.render(style: style, width: max(40, width))
        let history = try store.entries(matching: .relatedTo(entry))
        text += "\n" + style.bold("History of the record") + style.dim("  (hcconnect related \(entry.id))") + "\n"
        if history.isEmpty { text += style.dim("  no other entry names this record") + "\n" }
        for item in history {
            let marker = item.id == entry.id && item.location == entry.location ? "▶ " : "  "
            var line = marker + DisplayText.padded(String(item.id), toColumns: 9) + " "
            line += style.state(DisplayText.padded(item.state?.rawValue ?? "-", toColumns: 9), item.state) + " "
            line += DisplayText.padded(item.action?.rawValue ?? "-", toColumns: 7) + " "
            line += DisplayText.padded(item.createdAt?.shortDescription ?? "-", toColumns: 20) + " "
            line += item.isArchived ? style.dim("archive ") : "live    "
            line += DisplayText.sanitized(item.sfMessage ?? "", markLineBreaks: true)
            text += line + "\n"
        }
        lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        while lines.last?.isEmpty == true { lines.removeLast() }
    }

    /// Lays the text out again when the width changed.
    mutating func fit(width: Int, store: TriggerLogStore, style: TextStyle) throws {
        guard width != self.width else { return }
        self.width = width
        try reload(store, style: style)
    }

    mutating func move(by count: Int) {
        scroll = max(0, min(scroll + count, max(0, lines.count - visibleRows)))
    }

    mutating func draw(_ screen: inout ConsoleScreen, in area: ConsoleArea) {
        visibleRows = max(1, area.height)
        move(by: 0)
        for line in 0..<visibleRows {
            let index = scroll + line
            guard index < lines.count else { break }
            screen.put(lines[index], row: area.top + line, column: area.left, width: area.width)
        }
        if lines.count > visibleRows {
            let position = "\(scroll + 1)–\(min(lines.count, scroll + visibleRows)) of \(lines.count) "
            screen.put(position, row: area.top, column: area.left + area.width - DisplayText.width(position), style: .dim)
        }
    }
}
