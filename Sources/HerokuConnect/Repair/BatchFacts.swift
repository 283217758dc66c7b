import Postgres

/// The rows of ``RepairStatements/facts(_:recheck:hold:tables:start:)``, decoded.
struct BatchFacts {
    typealias Column = RepairStatements.FactColumn

    var entries: [RepairCandidate] = []
    /// The rows of the records that exist.
    var records: [RecordKey: RecordState] = [:]
    /// The later SUCCESS entries of each record.
    var laterByRecord: [RecordKey: [LaterEntry]] = [:]

    init(_ rows: PostgresRows) throws {
        for row in rows {
            guard let id = try row.int(Column.id.rawValue) else { continue }
            let tableName = row.string(Column.tableName.rawValue)
            let recordID = try row.int(Column.recordID.rawValue)
            switch row.string(Column.kind.rawValue) {
            case "r":
                guard let tableName, let recordID else { continue }
                records[RecordKey(tableName: tableName, recordID: recordID)] =
                    RecordState(hasSalesforceID: try row.bool(Column.hasSFID.rawValue) == true)
            case "l":
                guard let tableName, let recordID else { continue }
                let action = row.string(Column.action.rawValue).map(TriggerLogAction.init(rawValue:))
                laterByRecord[RecordKey(tableName: tableName, recordID: recordID), default: []].append(
                    LaterEntry(id: id, action: action, columns: WrittenColumns(values: row.string(Column.values.rawValue))))
            default:
                let action = row.string(Column.action.rawValue).map(TriggerLogAction.init(rawValue:))
                entries.append(
                    RepairCandidate(
                        id: id, location: try row.bool(Column.archived.rawValue) == true ? .archive : .live,
                        state: row.string(Column.state.rawValue).map(TriggerLogState.init(rawValue:)), action: action,
                        tableName: tableName, recordID: recordID,
                        columns: action == .insert ? .all : WrittenColumns(values: row.string(Column.values.rawValue)),
                        matchesSelection: try row.bool(Column.matches.rawValue) == true,
                        isHeld: try row.bool(Column.held.rawValue) == true))
            }
        }
    }

    /// The entry's record now; nil when it has no row (or was not looked up: its table is
    /// not a read-write mapping).
    func record(of entry: RepairCandidate) -> RecordState? {
        guard let table = entry.tableName, let record = entry.recordID else { return nil }
        return records[RecordKey(tableName: table, recordID: record)]
    }

    /// The record's later SUCCESS entries found by this batch's statement, and those found
    /// when the run started.
    func later(for entry: RepairCandidate, atStart: [RecordKey: [LaterEntry]]) -> [LaterEntry] {
        guard let table = entry.tableName, let record = entry.recordID else { return [] }
        let key = RecordKey(tableName: table, recordID: record)
        return (laterByRecord[key] ?? []) + (atStart[key] ?? [])
    }
}
