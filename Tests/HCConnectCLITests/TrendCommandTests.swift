import Foundation
import HerokuConnect
import TestSupport
import Testing

@testable import HCConnectCLI

extension IntegrationSuites {
    /// `hcconnect trend`: the chart, its numbers in JSON and CSV, and bad input.
    @Suite(.tags(.database)) struct TrendCommandTests {
        /// Failures 2 hours before the current hour (two of account, one of contact, one
        /// archived and ignored) and in the current hour (one of contact), and entries that
        /// are not failures.
        static func fixture(_ schema: ConnectTestSchema) throws {
            try schema.execute("TRUNCATE _trigger_log, _trigger_log_archive")
            for (archived, state, table, hoursBack) in [
                (false, "FAILED", "account", 2), (true, "IGNORED", "account", 2), (true, "REQUEUED", "contact", 2),
                (false, "FAILED", "contact", 0), (false, "SUCCESS", "account", 0), (true, "SUCCESS", "contact", 2),
                (false, "NEW", "account", 1),
            ] {
                let id = try schema.insertEntry(archived: archived, state: state, table: table, message: "UNABLE_TO_LOCK_ROW: x")
                let target = archived ? "_trigger_log_archive" : "_trigger_log"
                try schema.connection.execute(
                    "UPDATE \(schema.quoted).\(target) SET created_at = date_trunc('hour', now()) - $2::int * interval '1 hour',"
                        + " processed_at = date_trunc('hour', now()) - $2::int * interval '1 hour' + interval '1 minute',"
                        + " updated_at = NULL WHERE id = $1", [.int(id), .int(hoursBack)])
            }
        }

        /// Runs `body` again when the server's hour changed while it ran.
        static func withinOneHour<T>(_ schema: ConnectTestSchema, _ body: () throws -> T) throws -> T {
            func hour() throws -> String? {
                try schema.connection.query("SELECT date_trunc('hour', now())::text")[0].string(0)
            }
            while true {
                let before = try hour()
                let result = try body()
                if try hour() == before { return result }
            }
        }

        @Test func theChartFitsEightyColumnsWithATotalAndAPeak() throws {
            try TestDatabase.withConnectSchema { schema in
                let result = try Self.withinOneHour(schema) { () throws -> CLIResult in
                    try Self.fixture(schema)
                    return try hcconnect(["trend"], schema: schema.name, terminal: true, columns: 80)
                }
                #expect(result.status == 0, "\(result.stderr)")
                let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
                #expect(lines.count == 1 + TrendCommand.chartHeight + 2)
                #expect(lines.allSatisfy { DisplayText.width($0) <= 80 }, "\(result.stdout)")
                #expect(lines[0].hasPrefix("failures by hour since "))
                #expect(lines[0].contains(": 4 · peak 3 at "), "\(lines[0])")
                // the scale is the peak, and the axis is under the bars
                #expect(lines[1].hasPrefix("3 ┤"))
                #expect(lines[1 + TrendCommand.chartHeight].hasPrefix("0 └"))
                // 24 bars of 2 columns and a gap: the bucket 2 hours back is the 22nd, full height
                let top = Array(lines[1].dropFirst(3))
                #expect(top.count >= 21 * 3 + 2)
                #expect(String(top[21 * 3..<21 * 3 + 2]) == "██")
                #expect(top.filter { $0 == "█" }.count == 2)
            }
        }

        @Test func perTableDrawsAChartForEachTable() throws {
            try TestDatabase.withConnectSchema { schema in
                let result = try Self.withinOneHour(schema) { () throws -> CLIResult in
                    try Self.fixture(schema)
                    return try hcconnect(["trend", "--per-table", "--since", "6h"], schema: schema.name)
                }
                #expect(result.status == 0, "\(result.stderr)")
                let titles = result.lines.filter { !$0.hasPrefix(" ") && !$0.first!.isNumber }
                #expect(titles.count == 3, "\(result.stdout)")
                #expect(titles[1].hasPrefix("account since ") && titles[1].contains(": 2 · peak 2 at "))
                #expect(titles[2].hasPrefix("contact since ") && titles[2].contains(": 2 · peak 1 at "))
            }
        }

        @Test func jsonAndCSVHaveOneRecordPerBucket() throws {
            try TestDatabase.withConnectSchema { schema in
                let (json, csv, table) = try Self.withinOneHour(schema) { () throws -> (CLIResult, CLIResult, CLIResult) in
                    try Self.fixture(schema)
                    return (
                        try hcconnect(["trend", "--since", "3h", "--json", "--per-table"], schema: schema.name),
                        try hcconnect(["trend", "--since", "3h", "--format", "csv", "--per-table"], schema: schema.name),
                        try hcconnect(["trend", "--since", "3h", "--format", "csv", "--table", "Account", "--in", "live"], schema: schema.name)
                    )
                }
                let objects = try jsonLines(json.stdout)
                #expect(objects.count == 3)
                #expect(objects.map { $0["failures"] as? Int } == [2 + 1, 0, 1])
                #expect((objects[0]["tables"] as? [String: Int]) == ["account": 2, "contact": 1])
                #expect((objects[2]["tables"] as? [String: Int]) == ["account": 0, "contact": 1])
                let starts = objects.compactMap { $0["start"] as? String }
                #expect(starts.count == 3 && starts == starts.sorted())

                let rows = csv.stdout.components(separatedBy: "\r\n").filter { !$0.isEmpty }
                #expect(rows.first == "start,failures,account,contact")
                #expect(rows.dropFirst().map { $0.split(separator: ",").dropFirst().joined(separator: ",") } == ["3,2,1", "0,0,0", "1,0,1"])
                #expect(rows.dropFirst().map { String($0.prefix { $0 != "," }) } == starts)

                let filtered = table.stdout.components(separatedBy: "\r\n").filter { !$0.isEmpty }
                #expect(filtered.dropFirst().map { $0.split(separator: ",").last.map(String.init) } == ["1", "0", "0"])
            }
        }

        @Test func byDayCoversTheLogFromItsOldestFailure() throws {
            try TestDatabase.withConnectSchema { schema in
                try schema.insertEntry(archived: true, state: "FAILED", createdAgo: "5 days")
                try schema.insertEntry(state: "FAILED", createdAgo: "1 minute")
                let result = try hcconnect(["trend", "--by", "day", "--format", "csv"], schema: schema.name)
                #expect(result.status == 0, "\(result.stderr)")
                let counts = result.stdout.components(separatedBy: "\r\n").dropFirst().filter { !$0.isEmpty }
                    .map { $0.split(separator: ",")[1] }
                // the day of the oldest failure to today: 6 days, or 7 when "5 days ago" and "1
                // minute ago" fall on days 6 apart (run just after midnight)
                #expect([6, 7].contains(counts.count), "\(counts)")
                #expect(counts.first == "1" && counts.last == "1" && counts.dropFirst().dropLast().allSatisfy { $0 == "0" })
                // a day is named by its date
                let text = try hcconnect(["trend", "--by", "day"], schema: schema.name)
                #expect(text.lines.first?.hasPrefix("failures by day since ") == true)
                #expect(text.lines.first?.contains(": 2 · peak 1 on ") == true, "\(text.stdout)")
                #expect(text.lines.first?.hasSuffix(":00") == false)
            }
        }

        @Test func perTableWithoutFailuresStillDrawsTheWindow() throws {
            try TestDatabase.withConnectSchema { schema in
                let result = try hcconnect(["trend", "--per-table"], schema: schema.name)
                #expect(result.status == 0, "\(result.stderr)")
                #expect(result.lines.count == 1 + TrendCommand.chartHeight + 2)
                #expect(result.lines.first?.hasSuffix(": 0") == true)
            }
        }

        @Test func badInputIsOneLineAndTheDocumentedStatus() throws {
            try TestDatabase.withConnectSchema { schema in
                let cases: [([String], Int32, String)] = [
                    (["trend", "--by", "week"], 2, "hcconnect: --by: 'week' is not hour or day\n"),
                    (["trend", "--since", "yesterday"], 2, "hcconnect: --since: 'yesterday' is not a duration (30m, 12h, 3d, 2w)\n"),
                    (["trend", "--since", "100w"], 2, "hcconnect: --since: '100w' is more than 10,000 hours; use --by day\n"),
                    (["trend", "--table", "acount"], 3,
                     "hcconnect: no table \"acount\" in schema \"\(schema.name)\" is mapped or has trigger log entries; did you mean \"account\"?\n"),
                    (["trend", "--format", "ids"], 2, ""),
                    (["trend", "extra"], 2, ""),
                ]
                for (arguments, status, message) in cases {
                    let result = try hcconnect(arguments, schema: schema.name)
                    #expect(result.status == status, "\(arguments): \(result.stderr)")
                    #expect(result.stdout.isEmpty)
                    #expect(result.stderr.split(separator: "\n").count == 1, "\(arguments): \(result.stderr)")
                    if !message.isEmpty { #expect(result.stderr == message) }
                }
            }
        }

        @Test func helpDescribesTheCommand() throws {
            let page = try hcconnect(["help", "trend"])
            #expect(page.status == 0)
            #expect(page.stdout.contains("trend [--by hour|day] [--since DUR]"))
            #expect(page.stdout.contains("--per-table"))
            #expect(try hcconnect(["help"]).stdout.contains("  trend "))
        }
    }
}
