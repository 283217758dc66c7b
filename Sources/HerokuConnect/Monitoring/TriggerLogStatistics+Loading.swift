import Postgres

/// Loading ``TriggerLogStatistics``: which statement each ``TriggerLogStatistics/Counting``
/// sends, and what it reads.
extension TriggerLogStore {
    /// Counts the log's entries per table, location and state, and measures the ages a
    /// monitor watches.
    ///
    /// - ``TriggerLogStatistics/Counting/exact``: one statement, a `GROUP BY` pass over each
    ///   log table.
    /// - ``TriggerLogStatistics/Counting/actionable``: one statement that reads the FAILED
    ///   entries (the archive's partial index `(state, table_name) WHERE state = 'FAILED'`,
    ///   the live log's `(state, id)`), the live backlog (`(state, id)`) and each table's
    ///   newest entries (`(created_at)`, backwards). Run it in a session with
    ///   `enable_seqscan = off` for a plan that never reads the archive in full, whatever the
    ///   share of FAILED entries.
    /// - ``TriggerLogStatistics/Counting/estimatingAbove(_:)``: first the planner's figures
    ///   for the two tables' sizes (the catalog), then one statement that reads each table
    ///   as `exact` or `actionable` does, depending on its size, with a sample of each large
    ///   table's pages for the estimated states.
    ///
    /// - Parameter tables: Names of tables to restrict the figures to: mapped ones (any case)
    ///   or ones with entries though not mapped; nil for every entry.
    /// - Throws: ``HerokuConnectError/tableNotFound(table:schema:suggestions:)`` for a
    ///   name that is neither, ``PostgresError``.
    public func statistics(
        tables: [String]? = nil, counting: TriggerLogStatistics.Counting = .exact
    ) throws -> TriggerLogStatistics {
        var mapped = try schema.mappedTables
        var statement = StatisticsStatement(schema: schemaName)
        if let tables {
            // what actionable counting reads of the archive is its FAILED entries: a table
            // named is looked for there through the FAILED index alone, never by a scan
            let chosen = try tables.map { try loggedTable(named: $0, failedOnly: counting == .actionable) }.uniqued()
            mapped = mapped.filter { table in chosen.contains { $0.mapping == table } }
            statement.restrict(to: chosen.map(\.name))
        }
        var estimated: Set<TriggerLogLocation> = []
        switch counting {
        case .exact:
            statement.readAll(.live)
            statement.readAll(.archive)
        case .actionable:
            statement.readActionable(.live)
            statement.readActionable(.archive)
        case .estimatingAbove(let threshold):
            for (location, size) in try logSizes() {
                if let entries = size.entries, entries > Double(threshold) {
                    statement.readActionable(location)
                    statement.estimate(location, entries: entries, pages: size.pages)
                    estimated.insert(location)
                } else {
                    statement.readAll(location)
                }
            }
        }
        let rows = try connection.query(statement.sql, statement.parameters)
        let column = try StatisticsStatement.Columns(rows)
        guard let first = rows.first, let measuredAt = try first.timestamp(column.now) else {
            throw PostgresError(.unexpectedResult, message: "the statistics statement returned no time")
        }
        let groups = try rows.compactMap { row -> TriggerLogStatistics.Group? in
            guard let kind = row.string(column.kind) else { return nil }  // the time alone: an empty log
            let tableName = row.string(column.tableName)
            let location: TriggerLogLocation = try row.bool(column.archived) == true ? .archive : .live
            var count: StateCount?
            if kind != StatisticsStatement.newestKind {
                guard let entries = try row.int(column.entries) else { return nil }
                count = StateCount(
                    tableName: tableName, location: location,
                    state: row.string(column.state).map(TriggerLogState.init(rawValue:)),
                    count: entries, isEstimate: kind == StatisticsStatement.estimateKind)
            }
            return TriggerLogStatistics.Group(
                count: count, tableName: tableName,
                oldestCreated: try Self.moment(row, column.oldestCreated),
                oldestWaiting: try Self.moment(row, column.oldestWaiting),
                newestProcessed: try Self.moment(row, column.newestProcessed))
        }
        return TriggerLogStatistics(
            measuredAt: measuredAt, mappedTables: mapped, groups: groups, counting: counting, estimated: estimated)
    }

