import Postgres

/// A schema holding a Heroku Connect connection, as found in the catalog: its name and its
/// mapped tables.
public struct ConnectSchema: Sendable {
    /// The schema's name.
    public let name: SQLIdentifier
    /// The mapped tables, by name.
    public let mappedTables: [MappedTable]
    /// The schema holding the hstore extension (its functions and type), usually `public`.
    public let hstoreSchema: SQLIdentifier
    /// The capture procedures present in the schema (``CaptureProcedure``).
    public let captureProcedures: Set<CaptureProcedure>

    /// The tables every Heroku Connect schema has.
    public static let requiredTables = ["_trigger_log", "_trigger_log_archive", "_hcmeta"]

    /// Creates a description without looking at the catalog (for tests and callers that
    /// inspected it already).
    public init(
        name: SQLIdentifier, mappedTables: [MappedTable], hstoreSchema: SQLIdentifier = try! SQLIdentifier("public"),
        captureProcedures: Set<CaptureProcedure> = Set(CaptureProcedure.allCases)
    ) {
        self.name = name
        self.mappedTables = mappedTables
        self.hstoreSchema = hstoreSchema
        self.captureProcedures = captureProcedures
    }

    /// Reads the catalog in one statement and checks that `schemaName` is a usable Heroku
    /// Connect schema: it exists, has the trigger log, its archive and `_hcmeta`, and the
    /// database has hstore.
    ///
    /// - Throws: ``HerokuConnectError`` naming what is missing, or ``PostgresError``.
    public static func inspect(_ connection: PostgresConnection, schemaName: String) throws -> ConnectSchema {
        let name = try SQLIdentifier(schemaName)
        let rows = try connection.query(inspectionSQL, [.text(schemaName)])
        let row = rows[0]
        let connectSchemas = try row.stringArray(3)?.compactMap { $0 } ?? []
        guard try row.bool(0) == true else {
            throw HerokuConnectError.schemaNotFound(schema: schemaName, connectSchemas: connectSchemas)
        }
        let present = Set(try row.stringArray(1)?.compactMap { $0 } ?? [])
        let missing = requiredTables.filter { !present.contains($0) }
        guard missing.isEmpty else {
            throw HerokuConnectError.notAConnectSchema(
                schema: schemaName, missingTables: missing, connectSchemas: connectSchemas)
        }
        guard try row.bool(2) == true, let hstoreSchema = row.string(6) else {
            throw HerokuConnectError.hstoreMissing(schema: schemaName)
        }
        let tableNames = try row.stringArray(4)?.compactMap { $0 } ?? []
        let readOnly = try row.stringArray(5)?.compactMap { $0 } ?? []
        let logged = try row.stringArray(8)?.compactMap { $0 } ?? []
        let tables = zip(tableNames, zip(readOnly, logged)).map { name, flags in
            MappedTable(name: name, isReadOnly: flags.0 == "true", hasLogTrigger: flags.1 == "true")
        }
        let procedures = try row.stringArray(7)?.compactMap { $0.flatMap(CaptureProcedure.init(rawValue:)) } ?? []
        return ConnectSchema(
            name: name, mappedTables: tables, hstoreSchema: try SQLIdentifier(hstoreSchema),
            captureProcedures: Set(procedures))
    }

    /// Checks in one light statement that `schemaName` is a usable Heroku Connect schema
    /// (it exists, has the trigger log, its archive and `_hcmeta`, and the database has
    /// hstore), without reading its mapped tables; when it is not, ``inspect(_:schemaName:)``
    /// says what is missing.
    ///
    /// A command that only reads the log needs no more: the full inspection reads triggers
    /// and function sources, which costs a fresh session about 2 ms, as much as the
    /// listing of an empty log.
    ///
    /// - Returns: The schema's name.
    /// - Throws: ``HerokuConnectError`` naming what is missing, or ``PostgresError``.
    public static func check(_ connection: PostgresConnection, schemaName: String) throws -> SQLIdentifier {
        let name = try SQLIdentifier(schemaName)
        let rows = try connection.query(checkSQL, [.text(schemaName)])
        guard try rows.first?.bool(0) == true else {
            _ = try inspect(connection, schemaName: schemaName)
            // the catalog changed between the two statements: say so rather than go on
            throw HerokuConnectError.schemaNotFound(schema: schemaName, connectSchemas: [])
        }
        return name
    }

