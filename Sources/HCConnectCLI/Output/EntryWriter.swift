import HerokuConnect
import Postgres

/// Writes a stream of trigger log entries in one of the output formats.
protocol EntryWriter {
    /// Writes one entry (or buffers it, for the table's alignment).
    mutating func write(_ entry: TriggerLogEntry)
    /// Writes one row as it came from the server; the same as writing its entry.
    mutating func write(row: TriggerLogRow)
    /// Writes what is buffered.
    mutating func finish()
}

extension EntryWriter {
    mutating func write(row: TriggerLogRow) {
        write(row.entry)
    }
}

enum EntryWriters {
    /// The writer for `format`, writing to `output`; `streaming` writes each table row as it
    /// comes instead of aligning blocks (for `watch`); `oneState` says that every entry has
    /// the same state (`failed`), whose column is then the first to go on a narrow terminal.
    static func make(
        _ format: OutputFormat, output: OutputChannel, style: TextStyle, streaming: Bool = false, oneState: Bool = false,
        attempts: Bool = false
    ) -> any EntryWriter {
        switch format {
        case .table: EntryTableWriter(output: output, style: style, streaming: streaming, oneState: oneState, attempts: attempts)
        case .json: EntryJSONWriter(output: output)
        case .csv: EntryCSVWriter(output: output, attempts: attempts)
        case .ids, .prometheus: EntryIDWriter(output: output)
        }
    }

    /// The entry as a JSON object: the log's column names as keys, `archived`, `old` and
    /// `values` as objects, timestamps in ISO 8601 with offset.
    ///
    /// - Parameter exact: Write `old` and `values` as objects only when the objects rebuild
    ///   the columns' text exactly, else as the text (for `export`); without it, as objects
    ///   whenever the text can be read.
    static func json(_ entry: TriggerLogEntry, exact: Bool = false) -> JSONObjectWriter {
        var object = JSONObjectWriter()
        var line: [UInt8] = []
        appendJSONLine(entry, exact: exact, to: &line)
        // the fields without the braces and the line break
        object.add(fieldsJSON: line.dropFirst().dropLast(2))
        return object
    }

    /// Appends the entry's JSON object (see ``json(_:exact:)``) and a line break to `sink`:
    /// keys as literals with their separators, values straight from the entry's bytes.
    static func appendJSONLine<Entry: WritableEntry, Sink: ByteSink & ~Copyable>(
        _ entry: Entry, exact: Bool = false, to sink: inout Sink
    ) {
        sink.append(literal: "{\"id\":")
        sink.append(decimal: entry.id)
        sink.append(literal: ",\"txid\":")
        JSONEncoding.appendValue(entry.txid, to: &sink)
        sink.append(literal: ",\"created_at\":")
        JSONEncoding.appendValue(entry.createdAt, to: &sink)
        sink.append(literal: ",\"updated_at\":")
        JSONEncoding.appendValue(entry.updatedAt, to: &sink)
        sink.append(literal: ",\"processed_at\":")
        JSONEncoding.appendValue(entry.processedAt, to: &sink)
        sink.append(literal: ",\"processed_tx\":")
        JSONEncoding.appendValue(entry.processedTx, to: &sink)
        sink.append(literal: ",\"state\":")
        entry.withText(.state) { JSONEncoding.appendValue(utf8: $0, to: &sink) }
        sink.append(literal: ",\"action\":")
        entry.withText(.action) { JSONEncoding.appendValue(utf8: $0, to: &sink) }
        sink.append(literal: ",\"table_name\":")
        entry.withText(.tableName) { JSONEncoding.appendValue(utf8: $0, to: &sink) }
        sink.append(literal: ",\"record_id\":")
        JSONEncoding.appendValue(entry.recordID.map(Int64.init), to: &sink)
        sink.append(literal: ",\"sfid\":")
        entry.withText(.sfid) { JSONEncoding.appendValue(utf8: $0, to: &sink) }
        sink.append(literal: ",\"old\":")
        entry.withText(.old) { JSONEncoding.appendHStore(utf8: $0, exactly: exact, to: &sink) }
        sink.append(literal: ",\"values\":")
        entry.withText(.values) { JSONEncoding.appendHStore(utf8: $0, exactly: exact, to: &sink) }
        sink.append(literal: ",\"sf_result\":")
        JSONEncoding.appendValue(entry.sfResult.map(Int64.init), to: &sink)
        sink.append(literal: ",\"sf_message\":")
        entry.withText(.sfMessage) { JSONEncoding.appendValue(utf8: $0, to: &sink) }
        sink.append(literal: entry.isArchived ? ",\"archived\":true" : ",\"archived\":false")
        if let attempts = entry.attempts {
            sink.append(literal: ",\"attempts\":")
            sink.append(decimal: attempts)
        }
        sink.append(literal: "}\n")
    }