    /// The planner's figures for the size of each log table: its entries as the planner
    /// reckons them (`reltuples` per page of the last `ANALYZE` or `VACUUM`, times the pages
    /// the table has now, as the planner does), nil when the table was never analysed; and
    /// its pages now.
    func logSizes() throws -> [(TriggerLogLocation, (entries: Double?, pages: Double))] {
        let sql = """
            SELECT CASE WHEN c.reltuples >= 0 AND c.relpages > 0
                        THEN c.reltuples / c.relpages * (pg_relation_size(c.oid) / current_setting('block_size')::int) END,
                   pg_relation_size(c.oid) / current_setting('block_size')::int
            FROM unnest($1::text[]) WITH ORDINALITY AS t(name, n)
            JOIN pg_catalog.pg_class AS c ON c.oid = to_regclass(t.name) ORDER BY t.n
            """
        let names = TriggerLogLocation.allCases.map { Optional($0.qualifiedName(in: schemaName)) }
        let rows = try connection.query(sql, [.array(names)])
        guard rows.count == TriggerLogLocation.allCases.count else {
            // a log table is missing: the statement that reads it says which
            return TriggerLogLocation.allCases.map { ($0, (nil, 0)) }
        }
        return try zip(TriggerLogLocation.allCases, rows).map { location, row in
            (location, (row.string(0).flatMap(Double.init), Double(try row.int(1) ?? 0)))
        }
    }

    private static func moment(_ row: PostgresRow, _ columns: (time: Int, age: Int)) throws -> TriggerLogStatistics.Moment? {
        guard let timestamp = try row.timestamp(columns.time) else { return nil }
        return TriggerLogStatistics.Moment(time: timestamp, ageSeconds: row.string(columns.age).flatMap(Double.init))
    }
}

/// The statistics statement, branch by branch: each branch returns rows of one kind (a
/// counted group, an estimated group, or the newest processed time of a table's newest
/// entries) in the same columns, and the branches are joined to one row holding `now()`
/// so that an empty log still answers with the time.
struct StatisticsStatement {
    static let countKind = "c"
    static let estimateKind = "e"
    static let newestKind = "n"

    let schema: SQLIdentifier
    /// The values the branches bind (the text is assembled by ``sql``).
    private var values = SQLStatement()
    var parameters: [PostgresParameter] { values.parameters }
    private var branches: [String] = []
    /// `AND table_name = ANY($n)` when the figures are restricted to some tables.
    private var tableCondition = ""

    init(schema: SQLIdentifier) {
        self.schema = schema
    }

    /// Binds a value and returns its placeholder.
    private mutating func bind(_ value: PostgresParameter) -> String {
        values.bind(value)
    }

    mutating func restrict(to tables: [String]) {
        tableCondition = " AND table_name = ANY(\(bind(.array(tables.map(Optional.init))))::text[])"
    }

    private func table(_ location: TriggerLogLocation) -> String {
        location.qualifiedName(in: schema)
    }

    /// Every entry of the table, grouped.
    mutating func readAll(_ location: TriggerLogLocation) {
        branches.append(groups(location, condition: "true"))
    }

    /// The FAILED and backlog entries of the table, grouped, through its indexes; and the
    /// newest processed time among its newest entries.
    mutating func readActionable(_ location: TriggerLogLocation) {
        let states = TriggerLogStatistics.actionableStates(in: location).map { "'\($0.rawValue)'" }
        let condition = states.count == 1 ? "state = \(states[0])" : "state IN (\(states.joined(separator: ", ")))"
        branches.append(groups(location, condition: condition))
        // the newest entries of the whole table, then those of the tables asked for: a
        // restriction inside the limit could walk the index far back for a quiet table
        let newest = "SELECT table_name, processed_at FROM \(table(location)) WHERE created_at IS NOT NULL"
            + " ORDER BY created_at DESC LIMIT \(TriggerLogStatistics.Counting.newestEntries)"
        branches.append(
            "SELECT '\(Self.newestKind)'::text, table_name, NULL::varchar, \(location == .archive), NULL::bigint,"
                + " NULL::timestamptz, max(processed_at), NULL::timestamptz FROM (\(newest)) AS newest"
                + " WHERE true\(tableCondition) GROUP BY table_name")
    }