    /// Every schema of the database that holds a Heroku Connect connection (the trigger log,
    /// its archive and `_hcmeta`), by name.
    public static func connectSchemaNames(_ connection: PostgresConnection) throws -> [String] {
        try connection.query(
            """
            SELECT n.nspname::text FROM pg_catalog.pg_namespace n
            WHERE (SELECT count(*) FROM pg_catalog.pg_class c
                   WHERE c.relnamespace = n.oid AND c.relkind IN ('r', 'p')
                     AND c.relname IN ('_trigger_log', '_trigger_log_archive', '_hcmeta')) = 3
            ORDER BY 1
            """
        ).map { $0.string(0) ?? "" }
    }

    private static let checkSQL = """
        SELECT n.oid IS NOT NULL
               AND (SELECT count(*) FROM pg_catalog.pg_class c
                    WHERE c.relnamespace = n.oid AND c.relkind IN ('r', 'p')
                      AND c.relname IN ('_trigger_log', '_trigger_log_archive', '_hcmeta')) = 3
               AND EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'hstore')
        FROM (SELECT (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = $1) AS oid) AS n
        """

    /// The tables of schema `$1` that are mapped (alias `c`): tables with `id`, `sfid` and
    /// `_hc_lastop` columns.
    private static let mappedTablesFrom = """
        FROM pg_catalog.pg_class c
          JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = $1 AND c.relkind IN ('r', 'p')
            AND (SELECT count(*) FROM pg_catalog.pg_attribute a
                 WHERE a.attrelid = c.oid AND NOT a.attisdropped
                   AND a.attname IN ('id', 'sfid', '_hc_lastop')) = 3
        """

    /// The names of the mapped tables, and nothing else about them: a catalog read that a
    /// fresh session answers in a quarter of the time of ``inspect(_:schemaName:)`` (which
    /// reads triggers and their functions' sources), for commands that only filter by table.
    public static func mappedTableNames(_ connection: PostgresConnection, schemaName: SQLIdentifier) throws -> [String] {
        try connection.query("SELECT c.relname::text \(mappedTablesFrom) ORDER BY 1", [.text(schemaName.name)])
            .compactMap { $0.string(0) }
    }

    /// Of `names`, the one a user meant by `name`: exact first, then ignoring case (users
    /// type Salesforce's `Account` for the table `account`).
    public static func resolve(_ name: String, among names: [String]) -> String? {
        names.first { $0 == name } ?? names.first { $0.lowercased() == name.lowercased() }
    }

    /// Schema facts, Connect schemas of the database, and the mapped tables: tables with
    /// `id`, `sfid` and `_hc_lastop` columns; logged when an enabled trigger's function
    /// writes the trigger log (each mapping has its own logger, `hc_<table>_logger`), and
    /// read-only when that logger writes READONLY rows (a read-write one writes NEW).
    private static let inspectionSQL = """
        WITH mapped AS (
          SELECT c.relname,
                 EXISTS (SELECT 1 FROM pg_catalog.pg_trigger g
                         JOIN pg_catalog.pg_proc p ON p.oid = g.tgfoid
                         WHERE g.tgrelid = c.oid AND NOT g.tgisinternal AND g.tgenabled <> 'D'
                           AND p.prosrc LIKE '%_trigger_log%'
                           AND p.prosrc LIKE '%''READONLY''%') AS read_only,
                 EXISTS (SELECT 1 FROM pg_catalog.pg_trigger g
                         JOIN pg_catalog.pg_proc p ON p.oid = g.tgfoid
                         WHERE g.tgrelid = c.oid AND NOT g.tgisinternal AND g.tgenabled <> 'D'
                           AND p.prosrc LIKE '%_trigger_log%') AS logged
          \(mappedTablesFrom)
        )
        SELECT
          EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1),
          ARRAY(SELECT c.relname::text FROM pg_catalog.pg_class c
                JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = $1 AND c.relkind IN ('r', 'p')
                  AND c.relname IN ('_trigger_log', '_trigger_log_archive', '_hcmeta')),
          EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'hstore'),
          ARRAY(SELECT n.nspname::text FROM pg_catalog.pg_namespace n
                WHERE EXISTS (SELECT 1 FROM pg_catalog.pg_class c
                              WHERE c.relnamespace = n.oid AND c.relname = '_trigger_log')
                ORDER BY 1),
          ARRAY(SELECT relname::text FROM mapped ORDER BY relname),
          ARRAY(SELECT read_only::text FROM mapped ORDER BY relname),
          (SELECT n.nspname::text FROM pg_catalog.pg_extension e
           JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'hstore'),
          ARRAY(SELECT DISTINCT p.proname::text FROM pg_catalog.pg_proc p
                JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
                WHERE n.nspname = $1
                  AND p.proname IN ('hc_capture_insert_from_row', 'hc_capture_update_from_row')),
          ARRAY(SELECT logged::text FROM mapped ORDER BY relname)
        """

