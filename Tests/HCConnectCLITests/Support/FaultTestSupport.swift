import Foundation
import Postgres
import TestSupport
import Testing

// Shared by the *FaultTests suites: seeded randomness, an audit trail of every change to
// both log tables, a gate that holds a batch until the test opens it, and row-by-row
// snapshots of the log.

/// The seeded generator of the fault tests: `HCCONNECT_FAULT_SEED` replays a run.
typealias SeededGenerator = SeededRandom

extension SeededRandom {
    /// The seed of a run: `HCCONNECT_FAULT_SEED` when set (to replay a failure), else a new
    /// random one.
    static func seed() -> UInt64 { seed(from: "HCCONNECT_FAULT_SEED") }
}

/// The environment of an hcconnect process working on `schema` of the test database.
///
/// - Parameter applicationName: When given, put in the URL, so that the test can find the
///   process's sessions in `pg_stat_activity` (else hcconnect's own default, `hcconnect`).
func faultEnvironment(schema: String, applicationName: String? = nil) throws -> [String: String] {
    var url = try TestDatabase.url
    if let applicationName {
        url += (url.contains("?") ? "&" : "?") + "application_name=" + applicationName
    }
    return ["DATABASE_URL": url, "HEROKU_CONNECT_SCHEMA": schema]
}

/// Waits until no session with this application name is left on the server (a killed
/// client's session ends only when its server process notices), so that no transaction of
/// it can still commit while the test reads the log. Records an issue past `timeout`.
func waitForSessionsToEnd(
    _ connection: PostgresConnection, applicationName: String, timeout: Duration = .seconds(30),
    sourceLocation: SourceLocation = #_sourceLocation
) throws {
    let gone = try waitUntil(timeout: timeout) {
        try connection.query(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1", [.text(applicationName)]
        )[0].int(0) == 0
    }
    #expect(gone, "the sessions of \(applicationName) ended", sourceLocation: sourceLocation)
}

/// An audit trail of every row change to a schema's two log tables, written by row triggers
/// in the changing transaction (so a rolled-back change leaves no trace): the table, the
/// operation, the id, the state before and after, the whole row after (or before, for a
/// DELETE), and who: application_name, backend pid, txid, clock_timestamp().
struct AuditTrail {
    let connection: PostgresConnection
    let quoted: String

    /// One recorded change.
    struct Change {
        let sequence: Int
        /// `live` or `archive`.
        let table: String
        /// INSERT, UPDATE or DELETE.
        let operation: String
        let id: Int
        let oldState: String?
        let newState: String?
        let application: String
        let pid: Int
        let txid: Int
        /// clock_timestamp() in microseconds since the epoch.
        let at: Int
        /// The row after (before, for a DELETE), as JSON text.
        let row: String
    }

    /// Creates `fault_audit` and its triggers in the schema.
    init(connection: PostgresConnection, quoted: String) throws {
        self.connection = connection
        self.quoted = quoted
        try connection.execute("""
            CREATE TABLE \(quoted).fault_audit (
              seq bigserial PRIMARY KEY, tbl text, op text, id int, old_state text, new_state text,
              app text, pid int, txid bigint, at timestamptz, row_json jsonb)
            """)
        try connection.execute("""
            CREATE FUNCTION \(quoted).fault_audit_row() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              INSERT INTO \(quoted).fault_audit (tbl, op, id, old_state, new_state, app, pid, txid, at, row_json)
              VALUES (TG_ARGV[0], TG_OP, CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END,
                      CASE WHEN TG_OP <> 'INSERT' THEN OLD.state END, CASE WHEN TG_OP <> 'DELETE' THEN NEW.state END,
                      current_setting('application_name'), pg_backend_pid(), txid_current(), clock_timestamp(),
                      CASE WHEN TG_OP = 'DELETE' THEN to_jsonb(OLD) ELSE to_jsonb(NEW) END);
              RETURN NULL;
            END $$
            """)
        for (table, name) in [("_trigger_log", "live"), ("_trigger_log_archive", "archive")] {
            try connection.execute("""
                CREATE TRIGGER fault_audit AFTER INSERT OR UPDATE OR DELETE ON \(quoted).\(table)
                FOR EACH ROW EXECUTE FUNCTION \(quoted).fault_audit_row('\(name)')
                """)
        }
    }

