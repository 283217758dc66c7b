import Postgres
import TestSupport
import Testing

extension IntegrationSuites {
    /// ``PostgresConnection/queryInOwnTransaction(_:_:settings:)``: one statement in a
    /// transaction of its own, its settings in force for that transaction only, in one round
    /// trip; a failure leaves nothing behind and the connection usable.
    @Suite(.tags(.database)) struct OwnTransactionTests {
        @Test func theStatementSeesItsSettingsAndTheSessionKeepsItsOwn() throws {
            let connection = try TestDatabase.connect()
            try connection.setSessionParameter("lock_timeout", "7s")
            let row = try connection.queryInOwnTransaction(
                "SELECT current_setting('lock_timeout'), current_setting('application_name')",
                settings: [("lock_timeout", "1ms"), ("application_name", "own transaction")])[0]
            #expect(row.string(0) == "1ms")
            #expect(row.string(1) == "own transaction")
            #expect(!connection.isInTransaction)
            let after = try connection.query("SELECT current_setting('lock_timeout'), current_setting('application_name')")[0]
            #expect(after.string(0) == "7s")
            #expect(after.string(1) != "own transaction")
        }

        @Test func aChangeIsCommittedAndAFailedOneLeavesNothing() throws {
            try withScratchSchema { schema, connection in
                try connection.execute("CREATE TABLE \(schema).t (id int PRIMARY KEY)")
                let rows = try connection.queryInOwnTransaction(
                    "INSERT INTO \(schema).t SELECT generate_series(1, 3) RETURNING id", settings: [])
                #expect(rows.count == 3)
                // a second session sees them: committed
                let other = try TestDatabase.connect()
                #expect(try other.query("SELECT count(*) FROM \(schema).t")[0].int(0) == 3)

                // the statement fails half way: its rows are rolled back, its error thrown
                #expect(throws: PostgresError.self) {
                    try connection.queryInOwnTransaction(
                        "INSERT INTO \(schema).t SELECT n FROM generate_series(4, 1, -1) AS n", settings: [("lock_timeout", "1ms")])
                }
                #expect(!connection.isInTransaction)
                #expect(try connection.query("SELECT count(*), current_setting('lock_timeout') FROM \(schema).t")[0].int(0) == 3)
                #expect(try other.query("SELECT count(*) FROM \(schema).t")[0].int(0) == 3)
            }
        }

        @Test func aHeldRowFailsWithTheLockTimeoutSQLStateAndChangesNothing() throws {
            try withScratchSchema { schema, connection in
                try connection.execute("CREATE TABLE \(schema).t (id int PRIMARY KEY, n int)")
                try connection.execute("INSERT INTO \(schema).t VALUES (1, 0), (2, 0)")
                let other = try TestDatabase.connect()
                try other.withTransaction {
                    try other.execute("SELECT 1 FROM \(schema).t WHERE id = 2 FOR UPDATE")
                    var caught: PostgresError?
                    do {
                        _ = try connection.queryInOwnTransaction(
                            "UPDATE \(schema).t SET n = 1", settings: [("lock_timeout", "1ms")])
                    } catch { caught = error as? PostgresError }
                    #expect(caught?.sqlState == "55P03")
                }
                #expect(!connection.isInTransaction)
                #expect(try connection.query("SELECT sum(n) FROM \(schema).t")[0].int(0) == 0, "row 1 was not changed either")
            }
        }

        @Test func aRefusedSettingRunsNothing() throws {
            try withScratchSchema { schema, connection in
                try connection.execute("CREATE TABLE \(schema).t (id int)")
                #expect(throws: PostgresError.self) {
                    try connection.queryInOwnTransaction("INSERT INTO \(schema).t VALUES (1)", settings: [("lock_timeout", "banana")])
                }
                #expect(!connection.isInTransaction)
                #expect(try connection.query("SELECT count(*) FROM \(schema).t")[0].int(0) == 0)
            }
        }

        /// A schema of the test's own (it writes), dropped afterwards.
        private func withScratchSchema(_ body: (String, PostgresConnection) throws -> Void) throws {
            let connection = try TestDatabase.connect()
            let schema = TestDatabase.uniqueSchemaName()
            try connection.execute("CREATE SCHEMA \(schema)")
            defer { _ = try? connection.execute("DROP SCHEMA \(schema) CASCADE") }
            try body(schema, connection)
        }
    }
}