    /// The mapped table with this name: exact first, then ignoring case (users type
    /// Salesforce's `Account` for the table `account`).
    public func mappedTable(named name: String) -> MappedTable? {
        Self.resolve(name, among: mappedTables.map(\.name)).flatMap { resolved in
            mappedTables.first { $0.name == resolved }
        }
    }

    /// The capture procedure, or ``HerokuConnectError/captureProcedureMissing(schema:procedure:)``
    /// when the schema lacks it.
    public func requireProcedure(_ procedure: CaptureProcedure) throws(HerokuConnectError) {
        guard captureProcedures.contains(procedure) else {
            throw .captureProcedureMissing(schema: name.name, procedure: procedure.rawValue)
        }
    }

    /// The mapped table with this name, or ``HerokuConnectError/tableNotMapped(table:schema:suggestions:)``
    /// with the closest names.
    public func requireMappedTable(named name: String) throws(HerokuConnectError) -> MappedTable {
        if let table = mappedTable(named: name) { return table }
        throw HerokuConnectError.tableNotMapped(
            table: name, schema: self.name.name,
            suggestions: closestMatches(to: name, among: mappedTables.map(\.name)))
    }
}

/// A table of the schema that Heroku Connect syncs with a Salesforce object: it has `id`,
/// `sfid` and `_hc_lastop` columns.
public struct MappedTable: Sendable, Hashable {
    /// The table's name (the object's API name in lower case).
    public let name: String
    /// True for a read-only mapping (its changes are logged as READONLY and not synced).
    public let isReadOnly: Bool
    /// False when the table has no (enabled) log trigger: a dropped or paused mapping,
    /// whose changes are not captured and whose entries Connect does not process.
    public let hasLogTrigger: Bool

    public init(name: String, isReadOnly: Bool, hasLogTrigger: Bool = true) {
        self.name = name
        self.isReadOnly = isReadOnly
        self.hasLogTrigger = hasLogTrigger
    }

    /// What a repair may do with the table's entries.
    public var repairability: MappingStatus {
        if !hasLogTrigger { return .withoutLogTrigger }
        return isReadOnly ? .readOnly : .readWrite
    }
}

/// Whether a table's log entries can be sent to Salesforce again.
public enum MappingStatus: Sendable, Equatable {
    /// A read-write mapping: its changes are written to Salesforce.
    case readWrite
    /// A read-only mapping: its changes are logged as READONLY and never written; nothing may
    /// put them back into the live log as NEW.
    case readOnly
    /// The table is mapped but has no log trigger (a dropped or paused mapping).
    case withoutLogTrigger
    /// No mapped table has this name: a deleted mapping whose entries remain, or a table
    /// that is not a mapping (no `_hc_lastop`).
    case notMapped
}

/// Heroku Connect's procedures that capture a record's current state into the live log.
public enum CaptureProcedure: String, Sendable, CaseIterable {
    /// `hc_capture_insert_from_row(source_row hstore, table_name varchar, excluded_cols text[])`.
    case insert = "hc_capture_insert_from_row"
    /// `hc_capture_update_from_row(source_row hstore, table_name varchar, columns_to_include text[])`.
    case update = "hc_capture_update_from_row"
}
