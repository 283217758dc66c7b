@testable import HerokuConnect
import Postgres
import TestSupport
import Testing

extension IntegrationSuites {
    /// `TriggerLogStore.failureTrend(by:over:matching:)` against the emulation: what counts as
    /// a failure, which bucket it lands in, the filters, and empty buckets.
    @Suite(.tags(.database)) struct FailureTrendTests {
        /// Writes an entry whose times are given relative to the start of the server's current
        /// hour (or day, with `unit: "day"`): `created`, `updated` and `processed` in minutes from
        /// it (negative: before), nil for NULL.
        @discardableResult
        static func entry(
            _ schema: ConnectTestSchema, archived: Bool = false, state: String = "FAILED", table: String? = "account",
            message: String? = "UNABLE_TO_LOCK_ROW: unable to obtain exclusive access to this record",
            created: Int?, updated: Int? = nil, processed: Int? = nil, unit: String = "hour"
        ) throws -> Int {
            let id = try schema.insertEntry(archived: archived, state: state, table: table, message: message)
            func time(_ minutes: Int?) -> String {
                minutes.map { "date_trunc('\(unit)', now()) + interval '\($0) minutes'" } ?? "NULL"
            }
            let target = archived ? "_trigger_log_archive" : "_trigger_log"
            try schema.connection.execute(
                "UPDATE \(schema.quoted).\(target) SET created_at = \(time(created)), updated_at = \(time(updated)),"
                    + " processed_at = \(time(processed)) WHERE id = $1", [.int(id)])
            return id
        }

        /// Runs `body` until the server's hour (or day) is the same before and after it, so that
        /// times written relative to the current bucket are read against the same one.
        static func withinOneBucket<T>(_ schema: ConnectTestSchema, unit: String = "hour", _ body: () throws -> T) throws -> T {
            func current() throws -> String? {
                try schema.connection.query("SELECT date_trunc($1::text, now())::text", [.text(unit)])[0].string(0)
            }
            while true {
                let before = try current()
                let result = try body()
                if try current() == before { return result }
            }
        }

        /// The bucket index, in a window of `count` buckets, of `offset` buckets before the current.
        static func index(_ offset: Int, of count: Int) -> Int { count - 1 - offset }

        @Test func failuresCountInTheHourTheyFailedAndEveryHourIsThere() throws {
            try TestDatabase.withConnectSchema { schema in
                let trend = try Self.withinOneBucket(schema) { () throws -> FailureTrend in
                    try schema.execute("TRUNCATE _trigger_log, _trigger_log_archive")
                    // created 5 hours ago, failed 3 hours ago: counts 3 hours ago
                    try Self.entry(schema, created: -5 * 60 + 10, processed: -3 * 60 + 10)
                    // ignored later: counts when it failed (updated_at when Connect left no processed_at)
                    try Self.entry(schema, archived: true, state: "IGNORED", table: "contact", created: -2 * 60 + 5, updated: -60 + 5)
                    // retried: an archived REQUEUED entry failed too
                    try Self.entry(schema, archived: true, state: "REQUEUED", created: 1, processed: 2)
                    try Self.entry(schema, archived: true, state: "REQUEUE", table: "contact", created: 3, processed: 4)
                    // no processed_at nor updated_at: its creation
                    try Self.entry(schema, created: -10 * 60 + 1)
                    // processed "before" it was created (a clock gone wrong): its creation
                    try Self.entry(schema, table: "contact", created: -7 * 60 + 30, processed: -9 * 60)
                    // the first hour of the window
                    try Self.entry(schema, table: nil, created: -23 * 60 + 1, processed: -23 * 60 + 2)
                    // not failures
                    try Self.entry(schema, state: "SUCCESS", created: -60, processed: -59)
                    try Self.entry(schema, archived: true, state: "SUCCESS", created: -60, processed: -59)
                    try Self.entry(schema, state: "NEW", created: -30)
                    try Self.entry(schema, archived: true, state: "MERGED", created: -30, processed: -29)
                    // created before the window: not read, though it failed inside it
                    try Self.entry(schema, archived: true, created: -24 * 60 - 1, processed: -60)
                    let store = try TriggerLogStore(connection: schema.connection, schemaName: schema.name)
                    return try store.failureTrend(by: .hour, over: .last(24))
                }
                #expect(trend.starts.count == 24)
                #expect(trend.total.counts.count == 24)
                for (earlier, later) in zip(trend.starts, trend.starts.dropFirst()) {
                    #expect(later.microsecondsSinceEpoch - earlier.microsecondsSinceEpoch == 3_600_000_000)
                }
                #expect(trend.starts.last! <= trend.measuredAt)
                #expect(trend.measuredAt.microsecondsSinceEpoch - trend.starts.last!.microsecondsSinceEpoch < 3_600_000_000)

                var expected = Array(repeating: 0, count: 24)
                for (offset, failures) in [(3, 1), (1, 1), (0, 2), (10, 1), (7, 1), (23, 1)] {
                    expected[Self.index(offset, of: 24)] += failures
                }
                #expect(trend.total.counts == expected)
                #expect(trend.total.total == 7)
                #expect(trend.total.peak == 2)
                #expect(trend.tables.map(\.table) == ["account", "contact", nil])
                #expect(trend.series(of: "account")?.total == 3)
                #expect(trend.series(of: "contact")?.counts[Self.index(7, of: 24)] == 1)
                #expect(trend.series(of: "contact")?.counts[Self.index(0, of: 24)] == 1)
                #expect(trend.series(of: nil)?.counts[0] == 1)
                // the series add up to the total, bucket by bucket
                for index in 0..<24 {
                    #expect(trend.tables.reduce(0) { $0 + $1.counts[index] } == trend.total.counts[index])
                }
            }
        }

        @Test func filtersChooseTheFailuresAndNamedTablesAlwaysHaveASeries() throws {
            try TestDatabase.withConnectSchema { schema in
                let (byTable, live, byCode, named) = try Self.withinOneBucket(schema) {
                    try schema.execute("TRUNCATE _trigger_log, _trigger_log_archive")
                    try Self.entry(schema, created: -50, processed: -49)
                    try Self.entry(schema, archived: true, created: -50, processed: -49)
                    try Self.entry(
                        schema, archived: true, table: "contact", message: "DUPLICATE_VALUE: duplicate value found",
                        created: 1, processed: 2)
                    let store = try TriggerLogStore(connection: schema.connection, schemaName: schema.name)
                    return (
                        try store.failureTrend(by: .hour, over: .last(3), matching: TriggerLogQuery().tables(["account"])),
                        try store.failureTrend(by: .hour, over: .last(3), matching: TriggerLogQuery().source(.live)),
                        try store.failureTrend(by: .hour, over: .last(3), matching: TriggerLogQuery().codes(["DUPLICATE_VALUE"])),
                        try store.failureTrend(by: .hour, over: .last(3), matching: TriggerLogQuery().tables(["opportunity"]))
                    )
                }
                #expect(byTable.total.counts == [0, 2, 0])
                #expect(byTable.tables.map(\.table) == ["account"])
                #expect(live.total.counts == [0, 1, 0])
                #expect(byCode.total.counts == [0, 0, 1])
                #expect(byCode.tables.map(\.table) == ["contact"])
                // a table named with no failures: a series of zeros, for a chart with nothing in it
                #expect(named.total.counts == [0, 0, 0])
                #expect(named.tables == [FailureTrend.Series(table: "opportunity", counts: [0, 0, 0])])
            }
        }

        @Test func theRetainedViewByDayStartsAtTheOldestFailure() throws {
            try TestDatabase.withConnectSchema { schema in
                let (retained, week, empty) = try Self.withinOneBucket(schema, unit: "day") {
                    try schema.execute("TRUNCATE _trigger_log, _trigger_log_archive")
                    let day = 24 * 60
                    try Self.entry(schema, archived: true, state: "IGNORED", created: -10 * day + 60, processed: -10 * day + 61, unit: "day")
                    try Self.entry(schema, archived: true, created: -3 * day + 60, processed: -3 * day + 61, unit: "day")
                    try Self.entry(schema, archived: true, created: -3 * day + 90, processed: -3 * day + 91, unit: "day")
                    try Self.entry(schema, created: 1, unit: "day")
                    let store = try TriggerLogStore(connection: schema.connection, schemaName: schema.name)
                    let retained = try store.failureTrend(by: .day, over: .retained)
                    let week = try store.failureTrend(by: .day, over: .last(7))
                    try schema.execute("TRUNCATE _trigger_log, _trigger_log_archive")
                    return (retained, week, try store.failureTrend(by: .day, over: .retained))
                }
                #expect(retained.starts.count == 11)
                #expect(retained.total.counts == [1, 0, 0, 0, 0, 0, 0, 2, 0, 0, 1])
                #expect(week.total.counts == [0, 0, 0, 2, 0, 0, 1])
                // nothing failed: the current day alone, with 0
                #expect(empty.starts.count == 1)
                #expect(empty.total.counts == [0])
                #expect(empty.tables.isEmpty)
            }
        }
    }
}

