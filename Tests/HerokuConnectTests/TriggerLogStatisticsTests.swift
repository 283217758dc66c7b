@testable import HerokuConnect
import Postgres
import TestSupport
import Testing

extension IntegrationSuites {
    /// `TriggerLogStore.statistics(tables:)` against the emulation.
    @Suite(.tags(.database)) struct TriggerLogStatisticsTests {
        /// A log with failures live and archived, a backlog on three tables, entries of an
        /// unmapped table and an entry without table or state.
        struct Fixture {
            init(_ schema: ConnectTestSchema) throws {
                try schema.insertEntry(state: "FAILED", table: "account", createdAgo: "2 hours")
                try schema.insertEntry(archived: true, state: "FAILED", table: "account", createdAgo: "3 days")
                try schema.insertEntry(archived: true, state: "FAILED", table: "contact", createdAgo: "1 day")
                try schema.insertEntry(state: "NEW", table: "account", createdAgo: "40 minutes", processed: false)
                try schema.insertEntry(state: "PENDING", table: "contact", createdAgo: "10 minutes", processed: false)
                try schema.insertEntry(state: "NEW", table: "opportunity", createdAgo: "5 minutes", processed: false)
                try schema.insertEntry(state: "NEW", table: "opportunity", createdAgo: "1 minute", processed: false)
                // Processed 5 seconds after creation: the newest processed_at of the log.
                try schema.insertEntry(archived: true, state: "SUCCESS", table: "account", createdAgo: "1 hour")
                // An archived NEW entry is not waiting for Connect: not backlog.
                try schema.insertEntry(archived: true, state: "NEW", table: "contact", createdAgo: "4 hours", processed: false)
                try schema.insertEntry(state: "FAILED", table: "legacy__c", createdAgo: "30 minutes")
                try schema.insertEntry(archived: true, state: nil, table: nil, createdAgo: "2 days", processed: false)
            }
        }

        /// True when a server-measured age is `expected` seconds, give or take the time the test takes.
        func isAbout(_ age: Double?, _ expected: Double) -> Bool {
            guard let age else { return false }
            return age >= expected && age < expected + 60
        }

        @Test func countsAndAgesPerTableAndInTotal() throws {
            try TestDatabase.withConnectSchema { schema in
                _ = try Fixture(schema)
                let store = try TriggerLogStore(connection: schema.connection, schemaName: schema.name)
                let statistics = try store.statistics()
                let totals = statistics.totals
                #expect(totals.failed == 4)
                #expect(isAbout(totals.failedOldest?.ageSeconds, 3 * 86_400))
                #expect(totals.backlog == 4)
                #expect(isAbout(totals.backlogOldest?.ageSeconds, 40 * 60))
                // The legacy__c failure, created 30 minutes ago, was processed 5 seconds later.
                #expect(isAbout(totals.lastProcessed?.ageSeconds, 30 * 60 - 5))
                #expect(totals.count(of: .failed, in: .live) == 2)
                #expect(totals.count(of: .failed, in: .archive) == 2)
                #expect(totals.count(of: .new, in: .archive) == 1)
                #expect(totals.count(of: nil, in: .archive) == 1)
                #expect(totals.total(in: .live) == 6)
                #expect(totals.total(in: .archive) == 5)
                #expect(totals.states == [.new, .pending, .success, .failed, nil])

                #expect(statistics.tables.map(\.name) == ["account", "contact", "opportunity", "user", "legacy__c", nil])
                #expect(statistics.tables.map { $0.mapped?.isReadOnly } == [false, false, false, true, nil, nil])
                let byName = Dictionary(uniqueKeysWithValues: statistics.tables.map { ($0.name ?? "-", $0.figures) })
                let account = try #require(byName["account"])
                #expect(account.failed == 2)
                #expect(isAbout(account.failedOldest?.ageSeconds, 3 * 86_400))
                #expect(account.backlog == 1)
                #expect(isAbout(account.backlogOldest?.ageSeconds, 40 * 60))
                #expect(isAbout(account.lastProcessed?.ageSeconds, 3600 - 5))
                let contact = try #require(byName["contact"])
                #expect(contact.failed == 1)
                #expect(isAbout(contact.failedOldest?.ageSeconds, 86_400))
                #expect(contact.backlog == 1)
                #expect(isAbout(contact.backlogOldest?.ageSeconds, 10 * 60))
                #expect(isAbout(contact.lastProcessed?.ageSeconds, 86_400 - 5))
                let opportunity = try #require(byName["opportunity"])
                #expect(opportunity.backlog == 2)
                #expect(isAbout(opportunity.backlogOldest?.ageSeconds, 5 * 60))
                #expect(opportunity.failedOldest == nil)
                #expect(opportunity.lastProcessed == nil)
                let user = try #require(byName["user"])
                #expect(user == TriggerLogStatistics.Figures())
                let legacy = try #require(byName["legacy__c"])
                #expect(legacy.failed == 1)
                #expect(isAbout(legacy.failedOldest?.ageSeconds, 30 * 60))
                #expect(byName["-"]?.counts == [StateCount(tableName: nil, location: .archive, state: nil, count: 1)])
            }
        }

        @Test func agesAreMeasuredAgainstTheServersNow() throws {
            try TestDatabase.withConnectSchema { schema in
                try schema.insertEntry(state: "NEW", createdAgo: "2 hours", processed: false)
                let store = try TriggerLogStore(connection: schema.connection, schemaName: schema.name)
                let statistics = try store.statistics()
                let oldest = try #require(statistics.totals.backlogOldest)
                // The age is exactly the distance between the stored time and the measuring time.
                let distance = Double(statistics.measuredAt.microsecondsSinceEpoch - oldest.time.microsecondsSinceEpoch) / 1e6
                #expect(abs(try #require(oldest.ageSeconds) - distance) < 0.001)
                #expect(isAbout(oldest.ageSeconds, 7200))
            }
        }

        @Test func anEmptyLogHasCountsOfZeroAndNoAges() throws {
            try TestDatabase.withConnectSchema { schema in
                let store = try TriggerLogStore(connection: schema.connection, schemaName: schema.name)
                let statistics = try store.statistics()
                #expect(statistics.totals == TriggerLogStatistics.Figures())
                #expect(statistics.totals.failedOldest == nil)
                #expect(statistics.totals.backlogOldest == nil)
                #expect(statistics.totals.lastProcessed == nil)
                #expect(statistics.tables.map(\.name) == ["account", "contact", "opportunity", "user"])
                #expect(statistics.tables.allSatisfy { $0.figures == TriggerLogStatistics.Figures() })
                #expect(try store.stateCounts().isEmpty)
            }
        }

        @Test func figuresCanBeRestrictedToMappedTables() throws {
            try TestDatabase.withConnectSchema { schema in
                _ = try Fixture(schema)
                let store = try TriggerLogStore(connection: schema.connection, schemaName: schema.name)
                let statistics = try store.statistics(tables: ["Contact", "account", "contact"])
                #expect(statistics.tables.map(\.name) == ["account", "contact"])
                #expect(statistics.totals.failed == 3)
                #expect(statistics.totals.backlog == 2)
                #expect(isAbout(statistics.totals.backlogOldest?.ageSeconds, 40 * 60))
                #expect(statistics.totals.total(in: .live) == 3)
                #expect(statistics.totals.total(in: .archive) == 4)
                let user = try store.statistics(tables: ["user"])
                #expect(user.tables.map(\.name) == ["user"])
                #expect(user.totals == TriggerLogStatistics.Figures())
                #expect(throws: HerokuConnectError.tableNotFound(table: "acount", schema: schema.name, suggestions: ["account"])) {
                    try store.statistics(tables: ["acount"])
                }
                // a table that is not mapped (any more) but has entries is a table too
                let legacy = try store.statistics(tables: ["legacy__c"])
                #expect(legacy.tables.map(\.name) == ["legacy__c"])
                #expect(legacy.tables.first?.mapped == nil)
                #expect(legacy.totals.failed == 1)
            }
        }

