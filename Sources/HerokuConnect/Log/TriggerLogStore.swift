import Postgres

/// Reads a Heroku Connect schema's trigger log, its archive and its mapped records.
///
/// Created for a schema that ``ConnectSchema/check(_:schemaName:)`` found usable; its mapped
/// tables and procedures are read from the catalog (``schema``) when first needed, so a
/// command that only reads the log spends no time on them. All of its statements are
/// parameterised, and the only identifiers in their text are the schema's, the log tables'
/// and mapped tables' from the catalog, quoted.
public final class TriggerLogStore {
    /// The connection every statement runs on.
    public let connection: PostgresConnection
    /// The schema's name, checked to be a Heroku Connect schema.
    public let schemaName: SQLIdentifier
    /// Runs the store's users' units of work under the retry policy (none by default).
    public let executor: RetryingExecutor
    /// Called once the schema has been inspected (for the event log).
    public var schemaObserver: ((ConnectSchema) -> Void)?
    private var inspected: ConnectSchema?
    /// The mapped tables' names, when only they were read (``loggedTableName(named:failedOnly:)``).
    private var mappedNames: [String]?
    /// False until something has shown the schema to be a Heroku Connect schema.
    private var isChecked = true

    /// Opens the store for `schemaName`, checking the schema first.
    ///
    /// - Throws: ``HerokuConnectError`` when the schema is not usable, ``PostgresError``.
    ///
    /// - Parameter executor: Runs units of work under a retry policy; by default, none.
    public convenience init(
        connection: PostgresConnection, schemaName: String, executor: RetryingExecutor? = nil
    ) throws {
        let executor = executor ?? RetryingExecutor(connection: connection, policy: .none)
        let name = try executor.run("reading the schema") {
            try ConnectSchema.check(connection, schemaName: schemaName)
        }
        self.init(connection: connection, schemaName: name, executor: executor)
    }

    /// Opens the store for `schemaName` without checking the schema first: for a command
    /// that only reads the log, whose first statement finds out soon enough. When a
    /// statement of ``forEachEntry(matching:_:)``, ``entries(matching:)`` or
    /// ``count(matching:)`` fails because the schema or a log table does not exist, the
    /// schema is inspected to say what is missing (``HerokuConnectError``).
    ///
    /// - Throws: ``PostgresError`` for a name that cannot be an identifier.
    public convenience init(
        connection: PostgresConnection, uncheckedSchemaName schemaName: String, executor: RetryingExecutor? = nil
    ) throws {
        self.init(connection: connection, schemaName: try SQLIdentifier(schemaName), executor: executor)
        isChecked = false
    }

    /// Opens the store for a schema already inspected.
    public convenience init(connection: PostgresConnection, schema: ConnectSchema, executor: RetryingExecutor? = nil) {
        self.init(connection: connection, schemaName: schema.name, executor: executor)
        inspected = schema
    }

    private init(connection: PostgresConnection, schemaName: SQLIdentifier, executor: RetryingExecutor?) {
        self.connection = connection
        self.schemaName = schemaName
        self.executor = executor ?? RetryingExecutor(connection: connection, policy: .none)
    }

    /// The schema with its mapped tables and capture procedures, read from the catalog on
    /// first use.
    ///
    /// - Throws: ``HerokuConnectError`` when the schema is no longer usable, ``PostgresError``.
    public var schema: ConnectSchema {
        get throws {
            if let inspected { return inspected }
            let name = schemaName.name
            let schema = try executor.run("reading the schema") { try ConnectSchema.inspect(self.connection, schemaName: name) }
            inspected = schema
            schemaObserver?(schema)
            return schema
        }
    }

    /// Calls `body` with each selected entry as it arrives from the server, so memory does
    /// not grow with the number of entries.
    ///
    /// - Throws: ``PostgresError``, or what `body` throws (which stops the query).
    public func forEachEntry(matching query: TriggerLogQuery, _ body: (TriggerLogEntry) throws -> Void) throws {
        try forEachRow(matching: query) { row in try body(row.entry) }
    }

    /// Calls `body` with each selected row as it arrives from the server, its text left as
    /// bytes (for output written straight from them); see ``forEachEntry(matching:_:)``.
    public func forEachRow(matching query: TriggerLogQuery, _ body: (TriggerLogRow) throws -> Void) throws {
        let statement = query.selectStatement(schema: schemaName)
        try readingLog {
            try connection.forEachRow(statement.sql, statement.parameters) { row in
                try body(try TriggerLogRow(row: row))
            }
        }
    }

    /// The selected entries, all in memory; for selections of bounded size.
    public func entries(matching query: TriggerLogQuery) throws -> [TriggerLogEntry] {
        let statement = query.selectStatement(schema: schemaName)
        return try readingLog {
            try connection.query(statement.sql, statement.parameters).map { row in try TriggerLogEntry(row: row) }
        }
    }

