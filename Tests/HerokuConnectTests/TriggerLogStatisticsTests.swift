@testable import HerokuConnect
import Postgres
import TestSupport
import Testing

/// `TriggerLogStore.statistics(tables:)` against the emulation.
@Suite struct TriggerLogStatisticsTests {
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
}