        @Test func infiniteTimesHaveNoAgeAndDoNotFailTheStatement() throws {
            try TestDatabase.withConnectSchema { schema in
                let failed = try schema.insertEntry(state: "FAILED", createdAgo: "1 hour")
                let waiting = try schema.insertEntry(state: "NEW", createdAgo: "1 hour", processed: false)
                try schema.execute("UPDATE _trigger_log SET created_at = '-infinity' WHERE id = $1", [.int(failed)])
                try schema.execute("UPDATE _trigger_log SET created_at = 'infinity', processed_at = 'infinity' WHERE id = $1", [.int(waiting)])
                let store = try TriggerLogStore(connection: schema.connection, schemaName: schema.name)
                let totals = try store.statistics().totals
                #expect(totals.failedOldest?.time.value == .negativeInfinity)
                #expect(totals.failedOldest?.ageSeconds == nil)
                #expect(totals.backlogOldest?.time.value == .infinity)
                #expect(totals.backlogOldest?.ageSeconds == nil)
                #expect(totals.lastProcessed?.time.value == .infinity)
                #expect(totals.lastProcessed?.ageSeconds == nil)
                #expect(totals.failed == 1)
                #expect(totals.backlog == 1)
            }
        }

        @Test func entriesWithoutCreationTimeCountButHaveNoAge() throws {
            try TestDatabase.withConnectSchema { schema in
                let id = try schema.insertEntry(state: "PENDING", createdAgo: "1 hour", processed: false)
                try schema.execute("UPDATE _trigger_log SET created_at = NULL, updated_at = NULL WHERE id = $1", [.int(id)])
                let store = try TriggerLogStore(connection: schema.connection, schemaName: schema.name)
                let totals = try store.statistics().totals
                #expect(totals.backlog == 1)
                #expect(totals.backlogOldest == nil)
                // with only updated_at known, the entry waits since then
                try schema.execute("UPDATE _trigger_log SET updated_at = now() - interval '2 hours' WHERE id = $1", [.int(id)])
                let waiting = try store.statistics().totals.backlogOldest?.ageSeconds
                #expect(waiting.map { $0 >= 7200 && $0 < 7300 } == true, "\(String(describing: waiting))")
            }
        }

