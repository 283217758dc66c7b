@testable import HerokuConnect
import Postgres
import TestSupport
import Testing

extension IntegrationSuites {
    /// Grouping failures by cause, in memory and against the emulation.
    @Suite(.tags(.database)) struct FailureGroupsTests {
        /// A small log: lock errors on two tables (live and archived, one never processed),
        /// validation errors, a message without a code, a NULL message, and rows in other states.
        struct Fixture {
            let schema: ConnectTestSchema
            let store: TriggerLogStore
            var lockAccountOld = 0, lockAccountLive = 0, lockContact = 0, lockUnprocessed = 0
            var validationOld = 0, validationLive = 0, timeout = 0, noMessage = 0

            init(_ schema: ConnectTestSchema) throws {
                self.schema = schema
                store = try TriggerLogStore(connection: schema.connection, schemaName: schema.name)
                let lock = "UNABLE_TO_LOCK_ROW: unable to obtain exclusive access to this record or 1 records: "
                lockAccountOld = try schema.insertEntry(
                    archived: true, table: "account", recordID: 1, message: lock + "0015e00000AbCdEAAV", createdAgo: "5 days")
                validationOld = try schema.insertEntry(
                    archived: true, action: "INSERT", table: "account", recordID: 2,
                    message: "FIELD_CUSTOM_VALIDATION_EXCEPTION: Billing City is required:BillingCity --", createdAgo: "4 days")
                lockContact = try schema.insertEntry(
                    archived: true, table: "contact", recordID: 7, message: lock + "0035e00000XyZ12AAB", createdAgo: "3 days")
                try schema.insertEntry(archived: true, state: "IGNORED", table: "account", message: lock + "0015e00000AbCdEAAV",
                                       createdAgo: "3 days")
                try schema.insertEntry(state: "SUCCESS", table: "account", createdAgo: "2 days")
                timeout = try schema.insertEntry(table: "opportunity", message: "Failed to write: timeout after 120 seconds",
                                                 createdAgo: "2 days")
                lockAccountLive = try schema.insertEntry(
                    table: "account", recordID: 3, message: "UNABLE_TO_LOCK_ROW:unable to obtain exclusive access to this "
                        + "record or 2 records: 0015e00000AbCdEAAV,0015e00000XyZaBAAV:--", createdAgo: "1 day")
                validationLive = try schema.insertEntry(
                    table: "account", recordID: 2, message: "FIELD_CUSTOM_VALIDATION_EXCEPTION: Billing City is required",
                    createdAgo: "20 hours")
                noMessage = try schema.insertEntry(table: "contact", message: nil, createdAgo: "10 hours")
                // Not processed: seen when it was created, the newest of the lock errors.
                lockUnprocessed = try schema.insertEntry(
                    table: "account", recordID: 4, message: lock + "0015e00000AbCdF", createdAgo: "1 hour", processed: false)
            }

            /// `coalesce(processed_at, created_at)` of an entry.
            func seen(_ id: Int) throws -> PostgresTimestamp? {
                let rows = try schema.connection.query(
                    "SELECT coalesce(processed_at, created_at) FROM (SELECT * FROM \(schema.quoted)._trigger_log UNION ALL "
                        + "SELECT * FROM \(schema.quoted)._trigger_log_archive) l WHERE id = $1", [.int(id)])
                return try rows[0].timestamp(0)
            }
        }

        @Test func failuresAreGroupedByCauseAcrossLiveAndArchive() throws {
            try TestDatabase.withConnectSchema { schema in
                let f = try Fixture(schema)
                let result = try f.store.failureGroups(matching: .failed())
                let groups = result.groups
                #expect(result.entryCount == 8)
                #expect(groups.map(\.message.code) == ["UNABLE_TO_LOCK_ROW", "FIELD_CUSTOM_VALIDATION_EXCEPTION", nil, nil])
                #expect(groups.map(\.count) == [4, 2, 1, 1])

                let lock = groups[0]
                #expect(lock.message.maskedText == "unable to obtain exclusive access to this record or <n> records: <id>")
                #expect(lock.liveCount == 2)
                #expect(lock.archiveCount == 2)
                #expect(lock.tableCounts == [.init(table: "account", count: 3), .init(table: "contact", count: 1)])
                #expect(lock.exampleIDs == [f.lockUnprocessed, f.lockAccountLive, f.lockContact])
                #expect(lock.firstSeen == (try f.seen(f.lockAccountOld)))
                #expect(lock.lastSeen == (try f.seen(f.lockUnprocessed)))
                #expect(lock.exampleMessage?.hasSuffix("0015e00000AbCdF") == true)
                #expect(lock.table == nil)

                let validation = groups[1]
                #expect(validation.message.maskedText == "Billing City is required")
                #expect(validation.exampleIDs == [f.validationLive, f.validationOld])
                #expect(validation.exampleMessage == "FIELD_CUSTOM_VALIDATION_EXCEPTION: Billing City is required")
                #expect(validation.firstSeen == (try f.seen(f.validationOld)))

                // Ties in count: the one seen last first.
                #expect(groups[2].message.summary == "(no message)")
                #expect(groups[2].exampleIDs == [f.noMessage])
                #expect(groups[2].exampleMessage == nil)
                #expect(groups[3].message.maskedText == "Failed to write: timeout after <n> seconds")
                #expect(groups[3].tableCounts == [.init(table: "opportunity", count: 1)])
            }
        }

        @Test func groupsSplitByTableAndKeepAsManyExamplesAsAsked() throws {
            try TestDatabase.withConnectSchema { schema in
                let f = try Fixture(schema)
                let split = try f.store.failureGroups(matching: .failed(), examplesPerGroup: 1, splittingByTable: true).groups
                #expect(split.count == 5)
                // Ties in count: the one seen last first.
                #expect(split.map(\.table) == ["account", "account", "contact", "opportunity", "contact"])
                #expect(split.map(\.count) == [3, 2, 1, 1, 1])
                #expect(split[0].exampleIDs == [f.lockUnprocessed])
                #expect(split[2].exampleIDs == [f.noMessage])
                #expect(split[4].exampleIDs == [f.lockContact])
                #expect(split[4].message == split[0].message)
                #expect(split[4].tableCounts == [.init(table: "contact", count: 1)])

                let none = try f.store.failureGroups(matching: .failed(), examplesPerGroup: 0).groups
                #expect(none.allSatisfy { $0.exampleIDs.isEmpty })
                #expect(none[0].exampleMessage?.hasSuffix("0015e00000AbCdF") == true)
                let many = try f.store.failureGroups(matching: .failed(), examplesPerGroup: 50).groups
                #expect(many[0].exampleIDs == [f.lockUnprocessed, f.lockAccountLive, f.lockContact, f.lockAccountOld])
            }
        }

        @Test func theQuerysFiltersSelectTheEntries() throws {
            try TestDatabase.withConnectSchema { schema in
                let f = try Fixture(schema)
                func counts(_ query: TriggerLogQuery) throws -> [Int] {
                    try f.store.failureGroups(matching: query).groups.map(\.count)
                }
                #expect(try counts(.failed().tables(["contact"])) == [1, 1])
                #expect(try counts(.failed().source(.archive)) == [2, 1])
                #expect(try counts(.failed().source(.live)) == [2, 1, 1, 1])
                #expect(try counts(.failed().since(.ago(seconds: 30 * 3600))) == [2, 1, 1])
                #expect(try counts(.failed().until(.ago(seconds: 30 * 3600))) == [2, 1, 1])
                #expect(try counts(.failed().message(containing: "billing city")) == [2])
                #expect(try counts(.failed().actions([.insert])) == [1])
                #expect(try counts(.failed().recordIDs([2, 7])) == [2, 1])
                #expect(try counts(.failed().limit(1)) == [4, 2, 1, 1])  // a limit is not a filter here
                #expect(try counts(.failed().tables(["user"])) == [])
                // The query decides the states: IGNORED entries group the same way.
                #expect(try f.store.failureGroups(matching: TriggerLogQuery().states([.ignored])).groups.map(\.count) == [1])
            }
        }

        /// The generated log's failures: the emulation's eight messages, one with the record's
        /// name in it, make eight groups whose counts and times match SQL's.
        @Test func aGeneratedLogGroupsIntoItsEightCauses() throws {
            try TestDatabase.withConnectSchema { schema in
                try schema.connection.execute("SELECT hcemu.generate_log($1, 3000, 1000, 0.3)", [.text(schema.name)])
                let store = try TriggerLogStore(connection: schema.connection, schemaName: schema.name)
                let groups = try store.failureGroups(matching: .failed()).groups
                let expected = try schema.connection.query("""
                    SELECT split_part(sf_message, ':', 1), count(*), min(coalesce(processed_at, created_at)),
                           max(coalesce(processed_at, created_at)), count(DISTINCT sf_message),
                           count(*) FILTER (WHERE archived)
                    FROM (SELECT *, false AS archived FROM \(schema.quoted)._trigger_log WHERE state = 'FAILED'
                          UNION ALL SELECT *, true FROM \(schema.quoted)._trigger_log_archive WHERE state = 'FAILED') l
                    GROUP BY 1 ORDER BY 2 DESC, 1
                    """)
                #expect(groups.count == 8)
                #expect(expected.count == 8)
                for row in expected {
                    let group = try #require(groups.first { $0.message.code == row.string(0) })
                    #expect(group.count == (try row.int(1)))
                    #expect(group.firstSeen == (try row.timestamp(2)))
                    #expect(group.lastSeen == (try row.timestamp(3)))
                    #expect(group.archiveCount == (try row.int(5)))
                    #expect(group.exampleIDs.count == 3)
                }
                let long = try #require(groups.first { $0.message.code == "STRING_TOO_LONG" })
                #expect(long.message.maskedText == "Name: data value too large: <value> (max length=80)")
                #expect(try expected.first { $0.string(0) == "STRING_TOO_LONG" }!.int(4)! > 10)
            }
        }

        @Test func entriesAddUpInMemory() {
            let lock = SalesforceErrorMessage("UNABLE_TO_LOCK_ROW: unable to obtain exclusive access")
            let deleted = SalesforceErrorMessage("ENTITY_IS_DELETED: entity is deleted")
            func at(_ seconds: Int64) -> PostgresTimestamp { PostgresTimestamp(microsecondsSinceEpoch: seconds * 1_000_000) }
            var groups = FailureGroups(examplesPerGroup: 3)
            var read: [String] = []
            func original(_ text: String) -> String {
                read.append(text)
                return text
            }
            groups.add(message: lock, original: original("a"), table: "account", isArchived: true, id: 4, seen: at(40))
            groups.add(message: lock, original: original("b"), table: "account", isArchived: true, id: 5, seen: at(50))
            groups.add(message: deleted, original: original("x"), table: "contact", isArchived: false, id: 1, seen: at(60))
            groups.add(message: lock, original: original("c"), table: "contact", isArchived: false, id: 8, seen: at(45))
            groups.add(message: lock, original: original("d"), table: "contact", isArchived: false, id: 9, seen: at(45))
            groups.add(message: lock, original: original("e"), table: nil, isArchived: false, id: 99, seen: nil)
            groups.add(message: lock, original: original("f"), table: "account", isArchived: true, id: 2, seen: at(5))
            #expect(groups.entryCount == 7)
            #expect(read == ["a", "b", "x"])  // only the messages that were the newest of their group

            let result = groups.groups
            #expect(result.map(\.count) == [6, 1])
            let group = result[0]
            #expect(group.liveCount == 3)
            #expect(group.archiveCount == 3)
            #expect(group.firstSeen == at(5))
            #expect(group.lastSeen == at(50))
            #expect(group.exampleIDs == [5, 9, 8])
            #expect(group.exampleMessage == "b")
            #expect(group.tableCounts == [.init(table: "account", count: 3), .init(table: "contact", count: 2),
                                          .init(table: nil, count: 1)])
            #expect(result[1].exampleIDs == [1])
        }
    }
}
