import Postgres

/// One selected row of the trigger log as it arrived: its numbers, times and flag decoded,
/// its text columns left in the result as UTF-8 bytes. Listings and exports write the text
/// straight from there (``withText(_:_:)``); ``entry`` builds the ``TriggerLogEntry``.
///
/// It holds the row's result, so it stays valid for as long as it is held.
public struct TriggerLogRow {
    /// The text columns, by their position in ``TriggerLogEntry/selectList``.
    public enum TextColumn: Int, Sendable {
        case state = 6, action = 7, tableName = 8, sfid = 10, old = 11, values = 12, sfMessage = 14
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
        guard let id = try row.int(0) else {
            throw PostgresError(.unexpectedResult, message: "a trigger log row has no id")
        }
        self.row = row
        self.id = id
        txid = try row.int(1).map(Int64.init)
        createdAt = try row.timestamp(2)
        updatedAt = try row.timestamp(3)
        processedAt = try row.timestamp(4)
        processedTx = try row.int(5).map(Int64.init)
        recordID = try row.int(9)
        sfResult = try row.int(13)
        isArchived = try row.bool(15) ?? false
        // only a selection that asked for it has the column (others add their own after archived)
        attempts = row.columnCount > 16 && row.columnName(16) == "attempts" ? try row.int(16) : nil
    }

    /// Calls `body` with the text of `column` as UTF-8 (nil for NULL), as
    /// ``TriggerLogEntry`` would hold it (invalid UTF-8 repaired); the bytes are valid only
    /// inside `body`.
    public func withText<T>(_ column: TextColumn, _ body: (UnsafeBufferPointer<UInt8>?) throws -> T) rethrows -> T {
        try row.withText(column.rawValue, body)
    }

    /// The entry, its text columns decoded into strings.
    public var entry: TriggerLogEntry {
        var entry = TriggerLogEntry(
            id: id, txid: txid, createdAt: createdAt, updatedAt: updatedAt, processedAt: processedAt,
            processedTx: processedTx,
            state: row.string(TextColumn.state.rawValue).map(TriggerLogState.init(rawValue:)),
            action: row.string(TextColumn.action.rawValue).map(TriggerLogAction.init(rawValue:)),
            tableName: row.string(TextColumn.tableName.rawValue), recordID: recordID,
            sfid: row.string(TextColumn.sfid.rawValue),
            old: row.string(TextColumn.old.rawValue).map(HStore.init(text:)),
            values: row.string(TextColumn.values.rawValue).map(HStore.init(text:)),
            sfResult: sfResult, sfMessage: row.string(TextColumn.sfMessage.rawValue), isArchived: isArchived)
        entry.attempts = attempts
        return entry
    }
}
