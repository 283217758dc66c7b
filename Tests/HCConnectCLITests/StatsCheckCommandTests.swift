import Foundation
@testable import HCConnectCLI
import TestSupport
import Testing

extension IntegrationSuites {
    /// `stats` and `check` against the emulation, and the Prometheus output read back by a
    /// strict parser.
    @Suite(.tags(.database)) struct StatsCheckCommandTests {
        /// Three FAILED entries (the oldest 2 days old), a backlog of two (the oldest 2 hours
        /// old), one entry processed 30 minutes ago, and a FAILED entry of an unmapped table.
        static func fixture(_ schema: ConnectTestSchema) throws {
            try schema.insertEntry(state: "FAILED", table: "account", createdAgo: "3 hours", processed: false)
            try schema.insertEntry(archived: true, state: "FAILED", table: "contact", createdAgo: "2 days", processed: false)
            try schema.insertEntry(state: "FAILED", table: "legacy__c", createdAgo: "1 hour", processed: false)
            try schema.insertEntry(state: "NEW", table: "account", createdAgo: "2 hours", processed: false)
            try schema.insertEntry(state: "PENDING", table: "opportunity", createdAgo: "10 minutes", processed: false)
            try schema.insertEntry(archived: true, state: "SUCCESS", table: "account", createdAgo: "30 minutes 5 seconds")
        }

        /// True when a server-measured age is `expected` seconds, give or take the time the test takes.
        func isAbout(_ value: Any?, _ expected: Double) -> Bool {
            let age: Double
            switch value {
            case let number as Double: age = number
            case let number as Int: age = Double(number)
            case let number as NSNumber: age = number.doubleValue
            default: return false
            }
            return age >= expected && age < expected + 60
        }

        // MARK: - stats

        @Test func statsShowsTheHeadlineAndATableForPeople() throws {
            try TestDatabase.withConnectSchema { schema in
                try Self.fixture(schema)
                let result = try hcconnect(["stats"], schema: schema.name)
                #expect(result.status == 0, "\(result.stderr)")
                #expect(result.stderr.isEmpty)
                #expect(result.lines.first == "backlog 2 (oldest 2h) · FAILED 3 (oldest 2d) · last processed 30m ago")
                let account = try #require(result.lines.first { $0.hasPrefix("account ") && $0.contains("read-write") })
                #expect(account.split(separator: " ").map(String.init) == ["account", "read-write", "1", "2h", "1", "3h", "30m", "ago"])
                let legacy = try #require(result.lines.first { $0.hasPrefix("legacy__c ") && $0.contains("not mapped") })
                #expect(legacy.contains(" 1 ") && legacy.hasSuffix("never"))
                #expect(result.lines.contains { $0.hasPrefix("TABLE ") && $0.contains("PENDING") && $0.contains("FAILED") })
            }
        }

        @Test func statsWritesOneJSONObjectWithTotalsAndTables() throws {
            try TestDatabase.withConnectSchema { schema in
                try Self.fixture(schema)
                let result = try hcconnect(["stats", "--json"], schema: schema.name)
                #expect(result.status == 0)
                let objects = try jsonLines(result.stdout)
                #expect(objects.count == 1)
                let object = try #require(objects.first)
                #expect(Set(object.keys) == ["schema", "measured_at", "estimated", "totals", "tables"])
                #expect(object["estimated"] as? Bool == false)
                #expect(object["schema"] as? String == schema.name)
                let totals = try #require(object["totals"] as? [String: Any])
                #expect(Set(totals.keys) == [
                    "live", "archive", "estimated", "failed", "failed_oldest_at", "failed_oldest_age_seconds", "backlog", "backlog_oldest_at",
                    "backlog_oldest_age_seconds", "last_processed_at", "last_processed_age_seconds",
                ])
                #expect(totals["failed"] as? Int == 3)
                #expect(totals["backlog"] as? Int == 2)
                #expect(isAbout(totals["failed_oldest_age_seconds"], 2 * 86_400))
                #expect(isAbout(totals["backlog_oldest_age_seconds"], 7200))
                #expect(isAbout(totals["last_processed_age_seconds"], 1800))
                #expect(totals["live"] as? [String: Int] == ["FAILED": 2, "NEW": 1, "PENDING": 1])
                #expect(totals["archive"] as? [String: Int] == ["FAILED": 1, "SUCCESS": 1])
                let tables = try #require(object["tables"] as? [[String: Any]])
                #expect(tables.map { $0["table"] as? String } == ["account", "contact", "opportunity", "user", "legacy__c"])
                #expect(tables.map { $0["mapped"] as? Bool } == [true, true, true, true, false])
                #expect(tables.map { $0["read_only"] as? Bool } == [false, false, false, true, false])
                let user = tables[3]
                #expect(user["failed_oldest_age_seconds"] is NSNull)
                #expect(user["backlog_oldest_at"] is NSNull)
                #expect(user["last_processed_age_seconds"] is NSNull)
                #expect(user["live"] as? [String: Int] == [:])
            }
        }

        @Test func statsWritesOneCSVRowPerTable() throws {
            try TestDatabase.withConnectSchema { schema in
                try Self.fixture(schema)
                let result = try hcconnect(["stats", "--format", "csv", "--table", "account,user"], schema: schema.name)
                #expect(result.status == 0)
                let rows = result.stdout.components(separatedBy: "\r\n").filter { !$0.isEmpty }.map { $0.components(separatedBy: ",") }
                #expect(rows.first == StatisticsReport.csvHeader)
                #expect(rows.count == 3)
                #expect(rows[1][0...5] == ["account", "true", "false", "2", "1", "1"])
                #expect(rows[1][8] == "1")
                #expect(rows[2] == ["user", "true", "true", "0", "0", "0", "", "", "0", "", "", "", "", "false"])
            }
        }

        @Test func anEmptyLogHasNoAges() throws {
            try TestDatabase.withConnectSchema { schema in
                let table = try hcconnect(["stats"], schema: schema.name)
                #expect(table.status == 0)
                #expect(table.lines.first == "backlog 0 · FAILED 0 · nothing processed")
                let json = try jsonLines(try hcconnect(["stats", "--json"], schema: schema.name).stdout)[0]
                let totals = try #require(json["totals"] as? [String: Any])
                #expect(totals["failed"] as? Int == 0)
                #expect(totals["failed_oldest_age_seconds"] is NSNull)
                #expect(totals["backlog_oldest_age_seconds"] is NSNull)
                #expect(totals["last_processed_at"] is NSNull)
                let check = try hcconnect(["check", "--max-failed-age", "1s", "--max-backlog-age", "1s", "--json"], schema: schema.name)
                #expect(check.status == 0)
                #expect(try jsonLines(check.stdout)[0]["healthy"] as? Bool == true)
            }
        }

        @Test func statsRefusesUnknownTablesFormatsAndArguments() throws {
            try TestDatabase.withConnectSchema { schema in
                let unknown = try hcconnect(["stats", "--table", "acount"], schema: schema.name)
                #expect(unknown.status == 3)
                #expect(unknown.stderr.contains("acount"))
                #expect(unknown.stderr.contains("account"))
                for format in ["prometheus", "ids"] {
                    let result = try hcconnect(["stats", "--format", format], schema: schema.name)
                    #expect(result.status == 2)
                    #expect(result.stderr == "hcconnect: --format: '\(format)' is not available for stats; use table, json, csv\n")
                }
                #expect(try hcconnect(["stats", "extra"], schema: schema.name).status == 2)
                // The other commands refuse the new format too.
                for command in ["tables", "failed", "list", "errors"] {
                    let result = try hcconnect([command, "--format", "prometheus"], schema: schema.name)
                    #expect(result.status == 2, "\(command)")
                    #expect(result.stderr.contains("is not available for \(command)"), "\(command)")
                }
            }
        }

        // MARK: - check

        @Test func checkExitsZeroAtTheLimitAndOneAboveIt() throws {
            try TestDatabase.withConnectSchema { schema in
                try Self.fixture(schema)
                func check(_ arguments: [String]) throws -> CLIResult { try hcconnect(["check"] + arguments, schema: schema.name) }
                let healthy = try check(["--max-failed", "3", "--max-backlog", "2", "--max-failed-age", "3d", "--max-backlog-age", "3h"])
                #expect(healthy.status == 0, "\(healthy.stdout)")
                #expect(healthy.stdout.isEmpty)
                #expect(healthy.stderr.isEmpty)

                let failed = try check(["--max-failed", "2"])
                #expect(failed.status == 1)
                #expect(failed.stdout == "3 FAILED entries (limit 2)\n")
                let backlog = try check(["--max-backlog", "1"])
                #expect(backlog.status == 1)
                #expect(backlog.stdout == "backlog of 2 NEW/PENDING entries (limit 1)\n")
                let failedAge = try check(["--max-failed-age", "1d"])
                #expect(failedAge.status == 1)
                #expect(failedAge.stdout == "oldest FAILED entry is 2d old (limit 1d)\n")
                let backlogAge = try check(["--max-backlog-age=1h30m"])
                #expect(backlogAge.status == 1)
                #expect(backlogAge.stdout == "oldest backlog entry is 2h old (limit 1h 30m): the sync may be stuck\n")
                let all = try check(["--max-failed", "0", "--max-backlog", "0", "--max-failed-age", "1h", "--max-backlog-age", "1m"])
                #expect(all.status == 1)
                #expect(all.lines.count == 4)

                // Only the tables asked for: account has one FAILED entry and a backlog of one.
                let account = try check(["--table", "account", "--max-failed", "1", "--max-backlog", "1"])
                #expect(account.status == 0)
                let opportunity = try check(["--table", "opportunity", "--max-backlog-age", "15m", "--max-failed", "0"])
                #expect(opportunity.status == 0)
            }
        }

        @Test func checkOnATerminalShowsTheFiguresOnStandardError() throws {
            try TestDatabase.withConnectSchema { schema in
                try Self.fixture(schema)
                let healthy = try hcconnect(["check", "--max-failed", "10"], schema: schema.name, terminal: true)
                #expect(healthy.status == 0)
                #expect(healthy.stdout.isEmpty)
                #expect(healthy.stderr.hasPrefix("healthy: backlog 2 (oldest 2h) · FAILED 3"))
                let unhealthy = try hcconnect(["check", "--max-failed", "1"], schema: schema.name, terminal: true)
                #expect(unhealthy.status == 1)
                #expect(unhealthy.stdout == "3 FAILED entries (limit 1)\n")
                #expect(unhealthy.stderr.hasPrefix("backlog 2 (oldest 2h)"))
            }
        }

        @Test func checkWithoutLimitsReportsTheFiguresAndChecksNothing() throws {
            try TestDatabase.withConnectSchema { schema in
                try Self.fixture(schema)
                let table = try hcconnect(["check"], schema: schema.name)
                #expect(table.status == 0)
                #expect(table.stdout.isEmpty)
                #expect(table.stderr.hasPrefix("No limit given, so nothing was checked"))
                #expect(table.stderr.contains("backlog 2 (oldest 2h) · FAILED 3 (oldest 2d)"))
                let json = try hcconnect(["check", "--json"], schema: schema.name)
                #expect(json.status == 0)
                #expect(json.stderr.isEmpty)
                let object = try jsonLines(json.stdout)[0]
                #expect(object["healthy"] as? Bool == true)
                #expect((object["findings"] as? [Any])?.isEmpty == true)
                #expect(object["thresholds"] as? [String: NSNull] == [
                    "max_failed": NSNull(), "max_failed_age": NSNull(), "max_backlog": NSNull(), "max_backlog_age": NSNull(),
                ])
            }
        }

        @Test func checkWritesOneJSONObject() throws {
            try TestDatabase.withConnectSchema { schema in
                try Self.fixture(schema)
                let result = try hcconnect(["check", "--format", "json", "--max-failed", "2", "--max-backlog-age", "3h"], schema: schema.name)
                #expect(result.status == 1)
                let objects = try jsonLines(result.stdout)
                #expect(objects.count == 1)
                let object = objects[0]
                #expect(Set(object.keys) == ["schema", "measured_at", "healthy", "findings", "figures", "thresholds"])
                #expect(object["healthy"] as? Bool == false)
                let findings = try #require(object["findings"] as? [[String: Any]])
                #expect(findings.count == 1)
                #expect(findings[0]["check"] as? String == "max_failed")
                #expect(findings[0]["figure"] as? Int == 3)
                #expect(findings[0]["limit"] as? Int == 2)
                #expect(findings[0]["message"] as? String == "3 FAILED entries (limit 2)")
                let figures = try #require(object["figures"] as? [String: Any])
                #expect(figures["backlog"] as? Int == 2)
                #expect(isAbout(figures["backlog_oldest_age_seconds"], 7200))
                let thresholds = try #require(object["thresholds"] as? [String: Any])
                #expect(thresholds["max_failed"] as? Int == 2)
                #expect(thresholds["max_backlog_age"] as? Int == 10_800)
                #expect(thresholds["max_failed_age"] is NSNull)
            }
        }

        @Test func badLimitsAreUsageErrorsBeforeAnyConnection() throws {
            // The database is unreachable: a bad value must be reported before connecting.
            let down = ["DATABASE_URL": "postgresql://u@127.0.0.1:1/db?connect_timeout=2"]
            let cases: [([String], String)] = [
                (["--max-failed", "-1"], "--max-failed: '-1' is not a number of entries"),
                (["--max-failed", "abc"], "--max-failed: 'abc' is not a number of entries"),
                (["--max-failed", "1.5"], "--max-failed: '1.5' is not a number of entries"),
                (["--max-failed", "99999999999999999999"], "--max-failed: '99999999999999999999' is not a number of entries"),
                (["--max-backlog", ""], "--max-backlog: '' is not a number of entries"),
                (["--max-backlog", "-3"], "--max-backlog: '-3' is not a number of entries"),
                (["--max-failed-age", "abc"], "--max-failed-age: 'abc' is not a duration above zero"),
                (["--max-failed-age", "5x"], "--max-failed-age: '5x' is not a duration above zero"),
                (["--max-failed-age", "0s"], "--max-failed-age: '0s' is not a duration above zero"),
                (["--max-failed-age", "0"], "--max-failed-age: '0' is not a duration above zero"),
                (["--max-backlog-age", "-5m"], "--max-backlog-age: '-5m' is not a duration above zero"),
                (["--max-backlog-age", "15"], "--max-backlog-age: '15' is not a duration above zero"),
                (["--max-backlog-age", "2026-01-01"], "--max-backlog-age: '2026-01-01' is not a duration above zero"),
                (["--max-backlog"], "--max-backlog needs a value"),
                (["--max-failed", "1", "--max-failed", "2"], "--max-failed is given more than once"),
                (["--max-faild", "1"], "unknown option '--max-faild'; did you mean '--max-failed'"),
                (["--format", "csv"], "--format: 'csv' is not available for check; use table, json, prometheus"),
                (["now"], "unexpected argument 'now'"),
            ]
            for (arguments, message) in cases {
                let result = try hcconnect(["check"] + arguments, environment: down)
                #expect(result.status == 2, "\(arguments): \(result.stderr)")
                #expect(result.stderr.hasPrefix("hcconnect: " + message), "\(arguments): \(result.stderr)")
                #expect(result.stderr.split(separator: "\n").count == 1, "\(arguments)")
                #expect(result.stdout.isEmpty)
            }
        }

        @Test func anUnreachableDatabaseIsUnavailable() throws {
            let down = ["DATABASE_URL": "postgresql://u@127.0.0.1:1/db?connect_timeout=2"]
            for arguments in [["stats"], ["check", "--max-failed", "0"], ["check", "--format", "prometheus"]] {
                let result = try hcconnect(arguments + ["--retries", "0"], environment: down)
                #expect(result.status == 69, "\(arguments)")
                #expect(result.stdout.isEmpty)
                #expect(result.stderr.hasPrefix("hcconnect: cannot connect to the database"))
            }
        }

        // MARK: - Prometheus

        @Test func prometheusOutputParsesStrictlyWithEveryFigure() throws {
            // A schema name needing every escape of a label value: quote, backslash, line feed.
            let name = "t_q\"\\\n" + String(UInt64.random(in: 0..<(1 << 40)), radix: 16)
            try TestDatabase.withConnectSchema(named: name) { schema in
                try Self.fixture(schema)
                let result = try hcconnect(
                    ["check", "--format", "prometheus", "--max-failed", "2", "--max-backlog", "2", "--max-backlog-age", "1h"],
                    schema: schema.name)
                #expect(result.status == 1)
                #expect(result.stderr.isEmpty)
                let samples = try PrometheusExposition.parse(result.stdout)
                func value(_ metric: String, _ labels: [String: String]) -> Double? {
                    let matches = samples.filter { $0.name == metric && $0.labels == labels }
                    return matches.count == 1 ? matches[0].value : nil
                }
                let account = ["schema": name, "table": "account"]
                #expect(value("hcconnect_trigger_log_entries", account.merging(["location": "live", "state": "FAILED"]) { $1 }) == 1)
                // check reads only what an operator acts on: the live log's NEW, PENDING, REQUEUE
                // and FAILED entries and the archive's FAILED ones, each series always written
                #expect(value("hcconnect_trigger_log_entries", account.merging(["location": "archive", "state": "FAILED"]) { $1 }) == 0)
                #expect(value("hcconnect_trigger_log_entries", account.merging(["location": "live", "state": "REQUEUE"]) { $1 }) == 0)
                #expect(value("hcconnect_trigger_log_entries", account.merging(["location": "live", "state": "NEW"]) { $1 }) == 1)
                #expect(value("hcconnect_trigger_log_entries", account.merging(["location": "archive", "state": "SUCCESS"]) { $1 }) == nil)
                #expect(value("hcconnect_trigger_log_entries", account.merging(["location": "archive", "state": "NEW"]) { $1 }) == nil)
                #expect(value("hcconnect_failed_entries", ["schema": name, "table": "legacy__c"]) == 1)
                #expect(value("hcconnect_failed_entries", ["schema": name, "table": "user"]) == 0)
                #expect(value("hcconnect_backlog_entries", account) == 1)
                #expect(isAbout(value("hcconnect_backlog_oldest_age_seconds", account), 7200))
                #expect(isAbout(value("hcconnect_failed_oldest_age_seconds", ["schema": name, "table": "contact"]), 2 * 86_400))
                #expect(isAbout(value("hcconnect_last_processed_age_seconds", account), 1800))
                // No entry, no age: the series is left out rather than written as 0.
                #expect(value("hcconnect_backlog_oldest_age_seconds", ["schema": name, "table": "user"]) == nil)
                #expect(value("hcconnect_backlog_entries", ["schema": name, "table": "user"]) == 0)

                #expect(value("hcconnect_check_healthy", ["schema": name]) == 0)
                #expect(value("hcconnect_check_threshold", ["schema": name, "check": "max_failed"]) == 2)
                #expect(value("hcconnect_check_threshold", ["schema": name, "check": "max_backlog_age"]) == 3600)
                #expect(value("hcconnect_check_threshold", ["schema": name, "check": "max_failed_age"]) == nil)
                #expect(value("hcconnect_check_figure", ["schema": name, "check": "max_failed"]) == 3)
                #expect(value("hcconnect_check_threshold_crossed", ["schema": name, "check": "max_failed"]) == 1)
                #expect(value("hcconnect_check_threshold_crossed", ["schema": name, "check": "max_backlog"]) == 0)
                #expect(value("hcconnect_check_threshold_crossed", ["schema": name, "check": "max_backlog_age"]) == 1)
                let duration = try #require(value("hcconnect_check_duration_seconds", ["schema": name]))
                #expect(duration > 0 && duration < 60)

                let healthy = try hcconnect(["check", "--format", "prometheus", "--max-failed", "3"], schema: schema.name)
                #expect(healthy.status == 0)
                let healthySamples = try PrometheusExposition.parse(healthy.stdout)
                #expect(healthySamples.contains { $0.name == "hcconnect_check_healthy" && $0.value == 1 })
            }
        }

        @Test func prometheusWriterEscapesHostileLabelValuesAndHelp() throws {
            var writer = PrometheusWriter()
            let hostile = "a\"b\\c\nd} e=\"f\",g ünï"
            writer.gauge("hcconnect_test", help: "Help with \\ and\nnewline \"quoted\".", [
                .init([("schema", hostile), ("table", "")], 1.5), .init([("schema", "plain"), ("table", "t")], 42),
            ])
            writer.gauge("hcconnect_empty", help: "Never written.", [])
            writer.gauge("hcconnect_values", help: "Special values.", [
                .init([("v", "nan")], .nan), .init([("v", "inf")], .infinity), .init([("v", "-inf")], -.infinity),
                .init([("v", "small")], 0.000001), .init([("v", "big")], 1e20), .init([("v", "neg")], -3),
            ])
            writer.gauge("hcconnect_bare", help: "No labels.", [.init([], 0)])
            #expect(writer.text == #"""
                # HELP hcconnect_test Help with \\ and\nnewline "quoted".
                # TYPE hcconnect_test gauge
                hcconnect_test{schema="a\"b\\c\nd} e=\"f\",g ünï",table=""} 1.5
                hcconnect_test{schema="plain",table="t"} 42
                # HELP hcconnect_values Special values.
                # TYPE hcconnect_values gauge
                hcconnect_values{v="nan"} NaN
                hcconnect_values{v="inf"} +Inf
                hcconnect_values{v="-inf"} -Inf
                hcconnect_values{v="small"} 1e-06
                hcconnect_values{v="big"} 1e+20
                hcconnect_values{v="neg"} -3
                # HELP hcconnect_bare No labels.
                # TYPE hcconnect_bare gauge
                hcconnect_bare 0

                """#)
            let samples = try PrometheusExposition.parse(writer.text)
            #expect(samples[0].labels == ["schema": hostile, "table": ""])
            #expect(samples.count == 9)
            #expect(samples.first { $0.labels["v"] == "nan" }?.value.isNaN == true)
            #expect(PrometheusWriter.isMetricName("hcconnect_x:y") && !PrometheusWriter.isMetricName("1x") && !PrometheusWriter.isMetricName("a-b"))
            #expect(PrometheusWriter.isLabelName("schema") && !PrometheusWriter.isLabelName("__name") && !PrometheusWriter.isLabelName("a:b"))
        }

        @Test func theStrictParserRejectsMalformedExpositions() {
            let bad = [
                "hcconnect_x 1\n",  // no HELP or TYPE
                "# HELP hcconnect_x h\nhcconnect_x 1\n",  // no TYPE
                "# HELP hcconnect_x h\n# TYPE hcconnect_x gauge\nhcconnect_x{a=\"b\\q\"} 1\n",  // unknown escape
                "# HELP hcconnect_x h\n# TYPE hcconnect_x gauge\nhcconnect_x{a=\"b} 1\n",  // unterminated value
                "# HELP hcconnect_x h\n# TYPE hcconnect_x gauge\nhcconnect_x 1",  // no final line feed
                "# HELP hcconnect_x h\n# TYPE hcconnect_x gauge\nhcconnect_x one\n",  // not a number
                "# HELP hcconnect_x h\n# TYPE hcconnect_x gauge\nhcconnect_x 1\nhcconnect_x 2\n",  // duplicate series
                "# HELP hcconnect_x h\n# TYPE hcconnect_x gauge\nhcconnect_x 1\n# HELP hcconnect_x h\n# TYPE hcconnect_x gauge\n",
            ]
            for text in bad {
                #expect(throws: (any Error).self, "\(text)") { try PrometheusExposition.parse(text) }
            }
        }
    }
}

/// A strict reader of the Prometheus text format, as much of it as hcconnect writes:
/// every family has one `# HELP` and one `# TYPE gauge` line before its samples, samples
/// of a family are contiguous, label values use only the `\\`, `\"` and `\n` escapes, no
/// series repeats, and the text ends with a line feed.
enum PrometheusExposition {
    struct Sample {
        let name: String
        let labels: [String: String]
        let value: Double
    }

    struct Malformed: Error, CustomStringConvertible {
        let description: String
    }

    static func parse(_ text: String) throws -> [Sample] {
        guard text.isEmpty || text.hasSuffix("\n") else { throw Malformed(description: "no final line feed") }
        var samples: [Sample] = []
        var helped: Set<String> = []
        var typed: Set<String> = []
        var finished: Set<String> = []
        var current: String?
        var series: Set<String> = []
        for line in text.dropLast().split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.hasPrefix("# HELP ") || line.hasPrefix("# TYPE ") {
                let parts = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: false).map(String.init)
                guard parts.count == 4, isMetricName(parts[2]) else { throw Malformed(description: line) }
                let name = parts[2]
                if let current, current != name { finished.insert(current) }
                guard !finished.contains(name) else { throw Malformed(description: "family \(name) split") }
                current = name
                if parts[1] == "HELP" {
                    guard helped.insert(name).inserted, !typed.contains(name) else { throw Malformed(description: line) }
                } else {
                    guard parts[3] == "gauge", helped.contains(name), typed.insert(name).inserted else {
                        throw Malformed(description: line)
                    }
                }
                continue
            }
            let sample = try parseSample(line)
            guard sample.name == current, helped.contains(sample.name), typed.contains(sample.name) else {
                throw Malformed(description: "sample without HELP and TYPE before it: \(line)")
            }
            let key = sample.name + "|" + sample.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "|")
            guard series.insert(key).inserted else { throw Malformed(description: "duplicate series: \(line)") }
            samples.append(sample)
        }
        return samples
    }

    private static func parseSample(_ line: String) throws -> Sample {
        var characters = Array(line)[...]
        var name = ""
        while let next = characters.first, next != "{", next != " " {
            name.append(next)
            characters.removeFirst()
        }
        guard isMetricName(name) else { throw Malformed(description: "bad name: \(line)") }
        var labels: [String: String] = [:]
        if characters.first == "{" {
            characters.removeFirst()
            while characters.first != "}" {
                var label = ""
                while let next = characters.first, next != "=" {
                    label.append(next)
                    characters.removeFirst()
                }
                guard characters.popFirst() == "=", characters.popFirst() == "\"", !label.isEmpty,
                    labels[label] == nil
                else { throw Malformed(description: "bad label: \(line)") }
                var value = ""
                while true {
                    guard let next = characters.popFirst() else { throw Malformed(description: "unterminated: \(line)") }
                    if next == "\"" { break }
                    if next == "\\" {
                        switch characters.popFirst() {
                        case "\\": value.append("\\")
                        case "\"": value.append("\"")
                        case "n": value.append("\n")
                        default: throw Malformed(description: "bad escape: \(line)")
                        }
                    } else {
                        value.append(next)
                    }
                }
                labels[label] = value
                if characters.first == "," { characters.removeFirst() } else if characters.first != "}" {
                    throw Malformed(description: "bad label list: \(line)")
                }
            }
            characters.removeFirst()
        }
        guard characters.popFirst() == " " else { throw Malformed(description: "no value: \(line)") }
        let text = String(characters)
        let value: Double?
        switch text {
        case "NaN": value = .nan
        case "+Inf": value = .infinity
        case "-Inf": value = -.infinity
        default: value = text.contains(where: { $0.isLetter && $0 != "e" }) ? nil : Double(text)
        }
        guard let value else { throw Malformed(description: "bad value: \(line)") }
        return Sample(name: name, labels: labels, value: value)
    }

    private static func isMetricName(_ name: String) -> Bool {
        guard let first = name.first, first.isASCII, first.isLetter || first == "_" || first == ":" else { return false }
        return name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == ":") }
    }
}
