import Postgres

/// The statements that change FAILED entries, one per batch and log table (and, for ordered
/// writes, per mapped table).
///
/// Each statement locks the batch's entries that are FAILED (`FOR UPDATE SKIP LOCKED`, or
/// `NOWAIT` for a single entry), changes exactly those, re-checking `state = 'FAILED'` in the
/// change itself, and answers one row per requested id found in its table:
///
/// | column | meaning |
/// |---|---|
/// | id, state, table_name, record_id, action | the entry as the statement found it |
/// | changed | true when this statement changed it |
/// | new_id | the live entry written for it, if any |
/// | record_exists | ordered writes: whether its record still exists |
///
/// An entry that is not changed but was FAILED was locked (or changed by another session
/// meanwhile). Ids and values are parameters; identifiers come from the catalog, quoted.
struct RepairStatements {
    /// How locked entries are treated.
    enum Locking {
        /// Skip them and report them (bulk work).
        case skipLocked
        /// Fail with SQLSTATE 55P03 (a single entry, whose caller wants to know).
        case noWait

        var clause: String {
            switch self {
            case .skipLocked: "FOR UPDATE SKIP LOCKED"
            case .noWait: "FOR UPDATE NOWAIT"
            }
        }
    }

    let schema: ConnectSchema
    let locking: Locking

    private var live: String { TriggerLogLocation.live.qualifiedName(in: schema.name) }
    private var hstore: String { schema.hstoreSchema.quoted }

    /// The columns written when an archived entry is copied back: all but `id` and `state`.
    private static let copiedColumns =
        "txid, created_at, updated_at, processed_at, processed_tx, action, table_name, record_id, sfid, old, "
        + "\"values\", sf_result, sf_message"

    /// Sets the FAILED entries among `$1` to `$2` in place: ignore (IGNORED), a live retry
    /// under merged writes (NEW), `--via-connect` on the archive (REQUEUE).
    func setState(in location: TriggerLogLocation) -> String {
        let table = location.qualifiedName(in: schema.name)
        return """
            WITH target AS (
              SELECT id FROM \(table) WHERE id = ANY($1::int[]) AND state = 'FAILED' ORDER BY id \(locking.clause)
            ), changed AS (
              UPDATE \(table) AS t SET state = $2 FROM target
              WHERE t.id = target.id AND t.state = 'FAILED' RETURNING t.id
            )
            SELECT e.id, e.state, e.table_name, e.record_id, e.action, changed.id IS NOT NULL, NULL::int, NULL::bool
            FROM \(table) AS e LEFT JOIN changed ON changed.id = e.id
            WHERE e.id = ANY($1::int[]) ORDER BY e.id
            """
    }

    /// Copies the FAILED archived entries among `$1` into the live log as NEW entries (every
    /// column but `id`, which comes from the live log's sequence, named by `$2`) and sets
    /// them to REQUEUED, in one statement.
    func copyArchivedToLive() -> String {
        let archive = TriggerLogLocation.archive.qualifiedName(in: schema.name)
        return """
            WITH target AS (
              SELECT id FROM \(archive) WHERE id = ANY($1::int[]) AND state = 'FAILED' ORDER BY id \(locking.clause)
            ), numbered AS (
              SELECT ordered.id, nextval($2::regclass)::int AS new_id
              FROM (SELECT id FROM target ORDER BY id) AS ordered
            ), changed AS (
              UPDATE \(archive) AS a SET state = 'REQUEUED' FROM numbered
              WHERE a.id = numbered.id AND a.state = 'FAILED'
              RETURNING a.id, numbered.new_id, \(Self.copiedColumns.split(separator: ",").map { "a." + $0.trimmingWhitespace() }.joined(separator: ", "))
            ), copied AS (
              -- a data-modifying WITH runs to completion whether or not it is read
              INSERT INTO \(live) (id, state, \(Self.copiedColumns))
              SELECT new_id, 'NEW', \(Self.copiedColumns) FROM changed ORDER BY new_id
              RETURNING id
            )
            SELECT e.id, e.state, e.table_name, e.record_id, e.action, changed.id IS NOT NULL, changed.new_id, NULL::bool
            FROM \(archive) AS e LEFT JOIN changed ON changed.id = e.id
            WHERE e.id = ANY($1::int[]) ORDER BY e.id
            """
    }

    /// Ordered writes: for the FAILED INSERT and UPDATE entries among `$1` of the mapped
    /// table `$2`, captures the record's current state (`hc_capture_insert_from_row`, or
    /// `hc_capture_update_from_row` with the columns of the entry's `values`, all columns
    /// when it has none) and sets the entry to REQUEUED. Entries whose record is gone stay
    /// FAILED.
    func captureCurrentState(in location: TriggerLogLocation, table: MappedTable) throws -> String {
        let log = location.qualifiedName(in: schema.name)
        let records = SQLIdentifier.qualified(schema.name, try SQLIdentifier(table.name))
        let insert = SQLIdentifier.qualified(schema.name, try SQLIdentifier(CaptureProcedure.insert.rawValue))
        let update = SQLIdentifier.qualified(schema.name, try SQLIdentifier(CaptureProcedure.update.rawValue))
        return """
            WITH target AS (
              SELECT id, action, record_id, "values" FROM \(log)
              WHERE id = ANY($1::int[]) AND state = 'FAILED' AND table_name = $2 AND action IN ('INSERT', 'UPDATE')
              ORDER BY id \(locking.clause)
            ), captured AS (
              SELECT target.id,
                     CASE WHEN target.action = 'INSERT'
                          THEN \(insert)(\(hstore).hstore(r.*), $2::varchar)
                          ELSE \(update)(\(hstore).hstore(r.*), $2::varchar,
                                 COALESCE(\(hstore).akeys(target."values"::\(hstore).hstore), ARRAY[]::text[]))
                     END AS new_id
              FROM (SELECT * FROM target ORDER BY id) AS target JOIN \(records) AS r ON r.id = target.record_id
            ), changed AS (
              UPDATE \(log) AS l SET state = 'REQUEUED' FROM captured
              WHERE l.id = captured.id AND l.state = 'FAILED' AND captured.new_id IS NOT NULL
              RETURNING l.id, captured.new_id
            )
            SELECT e.id, e.state, e.table_name, e.record_id, e.action, changed.id IS NOT NULL, changed.new_id,
                   EXISTS (SELECT 1 FROM \(records) AS r WHERE r.id = e.record_id)
            FROM \(log) AS e LEFT JOIN changed ON changed.id = e.id
            WHERE e.id = ANY($1::int[]) AND e.table_name = $2 AND e.action IN ('INSERT', 'UPDATE')
            ORDER BY e.id
            """
    }

    /// The sequence that numbers live entries: the `id` column's owned sequence, else the
    /// one Heroku Connect names `_trigger_log_id_seq`. One row, one column (regclass text).
    func liveSequence() -> (sql: String, parameters: [PostgresParameter]) {
        let fallback = SQLIdentifier.qualified(schema.name, try! SQLIdentifier("_trigger_log_id_seq"))
        return ("SELECT COALESCE(pg_catalog.pg_get_serial_sequence($1, 'id'), $2)", [.text(live), .text(fallback)])
    }
}