    /// The CSV header: the log's columns, then `archived`.
    static let csvHeader = TriggerLogEntry.columnNames + ["archived"]

    /// Appends the entry's CSV line (``csvHeader`` order, CRLF) to `sink`, field by field;
    /// `old` and `values` as their hstore text.
    static func appendCSVLine<Entry: WritableEntry, Sink: ByteSink & ~Copyable>(_ entry: Entry, to sink: inout Sink) {
        var line = CSVWriter.Line<Sink>()
        line.add(entry.id, to: &sink)
        line.add(entry.txid, to: &sink)
        line.add(entry.createdAt, to: &sink)
        line.add(entry.updatedAt, to: &sink)
        line.add(entry.processedAt, to: &sink)
        line.add(entry.processedTx, to: &sink)
        entry.withText(.state) { line.add(utf8: $0, to: &sink) }
        entry.withText(.action) { line.add(utf8: $0, to: &sink) }
        entry.withText(.tableName) { line.add(utf8: $0, to: &sink) }
        line.add(entry.recordID, to: &sink)
        entry.withText(.sfid) { line.add(utf8: $0, to: &sink) }
        entry.withText(.old) { line.add(utf8: $0, to: &sink) }
        entry.withText(.values) { line.add(utf8: $0, to: &sink) }
        line.add(entry.sfResult, to: &sink)
        entry.withText(.sfMessage) { line.add(utf8: $0, to: &sink) }
        line.add(entry.isArchived ? "true" : "false", to: &sink)
        if let attempts = entry.attempts { line.add(attempts, to: &sink) }
        line.end(to: &sink)
    }
}

/// What the JSON and CSV line writers read of an entry: its numbers, times and flags, and
/// its text columns as UTF-8 bytes. A ``TriggerLogRow`` gives the bytes it was sent (a
/// listing or export writes them without building strings); a ``TriggerLogEntry``, its
/// strings' bytes. Both write the same line.
protocol WritableEntry {
    var id: Int { get }
    var txid: Int64? { get }
    var createdAt: PostgresTimestamp? { get }
    var updatedAt: PostgresTimestamp? { get }
    var processedAt: PostgresTimestamp? { get }
    var processedTx: Int64? { get }
    var recordID: Int? { get }
    var sfResult: Int? { get }
    var isArchived: Bool { get }
    var attempts: Int? { get }
    /// Calls `body` with the column's text as UTF-8 (nil for NULL).
    func withText<T>(_ column: TriggerLogRow.TextColumn, _ body: (UnsafeBufferPointer<UInt8>?) throws -> T) rethrows -> T
}

extension TriggerLogRow: WritableEntry {}

extension TriggerLogEntry: WritableEntry {
    func withText<T>(_ column: TriggerLogRow.TextColumn, _ body: (UnsafeBufferPointer<UInt8>?) throws -> T) rethrows -> T {
        let text: String? =
            switch column {
            case .state: state?.rawValue
            case .action: action?.rawValue
            case .tableName: tableName
            case .sfid: sfid
            case .old: old?.text
            case .values: values?.text
            case .sfMessage: sfMessage
            }
        guard var text else { return try body(nil) }
        return try text.withUTF8 { try body($0) }
    }
}

/// Aligned columns. On a terminal all rows come in one block and the message is cut to
/// the width; elsewhere rows are aligned in blocks of 1,000 so memory stays flat, and
/// messages are written in full.
///
/// A terminal gets a compact layout, leaving the width to the message: times to the minute
/// (in the session's time zone), and no SFID column when it is narrower than 150 columns
/// (`show` has the sfid).
///
/// Streaming, each row is written at once, aligned with the rows before it as far as they
/// go (columns widen when a row needs it).
struct EntryTableWriter: EntryWriter {
    private let output: OutputChannel
    private let style: TextStyle
    private let isStreaming: Bool
    private let isCompact: Bool
    private let showsSFID: Bool
    private let showsAttempts: Bool
    private var table: TextTable
    private var wroteHeader = false
    private static let blockSize = 1_000