    /// Every change, in the order they were recorded.
    func changes() throws -> [Change] {
        try connection.query("""
            SELECT seq, tbl, op, id, old_state, new_state, app, pid, txid,
                   (extract(epoch FROM at) * 1000000)::bigint, row_json::text
            FROM \(quoted).fault_audit ORDER BY seq
            """
        ).map { row in
            Change(
                sequence: try row.int(0)!, table: row.string(1)!, operation: row.string(2)!, id: try row.int(3)!,
                oldState: row.string(4), newState: row.string(5), application: row.string(6) ?? "", pid: try row.int(7)!,
                txid: try row.int(8)!, at: try row.int(9)!, row: row.string(10)!)
        }
    }
}

/// A statement-level trigger on UPDATEs of the archive that waits, polling a one-row table,
/// until the test opens the gate: the first batch of a repair stops there, holding its
/// transaction open, for as long as the test needs (at most 120 s, then it fails). Polling
/// rather than a lock, so that hcconnect's lock_timeout does not apply.
struct BatchGate {
    let connection: PostgresConnection
    let quoted: String

    init(connection: PostgresConnection, quoted: String) throws {
        self.connection = connection
        self.quoted = quoted
        try connection.execute("CREATE TABLE \(quoted).fault_gate (open boolean NOT NULL)")
        try connection.execute("INSERT INTO \(quoted).fault_gate VALUES (false)")
        try connection.execute("""
            CREATE FUNCTION \(quoted).fault_gate_wait() RETURNS trigger LANGUAGE plpgsql AS $$
            DECLARE deadline timestamptz := clock_timestamp() + interval '120 seconds';
            BEGIN
              WHILE NOT (SELECT open FROM \(quoted).fault_gate) LOOP
                IF clock_timestamp() > deadline THEN RAISE EXCEPTION 'the test never opened the gate'; END IF;
                PERFORM pg_sleep(0.01);
              END LOOP;
              RETURN NULL;
            END $$
            """)
        try connection.execute("""
            CREATE TRIGGER fault_gate AFTER UPDATE ON \(quoted)._trigger_log_archive
            FOR EACH STATEMENT EXECUTE FUNCTION \(quoted).fault_gate_wait()
            """)
    }

    /// Lets every waiting and later batch through.
    func open() throws {
        try connection.execute("UPDATE \(quoted).fault_gate SET open = true")
    }

    /// The server processes waiting at the gate (running its pg_sleep).
    func waiting() throws -> [Int] {
        try connection.query("""
            SELECT pid FROM pg_stat_activity
            WHERE wait_event = 'PgSleep' AND query ILIKE '%_trigger_log_archive%' AND datname = current_database()
              AND pid <> pg_backend_pid()
            """
        ).map { try $0.int(0)! }
    }
}

/// Every row of both log tables, parsed, keyed by table and id.
struct LogSnapshot {
    /// `live` or `archive`, and the id.
    struct Key: Hashable, Comparable, CustomStringConvertible {
        let table: String
        let id: Int

        static func < (a: Key, b: Key) -> Bool { (a.id, a.table == "archive" ? 1 : 0) < (b.id, b.table == "archive" ? 1 : 0) }
        var description: String { "\(table) \(id)" }
    }

    var rows: [Key: [String: Any]]

    init(_ connection: PostgresConnection, quoted: String) throws {
        rows = [:]
        for row in try connection.query("""
            SELECT 'live', id, to_jsonb(t)::text FROM \(quoted)._trigger_log AS t
            UNION ALL
            SELECT 'archive', id, to_jsonb(a)::text FROM \(quoted)._trigger_log_archive AS a
            """) {
            let object = try JSONSerialization.jsonObject(with: Data(row.string(2)!.utf8)) as? [String: Any]
            rows[Key(table: row.string(0)!, id: try row.int(1)!)] = object ?? [:]
        }
    }

    func state(_ key: Key) -> String? { rows[key]?["state"] as? String }

    /// Whether two rows are equal in every column but those named.
    static func equal(_ a: [String: Any]?, _ b: [String: Any]?, except: Set<String>) -> Bool {
        guard let a, let b else { return false }
        return NSDictionary(dictionary: a.filter { !except.contains($0.key) })
            .isEqual(to: b.filter { !except.contains($0.key) })
    }
}
