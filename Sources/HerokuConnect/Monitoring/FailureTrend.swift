import Postgres

/// Failures per hour or per day, in total and per table: what a chart of failures draws.
///
/// A *failure* is an entry whose write to Salesforce failed: one still FAILED, and one that
/// failed and was then dealt with — IGNORED (silenced), REQUEUE or REQUEUED (retried) —
/// the states ``TriggerLogEntry/attempts`` counts as failures of a change
/// (``failureStates``). Each is counted once, in the bucket of the time it failed: its
/// `processed_at` (when Connect gave up on it), else `updated_at`, else `created_at`, and
/// never before its `created_at`.
///
/// Buckets are aligned by the server (`date_trunc`) in the session's time zone, the zone
/// every time hcconnect prints is written in, and end with the current, partial, bucket.
/// Every bucket of the window is present, with 0 when nothing failed in it, so that a
/// chart shows the gaps.
///
/// Loaded by ``TriggerLogStore/failureTrend(by:over:matching:)``.
public struct FailureTrend: Sendable, Equatable {
    /// The length of a bucket.
    public enum Bucket: String, Sendable, CaseIterable {
        case hour, day

        /// The unit `date_trunc` aligns to.
        var unit: String { rawValue }
        /// The step from one bucket to the next, as an interval (a day is a calendar day:
        /// 23 or 25 hours across a change of daylight saving time).
        var step: String { "1 \(rawValue)" }
        /// Its nominal length in seconds.
        public var seconds: Int { self == .hour ? 3_600 : 86_400 }
    }

    /// Which entries a trend reads.
    public enum Window: Sendable, Equatable {
        /// The last `n` buckets, the current one included: the entries *created* since the
        /// first bucket began, read through each log table's `(created_at)` index, so the
        /// cost follows the entries of the window, never the size of the archive outside it.
        /// An entry created before the window that failed inside it is not counted (Connect
        /// processes an entry seconds to minutes after its capture).
        case last(Int)
        /// Every failure the log holds, from the bucket of the oldest (at most
        /// ``FailureTrend/maximumBuckets`` buckets back). This reads every failure of the
        /// archive, IGNORED and REQUEUED included, which no index leads to: a pass over the
        /// archive, for a view asked for on demand.
        case retained

        /// The last buckets that cover `seconds` (at least one).
        public static func covering(seconds: Int, by bucket: Bucket) -> Window {
            .last(max(1, (seconds + bucket.seconds - 1) / bucket.seconds))
        }
    }

    /// The failures of one table (or of all of them) per bucket.
    public struct Series: Sendable, Equatable {
        /// The `table_name` of the entries; nil for entries without one, and for the total.
        public let table: String?
        /// The failures in each bucket, oldest bucket first (as ``FailureTrend/starts``).
        public let counts: [Int]

        public init(table: String?, counts: [Int]) {
            self.table = table
            self.counts = counts
        }

        /// All the failures of the series.
        public var total: Int { counts.reduce(0, +) }
        /// The most failures in one bucket (0 when there are none).
        public var peak: Int { counts.max() ?? 0 }
    }

    /// The states of the entries counted as failures: FAILED, and the states a failed
    /// entry leaves for when an operator retries or ignores it.
    public static let failureStates: [TriggerLogState] = [.failed, .requeue, .requeued, .ignored]

    /// The most buckets a trend holds: a window that asks for more is cut to the newest
    /// (about 14 months by hour, 27 years by day).
    public static let maximumBuckets = 10_000

    /// The length of each bucket.
    public let bucket: Bucket
    /// The start of each bucket, oldest first; the last one holds ``measuredAt``.
    public let starts: [PostgresTimestamp]
    /// The server's `now()` when the trend was taken.
    public let measuredAt: PostgresTimestamp
    /// The failures of all the tables per bucket.
    public let total: Series
    /// The failures per table: the tables with failures in the window and those the query
    /// named, by name, entries without a table last.
    public let tables: [Series]

    public init(
        bucket: Bucket, starts: [PostgresTimestamp], measuredAt: PostgresTimestamp, total: Series, tables: [Series]
    ) {
        self.bucket = bucket
        self.starts = starts
        self.measuredAt = measuredAt
        self.total = total
        self.tables = tables
    }

    /// The series of one table; nil when it had no failures and was not named.
    public func series(of table: String?) -> Series? {
        tables.first { $0.table == table }
    }
}

