import Postgres

/// Captures records' current state into the live log with Heroku Connect's own procedures,
/// `hc_capture_insert_from_row` and `hc_capture_update_from_row`, so Connect writes them to
/// Salesforce again.
///
/// Column names reach the procedures as one `text[]` parameter; records are read by id in
/// batches, one statement per batch, each batch its own transaction.
public struct RecordCapture {
    /// One record captured (or, in a dry run, to be captured).
    public struct Captured: Sendable, Equatable {
        /// The mapped table's id of the record.
        public let recordID: Int
        /// The new live entry; nil in a dry run.
        public let newID: Int?
        /// The record's sfid.
        public let sfid: String?
        /// The fields the entry would hold (dry run only).
        public let values: HStore?
    }

    /// The tally of a capture run.
    public struct Summary: Sendable, Equatable {
        public let procedure: CaptureProcedure
        public let table: String
        /// Excluded columns (insert) or included columns (update; empty means all).
        public let columns: [String]
        public let isDryRun: Bool
        /// Record ids asked for.
        public var requested = 0
        /// Records captured (or to be), in record id order.
        public var captured: [Captured] = []
        /// Records not captured with `hc_capture_insert_from_row` because they already have
        /// an sfid: they exist in Salesforce, and an INSERT would create a duplicate.
        public var alreadyInSalesforce: [Captured] = []
        /// Record ids the table does not have.
        public var notFound: [Int] = []
        /// Batches committed.
        public var batches = 0
    }

    /// The columns Heroku Connect keeps for itself and never captures.
    public static let bookkeepingColumns = ["_hc_lastop", "_hc_err"]
    /// The columns `hc_capture_insert_from_row` always captures.
    public static let alwaysCapturedColumns = ["id", "sfid"]

    public let store: TriggerLogStore

    public init(store: TriggerLogStore) {
        self.store = store
    }

    /// The columns to name to the procedure, from Salesforce field API names (matched to
    /// the table's columns ignoring case: `BillingCity` is `billingcity`) and exact column
    /// names; duplicates removed, in the order given.
    ///
    /// - Throws: ``HerokuConnectError/columnNotFound(table:column:suggestions:)`` for a name
    ///   the table does not have.
    public static func resolveColumns(
        fields: [String], columns: [String], in table: String, tableColumns: [String]
    ) throws(HerokuConnectError) -> [String] {
        var resolved: [String] = []
        for field in fields {
            let matches = tableColumns.filter { $0.lowercased() == field.lowercased() }
            guard let column = matches.first(where: { $0 == field.lowercased() }) ?? matches.first else {
                throw .columnNotFound(
                    table: table, column: field,
                    suggestions: closestMatches(to: field.lowercased(), among: tableColumns))
            }
            resolved.append(column)
        }
        for column in columns {
            guard tableColumns.contains(column) else {
                throw .columnNotFound(table: table, column: column, suggestions: closestMatches(to: column, among: tableColumns))
            }
            resolved.append(column)
        }
        return resolved.uniqued()
    }