    /// The selected entries, read through the state indexes (bitmap scans) rather than by
    /// walking the `created_at` index in the query's order: for a page of FAILED entries at
    /// the far end of a long log (the oldest, when the archive's oldest millions are
    /// finished), where the walk would pass every entry before the first FAILED one. The
    /// cost then follows the entries the filters select, never the log's size. The planner
    /// settings hold for the one statement (`SET LOCAL`).
    public func entriesAvoidingOrderScan(matching query: TriggerLogQuery) throws -> [TriggerLogEntry] {
        let statement = query.selectStatement(schema: schemaName)
        return try readingLog {
            try connection.queryInOwnTransaction(
                statement.sql, statement.parameters,
                settings: [(name: "enable_indexscan", value: "off"), (name: "enable_seqscan", value: "off")]
            ).map { row in try TriggerLogEntry(row: row) }
        }
    }

    /// How many entries the query selects, ignoring its limit.
    public func count(matching query: TriggerLogQuery) throws -> Int {
        let statement = query.countStatement(schema: schemaName)
        return try readingLog { try connection.query(statement.sql, statement.parameters)[0].int(0) ?? 0 }
    }

    /// Runs statements on the log tables of a store opened unchecked; when one fails
    /// because the schema, a table, a column, a type or a function does not exist (SQLSTATE
    /// 3F000, 42P01, 42703, 42704, 42883: a look-alike schema, or a database without
    /// hstore), inspects the schema and throws what it found missing instead.
    private func readingLog<T>(_ body: () throws -> T) throws -> T {
        do {
            let result = try body()
            isChecked = true
            return result
        } catch let error as PostgresError where !isChecked && Self.missingObjectStates.contains(error.sqlState ?? "") {
            _ = try ConnectSchema.check(connection, schemaName: schemaName.name)
            throw error
        }
    }

    /// The SQLSTATEs of a statement naming something the database does not have.
    private static let missingObjectStates: Set<String> = [
        SQLState.invalidSchemaName, SQLState.undefinedTable, SQLState.undefinedColumn, SQLState.undefinedObject,
        SQLState.undefinedFunction,
    ]

    /// Every entry with this id, the live one first: usually one, two when the id is in
    /// both tables (a move under way, or a row copied back by hand); none when it is unknown.
    public func entries(id: Int) throws -> [TriggerLogEntry] {
        try entries(matching: TriggerLogQuery().ids([id]).ordered(.idAscending))
            .sorted { !$0.isArchived && $1.isArchived }
    }

    /// The entry with this id: the live one when the id is in both tables.
    ///
    /// - Throws: ``HerokuConnectError/entryNotFound(id:)``, ``PostgresError``.
    public func entry(id: Int) throws -> TriggerLogEntry {
        guard let entry = try entries(id: id).first else { throw HerokuConnectError.entryNotFound(id: id) }
        return entry
    }

    /// The record of a mapped table as it is now, every column as text; nil when there is
    /// no record with this id.
    public func currentRecord(in table: MappedTable, recordID: Int) throws -> MappedRecord? {
        let sql = "SELECT * FROM \(try qualified(table)) WHERE id = $1"
        let rows = try connection.query(sql, [.int(recordID)])
        guard let row = rows.first else { return nil }
        let fields = (0..<row.columnCount).map { HStore.Pair(row.columnName($0), row.string($0)) }
        return MappedRecord(table: table.name, fields: fields)
    }

    /// The `id` of the record with this sfid in a mapped table (through its unique sfid
    /// index): the id exactly as typed first, then restored to its case, then their
    /// 15-character forms; nil when there is none.
    public func recordID(in table: MappedTable, sfid: SalesforceID) throws -> Int? {
        let sql = """
            SELECT id FROM \(try qualified(table)) WHERE sfid = ANY($1::text[])
            ORDER BY array_position($1::text[], sfid::text) LIMIT 1
            """
        let rows = try connection.query(sql, [.array(sfid.storedForms.map { Optional($0) })])
        return try rows.first?.int(0)
    }

    /// The table a user named, as the log knows it: a mapped table (by exact name, else
    /// ignoring case), else a table that has entries in the log though it is not mapped (a
    /// deleted mapping; its name as stored, or in lower case as Connect writes it).
    ///
    /// - Parameter failedOnly: Only FAILED entries matter (the selection reads no others):
    ///   the archive is then looked up through its FAILED index alone, never scanned.
    /// - Throws: ``HerokuConnectError/tableNotFound(table:schema:suggestions:)``.
    public func loggedTable(named name: String, failedOnly: Bool = false) throws -> LoggedTable {
        let schema = try self.schema
        if let mapped = schema.mappedTable(named: name) { return LoggedTable(name: mapped.name, mapping: mapped) }
        let logged = try unmappedTableName(named: name, failedOnly: failedOnly, mapped: schema.mappedTables.map(\.name))
        return LoggedTable(name: logged, mapping: nil)
    }