/// Windows given as durations, in whole buckets.
@Suite(.tags(.unit)) struct FailureTrendWindowTests {
    @Test func windowsAreWholeBuckets() {
        #expect(FailureTrend.Window.covering(seconds: 86_400, by: .hour) == .last(24))
        #expect(FailureTrend.Window.covering(seconds: 90 * 60, by: .hour) == .last(2))
        #expect(FailureTrend.Window.covering(seconds: 30, by: .day) == .last(1))
        #expect(FailureTrend.Window.covering(seconds: 7 * 86_400, by: .day) == .last(7))
    }
}

extension IntegrationSuites {
    /// What the hourly window reads: the same buffers however large the archive outside it.
    @Suite(.tags(.database)) struct FailureTrendCostTests {
        /// The buffers (hit or read) and the sequential scans of the archive of one run of the
        /// statement, from `EXPLAIN (ANALYZE, BUFFERS)`.
        static func cost(_ store: TriggerLogStore, _ statement: SQLStatement) throws -> (buffers: Int, plan: String) {
            let rows = try store.connection.query(
                "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + statement.sql, statement.parameters)
            let plan = rows.compactMap { $0.string(0) }.joined()
            func total(_ key: String) throws -> Int {
                try store.connection.query("SELECT (($1::json)->0->'Plan'->>$2)::int", [.text(plan), .text(key)])[0].int(0) ?? 0
            }
            return (try total("Shared Hit Blocks") + total("Shared Read Blocks"), plan)
        }

        @Test(.timeLimit(.minutes(3))) func theHourlyWindowDoesNotGrowWithTheArchive() throws {
            try TestDatabase.withConnectSchema { schema in
                // a log of the last days above id 300,000 (a placeholder entry moves generate_log's
                // ids up), then ten times as many archived entries before it, below
                let archive = schema.quoted + "._trigger_log_archive"
                try schema.connection.execute("INSERT INTO \(archive) (id) VALUES (300000)")
                try schema.connection.execute("SELECT hcemu.generate_log($1, 10000, 1000, 0.1)", [.text(schema.name)])
                try schema.connection.execute("DELETE FROM \(archive) WHERE id = 300000")
                let store = try TriggerLogStore(connection: schema.connection, schemaName: schema.name)
                let hourly = store.failureTrendStatement(by: .hour, over: .last(24), matching: TriggerLogQuery())
                let retained = store.failureTrendStatement(by: .day, over: .retained, matching: TriggerLogQuery())
                func pages() throws -> Int {
                    try schema.connection.query(
                        "SELECT pg_relation_size(to_regclass($1)) / current_setting('block_size')::int",
                        [.text(archive)])[0].int(0) ?? 0
                }
                _ = try Self.cost(store, hourly)  // warm
                let small = try Self.cost(store, hourly)
                let smallRetained = try Self.cost(store, retained)
                let smallPages = try pages()
                let failuresBefore = try store.failureTrend(by: .hour, over: .last(24)).total.counts

                try schema.connection.execute("SELECT hcemu.grow_archive($1, 100000, false)", [.text(schema.name)])
                try schema.connection.execute("VACUUM ANALYZE \(archive)")
                #expect(try pages() > 5 * smallPages)
                _ = try Self.cost(store, hourly)
                let large = try Self.cost(store, hourly)
                let largeRetained = try Self.cost(store, retained)

                #expect(try store.failureTrend(by: .hour, over: .last(24)).total.counts == failuresBefore)
                #expect(!large.plan.contains("\"Seq Scan\""), "\(large.plan)")
                // a deeper index may cost a page per descent, nothing more
                #expect(large.buffers <= small.buffers + 4, "\(small.buffers) → \(large.buffers) buffers")
                // the measure can fail: the retained view reads the archive, and grows with it
                #expect(largeRetained.buffers > smallRetained.buffers + (try pages() - smallPages) / 2)
            }
        }
    }
}
