import Postgres

/// The later entries of a run's records, read once when the run starts: one pass over
/// each log table costs far less than looking the records up batch by batch (the live log
/// has no index on `record_id`; the archive's index leads to a heap page for every entry
/// of every table that shares the record id). Each batch then looks, by id, only at what
/// may have changed since: the entries added to the live log after its horizon and those
/// tracked here. SUCCESS entries stay SUCCESS (in the live log or, moved, in the archive),
/// and an entry becomes SUCCESS only in the live log, so nothing else can appear.
struct LaterSuccesses {
    /// SUCCESS entries by record, live and archived.
    var later: [RecordKey: [LaterEntry]] = [:]
    /// Live entries then waiting (NEW, PENDING) or FAILED, by record: they may succeed
    /// (a FAILED one once retried) and be moved to the archive.
    var tracked: [RecordKey: [Int]] = [:]
    /// The live log's highest id then; entries above it were added since.
    var horizon = 0

    init() {}

    private typealias Column = RepairStatements.LaterColumn

    init(_ rows: PostgresRows) throws {
        for row in rows {
            horizon = try row.int(Column.horizon.rawValue) ?? 0
            guard let id = try row.int(Column.id.rawValue), let table = row.string(Column.tableName.rawValue),
                let record = try row.int(Column.recordID.rawValue)
            else { continue }
            let key = RecordKey(tableName: table, recordID: record)
            if row.string(Column.state.rawValue) == "SUCCESS" {
                later[key, default: []].append(
                    LaterEntry(
                        id: id, action: row.string(Column.action.rawValue).map(TriggerLogAction.init(rawValue:)),
                        columns: WrittenColumns(values: row.string(Column.values.rawValue))))
            } else {
                tracked[key, default: []].append(id)
            }
        }
    }
}
