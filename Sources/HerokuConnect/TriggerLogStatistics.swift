import Postgres

/// The figures a monitor watches, per table and in total: entries per state in the live log
/// and the archive, the FAILED entries and the oldest of them, the backlog (entries waiting
/// for Heroku Connect: live NEW and PENDING, and REQUEUE in either table) and how long its
/// oldest entry has waited, and the newest processed time.
///
/// How long an entry has waited is measured from the later of its `created_at` and
/// `updated_at`: a retry puts an old entry back into the backlog and stamps `updated_at`
/// (hcconnect does; Heroku Connect stamps it when it picks an entry up), so a retried
/// entry's wait starts at the retry, not when the change was first captured, and a retry
/// never makes the sync look stuck. An entry the logger wrote has no `updated_at`; its wait
/// starts at `created_at`.
///
/// Loaded by ``TriggerLogStore/statistics(tables:)`` in one statement: one `GROUP BY` pass
/// over each of the two log tables. Ages are measured by the server against its `now()`,
/// so the client's clock never matters.
public struct TriggerLogStatistics: Sendable, Equatable {
    /// A point in time found in the log, and how long before the server's `now()` it was.
    public struct Moment: Sendable, Equatable {
        /// The time as stored.
        public let time: PostgresTimestamp
        /// Seconds from `time` to the server's `now()`, never below 0; nil when `time` is
        /// an infinity (the column is unconstrained).
        public let ageSeconds: Double?

        public init(time: PostgresTimestamp, ageSeconds: Double?) {
            self.time = time
            self.ageSeconds = ageSeconds
        }
    }

    /// The figures of a set of entries (one table's, or all of them).
    public struct Figures: Sendable, Equatable {
        /// Entries per table and state, in both tables of the log.
        public var counts: [StateCount] = []
        /// FAILED entries, live and archived.
        public var failed = 0
        /// The oldest FAILED entry's `created_at` (live or archived); nil when there are
        /// none, or none with a creation time.
        public var failedOldest: Moment?
        /// Entries waiting for Heroku Connect: live NEW and PENDING, and REQUEUE (which
        /// Connect copies back to the live log) in either table.
        public var backlog = 0
        /// When the backlog entry that has waited longest began to wait (the later of its
        /// `created_at` and `updated_at`): a backlog that keeps getting older is a stuck
        /// sync, one that stays young a busy one.
        public var backlogOldest: Moment?
        /// The newest `processed_at` of any entry, live or archived.
        public var lastProcessed: Moment?

        public init() {}

        /// Entries in one table of the log.
        public func total(in location: TriggerLogLocation) -> Int {
            counts.lazy.filter { $0.location == location }.reduce(0) { $0 + $1.count }
        }

        /// The number of entries in a state in one table of the log.
        public func count(of state: TriggerLogState?, in location: TriggerLogLocation) -> Int {
            counts.lazy.filter { $0.location == location && $0.state == state }.reduce(0) { $0 + $1.count }
        }

        /// The states present in either table: documented ones in their documented order,
        /// then others by name, then NULL.
        public var states: [TriggerLogState?] {
            let present = Set(counts.map(\.state))
            let documented: [TriggerLogState?] = TriggerLogState.documented.filter { present.contains($0) }
            let others = present.compactMap { state -> TriggerLogState? in
                guard let state, !state.isDocumented else { return nil }
                return state
            }.sorted { $0.rawValue < $1.rawValue }
            return documented + others + (present.contains(nil) ? [nil] : [])
        }

        /// Adds one group of entries (one table, location and state).
        mutating func add(_ group: Group) {
            counts.append(group.count)
            let state = group.count.state
            if state == .failed {
                failed += group.count.count
                failedOldest = Self.older(failedOldest, group.oldestCreated)
            }
            if TriggerLogStatistics.isWaiting(state, in: group.count.location) {
                backlog += group.count.count
                backlogOldest = Self.older(backlogOldest, group.oldestWaiting)
            }
            if let processed = group.newestProcessed, lastProcessed.map({ processed.time > $0.time }) ?? true {
                lastProcessed = processed
            }
        }

        private static func older(_ current: Moment?, _ candidate: Moment?) -> Moment? {
            guard let candidate else { return current }
            guard let current else { return candidate }
            return candidate.time < current.time ? candidate : current
        }
    }

    /// One table's figures.
    public struct Table: Sendable, Equatable {
        /// The `table_name` of the entries; nil for entries without one.
        public let name: String?
        /// The mapping, or nil when the table is not mapped (any more).
        public let mapped: MappedTable?
        public internal(set) var figures = Figures()

        public init(name: String?, mapped: MappedTable?) {
            self.name = name
            self.mapped = mapped
        }
    }

    /// The entries of one table in one state and location, as the statement returns them.
    struct Group {
        let count: StateCount
        let oldestCreated: Moment?
        /// The earliest of the entries' later of `created_at` and `updated_at`.
        let oldestWaiting: Moment?
        let newestProcessed: Moment?
    }

    /// True for the entries of the backlog: waiting for Heroku Connect.
    public static func isWaiting(_ state: TriggerLogState?, in location: TriggerLogLocation) -> Bool {
        switch state {
        case .new?, .pending?: location == .live
        case .requeue?: true
        default: false
        }
    }

