import Postgres

/// The statements that change FAILED entries, one per batch and log table (and, for ordered
/// writes, per mapped table).
///
/// Each statement locks the batch's entries that are FAILED (`FOR UPDATE SKIP LOCKED`, or
/// `NOWAIT` for a single entry), changes exactly those, re-checking `state = 'FAILED'` in the
/// change itself, and answers rows of these columns:
///
/// | column | meaning |
/// |---|---|
/// | id, state, table_name, record_id, action | the entry as the statement found it |
/// | changed | true when this statement changed it |
/// | new_id | the live entry written for it, if any |
/// | record_exists | ordered writes: whether its record still exists |
///
/// The merged-writes statements (``setState(in:)``, ``copyArchivedToLive()``) answer only the
/// entries they changed, so a batch where everything goes well reads each entry once;
/// ``unchanged(in:)`` reads the rest, when there is a rest. Ordered writes answer one row
/// per requested id. An entry that is not changed but was FAILED was locked (or changed by
/// another session meanwhile). Ids and values are parameters; identifiers come from the
/// catalog, quoted.
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

    /// The Heroku Connect schema.
    let schemaName: SQLIdentifier
    let locking: Locking

    private var live: String { TriggerLogLocation.live.qualifiedName(in: schemaName) }

    /// The columns written when an archived entry is copied back: all but `id` and `state`.
    private static let copiedColumns =
        "txid, created_at, updated_at, processed_at, processed_tx, action, table_name, record_id, sfid, old, "
        + "\"values\", sf_result, sf_message"

    /// Sets the FAILED entries among `$1` to `$2` in place: ignore (IGNORED), a live retry
    /// under merged writes (NEW), `--via-connect` on the archive (REQUEUE). Answers the
    /// changed entries.
    func setState(in location: TriggerLogLocation) -> String {
        let table = location.qualifiedName(in: schemaName)
        return """
            WITH target AS (
              SELECT id FROM \(table) WHERE id = ANY($1::int[]) AND state = 'FAILED' ORDER BY id \(locking.clause)
            )
            UPDATE \(table) AS t SET state = $2 FROM target
            WHERE t.id = target.id AND t.state = 'FAILED'
            RETURNING t.id, t.state, t.table_name, t.record_id, t.action, true, NULL::int, NULL::bool
            """
    }

    /// Copies the FAILED archived entries among `$1` into the live log as NEW entries (every
    /// column but `id`, which comes from the live log's sequence, named by `$2`) and sets
    /// them to REQUEUED, in one statement. Answers the changed entries with their new ids.
    func copyArchivedToLive() -> String {
        let archive = TriggerLogLocation.archive.qualifiedName(in: schemaName)
        return """
            WITH target AS (
              SELECT id FROM \(archive) WHERE id = ANY($1::int[]) AND state = 'FAILED' ORDER BY id \(locking.clause)
            ), numbered AS (
              SELECT ordered.id, nextval($2::regclass)::int AS new_id
              FROM (SELECT id FROM target ORDER BY id) AS ordered
            ), changed AS (
              UPDATE \(archive) AS a SET state = 'REQUEUED' FROM numbered
              WHERE a.id = numbered.id AND a.state = 'FAILED'
              RETURNING a.*, numbered.new_id
            ), copied AS (
              -- a data-modifying WITH runs to completion whether or not it is read
              INSERT INTO \(live) (id, state, \(Self.copiedColumns))
              SELECT new_id, 'NEW', \(Self.copiedColumns) FROM changed ORDER BY new_id
              RETURNING id
            )
            SELECT id, state, table_name, record_id, action, true, new_id, NULL::bool FROM changed
            """
    }

    /// The entries among `$1` in `location` as they are now, none of them changed: for the
    /// ids a merged-writes statement did not answer.
    func unchanged(in location: TriggerLogLocation) -> String {
        let table = location.qualifiedName(in: schemaName)
        return """
            SELECT id, state, table_name, record_id, action, false, NULL::int, NULL::bool
            FROM \(table) WHERE id = ANY($1::int[]) ORDER BY id
            """
    }

    /// Ordered writes, for a batch's FAILED INSERT and UPDATE entries of mapped tables,
    /// live (`$1`) and archived (`$2`): captures each record's current state, in the order
    /// of the entries' ids across tables and both log tables (so an older INSERT is always
    /// captured before a newer UPDATE of the same record), with `hc_capture_insert_from_row`,
    /// or `hc_capture_update_from_row` with the entry's columns, and sets the entries to
    /// REQUEUED. Entries whose record is gone stay FAILED.
    ///
    /// The columns come as two parallel arrays: `$3` holds entry keys (`l42`, `a17`) and `$4`
    /// column names; an entry without pairs captures all columns. `$5`, `$6`, ... are the
    /// names of `tables`, in order. The answer has the shared columns plus `archived`.
    func captureCurrentState(tables: [MappedTable], hstoreSchema: SQLIdentifier) throws -> String {
        let hstore = hstoreSchema.quoted
        let live = TriggerLogLocation.live.qualifiedName(in: schemaName)
        let archive = TriggerLogLocation.archive.qualifiedName(in: schemaName)
        let insert = SQLIdentifier.qualified(schemaName, try SQLIdentifier(CaptureProcedure.insert.rawValue))
        let update = SQLIdentifier.qualified(schemaName, try SQLIdentifier(CaptureProcedure.update.rawValue))
        let records = try tables.map { SQLIdentifier.qualified(schemaName, try SQLIdentifier($0.name)) }
        let sources = records.enumerated().map { index, table in
            "SELECT target.*, \(hstore).hstore(r.*) AS record FROM target JOIN \(table) AS r"
                + " ON target.table_name = $\(index + 5)::text AND r.id = target.record_id"
        }
        let exists = records.enumerated().map { index, table in
            "WHEN $\(index + 5)::text THEN EXISTS (SELECT 1 FROM \(table) AS r WHERE r.id = e.record_id)"
        }
        let select = { (log: String, archived: Bool, changed: String, ids: String) in
            """
            SELECT e.id, e.state, e.table_name, e.record_id, e.action, \(changed).id IS NOT NULL, \(changed).new_id,
                   CASE e.table_name \(exists.joined(separator: " ")) END, \(archived)
            FROM \(log) AS e LEFT JOIN \(changed) ON \(changed).id = e.id WHERE e.id = ANY(\(ids))
            """
        }
        let candidates = "state = 'FAILED' AND action IN ('INSERT', 'UPDATE') AND table_name = ANY(ARRAY[\((0..<tables.count).map { "$\($0 + 5)::text" }.joined(separator: ", "))])"
        return """
            WITH live_target AS (
              SELECT id, action, record_id, table_name, false AS archived FROM \(live)
              WHERE id = ANY($1::int[]) AND \(candidates) ORDER BY id \(locking.clause)
            ), archive_target AS (
              SELECT id, action, record_id, table_name, true AS archived FROM \(archive)
              WHERE id = ANY($2::int[]) AND \(candidates) ORDER BY id \(locking.clause)
            ), target AS (
              SELECT * FROM live_target UNION ALL SELECT * FROM archive_target
            ), columns AS (
              SELECT k AS key, array_agg(c ORDER BY n) AS names
              FROM unnest($3::text[], $4::text[]) WITH ORDINALITY AS pairs(k, c, n) GROUP BY k
            ), source AS (
              \(sources.joined(separator: "\n  UNION ALL\n  "))
            ), captured AS (
              SELECT source.id, source.archived,
                     CASE WHEN source.action = 'INSERT'
                          THEN \(insert)(source.record, source.table_name::varchar)
                          ELSE \(update)(source.record, source.table_name::varchar, COALESCE(source.names, ARRAY[]::text[]))
                     END AS new_id
              -- volatile calls run in the order of the sorted subquery: entry order
              FROM (SELECT source.*, columns.names FROM source
                    LEFT JOIN columns ON columns.key = (CASE WHEN source.archived THEN 'a' ELSE 'l' END) || source.id
                    ORDER BY source.id, source.archived) AS source
            ), live_changed AS (
              UPDATE \(live) AS l SET state = 'REQUEUED' FROM captured
              WHERE NOT captured.archived AND l.id = captured.id AND l.state = 'FAILED' AND captured.new_id IS NOT NULL
              RETURNING l.id, captured.new_id
            ), archive_changed AS (
              UPDATE \(archive) AS a SET state = 'REQUEUED' FROM captured
              WHERE captured.archived AND a.id = captured.id AND a.state = 'FAILED' AND captured.new_id IS NOT NULL
              RETURNING a.id, captured.new_id
            )
            \(select(live, false, "live_changed", "$1::int[]"))
            UNION ALL
            \(select(archive, true, "archive_changed", "$2::int[]"))
            ORDER BY 1, 9
            """
    }

    /// The key of an entry in `captureCurrentState`'s column arrays.
    static func columnKey(_ id: Int, _ location: TriggerLogLocation) -> String {
        (location == .archive ? "a" : "l") + String(id)
    }

    /// The sequence that numbers live entries: the `id` column's owned sequence, else the
    /// one Heroku Connect names `_trigger_log_id_seq`. One row, one column (regclass text).
    func liveSequence() -> (sql: String, parameters: [PostgresParameter]) {
        let fallback = SQLIdentifier.qualified(schemaName, try! SQLIdentifier("_trigger_log_id_seq"))
        return ("SELECT COALESCE(pg_catalog.pg_get_serial_sequence($1, 'id'), $2)", [.text(live), .text(fallback)])
    }
}