        @Test func stateCountsAreTheStatisticsCountsInTableLocationStateOrder() throws {
            try TestDatabase.withConnectSchema { schema in
                _ = try Fixture(schema)
                let store = try TriggerLogStore(connection: schema.connection, schemaName: schema.name)
                let counts = try store.stateCounts()
                #expect(counts == (try store.statistics().totals.counts))
                #expect(counts.map { "\($0.tableName ?? "-") \($0.location) \($0.state?.rawValue ?? "NULL") \($0.count)" } == [
                    "account live FAILED 1", "account live NEW 1", "account archive FAILED 1", "account archive SUCCESS 1",
                    "contact live PENDING 1", "contact archive FAILED 1", "contact archive NEW 1",
                    "legacy__c live FAILED 1", "opportunity live NEW 2", "- archive NULL 1",
                ])
            }
        }

        // MARK: - What each way of counting reads

        /// The figures an operator acts on, compared field by field.
        func expectSameActionableFigures(
            _ actual: TriggerLogStatistics.Figures, _ expected: TriggerLogStatistics.Figures,
            sourceLocation: SourceLocation = #_sourceLocation
        ) {
            #expect(actual.failed == expected.failed, sourceLocation: sourceLocation)
            // the times; their ages are measured against each statement's now()
            #expect(actual.failedOldest?.time == expected.failedOldest?.time, sourceLocation: sourceLocation)
            #expect(actual.backlog == expected.backlog, sourceLocation: sourceLocation)
            #expect(actual.backlogOldest?.time == expected.backlogOldest?.time, sourceLocation: sourceLocation)
            for location in TriggerLogLocation.allCases {
                for state in TriggerLogStatistics.actionableStates(in: location) {
                    #expect(
                        actual.count(of: state, in: location) == expected.count(of: state, in: location),
                        "\(state.rawValue) in \(location)", sourceLocation: sourceLocation)
                }
            }
        }

        @Test func actionableCountingReadsTheFailuresTheBacklogAndTheNewestEntriesOnly() throws {
            try TestDatabase.withConnectSchema { schema in
                _ = try Fixture(schema)
                // REQUEUE waits in the live log; in the archive it is a request Connect has not
                // taken up yet, which no index leads to: not backlog
                try schema.insertEntry(state: "REQUEUE", table: "contact", createdAgo: "3 hours", processed: false)
                try schema.insertEntry(archived: true, state: "REQUEUE", table: "account", createdAgo: "5 hours", processed: false)
                let store = try TriggerLogStore(connection: schema.connection, schemaName: schema.name)
                let exact = try store.statistics(counting: .exact)
                #expect(exact.totals.backlog == 5)
                #expect(isAbout(exact.totals.backlogOldest?.ageSeconds, 3 * 3600))
                #expect(exact.totals.count(of: .requeue, in: .archive) == 1)

                let actionable = try store.statistics(counting: .actionable)
                #expect(actionable.counting == .actionable)
                #expect(actionable.estimated.isEmpty)
                expectSameActionableFigures(actionable.totals, exact.totals)
                // every entry of this log is among the newest, so the last processing is the same
                #expect(actionable.totals.lastProcessed?.time == exact.totals.lastProcessed?.time)
                #expect(actionable.totals.counts.allSatisfy { TriggerLogStatistics.isActionable($0.state, in: $0.location) })
                #expect(actionable.totals.counts.allSatisfy { !$0.isEstimate })
                #expect(actionable.tables.map(\.name) == ["account", "contact", "opportunity", "user", "legacy__c"])
                for (table, expected) in zip(actionable.tables, exact.tables) {
                    expectSameActionableFigures(table.figures, expected.figures)
                    #expect(table.figures.lastProcessed?.time == expected.figures.lastProcessed?.time, "\(table.name ?? "-")")
                }
                let restricted = try store.statistics(tables: ["contact"], counting: .actionable)
                #expect(restricted.tables.map(\.name) == ["contact"])
                #expect(restricted.totals.failed == 1 && restricted.totals.backlog == 2)
                #expect(isAbout(restricted.totals.lastProcessed?.ageSeconds, 86_400 - 5))
            }
        }

        @Test func theLastProcessingComesFromTheNewestEntriesOfEachTable() throws {
            try TestDatabase.withConnectSchema { schema in
                // an entry processed long after the 1,000 newer ones were created is not seen:
                // the bound is what keeps the figure's cost flat
                try schema.insertEntry(archived: true, state: "SUCCESS", table: "contact", createdAgo: "5 days")
                try schema.execute(
                    "UPDATE _trigger_log_archive SET processed_at = now() - interval '1 minute'")
                try schema.execute("""
                    INSERT INTO _trigger_log_archive (id, created_at, processed_at, state, action, table_name, record_id)
                    SELECT 1000 + i, now() - interval '1 day' + i * interval '1 second', now() - interval '2 hours',
                           'SUCCESS', 'UPDATE', 'account', 1
                    FROM generate_series(1, \(TriggerLogStatistics.Counting.newestEntries)) AS i
                    """)
                let store = try TriggerLogStore(connection: schema.connection, schemaName: schema.name)
                #expect(isAbout(try store.statistics(counting: .exact).totals.lastProcessed?.ageSeconds, 60))
                let actionable = try store.statistics(counting: .actionable)
                #expect(isAbout(actionable.totals.lastProcessed?.ageSeconds, 7200))
                #expect(actionable.tables.first { $0.name == "contact" }?.figures.lastProcessed == nil)
            }
        }

        @Test func largeLogTablesGetEstimatesOfTheFinishedStatesAndExactFailures() throws {
            try TestDatabase.withConnectSchema { schema in
                try schema.connection.execute("SELECT hcemu.generate_log($1, 30000, 6000, 0.1)", [.text(schema.name)])
                let store = try TriggerLogStore(connection: schema.connection, schemaName: schema.name)
                let exact = try store.statistics(counting: .exact)
                #expect(exact.estimated.isEmpty)

                // below the threshold: every entry counted, as with .exact
                let below = try store.statistics(counting: .estimatingAbove(1_000_000))
                #expect(below.estimated.isEmpty)
                #expect(below.totals.counts == exact.totals.counts)

                // the archive (30,000) above it, the live log (6,000) not
                let archiveOnly = try store.statistics(counting: .estimatingAbove(10_000))
                #expect(archiveOnly.estimated == [.archive])
                #expect(archiveOnly.totals.counts.filter { $0.location == .live } == exact.totals.counts.filter { $0.location == .live })

                let estimated = try store.statistics(counting: .estimatingAbove(1_000))
                #expect(estimated.estimated == [.live, .archive])
                #expect(estimated.totals.estimated == [.live, .archive])
                expectSameActionableFigures(estimated.totals, exact.totals)
                for table in estimated.tables {
                    let expected = try #require(exact.tables.first { $0.name == table.name })
                    expectSameActionableFigures(table.figures, expected.figures)
                }
                for count in estimated.totals.counts {
                    #expect(count.isEstimate == !TriggerLogStatistics.isActionable(count.state, in: count.location))
                }
                // large groups are estimated within a quarter, the tables' sizes within a tenth
                for expected in exact.totals.counts where expected.count >= 2_000 && !TriggerLogStatistics.isActionable(expected.state, in: expected.location) {
                    let estimate = estimated.totals.counts.first {
                        $0.tableName == expected.tableName && $0.location == expected.location && $0.state == expected.state
                    }
                    let value = Double(try #require(estimate).count)
                    #expect(abs(value - Double(expected.count)) <= 0.25 * Double(expected.count), "\(expected) ~ \(value)")
                }
                for location in TriggerLogLocation.allCases {
                    let total = Double(exact.totals.total(in: location))
                    #expect(abs(Double(estimated.totals.total(in: location)) - total) <= 0.1 * total, "\(location)")
                }
                // a repeatable sample: the same figures twice
                #expect(try store.statistics(counting: .estimatingAbove(1_000)).totals.counts == estimated.totals.counts)
            }
        }

        @Test func aLogTableNeverAnalysedIsCounted() throws {
            try TestDatabase.withConnectSchema { schema in
                _ = try Fixture(schema)
                let store = try TriggerLogStore(connection: schema.connection, schemaName: schema.name)
                // the planner knows nothing of the tables' sizes yet (reltuples -1)
                let statistics = try store.statistics(counting: .estimatingAbove(0))
                #expect(statistics.estimated.isEmpty)
                #expect(statistics.totals.counts == (try store.statistics(counting: .exact)).totals.counts)
            }
        }
    }
}
