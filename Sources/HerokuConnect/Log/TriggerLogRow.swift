import Postgres

/// One selected row of the trigger log as it arrived: its numbers, times and flag decoded,
/// its text columns left in the result as UTF-8 bytes. Listings and exports write the text
/// straight from there (``withText(_:_:)``); ``entry`` builds the ``TriggerLogEntry``.
///
/// It holds the row's result, so it stays valid for as long as it is held.
public struct TriggerLogRow {
    /// The log's columns in table order, then the `archived` flag a selection adds. This
    /// list is the select list (``TriggerLogEntry/selectList`` and
    /// ``TriggerLogEntry/columnNames`` are made from it), so a column's position in a
    /// selected row is its raw value.
    public enum Column: Int, Sendable, CaseIterable {
        case id, txid, createdAt, updatedAt, processedAt, processedTx, state, action, tableName, recordID, sfid, old,
            values, sfResult, sfMessage, archived

        /// The column's name in the log tables (`archived` is hcconnect's own).
        public var name: String {
            switch self {
            case .id: "id"
            case .txid: "txid"
            case .createdAt: "created_at"
            case .updatedAt: "updated_at"
            case .processedAt: "processed_at"
            case .processedTx: "processed_tx"
            case .state: "state"
            case .action: "action"
            case .tableName: "table_name"
            case .recordID: "record_id"
            case .sfid: "sfid"
            case .old: "old"
            case .values: "values"
            case .sfResult: "sf_result"
            case .sfMessage: "sf_message"
            case .archived: "archived"
            }
        }
    }

    /// The text columns, which listings write as they arrived.
    public enum TextColumn: Sendable {
        case state, action, tableName, sfid, old, values, sfMessage

        var column: Column {
            switch self {
            case .state: .state
            case .action: .action
            case .tableName: .tableName
            case .sfid: .sfid
            case .old: .old
            case .values: .values
            case .sfMessage: .sfMessage
            }
        }
    }

    private let row: PostgresRow
    /// The log id.
    public let id: Int
    public let txid: Int64?
    public let createdAt: PostgresTimestamp?
    public let updatedAt: PostgresTimestamp?
    public let processedAt: PostgresTimestamp?
    public let processedTx: Int64?
    public let recordID: Int?
    public let sfResult: Int?
    /// True when the row was read from the archive.
    public let isArchived: Bool
    /// See ``TriggerLogEntry/attempts``; nil unless the selection asked for it.
    public let attempts: Int?

    /// Decodes a row selected with ``TriggerLogEntry/selectList`` followed by the
    /// `archived` flag (and `attempts`, when the selection asked for it), column by column
    /// in the order of the select list, so that the first bad value is the one reported.
    init(row: PostgresRow) throws(PostgresError) {
        guard let id = try row.int(Column.id.rawValue) else {
            throw PostgresError(.unexpectedResult, message: "a trigger log row has no id")
        }
        self.row = row
        self.id = id
        txid = try row.int(Column.txid.rawValue).map(Int64.init)
        createdAt = try row.timestamp(Column.createdAt.rawValue)
        updatedAt = try row.timestamp(Column.updatedAt.rawValue)
        processedAt = try row.timestamp(Column.processedAt.rawValue)
        processedTx = try row.int(Column.processedTx.rawValue).map(Int64.init)
        recordID = try row.int(Column.recordID.rawValue)
        sfResult = try row.int(Column.sfResult.rawValue)
        isArchived = try row.bool(Column.archived.rawValue) ?? false
        // only a selection that asked for it has the column (others add their own after archived)
        let next = Column.archived.rawValue + 1
        attempts = row.columnCount > next && row.columnName(next) == "attempts" ? try row.int(next) : nil
    }

    /// Calls `body` with the text of `column` as UTF-8 (nil for NULL), as
    /// ``TriggerLogEntry`` would hold it (invalid UTF-8 repaired); the bytes are valid only
    /// inside `body`.
    public func withText<T>(_ column: TextColumn, _ body: (UnsafeBufferPointer<UInt8>?) throws -> T) rethrows -> T {
        try row.withText(column.column.rawValue, body)
    }

    /// The entry, its text columns decoded into strings.
    public var entry: TriggerLogEntry {
        var entry = TriggerLogEntry(
            id: id, txid: txid, createdAt: createdAt, updatedAt: updatedAt, processedAt: processedAt,
            processedTx: processedTx,
            state: row.string(Column.state.rawValue).map(TriggerLogState.init(rawValue:)),
            action: row.string(Column.action.rawValue).map(TriggerLogAction.init(rawValue:)),
            tableName: row.string(Column.tableName.rawValue), recordID: recordID,
            sfid: row.string(Column.sfid.rawValue),
            old: row.string(Column.old.rawValue).map(HStore.init(text:)),
            values: row.string(Column.values.rawValue).map(HStore.init(text:)),
            sfResult: sfResult, sfMessage: row.string(Column.sfMessage.rawValue), isArchived: isArchived)
        entry.attempts = attempts
        return entry
    }
}
