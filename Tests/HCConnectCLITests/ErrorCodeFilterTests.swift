import Foundation
import TestSupport
import Testing

extension IntegrationSuites {
    /// `--code`: from an error group that `errors` shows to the entries behind it, in every
    /// command that takes filters (`errors` → `ignore --failed --code DUPLICATE_VALUE`).
    @Suite(.tags(.database)) struct ErrorCodeFilterTests {
        /// Failures with codes found in each of the ways the parser knows, and without one.
        struct Fixture {
            var duplicate: [Int] = []
            var lock: [Int] = []
            var noCode: [Int] = []
            var limit = 0

            init(_ schema: ConnectTestSchema) throws {
                duplicate.append(try schema.insertEntry(recordID: 1, message: "DUPLICATE_VALUE: duplicate value found: x"))
                duplicate.append(
                    try schema.insertEntry(archived: true, table: "contact", recordID: 2, message: "DUPLICATE_VALUE:dup:--"))
                // after a prefix of words: still the code errors shows
                duplicate.append(try schema.insertEntry(recordID: 3, message: "Upsert failed: DUPLICATE_VALUE: dup"))
                lock.append(try schema.insertEntry(recordID: 4, message: "UNABLE_TO_LOCK_ROW: unable to obtain exclusive access"))
                // the code as a word inside another message is not its code
                noCode.append(try schema.insertEntry(recordID: 5, message: "Salesforce said DUPLICATE_VALUE somewhere"))
                noCode.append(try schema.insertEntry(recordID: 6, message: nil))
                limit = try schema.insertEntry(recordID: 7, message: "REQUEST_LIMIT_EXCEEDED")
                // not FAILED: never chosen by a repair, listed by `list`
                try schema.insertEntry(state: "SUCCESS", recordID: 8, message: "DUPLICATE_VALUE: once")
            }
        }

        private func ids(_ arguments: [String], _ schema: ConnectTestSchema) throws -> Set<Int> {
            let result = try hcconnect(arguments + ["--format", "ids"], schema: schema.name)
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
            return Set(result.lines.compactMap { Int($0) })
        }

        @Test func listingsSelectTheCodeErrorsShows() throws {
            try TestDatabase.withConnectSchema { schema in
                let f = try Fixture(schema)
                #expect(try ids(["failed", "--code", "DUPLICATE_VALUE"], schema) == Set(f.duplicate))
                #expect(try ids(["failed", "--code", "duplicate_value"], schema) == Set(f.duplicate), "read in capitals")
                #expect(try ids(["failed", "--code", "DUPLICATE_VALUE,REQUEST_LIMIT_EXCEEDED"], schema) == Set(f.duplicate + [f.limit]))
                #expect(try ids(["failed", "--code", "UNABLE_TO_LOCK_ROW", "--code", "REQUEST_LIMIT_EXCEEDED"], schema) == Set(f.lock + [f.limit]))
                #expect(try ids(["failed", "--code", "DUPLICATE_VALUE", "--in", "archive"], schema) == [f.duplicate[1]])
                #expect(try ids(["failed", "--code", "NO_SUCH_CODE"], schema).isEmpty)
                #expect(try ids(["list", "--code", "DUPLICATE_VALUE"], schema).count == 4)

                // the groups errors shows with a code hold exactly the entries --code selects
                func groups(_ arguments: [String]) throws -> [[String: Any]] {
                    let result = try hcconnect(["errors", "--json"] + arguments, schema: schema.name)
                    return try result.lines.map { try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
                }
                let all = try groups([]).filter { $0["code"] as? String == "DUPLICATE_VALUE" }
                #expect(Set(all.flatMap { $0["example_ids"] as? [Int] ?? [] }) == Set(f.duplicate))
                let filtered = try groups(["--code", "DUPLICATE_VALUE"])
                #expect(filtered.allSatisfy { $0["code"] as? String == "DUPLICATE_VALUE" })
                #expect(filtered.compactMap { $0["count"] as? Int }.reduce(0, +) == f.duplicate.count)
            }
        }

        @Test func aRepairOfOneCodeChangesOnlyItsEntries() throws {
            try TestDatabase.withConnectSchema { schema in
                let f = try Fixture(schema)
                let result = try hcconnect(["ignore", "--failed", "--code", "DUPLICATE_VALUE", "--yes", "--format", "ids"], schema: schema.name)
                #expect(result.status == 0, "\(result.stderr)")
                #expect(Set(result.lines.compactMap { Int($0) }) == Set(f.duplicate))
                let ignored = try schema.connection.query("""
                    SELECT id FROM \(schema.quoted)._trigger_log WHERE state = 'IGNORED'
                    UNION ALL SELECT id FROM \(schema.quoted)._trigger_log_archive WHERE state = 'IGNORED' ORDER BY 1
                    """).map { try $0.int(0)! }
                #expect(ignored == f.duplicate.sorted())

                let cleanup = try hcconnect(
                    ["cleanup", "--retry-matching", "(?i)unable", "--code", "UNABLE_TO_LOCK_ROW", "--yes", "--json"], schema: schema.name)
                #expect(cleanup.status == 0, "\(cleanup.stderr)")
                #expect(try schema.connection.query(
                    "SELECT state FROM \(schema.quoted)._trigger_log WHERE id = $1", [.int(f.lock[0])])[0].string(0) == "NEW")
                #expect(try ids(["failed"], schema) == Set(f.noCode + [f.limit]))
            }
        }

        @Test(arguments: ["X", "1ABC", "DUPLICATE VALUE", "DUPLICATE-VALUE", "DUPLICATE_VALUE:", "ÜBER_CODE"])
        func aValueThatIsNotACodeIsAUsageError(_ value: String) throws {
            let result = try hcconnect(["failed", "--code", value], environment: ["DATABASE_URL": "postgresql://127.0.0.1:1/never"])
            #expect(result.status == 2)
            #expect(
                result.stderr
                    == "hcconnect: --code: '\(value)' is not an error code (capitals, digits and _, as hcconnect errors shows them: DUPLICATE_VALUE)\n")
        }
    }
}
