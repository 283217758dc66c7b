import Foundation
@testable import HCConnectCLI
import HerokuConnect
import Postgres
import TestSupport
import Testing

extension IntegrationSuites {
    /// What `check`, `stats --brief`, `stats` and `tables` read on a generated log of a few
    /// hundred thousand entries, seen from the server's own counters, and how estimates are
    /// shown.
    @Suite(.tags(.database, .slow)) struct MonitoringCostTests {
        /// The server's scan counters of one log table.
        struct Scans: Equatable {
            var sequential: Int
            var index: Int
        }

        static func scans(_ schema: ConnectTestSchema, _ location: TriggerLogLocation) throws -> Scans {
            let row = try schema.connection.query(
                "SELECT coalesce(seq_scan, 0), coalesce(idx_scan, 0) FROM pg_stat_user_tables WHERE relid = to_regclass($1)",
                [.text(schema.quoted + "." + location.tableName)])[0]
            return Scans(sequential: try row.int(0) ?? 0, index: try row.int(1) ?? 0)
        }

        /// The counters of both log tables once the server has taken in what `run` did: a
        /// session's counters reach the shared statistics when it ends, a moment after the
        /// client closes it, so this waits until `settled` accepts them (or 10 seconds pass).
        static func scans(
            after run: () throws -> Void, in schema: ConnectTestSchema, settled: ([TriggerLogLocation: Scans]) -> Bool
        ) throws -> [TriggerLogLocation: Scans] {
            try run()
            let deadline = ContinuousClock.now + .seconds(10)
            var counters: [TriggerLogLocation: Scans] = [:]
            repeat {
                _ = try schema.connection.query("SELECT pg_stat_clear_snapshot()")
                for location in TriggerLogLocation.allCases { counters[location] = try scans(schema, location) }
                if settled(counters) { break }
                Thread.sleep(forTimeInterval: 0.05)
            } while ContinuousClock.now < deadline
            return counters
        }

        @Test func checkAndBriefStatsNeverReadALogTableSequentially() throws {
            try TestDatabase.withConnectSchema { schema in
                // 10% FAILED: enough that a planner left to itself may well prefer reading the
                // whole archive
                try schema.connection.execute("SELECT hcemu.generate_log($1, 250000, 25000, 0.1)", [.text(schema.name)])
                let before = [
                    TriggerLogLocation.live: try Self.scans(schema, .live), .archive: try Self.scans(schema, .archive),
                ]
                let runs: [[String]] = [
                    ["check", "--max-failed", "0", "--max-backlog-age", "1h", "--max-failed-age", "1d", "--max-backlog", "10"],
                    ["check", "--format", "json", "--max-failed", "0"],
                    ["check", "--format", "prometheus", "--max-failed", "100000", "--table", "account"],
                    ["check"],
                    ["stats", "--brief"],
                    ["stats", "--brief", "--format", "json", "--table", "contact,opportunity"],
                ]
                let after = try Self.scans(
                    after: {
                        for arguments in runs {
                            let result = try hcconnect(arguments, schema: schema.name)
                            #expect([0, 1].contains(result.status), "\(arguments): \(result.stderr)")
                        }
                    }, in: schema,
                    settled: { counters in
                        // every run read both tables through an index at least once
                        TriggerLogLocation.allCases.allSatisfy { counters[$0]!.index >= before[$0]!.index + runs.count }
                    })
                for location in TriggerLogLocation.allCases {
                    #expect(after[location]!.index >= before[location]!.index + runs.count, "\(location)")
                    #expect(after[location]!.sequential == before[location]!.sequential, "\(location) was read in full")
                }

                // the measure can fail: a full count reads both tables from end to end
                let exact = try Self.scans(
                    after: {
                        let result = try hcconnect(["stats", "--exact"], schema: schema.name)
                        #expect(result.status == 0)
                    }, in: schema,
                    settled: { counters in
                        TriggerLogLocation.allCases.allSatisfy { counters[$0]!.sequential > after[$0]!.sequential }
                    })
                #expect(exact[.archive]!.sequential > after[.archive]!.sequential)

                try estimatesAreMarkedInEveryFormat(schema)
            }
        }

        /// `stats` and `tables` above the threshold (lowered with HCCONNECT_ESTIMATE_THRESHOLD).
        func estimatesAreMarkedInEveryFormat(_ schema: ConnectTestSchema) throws {
            let lowered = ["HCCONNECT_ESTIMATE_THRESHOLD": "100000"]
            let text = try hcconnect(["stats"], schema: schema.name, environment: lowered)
            #expect(text.status == 0, "\(text.stderr)")
            let archiveRows = text.lines.filter { $0.contains(" archive ") && !$0.hasPrefix("~") }
            #expect(archiveRows.count == 4)
            #expect(archiveRows.allSatisfy { $0.contains("~") }, "\(archiveRows)")
            #expect(text.lines.last?.hasPrefix("~ estimated from the planner's statistics: the archive (~") == true, "\(text.stdout)")
            // the live log (25,000 entries) is below the threshold: counted
            #expect(!(text.lines.first { $0.hasPrefix("account ") && $0.contains(" live ") } ?? "~").contains("~"))

            let json = try #require(try jsonLines(try hcconnect(["stats", "--json"], schema: schema.name, environment: lowered).stdout).first)
            #expect(json["estimated"] as? Bool == true)
            #expect((json["totals"] as? [String: Any])?["estimated"] as? Bool == true)
            let exactJSON = try #require(try jsonLines(try hcconnect(["stats", "--json"], schema: schema.name).stdout).first)
            #expect(exactJSON["estimated"] as? Bool == false)
            let failed = { (object: [String: Any]) in (object["totals"] as? [String: Any])?["failed"] as? Int }
            #expect(failed(json) != nil && failed(json) == failed(exactJSON))

            let csv = try hcconnect(["tables", "--format", "csv"], schema: schema.name, environment: lowered)
            let rows = csv.stdout.components(separatedBy: "\r\n").filter { !$0.isEmpty }.map { $0.components(separatedBy: ",") }
            #expect(rows.first?.last == "estimated")
            #expect(rows.contains { $0[3] == "archive" && $0[4] == "SUCCESS" && $0[6] == "true" })
            #expect(rows.contains { $0[3] == "archive" && $0[4] == "FAILED" && $0[6] == "false" })
            #expect(rows.contains { $0[3] == "live" && $0[4] == "SUCCESS" && $0[6] == "false" })
            let exactCSV = try hcconnect(["tables", "--format", "csv", "--exact"], schema: schema.name, environment: lowered)
            #expect(!exactCSV.stdout.contains(",true\r\n"))
        }

        @Test func briefStatsAreOneLineOneObjectOrOneRow() throws {
            try TestDatabase.withConnectSchema { schema in
                try StatsCheckCommandTests.fixture(schema)
                let text = try hcconnect(["stats", "--brief"], schema: schema.name)
                #expect(text.status == 0)
                #expect(text.stdout == "backlog 2 (oldest 2h) · FAILED 3 (oldest 2d) · last processed 30m ago\n")

                let json = try #require(try jsonLines(try hcconnect(["stats", "--brief", "--json"], schema: schema.name).stdout).first)
                #expect(Set(json.keys) == [
                    "schema", "measured_at", "failed", "failed_oldest_at", "failed_oldest_age_seconds", "backlog",
                    "backlog_oldest_at", "backlog_oldest_age_seconds", "last_processed_at", "last_processed_age_seconds",
                ])
                #expect(json["failed"] as? Int == 3 && json["backlog"] as? Int == 2)

                let csv = try hcconnect(["stats", "--brief", "--format", "csv", "--table", "account"], schema: schema.name)
                let rows = csv.stdout.components(separatedBy: "\r\n").filter { !$0.isEmpty }.map { $0.components(separatedBy: ",") }
                #expect(rows.count == 2)
                #expect(rows.first == StatisticsReport.briefCSVHeader)
                #expect(rows.last?[0] == "1" && rows.last?[3] == "1")
            }
        }

        @Test func wrongInputIsOneLineAndExitTwo() throws {
            let both = try hcconnect(["stats", "--brief", "--exact"], environment: ["DATABASE_URL": "postgresql://127.0.0.1:1/x"])
            #expect(both.status == 2)
            #expect(both.stderr == "hcconnect: --brief and --exact cannot be used together\n")
            for value in ["many", "-1", ""] {
                let result = try hcconnect(
                    ["tables"], environment: ["DATABASE_URL": "postgresql://127.0.0.1:1/x", "HCCONNECT_ESTIMATE_THRESHOLD": value])
                #expect(result.status == 2, "\(value)")
                #expect(result.stderr == "hcconnect: HCCONNECT_ESTIMATE_THRESHOLD: '\(value)' is not a number of entries (0 or more)\n")
            }
            #expect(try hcconnect(["check", "--exact"]).status == 2)
        }

        @Test(arguments: [
            (5, "~5"), (99, "~99"), (870, "~870"), (1_250, "~1.3k"), (9_960, "~10k"), (45_300, "~45k"), (999_999, "~1M"),
            (1_234_567, "~1.2M"), (12_345_678, "~12M"), (2_000_000_000, "~2G"),
        ])
        func estimatesAreWrittenToTwoDigits(value: Int, text: String) {
            #expect(StatisticsReport.estimate(value) == text)
        }
    }
}
