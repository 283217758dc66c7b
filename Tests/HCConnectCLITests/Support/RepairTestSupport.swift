import Foundation
import Postgres
import TestSupport
import Testing

// Fixtures and checks shared by the repair and capture command tests.

/// Salesforce ids used by the fixtures (18 characters, valid checksums).
let accountSFID = "0015e00000AbCdEAAV"
let opportunitySFID = "0065e00000XyZabAAF"

/// Reads both trigger log tables of a test schema, to check what a command changed and
/// what it left alone.
struct LogTables {
    let schema: ConnectTestSchema

    init(_ schema: ConnectTestSchema) { self.schema = schema }

    /// Every row of both tables as JSON text, keyed "live ID" / "archive ID", plus the live
    /// sequence's state under "sequence".
    func dump() throws -> [String: String] {
        var rows: [String: String] = [:]
        for row in try schema.connection.query("""
            SELECT 'live ' || id, row_to_json(t)::text FROM \(schema.quoted)._trigger_log AS t
            UNION ALL
            SELECT 'archive ' || id, row_to_json(a)::text FROM \(schema.quoted)._trigger_log_archive AS a
            UNION ALL
            SELECT 'sequence', last_value || ' ' || is_called FROM \(schema.quoted)._trigger_log_id_seq
            """) {
            rows[row.string(0)!] = row.string(1)
        }
        return rows
    }

    /// One row as a dictionary (nil when it does not exist).
    func row(_ id: Int, archived: Bool = false) throws -> [String: Any]? {
        let table = archived ? "_trigger_log_archive" : "_trigger_log"
        let rows = try schema.connection.query(
            "SELECT row_to_json(t)::text FROM \(schema.quoted).\(table) AS t WHERE id = $1", [.int(id)])
        guard let text = rows.first?.string(0) else { return nil }
        return try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
    }

    /// A row's state; "absent" when there is no such row.
    func state(_ id: Int, archived: Bool = false) throws -> String? {
        guard let row = try row(id, archived: archived) else { return "absent" }
        return row["state"] as? String
    }

    /// The live log's ids, ascending.
    func liveIDs() throws -> [Int] {
        try schema.connection.query("SELECT id FROM \(schema.quoted)._trigger_log ORDER BY id").map { try $0.int(0)! }
    }

    /// A live row's `values`, parsed by Postgres (NSNull for NULL values); nil when NULL.
    func values(_ id: Int, archived: Bool = false) throws -> [String: Any]? {
        let table = archived ? "_trigger_log_archive" : "_trigger_log"
        let rows = try schema.connection.query(
            "SELECT public.hstore_to_json(\"values\"::public.hstore)::text FROM \(schema.quoted).\(table) WHERE id = $1",
            [.int(id)])
        guard let text = rows.first?.string(0) else { return nil }
        return try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
    }

    /// Writes records into mapped tables as Heroku Connect's worker would (xmlbinary not
    /// base64), so the logger trigger writes no log rows.
    func insertRecords(_ sql: String) throws {
        try schema.connection.execute("SET xmlbinary TO 'hex'")
        defer { _ = try? schema.connection.execute("RESET xmlbinary") }
        try schema.execute(sql)
    }

    /// The columns of a mapped table, in table order.
    func columns(of table: String) throws -> [String] {
        try schema.connection.query("""
            SELECT attname::text FROM pg_catalog.pg_attribute
            WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum
            """, [.text("\(schema.quoted).\"\(table)\"")]).map { $0.string(0)! }
    }
}

/// Expects every row of `before` but those named in `except` to be in `after` unchanged,
/// and no other rows besides `added`.
func expectUnchanged(
    _ before: [String: String], _ after: [String: String], except changed: Set<String> = [], added: Set<String> = [],
    sourceLocation: SourceLocation = #_sourceLocation
) {
    for (key, row) in before where !changed.contains(key) {
        #expect(after[key] == row, "\(key) changed", sourceLocation: sourceLocation)
    }
    #expect(Set(after.keys) == Set(before.keys).union(added), "rows added or removed", sourceLocation: sourceLocation)
}

/// Parses standard output that must be exactly one JSON object on one line.
func singleJSONObject(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
    #expect(text.hasSuffix("}\n"), sourceLocation: sourceLocation)
    #expect(text.split(separator: "\n").count == 1, "one line", sourceLocation: sourceLocation)
    guard let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
        throw TestSetupError("not a JSON object: \(text)")
    }
    return object
}

/// A row with all columns but those named equal to another (JSON dictionaries).
func sameColumns(_ a: [String: Any]?, _ b: [String: Any]?, except excluded: Set<String>) -> Bool {
    guard let a, let b else { return false }
    let left = a.filter { !excluded.contains($0.key) }
    let right = b.filter { !excluded.contains($0.key) }
    return NSDictionary(dictionary: left).isEqual(to: right)
}
