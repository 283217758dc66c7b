import Postgres

/// The two statements of a repair batch: one reads the batch's entries and the facts the
/// decision needs (and, in a real run, locks the entries), one carries out the plan.
///
/// Both are set-based: one statement for the whole batch whatever its size, never one per
/// entry. Ids and values are parameters; identifiers come from the catalog, quoted.
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
    private var archive: String { TriggerLogLocation.archive.qualifiedName(in: schemaName) }

    /// The columns written when an archived entry is copied back: all but `id`, `state` and
    /// `updated_at`, which the copy sets to now() (the retry's time, from which the backlog
    /// age is measured).
    private static let copiedColumns =
        "txid, created_at, processed_at, processed_tx, action, table_name, record_id, sfid, old, \"values\", sf_result, sf_message"

    // MARK: - Reading a batch

    /// The columns of ``facts(_:recheck:hold:tables:)``'s rows, by position.
    enum FactColumn: Int {
        /// `e` for an entry of the batch, `r` for a record's row, `l` for a later SUCCESS
        /// entry of one of the batch's records.
        case kind
        /// The entry's id (`e`, `l`), or the record's (`r`).
        case id
        case archived, state, action, tableName, recordID, values
        /// Entries: FAILED and matching the selection's filters now.
        case matches
        /// Entries: locked by this statement (always true in a dry run).
        case held
        /// Records: whether the row has an sfid.
        case hasSFID
    }

    /// Reads the batch's entries as they are now, whether each still matches the selection
    /// (FAILED, and any of `recheck`'s filters; FAILED alone when `recheck` is empty); for
    /// the records of `tables` (the read-write mappings) that the batch's entries name, the
    /// rows that exist and whether they have an sfid; and those records' SUCCESS entries
    /// after the batch's first id that `start` did not read when the run started: in either
    /// log table, the entries added to the live log since (ids above its horizon) and those
    /// that were waiting or FAILED then (they may have succeeded since, and been moved to
    /// the archive). Each part is a simple scan through an index (the entries by id, the
    /// records by id, the log tables by id), so the statement costs what its rows cost.
    ///
    /// - Parameters:
    ///   - batch: The entries, with the table and record the selection found them with.
    ///   - hold: Lock the entries that match (`FOR UPDATE`, skipping or failing on locked
    ///     ones): a real run, in its batch's transaction.
    ///   - tables: The mappings whose records to look at; empty for ignore, which needs none.
    ///   - start: The records' later entries as the run's start found them.
    func facts(
        _ batch: [TriggerLogRepair.Candidate], recheck: [TriggerLogQuery], hold: Bool, tables: [MappedTable],
        start: LaterSuccesses
    ) throws -> SQLStatement {
        var statement = SQLStatement()
        let matches = Self.matches(recheck, &statement)
        var ctes: [String] = []
        var parts: [String] = []
        // Only the log tables the batch has entries in: a lock on the other one (a migration,
        // VACUUM FULL, an operator's LOCK) must not stop the batch. The entries are read and
        // locked in one scan; one another session holds is not read (SKIP LOCKED) and
        // ``unheld(_:)`` reads it without a lock.
        for location in TriggerLogLocation.allCases {
            let ids = batch.filter { $0.target.location == location }.map(\.target.id)
            guard !ids.isEmpty else { continue }
            let table = location.qualifiedName(in: schemaName)
            let name = "entries_" + location.rawValue
            ctes.append(
                """
                \(name) AS MATERIALIZED (
                  SELECT id, state, action, table_name, record_id, "values", \(matches) AS matches
                  FROM \(table) WHERE id = ANY(\(statement.bind(.array(ids)))::int[])\(hold ? " ORDER BY id \(locking.clause)" : "")
                )
                """)
            parts.append(
                """
                SELECT 'e'::text, id, \(location == .archive), state, action, table_name, record_id, "values", matches, true,
                       NULL::bool
                FROM \(name)
                """)
        }
        let mapped = Set(tables.map(\.name))
        let named = batch.filter { $0.recordID != nil && $0.tableName.map(mapped.contains) == true }
        if !named.isEmpty {
            let first = statement.bind(.int(batch.map(\.target.id).min() ?? 0))
            let horizon = statement.bind(.int(start.horizon))
            let tracked = statement.bind(.array(named.flatMap { entry in
                start.tracked[RecordKey(tableName: entry.tableName!, recordID: entry.recordID!)] ?? []
            }.uniqued()))
            for table in tables {
                let ids = named.filter { $0.tableName == table.name }.compactMap(\.recordID).uniqued()
                guard !ids.isEmpty else { continue }
                let records = SQLIdentifier.qualified(schemaName, try SQLIdentifier(table.name))
                let name = statement.bind(.text(table.name))
                let bound = statement.bind(.array(ids))
                parts.append(
                    """
                    SELECT 'r', r.id, NULL::bool, NULL::varchar, NULL::varchar, \(name)::varchar,
                           r.id, NULL::text, NULL::bool, NULL::bool, bool_or(r.sfid IS NOT NULL)
                    FROM \(records) AS r WHERE r.id = ANY(\(bound)::int[]) GROUP BY r.id
                    """)
                // The later entries the run's start read are known; here only what may have
                // changed since, found by id in both log tables (an entry that succeeded
                // since may have been moved to the archive).
                for location in TriggerLogLocation.allCases {
                    parts.append(
                        """
                        SELECT 'l', s.id, \(location == .archive), NULL::varchar, s.action, s.table_name, s.record_id, s."values",
                               NULL::bool, NULL::bool, NULL::bool
                        FROM \(location.qualifiedName(in: schemaName)) AS s
                        WHERE (s.id > \(horizon)::int OR s.id = ANY(\(tracked)::int[])) AND s.state = 'SUCCESS'
                          AND s.record_id = ANY(\(bound)::int[]) AND s.table_name = \(name)::text AND s.id > \(first)::int
                        """)
                }
            }
        }
        statement.append((ctes.isEmpty ? "" : "WITH " + ctes.joined(separator: ",\n") + "\n") + parts.joined(separator: "\nUNION ALL\n"))
        return statement
    }

    /// The entries among `targets` as they are now, without locking: those a locking read
    /// did not answer, because another session holds them (or they are gone). Rows in the
    /// layout of ``facts(_:recheck:hold:tables:)``, `held` false.
    func unheld(_ targets: [TriggerLogRepair.Target], recheck: [TriggerLogQuery]) -> SQLStatement {
        var statement = SQLStatement()
        let matches = Self.matches(recheck, &statement)
        let parts = TriggerLogLocation.allCases.compactMap { location -> String? in
            let ids = targets.filter { $0.location == location }.map(\.id)
            guard !ids.isEmpty else { return nil }
            return """
                SELECT 'e'::text, id, \(location == .archive), state, action, table_name, record_id, "values", \(matches), false,
                       NULL::bool
                FROM \(location.qualifiedName(in: schemaName)) WHERE id = ANY(\(statement.bind(.array(ids)))::int[])
                """
        }
        statement.append(parts.joined(separator: "\nUNION ALL\n"))
        return statement
    }

    /// The condition an entry must meet to be changed: FAILED, and any of `recheck`'s
    /// filters (FAILED alone when there are none), its values bound in `statement`.
    private static func matches(_ recheck: [TriggerLogQuery], _ statement: inout SQLStatement) -> String {
        let conditions = recheck.map { query in
            let condition = query.condition(&statement)
            return condition.isEmpty ? "true" : "(" + condition + ")"
        }
        return "state = 'FAILED'" + (conditions.isEmpty ? "" : " AND (" + conditions.joined(separator: " OR ") + ")")
    }

    // MARK: - Ignoring

    /// Ignore's batch in one statement: sets the entries among `live` and `archive` that are
    /// FAILED and still match `recheck` to IGNORED (the decision ``RepairDecision`` makes for
    /// ignore, as a statement), and answers the changed entries (`id`, `archived`,
    /// `table_name`, `record_id`). Only the log tables the batch has entries in are touched.
    ///
    /// - Parameter lockingFirst: Lock the entries first with ``locking``'s clause, skipping
    ///   (or failing on) those another session holds. Without it the statement is a plain
    ///   `UPDATE`, which finds and changes each entry in one look-up (the locking read costs
    ///   a second one and a WAL record per entry), and waits for a held entry: its caller
    ///   runs it with a lock timeout of a millisecond and falls back to the locking form.
    func ignore(live liveEntries: [Int], archive archiveEntries: [Int], recheck: [TriggerLogQuery], lockingFirst: Bool)
        -> SQLStatement
    {
        var statement = SQLStatement()
        let matches = Self.matches(recheck, &statement)
        var ctes: [String] = []
        var answers: [String] = []
        for (ids, location) in [(liveEntries, TriggerLogLocation.live), (archiveEntries, .archive)] where !ids.isEmpty {
            let table = location.qualifiedName(in: schemaName)
            let name = location.rawValue
            let chosen = "id = ANY(\(statement.bind(.array(ids)))::int[]) AND \(matches)"
            if lockingFirst {
                ctes.append(
                    """
                    \(name)_target AS (
                      SELECT id FROM \(table) WHERE \(chosen)
                      ORDER BY id \(locking.clause)
                    ), \(name)_ignored AS (
                      UPDATE \(table) AS t SET state = 'IGNORED', updated_at = now() FROM \(name)_target AS target
                      WHERE t.id = target.id AND t.state = 'FAILED'
                      RETURNING t.id, t.table_name, t.record_id
                    )
                    """)
            } else {
                ctes.append(
                    """
                    \(name)_ignored AS (
                      UPDATE \(table) AS t SET state = 'IGNORED', updated_at = now() WHERE t.\(chosen)
                      RETURNING t.id, t.table_name, t.record_id
                    )
                    """)
            }
            answers.append("SELECT id, \(location == .archive) AS archived, table_name, record_id FROM \(name)_ignored")
        }
        statement.append("WITH " + ctes.joined(separator: ",\n") + "\n" + answers.joined(separator: "\nUNION ALL\n"))
        return statement
    }

    // MARK: - Carrying out a plan

    /// The columns of ``change(_:sequence:tables:hstoreSchema:)``'s rows, by position.
    enum ChangeColumn: Int {
        case tag, id, archived, newID
    }

    /// Carries out `plan` in one statement; answers one row per change it made:
    ///
    /// | tag | id | archived | new_id |
    /// |---|---|---|---|
    /// | `state` | the entry | its log table | NULL |
    /// | `copy` | the archived entry | true | its live copy |
    /// | `capture` | the capture's key | NULL | the new live entry (NULL: no row to capture) |
    /// | `member` | an entry a capture set to REQUEUED | its log table | the capture's entry |
    ///
    /// Every change re-checks `state = 'FAILED'` (the batch holds the entries' locks) and
    /// stamps `updated_at` with now().
    ///
    /// - Parameters:
    ///   - sequence: The live log's id sequence (for copies).
    ///   - tables: The mapped tables of the plan's captures.
    func change(_ plan: RepairPlan, sequence: String, tables: [MappedTable], hstoreSchema: SQLIdentifier) throws -> SQLStatement {
        var statement = SQLStatement()
        var ctes: [String] = []
        var answers: [String] = []
        for (index, change) in plan.stateChanges.enumerated() {
            let table = change.location.qualifiedName(in: schemaName)
            let state = statement.bind(.text(change.state.rawValue))
            let ids = statement.bind(.array(change.ids))
            ctes.append(
                """
                state_\(index) AS (
                  UPDATE \(table) AS t SET state = \(state), updated_at = now()
                  WHERE t.id = ANY(\(ids)::int[]) AND t.state = 'FAILED'
                  RETURNING t.id, \(change.location == .archive) AS archived
                )
                """)
            answers.append("SELECT 'state'::text, id, archived, NULL::int FROM state_\(index)")
        }
        if !plan.copies.isEmpty {
            let ids = statement.bind(.array(plan.copies))
            let sequence = statement.bind(.text(sequence))
            // The entries are changed first and numbered after, in id order: each is read
            // once (the batch's statement holds their locks already).
            ctes.append(
                """
                copy_changed AS (
                  UPDATE \(archive) AS a SET state = 'REQUEUED', updated_at = now()
                  WHERE a.id = ANY(\(ids)::int[]) AND a.state = 'FAILED'
                  RETURNING a.*
                ), copy_numbered AS (
                  SELECT ordered.*, nextval(\(sequence)::regclass)::int AS new_id
                  FROM (SELECT * FROM copy_changed ORDER BY id) AS ordered
                ), copy_written AS (
                  INSERT INTO \(live) (id, state, updated_at, \(Self.copiedColumns))
                  SELECT new_id, 'NEW', now(), \(Self.copiedColumns) FROM copy_numbered ORDER BY new_id
                  RETURNING id
                )
                """)
            answers.append("SELECT 'copy', id, true, new_id FROM copy_numbered")
        }
        if !plan.captures.isEmpty {
            try appendCaptures(plan.captures, tables: tables, hstoreSchema: hstoreSchema, to: &statement, &ctes, &answers)
        }
        statement.append("WITH " + ctes.joined(separator: ",\n") + "\n" + answers.joined(separator: "\nUNION ALL\n"))
        return statement
    }

    /// The captures: each record's current row read once and handed to its procedure, in
    /// the captures' order (volatile calls run in the order of the sorted subquery), and
    /// their members set to REQUEUED when the capture wrote an entry.
    private func appendCaptures(
        _ captures: [RepairPlan.Capture], tables: [MappedTable], hstoreSchema: SQLIdentifier,
        to statement: inout SQLStatement, _ ctes: inout [String], _ answers: inout [String]
    ) throws {
        let hstore = hstoreSchema.quoted
        let insert = SQLIdentifier.qualified(schemaName, try SQLIdentifier(CaptureProcedure.insert.rawValue))
        let update = SQLIdentifier.qualified(schemaName, try SQLIdentifier(CaptureProcedure.update.rawValue))
        let keys = statement.bind(.array(captures.map(\.key)))
        let names = statement.bind(.array(captures.map { Optional($0.tableName) }))
        let records = statement.bind(.array(captures.map(\.recordID)))
        let inserts = statement.bind(.array(captures.map { Optional($0.procedure == .insert ? "true" : "false") }))
        // each capture's columns as the text of an array (a text[] of arrays would have to
        // be rectangular), read with its capture: aggregating (key, column) pairs cost the
        // server a sort per capture
        let columns = statement.bind(.array(captures.map { capture in
            PostgresParameter.array(capture.columns.map { Optional($0) }).textValue
        }))
        let members = captures.flatMap { capture in capture.members.map { (capture.key, $0) } }
        let memberIDs = statement.bind(.array(members.map(\.1.id)))
        let memberArchived = statement.bind(.array(members.map { Optional($0.1.location == .archive ? "true" : "false") }))
        let memberKeys = statement.bind(.array(members.map(\.0)))
        let sources = try tables.map { table in
            let records = SQLIdentifier.qualified(schemaName, try SQLIdentifier(table.name))
            return "SELECT g.*, \(hstore).hstore(r.*) AS record FROM capture_groups AS g JOIN \(records) AS r"
                + " ON g.table_name = \(statement.bind(.text(table.name)))::text AND r.id = g.record_id"
        }
        ctes.append(
            """
            capture_groups AS (
              SELECT g.key, g.table_name, g.record_id, g.is_insert, g.names::text[] AS names
              FROM unnest(\(keys)::int[], \(names)::text[], \(records)::int[], \(inserts)::bool[], \(columns)::text[])
                   AS g(key, table_name, record_id, is_insert, names)
            ), capture_source AS (
              \(sources.joined(separator: "\n  UNION ALL\n  "))
            ), captured AS (
              SELECT s.key,
                     CASE WHEN s.is_insert THEN \(insert)(s.record, s.table_name::varchar)
                          ELSE \(update)(s.record, s.table_name::varchar, s.names) END AS new_id
              FROM (SELECT DISTINCT ON (key) * FROM capture_source ORDER BY key) AS s
            ), capture_members AS (
              SELECT * FROM unnest(\(memberIDs)::int[], \(memberArchived)::bool[], \(memberKeys)::int[]) AS m(id, archived, key)
            ), members_live AS (
              UPDATE \(live) AS t SET state = 'REQUEUED', updated_at = now()
              FROM capture_members AS m JOIN captured AS c ON c.key = m.key
              WHERE NOT m.archived AND t.id = m.id AND t.state = 'FAILED' AND c.new_id IS NOT NULL
              RETURNING t.id, false AS archived, c.new_id
            ), members_archive AS (
              UPDATE \(archive) AS t SET state = 'REQUEUED', updated_at = now()
              FROM capture_members AS m JOIN captured AS c ON c.key = m.key
              WHERE m.archived AND t.id = m.id AND t.state = 'FAILED' AND c.new_id IS NOT NULL
              RETURNING t.id, true AS archived, c.new_id
            )
            """)
        answers.append("SELECT 'capture', key, NULL::bool, new_id FROM captured")
        answers.append("SELECT 'member', id, archived, new_id FROM members_live")
        answers.append("SELECT 'member', id, archived, new_id FROM members_archive")
    }

    /// The columns of ``laterSuccesses(_:)``'s rows, by position.
    enum LaterColumn: Int {
        case id, state, action, tableName, recordID, values, archived, horizon
    }

    /// The later entries of the `records` (each with the first id of its own to be
    /// repaired) when the run starts: their SUCCESS entries above that id in either log
    /// table, and the ids of their live entries then still waiting (NEW, PENDING) or FAILED,
    /// which may succeed while the run goes on; with the live log's highest id. One scan of
    /// each log table for the whole run (the live log has no index on `record_id`; for many
    /// records, one pass over the archive costs less than looking each one up through its
    /// index, which the server does for a few). Columns: `id`, `state`, `action`,
    /// `table_name`, `record_id`, `values`, `archived`, `horizon` (a row of NULLs but the
    /// horizon when nothing matches).
    func laterSuccesses(_ records: [(key: RecordKey, first: Int)]) -> SQLStatement {
        // (the columns in the order of ``LaterColumn``)
        var statement = SQLStatement()
        let tables = statement.bind(.array(records.map { Optional($0.key.tableName) }))
        let ids = statement.bind(.array(records.map(\.key.recordID)))
        let firsts = statement.bind(.array(records.map(\.first)))
        // Grouped, so that the server knows each record is there once: it then hashes the
        // records and reads the log table once (many records), or looks each one up through
        // the archive's record_id index (a few), instead of sorting or hashing the log.
        let keys = """
            (SELECT table_name, record_id, min(first) AS first
             FROM unnest(\(tables)::text[], \(ids)::int[], \(firsts)::int[]) AS k(table_name, record_id, first) GROUP BY 1, 2) AS k
            """
        statement.append(
            """
            SELECT s.id, s.state, s.action, s.table_name, s.record_id, s."values", s.archived, top.horizon
            FROM (SELECT coalesce(max(id), 0) AS horizon FROM \(live)) AS top
            LEFT JOIN (
              SELECT s.id, s.state, s.action, s.table_name, s.record_id, s."values", false AS archived
              FROM \(live) AS s JOIN \(keys) ON s.table_name = k.table_name AND s.record_id = k.record_id
              WHERE s.id > k.first AND s.state IN ('SUCCESS', 'NEW', 'PENDING', 'FAILED')
              UNION ALL
              SELECT s.id, s.state, s.action, s.table_name, s.record_id, s."values", true
              FROM \(archive) AS s JOIN \(keys) ON s.table_name = k.table_name AND s.record_id = k.record_id
              WHERE s.id > k.first AND s.state = 'SUCCESS'
            ) AS s ON true
            """)
        return statement
    }

    /// The sequence that numbers live entries: the `id` column's owned sequence, else the
    /// one Heroku Connect names `_trigger_log_id_seq`. One row, one column (regclass text).
    func liveSequence() -> (sql: String, parameters: [PostgresParameter]) {
        let fallback = SQLIdentifier.qualified(schemaName, try! SQLIdentifier("_trigger_log_id_seq"))
        return ("SELECT COALESCE(pg_catalog.pg_get_serial_sequence($1, 'id'), $2)", [.text(live), .text(fallback)])
    }
}
