import Postgres

/// One row of `<schema>._trigger_log` or `<schema>._trigger_log_archive`: a local change to a
/// mapped table and what Heroku Connect made of it.
///
/// Every column but `id` is nullable in the database, and so it is here.
public struct TriggerLogEntry: Sendable, Equatable {
    /// The log id; archived rows keep the id they had in the live log.
    public var id: Int
    /// `txid_current()` of the transaction that captured the change.
    public var txid: Int64?
    /// When the change was captured.
    public var createdAt: PostgresTimestamp?
    /// When the row was last updated (NULL on rows written by the logger trigger).
    public var updatedAt: PostgresTimestamp?
    /// When Heroku Connect processed the row.
    public var processedAt: PostgresTimestamp?
    /// The transaction in which Heroku Connect processed the row.
    public var processedTx: Int64?
    /// The sync state.
    public var state: TriggerLogState?
    /// The captured write.
    public var action: TriggerLogAction?
    /// The mapped table, bare and lower-case (`account`).
    public var tableName: String?
    /// The mapped table's `id` of the record (not the sfid).
    public var recordID: Int?
    /// The Salesforce id; NULL for INSERT captures.
    public var sfid: String?
    /// The row before the change (UPDATE, DELETE).
    public var old: HStore?
    /// The written fields: all (INSERT), changed only (UPDATE), none (DELETE).
    public var values: HStore?
    /// Heroku Connect's result code.
    public var sfResult: Int?
    /// Salesforce's message for a failed write.
    public var sfMessage: String?
    /// True when the row was read from the archive.
    public var isArchived: Bool
    /// How many times this change of its record has failed, up to this entry: the entries of
    /// the same table, record and action, live and archived, up to this id, that failed
    /// (FAILED, REQUEUE, REQUEUED or IGNORED). Read only when the query asks for it
    /// (``TriggerLogQuery/withAttempts``); nil otherwise.
    public var attempts: Int?

    /// Creates an entry; every column but the id defaults to NULL.
    public init(
        id: Int, txid: Int64? = nil, createdAt: PostgresTimestamp? = nil, updatedAt: PostgresTimestamp? = nil,
        processedAt: PostgresTimestamp? = nil, processedTx: Int64? = nil, state: TriggerLogState? = nil,
        action: TriggerLogAction? = nil, tableName: String? = nil, recordID: Int? = nil, sfid: String? = nil,
        old: HStore? = nil, values: HStore? = nil, sfResult: Int? = nil, sfMessage: String? = nil,
        isArchived: Bool = false
    ) {
        self.id = id
        self.txid = txid
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.processedAt = processedAt
        self.processedTx = processedTx
        self.state = state
        self.action = action
        self.tableName = tableName
        self.recordID = recordID
        self.sfid = sfid
        self.old = old
        self.values = values
        self.sfResult = sfResult
        self.sfMessage = sfMessage
        self.isArchived = isArchived
    }

    /// The column names of the log, in table order; `archived` is hcconnect's own.
    public static let columnNames = TriggerLogRow.Column.allCases.filter { $0 != .archived }.map(\.name)

    /// The select list reading the columns in ``columnNames`` order, the order
    /// ``TriggerLogRow`` decodes them in (`values` quoted: a reserved word).
    static let selectList = columnNames.map { $0 == "values" ? "\"values\"" : $0 }.joined(separator: ", ")

    /// Decodes a row selected with ``selectList`` followed by the `archived` flag (see
    /// ``TriggerLogRow``).
    init(row: PostgresRow) throws(PostgresError) {
        self = try TriggerLogRow(row: row).entry
    }

    /// `live` or `archive`: where the entry was read.
    public var location: TriggerLogLocation { isArchived ? .archive : .live }
}

/// The two tables of the trigger log.
public enum TriggerLogLocation: String, Sendable, CaseIterable {
    /// `<schema>._trigger_log`.
    case live
    /// `<schema>._trigger_log_archive`.
    case archive

    /// The table's name in the schema.
    public var tableName: String {
        switch self {
        case .live: "_trigger_log"
        case .archive: "_trigger_log_archive"
        }
    }

    /// `schema._trigger_log` or `schema._trigger_log_archive`, quoted for SQL text.
    func qualifiedName(in schema: SQLIdentifier) -> String {
        // The names are constants without NUL bytes, so the identifier always exists.
        SQLIdentifier.qualified(schema, try! SQLIdentifier(tableName))
    }
}