    /// The name in the log of the table a user named, by the rule of
    /// ``loggedTable(named:failedOnly:)``, for a command that only filters by table: when
    /// the name is a mapped table's, only the mapped tables' names are read.
    public func loggedTableName(named name: String, failedOnly: Bool = false) throws -> String {
        let mapped: [String]
        if let inspected {
            mapped = inspected.mappedTables.map(\.name)
        } else if let mappedNames {
            mapped = mappedNames
        } else {
            mapped = try executor.run("reading the schema") {
                try ConnectSchema.mappedTableNames(self.connection, schemaName: self.schemaName)
            }
            mappedNames = mapped
        }
        if let resolved = ConnectSchema.resolve(name, among: mapped) { return resolved }
        // not a mapped table: the full inspection says whether the schema is usable at all
        // before the log is searched for the name
        return try loggedTable(named: name, failedOnly: failedOnly).name
    }

    /// A table with entries in the log though not mapped, by its name as stored or in lower
    /// case; else ``HerokuConnectError/tableNotFound(table:schema:suggestions:)`` with the
    /// closest of the mapped tables and those the log names.
    private func unmappedTableName(named name: String, failedOnly: Bool, mapped: [String]) throws -> String {
        let live = TriggerLogLocation.live.qualifiedName(in: schemaName)
        let archive = TriggerLogLocation.archive.qualifiedName(in: schemaName)
        for candidate in [name, name.lowercased()].uniqued() {
            let rows = try connection.query(
                """
                SELECT EXISTS (SELECT 1 FROM \(live) WHERE table_name = $1)
                    OR EXISTS (SELECT 1 FROM \(archive) WHERE state = 'FAILED' AND table_name = $1)
                    OR (NOT $2 AND EXISTS (SELECT 1 FROM \(archive) WHERE table_name = $1))
                """, [.text(candidate), .text(failedOnly ? "true" : "false")])
            if try rows.first?.bool(0) == true { return candidate }
        }
        // the names to suggest: the mapped tables, and those the live log and the archive's
        // failures name (through its FAILED index; the rest of the archive is not read)
        let logged = try connection.query(
            """
            SELECT DISTINCT table_name::text FROM \(live) WHERE table_name IS NOT NULL
            UNION SELECT DISTINCT table_name::text FROM \(archive) WHERE state = 'FAILED' AND table_name IS NOT NULL
            """
        ).compactMap { $0.string(0) }
        throw HerokuConnectError.tableNotFound(
            table: name, schema: schemaName.name, suggestions: closestMatches(to: name, among: (mapped + logged).uniqued()))
    }

    /// The columns of a mapped table, in table order.
    public func columns(of table: MappedTable) throws -> [String] {
        let sql = """
            SELECT attname::text FROM pg_catalog.pg_attribute
            WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum
            """
        return try connection.query(sql, [.text(try qualified(table))]).compactMap { $0.string(0) }
    }

    /// Entry counts per table, location and state, over the whole log, ordered by table,
    /// location (live first) and state: the counts of ``statistics(tables:counting:)``.
    public func stateCounts() throws -> [StateCount] {
        try statistics().totals.counts
    }

    private func qualified(_ table: MappedTable) throws -> String {
        SQLIdentifier.qualified(schemaName, try SQLIdentifier(table.name))
    }
}

/// A table named by the `table_name` of log entries: mapped, or not (any more).
public struct LoggedTable: Sendable, Hashable {
    /// The name as the log stores it.
    public let name: String
    /// Its mapping; nil when it is not mapped.
    public let mapping: MappedTable?

    public init(name: String, mapping: MappedTable?) {
        self.name = name
        self.mapping = mapping
    }

    /// Whether its failures can be retried.
    public var repairability: MappingStatus { mapping?.repairability ?? .notMapped }
}

/// A record of a mapped table: its columns and their text values, in table order.
public struct MappedRecord: Sendable, Equatable {
    /// The mapped table.
    public let table: String
    /// Each column and its value as text (nil for NULL).
    public let fields: [HStore.Pair]

    public init(table: String, fields: [HStore.Pair]) {
        self.table = table
        self.fields = fields
    }

    /// The value of a column: nil when there is no such column, `.some(nil)` for NULL.
    public subscript(column: String) -> String?? {
        guard let field = fields.first(where: { $0.key == column }) else { return nil }
        return .some(field.value)
    }
}

/// How many entries of one table are in one state in one of the log's tables.
public struct StateCount: Sendable, Equatable {
    public let tableName: String?
    public let location: TriggerLogLocation
    public let state: TriggerLogState?
    public let count: Int
    /// True when `count` is an estimate (``TriggerLogStatistics/Counting``), not a count.
    public let isEstimate: Bool

    public init(
        tableName: String?, location: TriggerLogLocation, state: TriggerLogState?, count: Int, isEstimate: Bool = false
    ) {
        self.tableName = tableName
        self.location = location
        self.state = state
        self.count = count
        self.isEstimate = isEstimate
    }
}
