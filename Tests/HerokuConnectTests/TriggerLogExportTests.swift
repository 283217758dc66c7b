import Foundation
@testable import HerokuConnect
import Postgres
import TestSupport
import Testing

extension IntegrationSuites {
    /// The export's reading in id batches, its horizon against transactions that commit out of
    /// id order, --processed, and the test of hstore text that a JSON object rebuilds exactly.
    @Suite(.tags(.database)) struct TriggerLogExportTests {
        private func ids(_ entries: [TriggerLogEntry]) -> [String] {
            entries.map { "\($0.id)\($0.isArchived ? "A" : "L")" }
        }

        /// Live and archived entries, with ids 3 and 6 in both tables (as a hand-made copy
        /// leaves them), so that small batches end inside an id.
        private func interleavedLog(_ schema: ConnectTestSchema) throws {
            for (id, archived, state) in [
                (1, false, "SUCCESS"), (2, true, "FAILED"), (3, true, "FAILED"), (3, false, "NEW"), (4, false, "FAILED"),
                (5, true, "SUCCESS"), (6, false, "FAILED"), (6, true, "FAILED"), (7, false, "SUCCESS"),
            ] {
                try schema.insertEntry(archived: archived, state: state, id: id)
            }
        }

        @Test func batchesEndingInsideAnIdLoseAndRepeatNothingAndPutTheLiveEntryFirst() throws {
            try TestDatabase.withConnectSchema { schema in
                try interleavedLog(schema)
                let store = try TriggerLogStore(connection: schema.connection, schemaName: schema.name)
                let expected = ["1L", "2A", "3L", "3A", "4L", "5A", "6L", "6A", "7L"]
                for batchSize in [3, 4, 5, 10_000] {
                    var seen: [TriggerLogEntry] = []
                    let result = try TriggerLogExport(store: store, query: TriggerLogQuery())
                        .forEachEntry(through: 7, batchSize: batchSize) { seen.append($0) }
                    #expect(ids(seen) == expected, "batch size \(batchSize)")
                    #expect(result == TriggerLogExportResult(count: 9, firstID: 1, lastID: 7, resumeAfter: 7))
                }
                var failed: [TriggerLogEntry] = []
                try TriggerLogExport(store: store, query: TriggerLogQuery().states([.failed]), afterID: 2)
                    .forEachEntry(through: 6, batchSize: 3) { failed.append($0) }
                #expect(ids(failed) == ["3A", "4L", "6L", "6A"])
                var archived: [TriggerLogEntry] = []
                try TriggerLogExport(store: store, query: TriggerLogQuery().source(.archive))
                    .forEachEntry(through: 5, batchSize: 3) { archived.append($0) }
                #expect(ids(archived) == ["2A", "3A", "5A"])
            }
        }

        @Test func withoutAnIndexOnIdTheEntriesAreReadInOneStatement() throws {
            try TestDatabase.withConnectSchema { schema in
                try interleavedLog(schema)
                let store = try TriggerLogStore(connection: schema.connection, schemaName: schema.name)
                #expect(try store.logTablesHaveIDIndexes())
                try schema.execute("ALTER TABLE _trigger_log_archive DROP CONSTRAINT _trigger_log_archive_pkey")
                try schema.execute("CREATE INDEX partial_id ON _trigger_log_archive (id) WHERE state = 'FAILED'")
                try schema.execute("CREATE INDEX second_column ON _trigger_log_archive (state, id)")
                #expect(try !store.logTablesHaveIDIndexes())
                func export() throws -> (entries: [String], statements: [String]) {
                    var seen: [TriggerLogEntry] = []
                    let recorder = StatementRecorder(store.connection)
                    try TriggerLogExport(store: store, query: TriggerLogQuery()).forEachEntry(through: 7) { seen.append($0) }
                    return (ids(seen), recorder.statements.filter { $0.contains("_trigger_log\" WHERE") })
                }
                let unindexed = try export()
                #expect(unindexed.entries == ["1L", "2A", "3L", "3A", "4L", "5A", "6L", "6A", "7L"])
                #expect(unindexed.statements.count == 1)
                #expect(unindexed.statements.allSatisfy { !$0.contains("LIMIT") })
                try schema.execute("CREATE INDEX by_id ON _trigger_log_archive (id)")
                #expect(try store.logTablesHaveIDIndexes())
                let indexed = try export()
                #expect(indexed.entries == unindexed.entries)
                #expect(indexed.statements.count == 1)
                #expect(indexed.statements.allSatisfy { $0.contains("LIMIT") })
            }
        }

        @Test func aLimitResumesSoThatAnIdCutInTwoIsReadAgainWhole() throws {
            try TestDatabase.withConnectSchema { schema in
                try interleavedLog(schema)
                let store = try TriggerLogStore(connection: schema.connection, schemaName: schema.name)
                var runs: [[String]] = []
                var after = 0
                while after < 7, runs.count < 10 {
                    var seen: [TriggerLogEntry] = []
                    let result = try TriggerLogExport(store: store, query: TriggerLogQuery(), afterID: after)
                        .forEachEntry(through: 7, limit: 3, batchSize: 3) { seen.append($0) }
                    #expect(result.count == seen.count)
                    runs.append(ids(seen))
                    after = result.resumeAfter
                }
                // 3L ends the first run, so the second starts after 2 and repeats it (at least once).
                #expect(runs == [["1L", "2A", "3L"], ["3L", "3A", "4L"], ["5A", "6L", "6A"], ["7L"]])
            }
        }

        @Test func theHorizonWaitsForTransactionsWritingTheLogSoAnEarlierIdCommittedLaterIsNotPassed() throws {
            try TestDatabase.withConnectSchema { schema in
                let store = try TriggerLogStore(connection: schema.connection, schemaName: schema.name)
                let before = try schema.insertEntry(state: "SUCCESS")
                // A transaction takes the next id and stays open; a later one commits a higher id.
                let writer = try TestDatabase.connect()
                try writer.execute("BEGIN")
                let inFlight = try capture(on: writer, in: schema)
                let committed = try schema.insertEntry(state: "NEW")
                #expect(inFlight < committed)

                let export = TriggerLogExport(store: store, query: TriggerLogQuery(), afterID: before)
                do {
                    _ = try export.settle(waitingAtMost: .milliseconds(200))
                    Issue.record("the export did not wait for the open transaction")
                } catch let error as TriggerLogWritersStillRunning {
                    let pid = try writer.query("SELECT pg_backend_pid()")[0].int(0)
                    #expect(error.writers.map(\.pid) == [pid])
                    #expect(error.writers.first?.sessionState == "idle in transaction")
                    #expect(error.description.contains("1 transaction(s) writing the trigger log were still open after 0 s (pid \(pid!), idle in transaction, since "))
                }

                // The open transaction captures one more change while the export waits, then commits.
                let box = ConnectionBox(writer, schema: schema)
                let done = DispatchSemaphore(value: 0)
                Thread.detachNewThread {
                    Thread.sleep(forTimeInterval: 0.3)
                    box.laterID = try? capture(on: box.connection, in: box.schema)
                    _ = try? box.connection.execute("COMMIT")
                    done.signal()
                }
                let start = Date()
                let horizon = try export.settle(waitingAtMost: .seconds(20))
                done.wait()
                #expect(Date().timeIntervalSince(start) >= 0.25)
                #expect(horizon == committed)
                var seen: [Int] = []
                try export.forEachEntry(through: horizon) { seen.append($0.id) }
                #expect(seen == [inFlight, committed])
                // The change captured during the wait is for the next export.
                let next = TriggerLogExport(store: store, query: TriggerLogQuery(), afterID: horizon)
                let nextHorizon = try next.settle(waitingAtMost: .zero)
                var rest: [Int] = []
                try next.forEachEntry(through: nextHorizon) { rest.append($0.id) }
                #expect(rest == [try #require(box.laterID)])
            }
        }

        @Test func withoutWritersTheHorizonIsTheHighestIdOfEitherTableAndNeverBelowTheStart() throws {
            try TestDatabase.withConnectSchema { schema in
                let store = try TriggerLogStore(connection: schema.connection, schemaName: schema.name)
                #expect(try TriggerLogExport(store: store, query: TriggerLogQuery()).settle(waitingAtMost: .zero) == 0)
                try schema.insertEntry(state: "SUCCESS", id: 40)
                try schema.insertEntry(archived: true, state: "FAILED", id: 90)
                #expect(try TriggerLogExport(store: store, query: TriggerLogQuery()).settle(waitingAtMost: .zero) == 90)
                #expect(try TriggerLogExport(store: store, query: TriggerLogQuery(), afterID: 500).settle(waitingAtMost: .zero) == 500)
            }
        }

        @Test func processedStopsBeforeTheFirstEntryConnectHasNotFinishedUnlessItIsStuck() throws {
            try TestDatabase.withConnectSchema { schema in
                let store = try TriggerLogStore(connection: schema.connection, schemaName: schema.name)
                try schema.insertEntry(state: "SUCCESS", id: 1)
                try schema.insertEntry(state: "NEW", createdAgo: "3 days", processed: false, id: 2)
                try schema.insertEntry(archived: true, state: "FAILED", id: 3)
                try schema.insertEntry(state: "PENDING", createdAgo: "5 minutes", processed: false, id: 4)
                try schema.insertEntry(state: "FAILED", id: 5)
                try schema.insertEntry(state: "NEW", createdAgo: "1 minute", processed: false, id: 6)
                let export = TriggerLogExport(store: store, query: TriggerLogQuery().states([.failed]))
                let day = Duration.seconds(86_400)
                #expect(try export.processedHorizon(upTo: 6, stuckAfter: day) == (3, 4))
                #expect(try export.processedHorizon(upTo: 6, stuckAfter: .seconds(4 * 86_400)) == (1, 2))
                #expect(try export.processedHorizon(upTo: 3, stuckAfter: day) == (3, nil))
                try schema.execute("UPDATE _trigger_log SET state = 'FAILED' WHERE id = 4")
                #expect(try export.processedHorizon(upTo: 6, stuckAfter: day) == (5, 6))
                let later = TriggerLogExport(store: store, query: TriggerLogQuery(), afterID: 6)
                #expect(try later.processedHorizon(upTo: 6, stuckAfter: day) == (6, nil))
            }
        }

        @Test func hstoreTextIsInOutputFormExactlyWhenHstoreWritesItSo() throws {
            let connection = try TestDatabase.connect()
            let texts = [
                "", #""a"=>"1""#, #""a"=>"1", "b"=>NULL"#, #""b"=>"1", "aa"=>"2""#, #""k"=>"""#,
                #""q"=>"say \"hi\"", "bs"=>"C:\\temp\\", "arrow"=>"a=>b, c""#,
                "\"nl\"=>\"line 1\nline 2\r\n\", \"uni\"=>\"Zoë 🚀 ü\"",
                // not what hstore writes:
                #""b"=>"1", "a"=>"2""#, #""aa"=>"1", "b"=>"2""#, #""a"=>"1", "a"=>"2""#, #"a=>1"#, #""a" => "1""#,
                #""a"=>"1","b"=>"2""#, #""a"=>"1" "#, #" "a"=>"1""#, #""a"=>null"#, #""a"=>"x\y""#, " ",
                // malformed:
                #""a"=>"#, "not hstore", #""a"=>"1", "#, #""unterminated=>"1""#,
            ]
            for text in texts {
                var written: String?
                do {
                    written = try connection.query("SELECT public.hstore($1::text)::text", [.text(text)])[0].string(0)
                } catch {
                    written = nil
                }
                #expect(HStore(text: text).isInOutputForm == (written == text), "\(text.debugDescription) -> \(String(describing: written))")
            }
            // Keys hstore orders by length, then by bytes (multi-byte characters count as bytes).
            let pairs = [("é", "1"), ("z", "2"), ("ab", nil), ("zz", "3")] as [(String, String?)]
            let written = try connection.query(
                "SELECT hstore($1::text[], $2::text[])::text", [.array(pairs.map(\.0)), .array(pairs.map(\.1))])[0].string(0)
            let rebuilt = HStore(pairs: [.init("z", "2"), .init("ab", nil), .init("zz", "3"), .init("é", "1")])
            #expect(rebuilt.text == written)
            #expect(HStore(text: try #require(written)).isInOutputForm)
        }
    }
}

/// Writes a NEW entry on `connection`, with an id from the sequence, as a capture does.
private func capture(on connection: PostgresConnection, in schema: ConnectTestSchema) throws -> Int {
    let rows = try connection.query(
        "INSERT INTO \(schema.quoted)._trigger_log (txid, state, action, table_name, record_id)"
            + " VALUES (txid_current(), 'NEW', 'UPDATE', 'account', 1) RETURNING id")
    return try rows[0].int(0)!
}

/// A connection handed to a thread that ends a transaction while the test waits.
private final class ConnectionBox: @unchecked Sendable {
    let connection: PostgresConnection
    let schema: ConnectTestSchema
    var laterID: Int?

    init(_ connection: PostgresConnection, schema: ConnectTestSchema) {
        self.connection = connection
        self.schema = schema
    }
}

/// Records the statements a connection runs from now on.
private final class StatementRecorder {
    private(set) var statements: [String] = []

    init(_ connection: PostgresConnection) {
        connection.statementObserver = { [weak self] event in self?.statements.append(event.sql) }
    }
}
