import Foundation
import Postgres

/// The PostgreSQL server the integration tests run against, and the Heroku Connect
/// emulation in it.
///
/// `make test` starts a throwaway server and sets `HCCONNECT_TEST_DATABASE_URL`. Every test
/// that writes works in a schema of its own (``withConnectSchema(_:)``), so tests run in
/// parallel without seeing each other's rows.
public enum TestDatabase {
    /// Whether the tests run with a test database (`HCCONNECT_TEST_DATABASE_URL` set, as
    /// `make test` does); without one only the unit lane runs (``TestDatabaseRequirement``).
    public static var isConfigured: Bool {
        !(ProcessInfo.processInfo.environment["HCCONNECT_TEST_DATABASE_URL"] ?? "").isEmpty
    }

    /// The URL of the test database.
    public static var url: String {
        get throws {
            guard let url = ProcessInfo.processInfo.environment["HCCONNECT_TEST_DATABASE_URL"], !url.isEmpty else {
                throw TestSetupError(
                    "HCCONNECT_TEST_DATABASE_URL is not set: run the tests with 'make test', which starts a server")
            }
            return url
        }
    }

    /// The package's root folder.
    public static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// A new connection to the test database (one per test), with the emulation loaded.
    public static func connect() throws -> PostgresConnection {
        let connection = try plainConnection()
        try ensureEmulation(connection)
        return connection
    }

    /// A new connection to the test database, or to another database of the server.
    public static func plainConnection(database: String? = nil) throws -> PostgresConnection {
        let overrides = database.map { [ConnectionSettings.Parameter("dbname", $0)] } ?? []
        return try PostgresConnection(settings: ConnectionSettings(connectionString: try url, overrides: overrides))
    }

    /// Loads `Tests/Emulation/hcemu.sql` into the database once per test process, under an
    /// advisory lock so parallel tests and processes do not race.
    static func ensureEmulation(_ connection: PostgresConnection) throws {
        let loaded = try connection.query("SELECT to_regproc('hcemu.create_variant_connection') IS NOT NULL")
        if try loaded[0].bool(0) == true { return }
        try connection.execute("SELECT pg_advisory_lock(4242)")
        defer { _ = try? connection.execute("SELECT pg_advisory_unlock(4242)") }
        let again = try connection.query("SELECT to_regproc('hcemu.create_variant_connection') IS NOT NULL")
        if try again[0].bool(0) == true { return }
        try connection.executeUnsafeScript(try emulationSQL())
    }

    /// The emulation's SQL text, without psql's meta-commands (lines starting with `\`),
    /// which only psql understands.
    public static func emulationSQL() throws -> String {
        let text = try String(contentsOf: packageRoot.appendingPathComponent("Tests/Emulation/hcemu.sql"), encoding: .utf8)
        return text.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.hasPrefix("\\") }
            .joined(separator: "\n")
    }

    /// A fresh schema name for one test: `t_` and 12 random hex digits.
    public static func uniqueSchemaName(prefix: String = "t_") -> String {
        prefix + String(UInt64.random(in: 0..<(1 << 48)), radix: 16)
    }

    /// The shapes of connection the emulation builds (Tests/Emulation/hcemu.sql).
    public enum ConnectionKind: String, Sendable, CaseIterable {
        /// account, contact, opportunity read-write; user read-only.
        case standard = "create_standard_connection"
        /// The same tables, every mapping read-only.
        case readOnly = "create_readonly_connection"
        /// The standard connection with an older connection's bigint log sequence.
        case legacy = "create_legacy_connection"
        /// Shapes from real dumps: account with an extra unique index; contact with
        /// PRIMARY KEY (id, sfid), sfid NOT NULL, a foreign key to account(sfid), no
        /// isdeleted and columns after _hc_err; lead without its log trigger; app_setting,
        /// not a mapping.
        case variant = "create_variant_connection"
    }

    /// Creates a Heroku Connect schema (by default account, contact, opportunity
    /// read-write; user read-only) in its own new schema, runs `body`, and drops the schema.
    public static func withConnectSchema<T>(
        named name: String? = nil, kind: ConnectionKind = .standard, _ body: (ConnectTestSchema) throws -> T
    ) throws -> T {
        let connection = try connect()
        let schema = name ?? uniqueSchemaName()
        try connection.execute("SELECT hcemu.\(kind.rawValue)($1)", [.text(schema)])
        defer { _ = try? connection.execute("SELECT hcemu.drop_connection($1)", [.text(schema)]) }
        return try body(ConnectTestSchema(name: schema, connection: connection))
    }
}

/// A Heroku Connect schema made for one test, with helpers to write fixture rows.
public struct ConnectTestSchema {
    /// The schema's name.
    public let name: String
    /// The test's connection.
    public let connection: PostgresConnection

    /// A schema made elsewhere (a database of the test's own), for the fixture helpers.
    public init(name: String, connection: PostgresConnection) {
        self.name = name
        self.connection = connection
    }