    /// The server's `now()` when the figures were taken.
    public let measuredAt: PostgresTimestamp
    /// The mapped tables asked for (all of them by default), in the schema's order, then
    /// the tables with entries that are not mapped, by name, and entries without a table last.
    public let tables: [Table]
    /// The figures of all entries counted.
    public let totals: Figures

    /// Builds the statistics from groups of entries.
    init(measuredAt: PostgresTimestamp, mappedTables: [MappedTable], groups: [Group]) {
        var tables = mappedTables.map { Table(name: $0.name, mapped: $0) }
        var totals = Figures()
        var unmapped: [String?: Table] = [:]
        for group in groups {
            totals.add(group)
            if let index = tables.firstIndex(where: { $0.name == group.count.tableName }) {
                tables[index].figures.add(group)
            } else {
                let name = group.count.tableName
                unmapped[name, default: Table(name: name, mapped: nil)].figures.add(group)
            }
        }
        let sorted = unmapped.values.sorted { left, right in
            switch (left.name, right.name) {
            case (let left?, let right?): left < right
            case (_?, nil): true
            default: false
            }
        }
        self.measuredAt = measuredAt
        self.tables = tables + sorted
        self.totals = totals
    }
}

extension TriggerLogStore {
    /// Counts the log's entries per table, location and state, and measures the ages a
    /// monitor watches, in one statement (a `GROUP BY` pass over each table of the log).
    ///
    /// - Parameter tables: Names of tables to restrict the figures to: mapped ones (any case)
    ///   or ones with entries though not mapped; nil for every entry.
    /// - Throws: ``HerokuConnectError/tableNotFound(table:schema:suggestions:)`` for a
    ///   name that is neither, ``PostgresError``.
    public func statistics(tables: [String]? = nil) throws -> TriggerLogStatistics {
        var mapped = try schema.mappedTables
        var parameters: [PostgresParameter] = []
        var condition = ""
        if let tables {
            let chosen = try tables.map { try loggedTable(named: $0) }.uniqued()
            mapped = mapped.filter { table in chosen.contains { $0.mapping == table } }
            parameters.append(.array(chosen.map { Optional($0.name) }))
            condition = " WHERE table_name = ANY($1::text[])"
        }
        let rows = try connection.query(Self.statisticsSQL(schema: schema.name, condition: condition), parameters)
        guard let first = rows.first, let measuredAt = try first.timestamp(0) else {
            throw PostgresError(.unexpectedResult, message: "the statistics statement returned no time")
        }
        let groups = try rows.compactMap { row -> TriggerLogStatistics.Group? in
            guard let count = try row.int(4) else { return nil }
            let location: TriggerLogLocation = try row.bool(3) == true ? .archive : .live
            return TriggerLogStatistics.Group(
                count: StateCount(
                    tableName: row.string(1), location: location,
                    state: row.string(2).map(TriggerLogState.init(rawValue:)), count: count),
                oldestCreated: try Self.moment(row, time: 5, age: 6),
                oldestWaiting: try Self.moment(row, time: 9, age: 10),
                newestProcessed: try Self.moment(row, time: 7, age: 8))
        }
        return TriggerLogStatistics(measuredAt: measuredAt, mappedTables: mapped, groups: groups)
    }

    /// The statement: the groups of both tables, each with its oldest `created_at`, newest
    /// `processed_at` and earliest later-of-`created_at`-and-`updated_at`, and their ages
    /// against `now()` (NULL for infinities, which
    /// cannot be subtracted), joined to one row holding `now()` so an empty log still
    /// answers with the time.
    static func statisticsSQL(schema: SQLIdentifier, condition: String) -> String {
        let branches = TriggerLogLocation.allCases.map { location in
            "SELECT table_name, state, \(location == .archive) AS archived, count(*) AS entries,"
                + " min(created_at) AS oldest_created, max(processed_at) AS newest_processed,"
                + " min(greatest(created_at, updated_at)) AS oldest_waiting FROM "
                + location.qualifiedName(in: schema) + condition + " GROUP BY table_name, state"
        }
        func age(_ column: String) -> String {
            "CASE WHEN isfinite(\(column)) THEN greatest(0, extract(epoch FROM clock.now - \(column)))::text END"
        }
        return """
            SELECT clock.now, g.table_name, g.state, g.archived, g.entries,
                   g.oldest_created, \(age("g.oldest_created")), g.newest_processed, \(age("g.newest_processed")),
                   g.oldest_waiting, \(age("g.oldest_waiting"))
            FROM (SELECT now() AS now) AS clock
            LEFT JOIN (\(branches.joined(separator: " UNION ALL "))) AS g ON true
            ORDER BY g.table_name, g.archived, g.state
            """
    }

    private static func moment(_ row: PostgresRow, time: Int, age: Int) throws -> TriggerLogStatistics.Moment? {
        guard let timestamp = try row.timestamp(time) else { return nil }
        return TriggerLogStatistics.Moment(time: timestamp, ageSeconds: row.string(age).flatMap(Double.init))
    }
}
