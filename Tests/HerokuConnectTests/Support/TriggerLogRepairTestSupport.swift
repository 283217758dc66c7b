import Foundation
@testable import HerokuConnect
import Postgres
import TestSupport
import Testing

// MARK: - Helpers

/// The columns of the standard `account` mapping but `_hc_lastop` and `_hc_err`.
let repairAccountColumns = [
    "name", "accountnumber", "billingcity", "billingcountry", "phone", "industry", "numberofemployees",
    "annualrevenue", "external_id__c", "description", "ownerid", "lastmodifieddate", "createddate",
    "systemmodstamp", "isdeleted", "sfid", "id",
]

/// An hstore's pairs sorted by key.
func repairSortedPairs(_ hstore: HStore) -> [HStore.Pair] { hstore.pairs.sorted { $0.key < $1.key } }

/// What one repair run produced.
struct RepairRun {
    var candidates: TriggerLogRepair.Candidates
    var summary: RepairSummary
    /// Every batch's outcomes, in order.
    var outcomes: [RepairOutcome]
    /// The entries the observer received (dry runs).
    var observedEntries: [TriggerLogEntry]
    /// The summary after each batch.
    var batchSummaries: [RepairSummary]
}

/// Resolves `selection` and runs `action` on it with a store freshly opened on the schema.
func runRepair(
    _ action: RepairAction, _ selection: TriggerLogRepair.Selection, in schema: ConnectTestSchema,
    max: Int? = nil, batchSize: Int = TriggerLogRepair.defaultBatchSize, dryRun: Bool = false
) throws -> RepairRun {
    let repair = TriggerLogRepair(store: try schema.store())
    let candidates = try repair.candidates(for: selection, max: max)
    var outcomes: [RepairOutcome] = [], entries: [TriggerLogEntry] = [], summaries: [RepairSummary] = []
    let summary = try repair.run(action, on: candidates, batchSize: batchSize, dryRun: dryRun) { summary, batch, batchEntries in
        summaries.append(summary)
        outcomes += batch
        entries += batchEntries
    }
    return RepairRun(
        candidates: candidates, summary: summary, outcomes: outcomes, observedEntries: entries, batchSummaries: summaries)
}

/// The step that changes a FAILED UPDATE entry in `location` under `action`.
func updateStep(_ action: RepairAction, _ location: TriggerLogLocation) -> RepairStep {
    switch (action, location) {
    case (.ignore, _): .ignored
    case (.retry(.ordered, _), _): .capturedUpdate
    case (.retry(.merged, _), .live): .requeuedInPlace
    case (.retry(.merged, let viaConnect), .archive): viaConnect ? .markedRequeue : .copiedToLive
    }
}

/// Expects a changed log row to equal the row before in every column but `state` and
/// `updated_at` (and `also`), and `updated_at` to hold the change's time: stamped, so that
/// the backlog age counts from the retry.
func expectStamped(
    _ after: [String: String?], _ before: [String: String?], except also: [String] = [],
    sourceLocation: SourceLocation = #_sourceLocation
) {
    let ignored = ["state", "updated_at"] + also
    #expect(after.filter { !ignored.contains($0.key) } == before.filter { !ignored.contains($0.key) }, sourceLocation: sourceLocation)
    #expect(after["updated_at"] != before["updated_at"], "updated_at not stamped", sourceLocation: sourceLocation)
    #expect(after["updated_at"] != .some(nil), "updated_at is NULL", sourceLocation: sourceLocation)
}

extension RepairOutcome {
    /// The outcome as a dry run states it: without the new entry's id.
    var withoutNewID: RepairOutcome {
        guard case .changed(let step, _) = result else { return self }
        return RepairOutcome(id: id, location: location, tableName: tableName, recordID: recordID, result: .changed(step, newID: nil))
    }
}

extension Dictionary where Key == String {
    /// The dictionary without these keys.
    func without(_ keys: String...) -> Self { filter { !keys.contains($0.key) } }
}

extension ConnectTestSchema {
    func store() throws -> TriggerLogStore { try TriggerLogStore(connection: connection, schemaName: name) }

    /// Every column of one log row as text (`SELECT *`), by column name; nil when absent.
    func logRow(_ id: Int, _ location: TriggerLogLocation) throws -> [String: String?]? {
        let rows = try connection.query("SELECT * FROM \(quoted).\(location.tableName) WHERE id = $1", [.int(id)])
        guard let row = rows.first else { return nil }
        var fields: [String: String?] = [:]
        for column in 0..<row.columnCount { fields.updateValue(row.string(column), forKey: row.columnName(column)) }
        return fields
    }

    func archivedRow(_ id: Int) throws -> [String: String?]? { try logRow(id, .archive) }