extension TriggerLogStore {
    /// Failures per bucket over a window, in total and per table (see ``FailureTrend``).
    ///
    /// One statement: each log table's failures in the window (for ``FailureTrend/Window/last(_:)``,
    /// `created_at >=` the first bucket's start, an index range), grouped per bucket and
    /// table and joined to the window's buckets so that empty ones are present. Times are
    /// the server's.
    ///
    /// - Parameters:
    ///   - bucket: Hours or days.
    ///   - window: The last buckets (cheap at any archive size), or the whole retained log.
    ///   - query: The filters: source (live, archive or both), tables, actions, message,
    ///     codes, record ids, sfids. Its states and time bounds are replaced by the trend's
    ///     (``FailureTrend/failureStates``, the window); its order and limit are ignored.
    /// - Throws: ``PostgresError``.
    public func failureTrend(
        by bucket: FailureTrend.Bucket, over window: FailureTrend.Window, matching query: TriggerLogQuery = TriggerLogQuery()
    ) throws -> FailureTrend {
        let statement = failureTrendStatement(by: bucket, over: window, matching: query)
        let rows = try connection.query(statement.sql, statement.parameters)
        let nowColumn = try rows.column("now")
        let startColumn = try rows.column("start")
        let tableColumn = try rows.column("table_name")
        let failuresColumn = try rows.column("failures")
        var starts: [PostgresTimestamp] = []
        var measuredAt: PostgresTimestamp?
        var totals: [Int] = []
        var perTable: [String?: [Int: Int]] = [:]
        for table in query.tables { perTable[table] = [:] }
        for row in rows {
            if measuredAt == nil { measuredAt = try row.timestamp(nowColumn) }
            guard let start = try row.timestamp(startColumn) else { continue }
            if starts.last != start {
                starts.append(start)
                totals.append(0)
            }
            let failures = try row.int(failuresColumn) ?? 0
            guard failures > 0 else { continue }
            totals[totals.count - 1] += failures
            perTable[row.string(tableColumn), default: [:]][starts.count - 1, default: 0] += failures
        }
        let tables = perTable.map { table, counts in
            FailureTrend.Series(table: table, counts: starts.indices.map { counts[$0] ?? 0 })
        }.sorted { left, right in
            switch (left.table, right.table) {
            case (let left?, let right?): left < right
            case (_?, nil): true
            default: false
            }
        }
        return FailureTrend(
            bucket: bucket, starts: starts, measuredAt: measuredAt ?? starts.last ?? PostgresTimestamp(microsecondsSinceEpoch: 0),
            total: FailureTrend.Series(table: nil, counts: totals), tables: tables)
    }

    /// The statement of ``failureTrend(by:over:matching:)``: per bucket of the window (every
    /// one, in order), the server's `now()`, the bucket's start, and the failures per
    /// `table_name` (one row with 0 and no table for a bucket without failures).
    func failureTrendStatement(
        by bucket: FailureTrend.Bucket, over window: FailureTrend.Window, matching query: TriggerLogQuery
    ) -> SQLStatement {
        var filters = query
        filters.states = FailureTrend.failureStates
        filters.createdSince = nil
        filters.createdUntil = nil
        var statement = SQLStatement()
        let unit = statement.bind(.text(bucket.unit)) + "::text"
        let step = statement.bind(.text(bucket.step)) + "::interval"
        let current = "date_trunc(\(unit), now())"
        var conditions = filters.condition(&statement)
        let first: String
        switch window {
        case .last(let count):
            let buckets = min(max(count, 1), FailureTrend.maximumBuckets)
            first = "(\(current) - \(statement.bind(.int(buckets - 1)))::int * \(step))"
            conditions += " AND created_at >= " + first
        case .retained:
            let earliest = "\(current) - \(statement.bind(.int(FailureTrend.maximumBuckets - 1)))::int * \(step)"
            // from the oldest failure's bucket, but no further back than the most buckets,
            // and never after the current one (a time in the future counts as now)
            first = "least(\(current), greatest(\(earliest), coalesce((SELECT date_trunc(\(unit), min(failed_at))"
                + " FROM failures WHERE isfinite(failed_at)), \(current))))"
        }
        let branches = filters.source.locations.map { location in
            "SELECT table_name, greatest(coalesce(processed_at, updated_at, created_at), created_at) AS failed_at"
                + " FROM \(location.qualifiedName(in: schemaName)) WHERE \(conditions)"
        }
        statement.append(
            """
            WITH failures AS (\(branches.joined(separator: " UNION ALL "))),
            bounds AS (SELECT \(first) AS first, \(current) AS last),
            buckets AS (SELECT generate_series(bounds.first, bounds.last, \(step)) AS start FROM bounds),
            counted AS (SELECT date_trunc(\(unit), least(failed_at, now())) AS start, table_name, count(*) AS failures
                        FROM failures GROUP BY 1, 2)
            SELECT now() AS now, buckets.start, counted.table_name, coalesce(counted.failures, 0) AS failures
            FROM buckets LEFT JOIN counted USING (start)
            ORDER BY buckets.start, counted.table_name
            """)
        return statement
    }
}
