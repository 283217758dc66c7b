@testable import HerokuConnect
import Postgres
import TestSupport
import Testing

extension IntegrationSuites {
    @Suite(.tags(.database)) struct TriggerLogStoreTests {
        // MARK: Recognising the schema

        @Test func aConnectSchemaIsRecognisedWithItsMappedTables() throws {
            try TestDatabase.withConnectSchema { schema in
                let store = try TriggerLogStore(connection: schema.connection, schemaName: schema.name)
                let inspected = try store.schema
                #expect(inspected.mappedTables == [
                    MappedTable(name: "account", isReadOnly: false), MappedTable(name: "contact", isReadOnly: false),
                    MappedTable(name: "opportunity", isReadOnly: false), MappedTable(name: "user", isReadOnly: true),
                ])
                #expect(inspected.mappedTable(named: "Account")?.name == "account")
                #expect(throws: HerokuConnectError.tableNotMapped(table: "acount", schema: schema.name, suggestions: ["account"])) {
                    try store.schema.requireMappedTable(named: "acount")
                }
            }
        }

        @Test func aMissingSchemaNamesTheConnectSchemasThatExist() throws {
            try TestDatabase.withConnectSchema { schema in
                do {
                    _ = try ConnectSchema.inspect(schema.connection, schemaName: "no_such_schema_here")
                    Issue.record("a missing schema was accepted")
                } catch let HerokuConnectError.schemaNotFound(name, connectSchemas) {
                    #expect(name == "no_such_schema_here")
                    #expect(connectSchemas.contains(schema.name))
                }
            }
        }

        @Test func aSchemaWithoutTheLogIsNotAConnectSchema() throws {
            let connection = try TestDatabase.connect()
            let name = TestDatabase.uniqueSchemaName(prefix: "plain_")
            try connection.execute("CREATE SCHEMA \(name)")
            try connection.execute("CREATE TABLE \(name)._trigger_log (id int)")
            defer { _ = try? connection.execute("DROP SCHEMA \(name) CASCADE") }
            #expect(throws: HerokuConnectError.self) { try ConnectSchema.inspect(connection, schemaName: name) }
            do {
                _ = try ConnectSchema.inspect(connection, schemaName: name)
            } catch let HerokuConnectError.notAConnectSchema(schema, missing, _) {
                #expect(schema == name)
                #expect(missing == ["_trigger_log_archive", "_hcmeta"])
            }
        }

        @Test func aDatabaseWithoutHstoreIsRefused() throws {
            let admin = try TestDatabase.plainConnection()
            let database = TestDatabase.uniqueSchemaName(prefix: "nohstore_")
            try admin.execute("CREATE DATABASE \(database) TEMPLATE template0")
            defer { _ = try? admin.execute("DROP DATABASE \(database) WITH (FORCE)") }
            do {
                let connection = try TestDatabase.plainConnection(database: database)
                try connection.execute("CREATE SCHEMA salesforce")
                for table in ConnectSchema.requiredTables {
                    try connection.execute("CREATE TABLE salesforce.\(table) (id int)")
                }
                #expect(throws: HerokuConnectError.hstoreMissing(schema: "salesforce")) {
                    try ConnectSchema.inspect(connection, schemaName: "salesforce")
                }
            }
        }

        @Test func aSchemaNameThatNeedsQuotingWorks() throws {
            try TestDatabase.withConnectSchema(named: "We\"ird Schema; " + TestDatabase.uniqueSchemaName()) { schema in
                try schema.insertEntry(state: "FAILED", message: "boom")
                let store = try TriggerLogStore(connection: schema.connection, schemaName: schema.name)
                #expect(try store.entries(matching: .failed()).map(\.sfMessage) == ["boom"])
                #expect(try store.stateCounts().map(\.count) == [1])
            }
        }

        // MARK: Selecting entries

        @Test func failedReadsLiveAndArchiveNewestFirst() throws {
            try TestDatabase.withConnectSchema { schema in
                let old = try schema.insertEntry(archived: true, state: "FAILED", createdAgo: "3 days")
                let recent = try schema.insertEntry(state: "FAILED", createdAgo: "1 hour")
                let middle = try schema.insertEntry(archived: true, state: "FAILED", createdAgo: "1 day")
                try schema.insertEntry(state: "SUCCESS", createdAgo: "10 minutes")
                try schema.insertEntry(archived: true, state: "IGNORED", createdAgo: "2 days")
                try schema.insertEntry(state: "NEW", createdAgo: "1 minute", processed: false)
                let store = try TriggerLogStore(connection: schema.connection, schemaName: schema.name)
                let entries = try store.entries(matching: .failed())
                #expect(entries.map(\.id) == [recent, middle, old])
                #expect(entries.map(\.isArchived) == [false, true, true])
                #expect(entries.allSatisfy { $0.state == .failed })
                #expect(try store.count(matching: .failed()) == 3)
                #expect(try store.entries(matching: .failed().source(.live)).map(\.id) == [recent])
                #expect(try store.entries(matching: .failed().source(.archive)).map(\.id) == [middle, old])
                #expect(try store.entries(matching: .failed().limit(2)).map(\.id) == [recent, middle])
                #expect(try store.entries(matching: .failed().ordered(.oldestFirst)).map(\.id) == [old, middle, recent])
                #expect(try store.entries(matching: TriggerLogQuery()).count == 6)
            }
        }

        @Test func everyFilterNarrowsTheSelection() throws {
            try TestDatabase.withConnectSchema { schema in
                let sfid = "0015e00000AbCdEAAV"
                let a = try schema.insertEntry(state: "FAILED", action: "INSERT", table: "account", recordID: 1,
                                               message: "DUPLICATE_VALUE: duplicate value found", createdAgo: "5 hours")
                let b = try schema.insertEntry(archived: true, state: "FAILED", action: "UPDATE", table: "contact", recordID: 2,
                                               sfid: sfid, message: "UNABLE_TO_LOCK_ROW: unable to obtain exclusive access",
                                               createdAgo: "2 days")
                let c = try schema.insertEntry(state: "NEW", action: "DELETE", table: "account", recordID: 3, sfid: "0015e00000ZzZzZAAV",
                                               createdAgo: "10 minutes", processed: false)
                let d = try schema.insertEntry(state: "FAILED", action: "UPDATE", table: "opportunity", recordID: 2,
                                               message: "50% off_sale is not a valid value", createdAgo: "30 minutes")
                let store = try TriggerLogStore(connection: schema.connection, schemaName: schema.name)
                func ids(_ query: TriggerLogQuery) throws -> Set<Int> { Set(try store.entries(matching: query).map(\.id)) }

                #expect(try ids(TriggerLogQuery().tables(["account"])) == [a, c])
                #expect(try ids(TriggerLogQuery().tables(["account", "contact"])) == [a, b, c])
                #expect(try ids(TriggerLogQuery().actions([.update])) == [b, d])
                #expect(try ids(TriggerLogQuery().actions([.insert, .delete])) == [a, c])
                #expect(try ids(TriggerLogQuery().states([.new])) == [c])
                #expect(try ids(TriggerLogQuery().states([.new, .failed])) == [a, b, c, d])
                #expect(try ids(TriggerLogQuery().since(.ago(seconds: 3600))) == [c, d])
                #expect(try ids(TriggerLogQuery().until(.ago(seconds: 3600))) == [a, b])
                #expect(try ids(TriggerLogQuery().since(.ago(seconds: 86_400)).until(.ago(seconds: 1200))) == [a, d])
                #expect(try ids(TriggerLogQuery().since(.absolute("2000-01-01T00:00:00Z"))) == [a, b, c, d])
                #expect(try ids(TriggerLogQuery().until(.absolute("2000-01-01"))) == [])
                #expect(try ids(TriggerLogQuery().message(containing: "unable_to_lock")) == [b])
                #expect(try ids(TriggerLogQuery().message(containing: "50% off_")) == [d])
                // LIKE wildcards in the text are literal: "_" does not match any character.
                #expect(try ids(TriggerLogQuery().message(containing: "value_found")) == [])
                #expect(try ids(TriggerLogQuery().message(containing: "value found")) == [a])
                #expect(try ids(TriggerLogQuery().message(containing: "%")) == [d])
                #expect(try ids(TriggerLogQuery().recordIDs([2])) == [b, d])
                #expect(try ids(TriggerLogQuery().sfids([SalesforceID(sfid)!])) == [b])
                // The 15-character form and the wrong case find the same entry.
                #expect(try ids(TriggerLogQuery().sfids([SalesforceID("0015e00000AbCdE")!])) == [b])
                #expect(try ids(TriggerLogQuery().sfids([SalesforceID(sfid.lowercased())!])) == [b])
                #expect(try ids(TriggerLogQuery().ids([a, d, 999_999])) == [a, d])
                #expect(try ids(TriggerLogQuery.failed().tables(["contact"]).source(.live)) == [])
                #expect(try ids(TriggerLogQuery.failed().excluding(ids: [a, b])) == [d])
            }
        }

        @Test func filterValuesNeverBecomeSQL() throws {
            try TestDatabase.withConnectSchema { schema in
                try schema.insertEntry(state: "FAILED", message: "ok")
                let store = try TriggerLogStore(connection: schema.connection, schemaName: schema.name)
                let hostile = "x' OR '1'='1'; DROP TABLE \(schema.quoted)._trigger_log; --"
                #expect(try store.entries(matching: .failed().tables([hostile])).isEmpty)
                #expect(try store.entries(matching: .failed().message(containing: hostile)).isEmpty)
                #expect(try store.entries(matching: .failed().since(.absolute("2000-01-01"))).count == 1)
            }
        }

        @Test func relatedEntriesAreTheRecordsHistoryAcrossBothTables() throws {
            try TestDatabase.withConnectSchema { schema in
                let insert = try schema.insertEntry(archived: true, state: "SUCCESS", action: "INSERT", recordID: 7, createdAgo: "3 days")
                let failed = try schema.insertEntry(archived: true, state: "FAILED", action: "UPDATE", recordID: 7, createdAgo: "2 days")
                let retry = try schema.insertEntry(state: "NEW", action: "UPDATE", recordID: 7, createdAgo: "1 hour", processed: false)
                try schema.insertEntry(state: "FAILED", action: "UPDATE", table: "contact", recordID: 7)
                try schema.insertEntry(state: "FAILED", action: "UPDATE", recordID: 8)
                let lonely = try schema.insertEntry(state: "FAILED", table: nil, recordID: nil)
                let store = try TriggerLogStore(connection: schema.connection, schemaName: schema.name)
                let entry = try store.entry(id: failed)
                #expect(try store.entries(matching: .relatedTo(entry)).map(\.id) == [insert, failed, retry])
                #expect(try store.entries(matching: .relatedTo(entry).excluding(ids: [failed])).map(\.id) == [insert, retry])
                #expect(try store.entries(matching: .relatedTo(store.entry(id: lonely))).map(\.id) == [lonely])
                #expect(try store.entries(matching: .history(table: "account", recordID: 7)).map(\.id) == [insert, failed, retry])
            }
        }

        @Test func anEntryIsFoundInEitherTablePreferringTheLiveOne() throws {
            try TestDatabase.withConnectSchema { schema in
                let archived = try schema.insertEntry(archived: true, state: "FAILED", message: "archived copy")
                try schema.insertEntry(archived: false, state: "NEW", message: "live copy", id: archived)
                let store = try TriggerLogStore(connection: schema.connection, schemaName: schema.name)
                #expect(try store.entry(id: archived).sfMessage == "live copy")
                #expect(try store.entries(id: archived).map(\.isArchived) == [false, true])
                #expect(try store.entries(id: 987_654).isEmpty)
                #expect(throws: HerokuConnectError.entryNotFound(id: 987_654)) { try store.entry(id: 987_654) }
            }
        }

        // MARK: Decoding

        @Test func loggerRowsDecodeIntoEveryColumn() throws {
            try TestDatabase.withConnectSchema { schema in
                try schema.execute("INSERT INTO account (name, billingcity, description) VALUES ('Acme \"Q\"', NULL, E'line 1\\nline 2')")
                try schema.execute("UPDATE account SET billingcity = 'Zürich', sfid = '0015e00000AbCdEAAV'")
                let store = try TriggerLogStore(connection: schema.connection, schemaName: schema.name)
                let entries = try store.entries(matching: TriggerLogQuery().ordered(.idAscending))
                #expect(entries.count == 2)
                let insert = entries[0], update = entries[1]
                #expect(insert.action == .insert && insert.state == .new && insert.tableName == "account")
                #expect(insert.recordID == 1 && insert.sfid == nil && insert.old == nil && insert.updatedAt == nil)
                #expect(insert.txid != nil && insert.createdAt != nil && !insert.isArchived)
                #expect(insert.values?["name"] == .some("Acme \"Q\""))
                #expect(insert.values?["billingcity"] == .some(nil))
                #expect(insert.values?["description"] == .some("line 1\nline 2"))
                #expect(insert.values?["_hc_lastop"] == nil)
                #expect(update.action == .update)
                #expect(update.values?.pairs.sorted { $0.key < $1.key } == [.init("billingcity", "Zürich"), .init("sfid", "0015e00000AbCdEAAV")])
                #expect(update.old?["billingcity"] == .some(nil))
                #expect(update.old?["name"] == .some("Acme \"Q\""))
            }
        }

        @Test func unknownStatesActionsAndNullsAreKept() throws {
            try TestDatabase.withConnectSchema { schema in
                let odd = try schema.insertEntry(state: "WEIRD", action: "UPSERT", table: nil, recordID: nil, values: "not => valid \"hstore")
                let empty = try schema.insertEntry(state: nil, action: nil, table: nil, recordID: nil, processed: false)
                let store = try TriggerLogStore(connection: schema.connection, schemaName: schema.name)
                let entry = try store.entry(id: odd)
                #expect(entry.state == .other("WEIRD"))
                #expect(entry.action == .other("UPSERT"))
                #expect(entry.values?.isWellFormed == false)
                #expect(entry.values?.text == "not => valid \"hstore")
                let blank = try store.entry(id: empty)
                #expect(blank.state == nil && blank.action == nil && blank.tableName == nil && blank.processedAt == nil)
                #expect(try store.entries(matching: TriggerLogQuery().states([.other("WEIRD")])).map(\.id) == [odd])
            }
        }

        @Test func currentRecordsAndSfidsAreLookedUpInTheMappedTable() throws {
            try TestDatabase.withConnectSchema { schema in
                try schema.execute("INSERT INTO \"user\" (username, sfid) VALUES ('ann', '0055e00000AbCdEAAV')")
                let store = try TriggerLogStore(connection: schema.connection, schemaName: schema.name)
                let user = try store.schema.requireMappedTable(named: "user")
                let record = try #require(try store.currentRecord(in: user, recordID: 1))
                #expect(record["username"] == .some("ann"))
                #expect(record["_hc_lastop"] == .some("PENDING"))
                #expect(record["_hc_err"] == .some(nil))
                #expect(record["no_such_column"] == nil)
                #expect(try store.currentRecord(in: user, recordID: 2) == nil)
                #expect(try store.recordID(in: user, sfid: SalesforceID("0055e00000AbCdEAAV")!) == 1)
                #expect(try store.recordID(in: user, sfid: SalesforceID("0055e00000AbCdE")!) == 1)
                #expect(try store.recordID(in: user, sfid: SalesforceID("0055e00000XXXXXAAA")!) == nil)
            }
        }

        @Test func stateCountsCoverBothTables() throws {
            try TestDatabase.withConnectSchema { schema in
                try schema.insertEntry(state: "FAILED")
                try schema.insertEntry(state: "FAILED")
                try schema.insertEntry(archived: true, state: "FAILED")
                try schema.insertEntry(archived: true, state: "SUCCESS", table: "contact")
                let store = try TriggerLogStore(connection: schema.connection, schemaName: schema.name)
                #expect(try store.stateCounts() == [
                    StateCount(tableName: "account", location: .live, state: .failed, count: 2),
                    StateCount(tableName: "account", location: .archive, state: .failed, count: 1),
                    StateCount(tableName: "contact", location: .archive, state: .success, count: 1),
                ])
            }
        }
    }
}