    /// The schema's name quoted for SQL text.
    public var quoted: String { "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }

    /// The mapped tables of the standard connection that ``insertEntry`` gives a record.
    public static let recordTables: Set<String> = ["account", "contact", "opportunity"]

    /// Inserts a trigger log row directly (as Heroku Connect's worker would leave it) and
    /// returns its id. `archived` puts it in the archive, with an id from the live sequence.
    ///
    /// An entry of account, contact or opportunity gets its record, as in a real log: when
    /// the table has no row with `recordID`, one is written (only `id`, no sfid, unlogged),
    /// and the table's sequence is moved past it; not for a DELETE, whose record is gone.
    /// `withRecord: false` leaves the record out (a record deleted since).
    @discardableResult
    public func insertEntry(
        archived: Bool = false, state: String? = "FAILED", action: String? = "UPDATE", table: String? = "account",
        recordID: Int? = 1, sfid: String? = nil, values: String? = nil, old: String? = nil,
        message: String? = nil, createdAgo: String = "1 hour", processed: Bool = true, id: Int? = nil,
        withRecord: Bool = true
    ) throws -> Int {
        if withRecord, action != "DELETE", let table, let recordID, Self.recordTables.contains(table) {
            try ensureRecord(table: table, id: recordID)
        }
        let target = archived ? "_trigger_log_archive" : "_trigger_log"
        let sql = """
            INSERT INTO \(quoted).\(target)
              (id, txid, created_at, updated_at, processed_at, processed_tx, state, action, table_name,
               record_id, sfid, old, "values", sf_result, sf_message)
            VALUES (COALESCE($11::int, nextval('\(quoted.replacingOccurrences(of: "'", with: "''"))._trigger_log_id_seq')::int),
              txid_current(), now() - $1::interval, now() - $1::interval,
              CASE WHEN $10 THEN now() - $1::interval + interval '5 seconds' END,
              CASE WHEN $10 THEN txid_current() END,
              $2::text, $3, $4, $5, $6, $7, $8, CASE WHEN $2::text = 'FAILED' THEN 1 END, $9)
            RETURNING id
            """
        let rows = try connection.query(sql, [
            .text(createdAgo), .optional(state), .optional(action), .optional(table), recordID.map { .int($0) } ?? .null,
            .optional(sfid), .optional(old), .optional(values), .optional(message), .text(processed ? "true" : "false"),
            id.map { .int($0) } ?? .null,
        ])
        return try rows[0].int(0)!
    }

    /// Writes a row with this id into a mapped table unless it has one, the way Heroku
    /// Connect's worker writes (no log entry), and moves the table's sequence past it.
    public func ensureRecord(table: String, id: Int) throws {
        let qualified = quoted + ".\"" + table + "\""
        try connection.execute("SET xmlbinary = 'hex'")
        defer { _ = try? connection.execute("RESET xmlbinary") }
        try connection.execute(
            "INSERT INTO \(qualified) (id) SELECT $1 WHERE NOT EXISTS (SELECT 1 FROM \(qualified) WHERE id = $1)", [.int(id)])
        try connection.execute(
            "SELECT setval(pg_get_serial_sequence($1, 'id'), (SELECT max(id) FROM \(qualified)))", [.text(qualified)])
    }

    /// Writes rows with ids `first...last` into a mapped table where it has none (only `id`,
    /// unlogged, as Heroku Connect's worker writes), for entries written in bulk.
    public func ensureRecords(table: String = "account", _ ids: ClosedRange<Int>) throws {
        try Self.ensureRecords(connection, schemaQuoted: quoted, table: table, ids)
    }

    /// ``ensureRecords(table:_:)`` for a schema given by its quoted name.
    public static func ensureRecords(
        _ connection: PostgresConnection, schemaQuoted: String, table: String = "account", _ ids: ClosedRange<Int>
    ) throws {
        let qualified = schemaQuoted + ".\"" + table + "\""
        try connection.execute("SET xmlbinary = 'hex'")
        defer { _ = try? connection.execute("RESET xmlbinary") }
        try connection.execute(
            "INSERT INTO \(qualified) (id) SELECT g FROM generate_series($1::int, $2::int) AS g ON CONFLICT DO NOTHING",
            [.int(ids.lowerBound), .int(ids.upperBound)])
        try connection.execute(
            "SELECT setval(pg_get_serial_sequence($1, 'id'), (SELECT max(id) FROM \(qualified)))", [.text(qualified)])
    }

    /// Runs SQL in this schema's search path (test fixtures only).
    public func execute(_ sql: String, _ parameters: [PostgresParameter] = []) throws {
        try connection.execute("SET search_path TO \(quoted), public")
        try connection.execute(sql, parameters)
    }
}

/// The test environment is not set up.
public struct TestSetupError: Error, CustomStringConvertible {
    public let description: String

    public init(_ description: String) { self.description = description }
}
