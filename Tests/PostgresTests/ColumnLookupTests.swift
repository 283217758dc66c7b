import Postgres
import TestSupport
import Testing

extension IntegrationSuites {
    /// Reading columns by name: ``PostgresRows/column(_:)`` looks a name up once per result.
    @Suite(.tags(.database)) struct ColumnLookupTests {
        @Test func aNameGivesItsPositionEvenInAnEmptyResult() throws {
            let connection = try TestDatabase.connect()
            let rows = try connection.query("SELECT 1 AS one, 'b' AS two, NULL::int AS three")
            #expect(try rows.column("two") == 1)
            #expect(try rows.column("three") == 2)
            #expect(try rows[0].int(try rows[0].column("one")) == 1)
            let empty = try connection.query("SELECT 1 AS one, 2 AS two WHERE false")
            #expect(empty.isEmpty)
            #expect(try empty.column("two") == 1)
        }

        @Test func aMissingNameIsAnUnexpectedResultNamingIt() throws {
            let connection = try TestDatabase.connect()
            let rows = try connection.query("SELECT 1 AS one")
            do {
                _ = try rows.column("xmin")
                Issue.record("no error for a missing column")
            } catch {
                #expect(error.kind == .unexpectedResult)
                #expect(error.message == "the server's result has no column xmin")
            }
        }
    }
}
