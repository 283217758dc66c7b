import Postgres

/// The figures a monitor watches, per table and in total: entries per state in the live log
/// and the archive, the FAILED entries and the oldest of them, the backlog (entries waiting
/// for Heroku Connect: the live log's NEW, PENDING and REQUEUE entries) and how long its
/// oldest entry has waited, and the newest processed time.
///
/// How long an entry has waited is measured from the later of its `created_at` and
/// `updated_at`: a retry puts an old entry back into the backlog and stamps `updated_at`
/// (hcconnect does; Heroku Connect stamps it when it picks an entry up), so a retried
/// entry's wait starts at the retry, not when the change was first captured, and a retry
/// never makes the sync look stuck. An entry the logger wrote has no `updated_at`; its wait
/// starts at `created_at`.
///
/// Loaded by ``TriggerLogStore/statistics(tables:counting:)``, at a cost that ``Counting``
/// chooses: a `GROUP BY` pass over each table of the log, or only what an operator acts on.
/// Ages are measured by the server against its `now()`, so the client's clock never matters.
public struct TriggerLogStatistics: Sendable, Equatable {
    /// What a load counts, and so what it costs the server.
    public enum Counting: Sendable, Equatable {
        /// Only what an operator acts on: the FAILED entries (live and archived) and the
        /// backlog, read through the log's indexes, and the newest processed time among the
        /// newest ``newestEntries`` entries of each log table (by `created_at`). The cost
        /// follows the FAILED entries and the backlog, never the number of finished entries
        /// (SUCCESS, MERGED, IGNORED, ...): for `check`, `stats --brief` and the console.
        /// ``Figures/counts`` then holds only the FAILED and backlog states.
        case actionable
        /// Every state, exactly, except in a log table the planner's statistics put above
        /// `threshold` entries: there the FAILED and backlog entries are counted (and aged)
        /// as with ``actionable``, and the other states are estimated from the planner's
        /// figure for the table's size, split by a sample of at most ``samplePages`` pages
        /// (marked ``StateCount/isEstimate``).
        case estimatingAbove(Int)
        /// Every entry counted: one `GROUP BY` pass over each log table.
        case exact

        /// The size of a log table, in entries, above which `stats` and `tables` estimate
        /// the finished states unless told to count them (`--exact`).
        public static let defaultEstimateThreshold = 1_000_000
        /// The finished states are split among tables and states by a sample of at most
        /// this many pages of the log table (`TABLESAMPLE SYSTEM`, repeatable).
        public static let samplePages = 1_000
        /// How many of each log table's newest entries (by `created_at`) give the newest
        /// processed time when the table is not read in full.
        public static let newestEntries = 1_000
    }

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
        /// Entries waiting for Heroku Connect: the live log's NEW, PENDING and REQUEUE
        /// (``TriggerLogStatistics/isWaiting(_:in:)``).
        public var backlog = 0
        /// When the backlog entry that has waited longest began to wait (the later of its
        /// `created_at` and `updated_at`): a backlog that keeps getting older is a stuck
        /// sync, one that stays young a busy one.
        public var backlogOldest: Moment?
        /// The newest `processed_at` of any entry, live or archived (of the newest entries of
        /// a log table not read in full: ``Counting``).
        public var lastProcessed: Moment?
        /// The log tables whose counts of finished states are estimates (``Counting``).
        public var estimated: Set<TriggerLogLocation> = []

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

        /// Adds one group of entries (one table, location and state), or the newest
        /// processed time of a table's newest entries.
        mutating func add(_ group: Group) {
            if let count = group.count {
                counts.append(count)
                if count.state == .failed {
                    failed += count.count
                    failedOldest = Self.older(failedOldest, group.oldestCreated)
                }
                if TriggerLogStatistics.isWaiting(count.state, in: count.location) {
                    backlog += count.count
                    backlogOldest = Self.older(backlogOldest, group.oldestWaiting)
                }
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

    /// The entries of one table in one state and location, as the statement returns them;
    /// or, without a count, the newest processed time among a log table's newest entries.
    struct Group {
        let count: StateCount?
        let tableName: String?
        let oldestCreated: Moment?
        /// The earliest of the entries' later of `created_at` and `updated_at`.
        let oldestWaiting: Moment?
        let newestProcessed: Moment?
    }

    /// True for the entries of the backlog: waiting for Heroku Connect, in the live log.
    ///
    /// An archived entry an operator set to REQUEUE (as Heroku's documentation describes)
    /// is a request to Connect, which copies it back into the live log as NEW on its next
    /// poll, and only then waits in the backlog: a connection's archive has no index that
    /// leads to it, so counting it would make every check read the whole archive.
    public static func isWaiting(_ state: TriggerLogState?, in location: TriggerLogLocation) -> Bool {
        guard location == .live, let state else { return false }
        return state == .new || state == .pending || state == .requeue
    }

    /// True for the states ``Counting/actionable`` reads: FAILED in either table, and the
    /// live log's NEW, PENDING and REQUEUE.
    public static func isActionable(_ state: TriggerLogState?, in location: TriggerLogLocation) -> Bool {
        actionableStates(in: location).contains { $0 == state }
    }

    /// The states of ``isActionable(_:in:)`` in one log table.
    public static func actionableStates(in location: TriggerLogLocation) -> [TriggerLogState] {
        location == .live ? [.new, .pending, .requeue, .failed] : [.failed]
    }

    /// The server's `now()` when the figures were taken.
    public let measuredAt: PostgresTimestamp
    /// What was counted.
    public let counting: Counting
    /// The log tables whose counts of finished states are estimates.
    public let estimated: Set<TriggerLogLocation>
    /// The mapped tables asked for (all of them by default), in the schema's order, then
    /// the tables with entries that are not mapped, by name, and entries without a table last.
    public let tables: [Table]
    /// The figures of all entries counted.
    public let totals: Figures

    /// Builds the statistics from groups of entries.
    init(
        measuredAt: PostgresTimestamp, mappedTables: [MappedTable], groups: [Group], counting: Counting = .exact,
        estimated: Set<TriggerLogLocation> = []
    ) {
        var tables = mappedTables.map { Table(name: $0.name, mapped: $0) }
        var totals = Figures()
        totals.estimated = estimated
        var unmapped: [String?: Table] = [:]
        for index in tables.indices { tables[index].figures.estimated = estimated }
        // counts first, so that the newest processed time of an unmapped table finds the
        // table its counts made; a table seen only among the newest entries has no counts
        // and adds nothing but to the totals
        for group in groups.filter({ $0.count != nil }) + groups.filter({ $0.count == nil }) {
            totals.add(group)
            if let index = tables.firstIndex(where: { $0.name == group.tableName }) {
                tables[index].figures.add(group)
            } else if group.count != nil || unmapped[group.tableName] != nil {
                var table = unmapped[group.tableName] ?? Table(name: group.tableName, mapped: nil)
                table.figures.estimated = estimated
                table.figures.add(group)
                unmapped[group.tableName] = table
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
        self.counting = counting
        self.estimated = estimated
        self.tables = tables + sorted
        self.totals = totals
    }
}
