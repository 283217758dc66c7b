@testable import HerokuConnect
import Postgres
import TestSupport
import Testing

extension IntegrationSuites {
    /// The store's selections on a log of realistic size (220,000 entries): slow to fill, so in
    /// the slow lane (`make test-faults`), apart from ``TriggerLogStoreTests``.
    @Suite(.tags(.database, .slow)) struct TriggerLogIndexPlanTests {
        /// On a log of realistic size the selections use the log's indexes: none reads the
        /// archive sequentially except where no index can serve (a message search).
        @Test(.timeLimit(.minutes(3))) func selectionsUseTheLogsIndexes() throws {
            try TestDatabase.withConnectSchema { schema in
                try schema.connection.execute("SELECT hcemu.generate_log($1, 200000, 20000, 0.1)", [.text(schema.name)])
                let store = try TriggerLogStore(connection: schema.connection, schemaName: schema.name)
                let entry = try #require(try store.entries(matching: .failed().source(.archive).limit(1)).first)
                let cases: [(String, TriggerLogQuery)] = [
                    ("failed, limited", .failed().limit(100)),
                    ("failed by table, limited", .failed().tables(["account"]).limit(50)),
                    ("failed archive count", .failed().source(.archive)),
                    ("recent", TriggerLogQuery().since(.ago(seconds: 3600))),
                    ("related", .relatedTo(entry)),
                    ("one id", TriggerLogQuery().ids([entry.id])),
                ]
                for (name, query) in cases {
                    let statement = query.selectStatement(schema: store.schemaName)
                    let plan = try schema.connection.query("EXPLAIN " + statement.sql, statement.parameters)
                        .compactMap { $0.string(0) }.joined(separator: "\n")
                    #expect(!plan.contains("Seq Scan on _trigger_log_archive"), "\(name):\n\(plan)")
                }
                let count = TriggerLogQuery.failed().source(.archive).countStatement(schema: store.schemaName)
                let plan = try schema.connection.query("EXPLAIN " + count.sql, count.parameters).compactMap { $0.string(0) }
                #expect(plan.joined().contains("_trigger_log_archive_idx_state_table_name"), "\(plan)")
            }
        }
    }
}
