import HerokuConnect
import Postgres

/// Writes a stream of trigger log entries in one of the output formats.
protocol EntryWriter {
    /// Writes one entry (or buffers it, for the table's alignment).
    mutating func write(_ entry: TriggerLogEntry)
    /// Writes what is buffered.
    mutating func finish()
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

    /// Appends the entry's JSON object (see ``json(_:exact:)``) and a line break to `sink`.
    static func appendJSONLine<Sink: ByteSink & ~Copyable>(_ entry: TriggerLogEntry, exact: Bool = false, to sink: inout Sink) {
        var object = JSONObjectWriter.Fields<Sink>()
        sink.append(UInt8(ascii: "{"))
        object.add("id", entry.id, to: &sink)
        object.add("txid", entry.txid, to: &sink)
        object.add("created_at", entry.createdAt, to: &sink)
        object.add("updated_at", entry.updatedAt, to: &sink)
        object.add("processed_at", entry.processedAt, to: &sink)
        object.add("processed_tx", entry.processedTx, to: &sink)
        object.add("state", entry.state?.rawValue, to: &sink)
        object.add("action", entry.action?.rawValue, to: &sink)
        object.add("table_name", entry.tableName, to: &sink)
        object.add("record_id", entry.recordID, to: &sink)
        object.add("sfid", entry.sfid, to: &sink)
        object.add("old", entry.old, exactly: exact, to: &sink)
        object.add("values", entry.values, exactly: exact, to: &sink)
        object.add("sf_result", entry.sfResult, to: &sink)
        object.add("sf_message", entry.sfMessage, to: &sink)
        object.add("archived", entry.isArchived, to: &sink)
        if let attempts = entry.attempts { object.add("attempts", attempts, to: &sink) }
        sink.append(UInt8(ascii: "}"))
        sink.append(UInt8(ascii: "\n"))
    }

    /// The CSV header: the log's columns, then `archived`.
    static let csvHeader = TriggerLogEntry.columnNames + ["archived"]

    /// Appends the entry's CSV line (``csvHeader`` order, CRLF) to `sink`, field by field;
    /// `old` and `values` as their hstore text.
    static func appendCSVLine<Sink: ByteSink & ~Copyable>(_ entry: TriggerLogEntry, to sink: inout Sink) {
        var line = CSVWriter.Line<Sink>()
        line.add(entry.id, to: &sink)
        line.add(entry.txid, to: &sink)
        line.add(entry.createdAt, to: &sink)
        line.add(entry.updatedAt, to: &sink)
        line.add(entry.processedAt, to: &sink)
        line.add(entry.processedTx, to: &sink)
        line.add(entry.state?.rawValue, to: &sink)
        line.add(entry.action?.rawValue, to: &sink)
        line.add(entry.tableName, to: &sink)
        line.add(entry.recordID, to: &sink)
        line.add(entry.sfid, to: &sink)
        line.add(entry.old?.text, to: &sink)
        line.add(entry.values?.text, to: &sink)
        line.add(entry.sfResult, to: &sink)
        line.add(entry.sfMessage, to: &sink)
        line.add(entry.isArchived ? "true" : "false", to: &sink)
        if let attempts = entry.attempts { line.add(attempts, to: &sink) }
        line.end(to: &sink)
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

    mutating func finish() {}
}

/// One id per line.
struct EntryIDWriter: EntryWriter {
    let output: OutputChannel

    mutating func write(_ entry: TriggerLogEntry) {
        output.line(String(entry.id))
    }

    mutating func finish() {}
}
