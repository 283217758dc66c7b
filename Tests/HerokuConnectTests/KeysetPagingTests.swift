@testable import HerokuConnect
import Postgres
import TestSupport
import Testing

extension IntegrationSuites {
    /// Keyset pages (``TriggerLogQuery/after(_:)``): the console scrolls through any number of
    /// entries a page at a time. Read page after page, forwards and backwards, they are exactly
    /// the whole list in order: entries with the same `created_at`, entries without one, and
    /// both log tables included.
    @Suite(.tags(.database)) struct KeysetPagingTests {
        @Test func pagesForwardsAndBackwardsAreTheWholeListInOrder() throws {
            try TestDatabase.withConnectSchema { schema in
                let connection = schema.connection
                // 130 live and 120 archived FAILED entries; every fifth shares its time with the
                // one before, and six have no created_at (the archive's column has no default)
                try connection.execute(
                    """
                    INSERT INTO \(schema.name)._trigger_log (id, table_name, record_id, action, state, created_at, sf_message)
                    SELECT n, 'account', n, 'UPDATE', 'FAILED',
                           timestamp '2026-12-01 00:00' + ((n - n % 5 / 4) * interval '1 minute'), 'X: failed'
                    FROM generate_series(1, 130) AS n
                    """)
                try connection.execute(
                    """
                    INSERT INTO \(schema.name)._trigger_log_archive (id, table_name, record_id, action, state, created_at, sf_message)
                    SELECT n, 'contact', n, 'INSERT', 'FAILED',
                           CASE WHEN n % 20 = 0 THEN NULL ELSE timestamp '2026-11-30 00:00' + (n * interval '37 seconds') END, 'Y: failed'
                    FROM generate_series(1001, 1120) AS n
                    """)
                let store = try TriggerLogStore(connection: connection, schemaName: schema.name)
                let query = TriggerLogQuery.failed()
                let everything = try store.entries(matching: query).map(\.id)
                #expect(everything.count == 250)

                var forwards: [Int] = []
                var position: TriggerLogQuery.Position?
                while true {
                    let page = try store.entries(matching: query.after(position).limit(17))
                    forwards += page.map(\.id)
                    guard page.count == 17, let last = page.last else { break }
                    position = .init(last)
                }
                #expect(forwards == everything)

                var backwards: [Int] = []
                position = nil
                while true {
                    let page = try store.entries(matching: query.ordered(.oldestFirst).after(position).limit(23))
                    backwards += page.map(\.id)
                    guard page.count == 23, let last = page.last else { break }
                    position = .init(last)
                }
                #expect(backwards == everything.reversed())

                // a page from the middle, either way, is the neighbours of its entry
                let middle = try store.entries(matching: query).filter { $0.id == everything[100] }[0]
                let after = try store.entries(matching: query.after(.init(middle)).limit(5)).map(\.id)
                #expect(after == Array(everything[101...105]))
                let before = try store.entries(matching: query.ordered(.oldestFirst).after(.init(middle)).limit(5)).map(\.id)
                #expect(before == Array(everything[95...99].reversed()))
            }
        }
    }
}