    /// Estimates of the table's entries in the states ``readActionable(_:)`` does not read:
    /// its size as the planner reckons it, split by the shares of a repeatable sample of at
    /// most ``TriggerLogStatistics/Counting/samplePages`` pages.
    mutating func estimate(_ location: TriggerLogLocation, entries: Double, pages: Double) {
        let percent = min(100, 100 * Double(TriggerLogStatistics.Counting.samplePages) / max(pages, 1))
        let states = TriggerLogStatistics.actionableStates(in: location).map { "'\($0.rawValue)'" }
        let sample = "SELECT table_name, state, count(*) OVER () AS sampled FROM \(table(location))"
            + " TABLESAMPLE SYSTEM (\(bind(.text(String(percent))))::real) REPEATABLE (0)"
        branches.append(
            "SELECT '\(Self.estimateKind)'::text, table_name, state, \(location == .archive),"
                + " greatest(1, round(count(*) * \(bind(.text(String(entries))))::float8 / max(sampled)))::bigint,"
                + " NULL::timestamptz, NULL::timestamptz, NULL::timestamptz FROM (\(sample)) AS sample"
                + " WHERE (state IS NULL OR state NOT IN (\(states.joined(separator: ", "))))\(tableCondition)"
                + " GROUP BY table_name, state")
    }

    /// A branch counting the entries of the table that meet `condition` per table and state,
    /// with their oldest `created_at`, newest `processed_at` and earliest later-of-
    /// `created_at`-and-`updated_at`.
    private func groups(_ location: TriggerLogLocation, condition: String) -> String {
        "SELECT '\(Self.countKind)'::text, table_name, state, \(location == .archive), count(*),"
            + " min(created_at), max(processed_at), min(greatest(created_at, updated_at)) FROM \(table(location))"
            + " WHERE \(condition)\(tableCondition) GROUP BY table_name, state"
    }

    /// The positions of the statement's columns in a result, looked up by name once.
    struct Columns {
        let now, kind, tableName, state, archived, entries: Int
        let oldestCreated, newestProcessed, oldestWaiting: (time: Int, age: Int)

        init(_ rows: PostgresRows) throws(PostgresError) {
            func moment(_ name: String) throws(PostgresError) -> (time: Int, age: Int) {
                (try rows.column(name), try rows.column(name + "_age"))
            }
            now = try rows.column("now")
            kind = try rows.column("kind")
            tableName = try rows.column("table_name")
            state = try rows.column("state")
            archived = try rows.column("archived")
            entries = try rows.column("entries")
            oldestCreated = try moment("oldest_created")
            newestProcessed = try moment("newest_processed")
            oldestWaiting = try moment("oldest_waiting")
        }
    }

    /// The statement: `now()`, then per row the kind, table, state, archived, entries, and
    /// the three times each with its age against `now()` (NULL for infinities, which cannot
    /// be subtracted), named as ``Columns`` reads them.
    var sql: String {
        func age(_ column: String) -> String {
            "CASE WHEN isfinite(g.\(column)) THEN greatest(0, extract(epoch FROM clock.now - g.\(column)))::text END"
                + " AS \(column)_age"
        }
        let union = branches.map { "(\($0))" }.joined(separator: " UNION ALL ")
        return """
            SELECT clock.now, g.kind, g.table_name, g.state, g.archived, g.entries,
                   g.oldest_created, \(age("oldest_created")), g.newest_processed, \(age("newest_processed")),
                   g.oldest_waiting, \(age("oldest_waiting"))
            FROM (SELECT now() AS now) AS clock
            LEFT JOIN (SELECT * FROM (\(union)) AS b(kind, table_name, state, archived, entries, oldest_created,
                                                       newest_processed, oldest_waiting)) AS g ON true
            ORDER BY g.table_name, g.archived, g.state, g.kind
            """
    }
}