    /// Captures the records' current state.
    ///
    /// - Parameters:
    ///   - procedure: Insert (all columns but `columns`) or update (only `columns`, all
    ///     when empty).
    ///   - table: A mapped table of the schema.
    ///   - recordIDs: The records, by the table's `id`; captured once each, in id order.
    ///   - columns: Resolved column names (see ``resolveColumns(fields:columns:in:tableColumns:)``).
    ///   - batchSize: Records per statement and transaction.
    ///   - dryRun: Read the records and what would be captured; write nothing.
    ///   - observer: Called after each batch with the summary so far.
    /// - Throws: ``HerokuConnectError``, ``PostgresError``; batches committed before stay.
    public func capture(
        _ procedure: CaptureProcedure, table: MappedTable, recordIDs: [Int], columns: [String],
        batchSize: Int = TriggerLogRepair.defaultBatchSize, dryRun: Bool = false,
        observer: ((Summary, [Captured]) throws -> Void)? = nil
    ) throws -> Summary {
        let schema = try store.schema
        if !dryRun { try schema.requireProcedure(procedure) }
        let ids = Array(Set(recordIDs)).sorted()
        var summary = Summary(procedure: procedure, table: table.name, columns: columns, isDryRun: dryRun)
        summary.requested = ids.count
        let sql = try dryRun ? previewStatement(procedure, table) : captureStatement(procedure, table)
        var start = 0
        while start < ids.count {
            let batch = Array(ids[start..<min(start + max(batchSize, 1), ids.count)])
            start += batch.count
            let parameters: [PostgresParameter] = [.text(table.name), .array(columns), .array(batch)]
            // Each capture writes a new entry, so a batch whose commit's outcome is unknown is
            // not repeated (the error says so); one that surely rolled back is.
            let rows = try store.executor.run("batch \(summary.batches + 1)", isBulk: true) {
                try dryRun
                    ? store.connection.query(sql, parameters)
                    : store.connection.withTransaction { try store.connection.query(sql, parameters) }
            }
            let read = try rows.map { row in
                Captured(
                    recordID: try row.int(0) ?? 0, newID: try row.int(1), sfid: row.string(2),
                    values: row.string(3).map(HStore.init(text:)))
            }
            let found = Set(read.map(\.recordID))
            summary.notFound += batch.filter { !found.contains($0) }
            // (what a dry run would have written for them is not shown: nothing will be)
            let skipped = procedure == .insert
                ? read.filter { $0.sfid != nil }.map { Captured(recordID: $0.recordID, newID: nil, sfid: $0.sfid, values: nil) }
                : []
            let captured = procedure == .insert ? read.filter { $0.sfid == nil } : read
            summary.alreadyInSalesforce += skipped
            summary.captured += captured
            summary.batches += 1
            try observer?(summary, captured)
        }
        return summary
    }

    /// Calls the procedure for each record of the batch, in record id order (volatile
    /// calls run after the sort); answers record id, new live id, sfid. An INSERT is
    /// captured only for a record without sfid: one that has one exists in Salesforce.
    private func captureStatement(_ procedure: CaptureProcedure, _ table: MappedTable) throws -> String {
        let schema = try store.schema
        let records = SQLIdentifier.qualified(schema.name, try SQLIdentifier(table.name))
        let function = SQLIdentifier.qualified(schema.name, try SQLIdentifier(procedure.rawValue))
        // The new entries are not visible to this statement (they are written by later
        // commands inside the procedure), so their values are not read back here.
        let call = "\(function)(\(schema.hstoreSchema.quoted).hstore(r.*), $1::varchar, $2::text[])"
        return """
            SELECT r.id, \(procedure == .insert ? "CASE WHEN r.sfid IS NULL THEN \(call) END" : call), r.sfid, NULL::text
            FROM \(records) AS r WHERE r.id = ANY($3::int[]) ORDER BY r.id
            """
    }

    /// What the procedure would write, computed the way it computes it.
    private func previewStatement(_ procedure: CaptureProcedure, _ table: MappedTable) throws -> String {
        let schema = try store.schema
        let records = SQLIdentifier.qualified(schema.name, try SQLIdentifier(table.name))
        let h = schema.hstoreSchema.quoted
        let row = "\(h).hstore(r.*)"
        let minus = "OPERATOR(\(h).-)"
        let bookkeeping = "ARRAY['_hc_lastop', '_hc_err']::text[]"
        let values =
            switch procedure {
            case .insert:
                "\(row) \(minus) (array_remove(array_remove($2::text[], 'id'), 'sfid') || \(bookkeeping))"
            case .update:
                "CASE WHEN cardinality($2::text[]) = 0 THEN \(row) \(minus) \(bookkeeping)"
                    + " ELSE \(h).slice(\(row), $2::text[]) \(minus) \(bookkeeping) END"
            }
        return """
            SELECT r.id, NULL::int, r.sfid, (\(values))::text
            FROM \(records) AS r WHERE r.id = ANY($3::int[]) AND $1::text IS NOT NULL ORDER BY r.id
            """
    }
}
