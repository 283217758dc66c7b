import Foundation
import Postgres

/// The PostgreSQL server the integration tests run against, and the Heroku Connect
/// emulation in it.
///
/// `make test` starts a throwaway server and sets `HCCONNECT_TEST_DATABASE_URL`. Every test
/// that writes works in a schema of its own (``withConnectSchema(_:)``), so tests run in
/// parallel without seeing each other's rows.
public enum TestDatabase {
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
        let loaded = try connection.query("SELECT to_regproc('hcemu.create_standard_connection') IS NOT NULL")
        if try loaded[0].bool(0) == true { return }
        try connection.execute("SELECT pg_advisory_lock(4242)")
        defer { _ = try? connection.execute("SELECT pg_advisory_unlock(4242)") }
        let again = try connection.query("SELECT to_regproc('hcemu.create_standard_connection') IS NOT NULL")
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

    /// Creates a Heroku Connect schema (account, contact, opportunity read-write; user
    /// read-only) in its own new schema, runs `body`, and drops the schema.
    public static func withConnectSchema<T>(
        named name: String? = nil, _ body: (ConnectTestSchema) throws -> T
    ) throws -> T {
        let connection = try connect()
        let schema = name ?? uniqueSchemaName()
        try connection.execute("SELECT hcemu.create_standard_connection($1)", [.text(schema)])
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

    /// The schema's name quoted for SQL text.
    public var quoted: String { "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }

    /// Inserts a trigger log row directly (as Heroku Connect's worker would leave it) and
    /// returns its id. `archived` puts it in the archive, with an id from the live sequence.
    @discardableResult
    public func insertEntry(
        archived: Bool = false, state: String? = "FAILED", action: String? = "UPDATE", table: String? = "account",
        recordID: Int? = 1, sfid: String? = nil, values: String? = nil, old: String? = nil,
        message: String? = nil, createdAgo: String = "1 hour", processed: Bool = true, id: Int? = nil
    ) throws -> Int {
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