    /// How the table fits a narrow terminal, in order (documented in the man page's OUTPUT):
    /// the SFID column only from 150 columns on; then STATE when every entry has the same
    /// one, IN, ACTION, STATE, TABLE narrowed to 8, CREATED, RECORD, until MESSAGE has 24.
    static func fitSteps(oneState: Bool) -> [TextTable.FitStep] {
        (oneState ? [.drop("STATE")] : []) + [
            .drop("IN"), .drop("ACTION"), .drop("STATE"), .narrow("TABLE", to: 8), .drop("CREATED"), .drop("RECORD"),
        ]
    }

    init(output: OutputChannel, style: TextStyle, streaming: Bool = false, oneState: Bool = false, attempts: Bool = false) {
        self.output = output
        self.style = style
        isStreaming = streaming
        isCompact = output.tableWidth != nil
        showsSFID = (output.tableWidth ?? Int.max) >= 150
        var columns: [TextTable.Column] = [
            .init(title: "ID", alignRight: true), .init(title: "IN"), .init(title: "CREATED"), .init(title: "STATE"),
            .init(title: "ACTION"), .init(title: "TABLE"), .init(title: "RECORD", alignRight: true),
        ]
        if showsSFID { columns.append(.init(title: "SFID")) }
        showsAttempts = attempts
        if attempts { columns.append(.init(title: "ATTEMPTS", alignRight: true)) }
        columns.append(.init(title: "MESSAGE"))
        // ATTEMPTS belongs to the wide layout: the first to go
        table = TextTable(
            columns: columns, fitSteps: (attempts ? [.drop("ATTEMPTS")] : []) + Self.fitSteps(oneState: oneState),
            lastMinimum: 24)
    }

    mutating func write(_ entry: TriggerLogEntry) {
        let style = self.style
        let state = entry.state
        let location: TextTable.Cell =
            entry.isArchived ? TextTable.Cell("archive", style: { style.dim($0) }) : TextTable.Cell("live")
        let created = isCompact ? entry.createdAt?.minuteDescription : entry.createdAt?.shortDescription
        var cells: [TextTable.Cell] = [
            TextTable.Cell("\(entry.id)"),
            location,
            TextTable.Cell(created ?? ""),
            TextTable.Cell(entry.state?.rawValue ?? "", style: { style.state($0, state) }),
            TextTable.Cell(entry.action?.rawValue ?? ""),
            TextTable.Cell(entry.tableName ?? ""),
            TextTable.Cell(entry.recordID.map { "\($0)" } ?? ""),
        ]
        if showsSFID { cells.append(TextTable.Cell(entry.sfid ?? "")) }
        if showsAttempts { cells.append(TextTable.Cell(entry.attempts.map(String.init) ?? "")) }
        cells.append(TextTable.Cell(entry.sfMessage ?? ""))
        table.append(cells)
        if isStreaming || (!output.isTerminal && table.rows.count >= Self.blockSize) { flushBlock() }
    }

    /// Writes the last block; with no rows at all, only a header, and only when no person
    /// is reading (who is told "no entries" instead).
    mutating func finish() {
        if !table.rows.isEmpty || (!wroteHeader && !output.isTerminal) { flushBlock() }
    }

    private mutating func flushBlock() {
        output.write(table.render(header: !wroteHeader, maxWidth: output.tableWidth, style: style))
        wroteHeader = true
    }
}

/// One JSON object per line.
struct EntryJSONWriter: EntryWriter {
    let output: OutputChannel

    mutating func write(_ entry: TriggerLogEntry) {
        output.append { EntryWriters.appendJSONLine(entry, to: &$0) }
    }

    mutating func write(row: TriggerLogRow) {
        output.append { EntryWriters.appendJSONLine(row, to: &$0) }
    }

    mutating func finish() {}
}

/// CSV with a header, written even when there are no rows.
struct EntryCSVWriter: EntryWriter {
    let output: OutputChannel

    init(output: OutputChannel, attempts: Bool = false) {
        self.output = output
        output.write(bytes: CSVWriter.line(EntryWriters.csvHeader + (attempts ? ["attempts"] : [])))
    }

    mutating func write(_ entry: TriggerLogEntry) {
        output.append { EntryWriters.appendCSVLine(entry, to: &$0) }
    }

    mutating func write(row: TriggerLogRow) {
        output.append { EntryWriters.appendCSVLine(row, to: &$0) }
    }

    mutating func finish() {}
}

/// One id per line.
struct EntryIDWriter: EntryWriter {
    let output: OutputChannel

    mutating func write(_ entry: TriggerLogEntry) {
        output.line(String(entry.id))
    }

    mutating func write(row: TriggerLogRow) {
        output.line(String(row.id))
    }

    mutating func finish() {}
}