    /// The ids of a log table, ascending.
    func ids(in location: TriggerLogLocation) throws -> [Int] {
        try connection.query("SELECT id FROM \(quoted).\(location.tableName) ORDER BY id").compactMap { try $0.int(0) }
    }

    /// `location id STATE` of every row, live first, by id.
    func states() throws -> [String] {
        try TriggerLogLocation.allCases.flatMap { location in
            try connection.query("SELECT id, state FROM \(quoted).\(location.tableName) ORDER BY id").map { row in
                "\(location.rawValue) \(try row.int(0)!) \(row.string(1) ?? "NULL")"
            }
        }
    }

    /// Both log tables, every row as text, and the live sequence's state: equal snapshots
    /// mean nothing changed.
    func snapshot() throws -> [String?] {
        try TriggerLogLocation.allCases.map { location in
            try connection.query(
                "SELECT string_agg(t::text, E'\\n' ORDER BY id) FROM \(quoted).\(location.tableName) AS t"
            )[0].string(0)
        } + [try sequenceState()]
    }

    /// Both log tables without timestamps and transaction ids (which differ between two
    /// schemas built at different moments): the rows of the first ids by id, the entries
    /// written later (above `firstNewID`) as a sorted list, whatever their ids.
    func timelessState(firstNewID: Int = 8) throws -> [String?] {
        try TriggerLogLocation.allCases.flatMap { location in
            let columns = "concat_ws('|', state, action, table_name, record_id, sfid, old, \"values\", sf_result, sf_message)"
            return [
                try connection.query(
                    "SELECT string_agg(id || '|' || \(columns), E'\\n' ORDER BY id) FROM \(quoted).\(location.tableName) WHERE id < $1",
                    [.int(firstNewID)])[0].string(0),
                try connection.query(
                    "SELECT string_agg(c, E'\\n' ORDER BY c) FROM (SELECT \(columns) AS c FROM \(quoted).\(location.tableName) WHERE id >= $1) AS n",
                    [.int(firstNewID)])[0].string(0),
            ]
        }
    }

    /// `last_value,is_called` of the live log's sequence.
    func sequenceState() throws -> String? {
        try connection.query("SELECT last_value::text || ',' || is_called::text FROM \(quoted)._trigger_log_id_seq")[0].string(0)
    }

    func sequenceLastValue() throws -> Int {
        try connection.query("SELECT last_value FROM \(quoted)._trigger_log_id_seq")[0].int(0)!
    }

    /// Runs `body` the way Connect's worker writes (`xmlbinary` = hex): the logger
    /// trigger does not fire.
    func unlogged<T>(_ body: () throws -> T) throws -> T {
        try connection.execute("SET xmlbinary = 'hex'")
        defer { _ = try? connection.execute("RESET xmlbinary") }
        return try body()
    }

    /// Inserts an account without logging it and returns its id.
    func makeAccount(
        name: String, billingCity: String? = nil, phone: String? = nil, description: String? = nil, sfid: String? = nil
    ) throws -> Int {
        try unlogged {
            try connection.query("""
                INSERT INTO \(quoted).account (name, billingcity, phone, description, sfid, numberofemployees, annualrevenue,
                  isdeleted, createddate)
                VALUES ($1, $2, $3, $4, $5, 42, 1234.5, false, '2024-01-02 03:04:05')
                RETURNING id
                """, [.text(name), .optional(billingCity), .optional(phone), .optional(description), .optional(sfid)])[0].int(0)!
        }
    }

    /// The account's columns and their text values, sorted by column name.
    func currentFields(of record: Int) throws -> [HStore.Pair] {
        let row = try connection.query("SELECT * FROM \(quoted).account WHERE id = $1", [.int(record)])[0]
        return (0..<row.columnCount).map { HStore.Pair(row.columnName($0), row.string($0)) }.sorted { $0.key < $1.key }
    }

    /// `count` FAILED UPDATE entries in `location`, each for an account of its own.
    func failedUpdates(_ count: Int, in location: TriggerLogLocation) throws -> [Int] {
        try (0..<count).map { n in
            let record = try makeAccount(name: "Account \(n)")
            return try insertEntry(
                archived: location == .archive, state: "FAILED", action: "UPDATE", recordID: record, values: #""name"=>"x""#)
        }
    }

    /// Runs `body` while a second session holds `FOR UPDATE` on the entry, then releases it.
    func holdingLock(on id: Int, in location: TriggerLogLocation, _ body: () throws -> Void) throws {
        let other = try TestDatabase.connect()
        try other.execute("BEGIN")
        defer { _ = try? other.execute("ROLLBACK") }
        let locked = try other.query("SELECT id FROM \(quoted).\(location.tableName) WHERE id = $1 FOR UPDATE", [.int(id)])
        #expect(locked.count == 1)
        try body()
    }
}
