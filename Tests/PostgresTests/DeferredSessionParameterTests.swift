import Postgres
import TestSupport
import Testing

extension IntegrationSuites {
    /// Session parameters deferred to the next statement go with it in one round trip (libpq's
    /// pipeline mode), for every way a statement is run, and a refused value fails that
    /// statement without running it and leaves the connection usable.
    @Suite(.tags(.database)) struct DeferredSessionParameterTests {
        @Test func aBufferedQuerySeesTheParameters() throws {
            let connection = try TestDatabase.connect()
            connection.deferSessionParameters([("lock_timeout", "1234ms"), ("application_name", "deferred test")])
            let row = try connection.query("SELECT current_setting('lock_timeout'), current_setting('application_name')")[0]
            #expect(row.string(0) == "1234ms")
            #expect(row.string(1) == "deferred test")
            // and they stay for the session, sent once
            #expect(try connection.query("SHOW lock_timeout")[0].string(0) == "1234ms")
        }

        @Test func aStreamedQuerySeesTheParametersRowByRow() throws {
            let connection = try TestDatabase.connect()
            connection.deferSessionParameters([("statement_timeout", "4321ms")])
            var seen: [String?] = []
            try connection.forEachRow("SELECT current_setting('statement_timeout') || ' ' || n FROM generate_series(1, 3) AS n") { row in
                seen.append(row.string(0))
            }
            #expect(seen == ["4321ms 1", "4321ms 2", "4321ms 3"])
            #expect(try connection.query("SELECT 1")[0].int(0) == 1)
        }

        @Test func aRefusedValueFailsTheNextStatementAndIsSentAgain() throws {
            let connection = try TestDatabase.connect()
            connection.deferSessionParameters([("lock_timeout", "banana")])
            #expect(throws: PostgresError.self) { try connection.query("SELECT 1") }
            var rows = 0
            #expect(throws: PostgresError.self) {
                try connection.forEachRow("SELECT 1") { _ in rows += 1 }
            }
            #expect(rows == 0, "no row of a statement whose parameters were refused")
            // a good value replaces the refused one, and the connection works on
            connection.deferSessionParameters([("lock_timeout", "555ms")])
            #expect(try connection.query("SHOW lock_timeout")[0].string(0) == "555ms")
        }

        @Test func aStatementErrorAfterTheParametersIsItsOwnAndTheyStay() throws {
            let connection = try TestDatabase.connect()
            connection.deferSessionParameters([("lock_timeout", "777ms")])
            #expect(throws: PostgresError.self) { try connection.query("SELECT 1 / 0") }
            #expect(try connection.query("SHOW lock_timeout")[0].string(0) == "777ms")
        }

        @Test func aTransactionBegunWithThemAndRolledBackKeepsThem() throws {
            let connection = try TestDatabase.connect()
            connection.deferSessionParameters([("lock_timeout", "888ms")])
            #expect(throws: PostgresError.self) {
                try connection.withTransaction { try connection.query("SELECT 1 / 0") }
            }
            #expect(try connection.query("SHOW lock_timeout")[0].string(0) == "888ms")
        }

        @Test func aScriptAndAResetApplyThemToo() throws {
            let connection = try TestDatabase.connect()
            connection.deferSessionParameters([("lock_timeout", "2468ms")])
            try connection.executeUnsafeScript("SELECT 1; SELECT 2")
            #expect(try connection.query("SHOW lock_timeout")[0].string(0) == "2468ms")
            connection.deferSessionParameters([("lock_timeout", "1357ms")])
            try connection.reset()
            #expect(try connection.query("SHOW lock_timeout")[0].string(0) == "1357ms")
        }
    }
}
