import HerokuConnect
import Postgres

/// `hcconnect trend`: failures per hour or per day, as a chart or as numbers.
enum TrendCommand: Command {
    static let help = CommandHelp(
        name: "trend",
        summary: "Chart the failures per hour or per day, in total or per table",
        usage: [Usage(.optionals([by, since] + filterSpecs + [perTable]))],
        description: """
            Counts the failed writes per hour (the last 24 hours by default) or per day (by \
            default every day the log still holds) and draws them as a bar chart, with a \
            line giving the total, the window and the busiest bucket. A failure is an entry \
            whose write to Salesforce failed: FAILED now, or failed and since ignored \
            (IGNORED) or retried (REQUEUE, REQUEUED). Each counts in the hour or day it \
            failed: its processed_at, else updated_at, else created_at. Hours and days are \
            the database server's, in the session's time zone, like every time hcconnect \
            prints; the last bucket is the current one, and buckets without failures are \
            there, as 0. --per-table draws one chart per table (one column per table in CSV, \
            a tables object in JSON). --format json writes one object per bucket (start, \
            failures), --format csv a row per bucket.

            What it costs: a window given by --since (and the default 24 hours) reads the \
            entries created since its first bucket began, through the log tables' \
            created_at indexes: the same on an archive of 20 million entries as on one of \
            200,000. A failure captured before the window but failed inside it is not \
            counted. --by day without --since reads every failure the log holds, which \
            means a pass over the archive: a report to run on demand, not from a monitor.
            """,
        examples: [
            ("hcconnect trend", "failures per hour over the last 24 hours"),
            ("hcconnect trend --by day", "failures per day over everything the log still holds"),
            ("hcconnect trend --since 3d --table account --per-table", "the last three days of account, hour by hour"),
            ("hcconnect trend --code UNABLE_TO_LOCK_ROW --since 12h", "the last twelve hours of lock errors"),
            ("hcconnect trend --by day --since 30d --format csv > failures.csv", "a month of daily counts, for a report"),
        ])

    static let by = OptionSpec("by", .value("UNIT"), "Count per hour (default) or per day", usageValue: "hour|day")
    static let since = OptionSpec(
        "since", .value("DUR"), "The window: the last DUR, like 12h, 3d, 2w (default 24h by hour, all the log by day)")
    static let perTable = OptionSpec("per-table", .flag, "One series per table: a chart each, a column each in CSV")
    /// The filters of `failed` that mean the same here; the window replaces --since and --until.
    static let filterSpecs: [OptionSpec] = [
        EntryFilters.table, EntryFilters.source, EntryFilters.action, EntryFilters.message, EntryFilters.code,
    ]

    static let options: [OptionSpec] = [by, since] + filterSpecs + [perTable]
    static let formats: [OutputFormat] = [.table, .json, .csv]

    /// The hours of the default window by hour.
    static let defaultHours = 24
    /// The rows of bars of the total's chart, and of each table's with --per-table.
    static let chartHeight = 8
    static let tableChartHeight = 4

    static func run(_ context: CommandContext) throws -> ExitStatus {
        try context.expectNoPositionals()
        let bucket = try bucketOption(context.arguments)
        let window = try windowOption(context.arguments, bucket: bucket)
        let filters = try EntryFilters(context.arguments)
        let perTable = context.arguments.flag(perTable)
        let store = try context.triggerLog()
        // failures of the archive are looked for through its FAILED index: naming a table
        // never reads the archive in full
        let query = try filters.applied(to: .failed(), store: store)
        let trend = try context.retrying("counting the failures") {
            try store.failureTrend(by: bucket, over: window, matching: query)
        }
        switch context.format {
        case .json:
            for index in trend.starts.indices { context.output.line(json(trend, bucket: index, perTable: perTable)) }
        case .csv:
            context.output.write(bytes: CSVWriter.line(csvHeader(trend, perTable: perTable)))
            for index in trend.starts.indices {
                context.output.write(bytes: CSVWriter.line(csvFields(trend, bucket: index, perTable: perTable)))
            }
        case .table, .ids, .prometheus:
            let width = context.output.tableWidth ?? 80
            for line in text(trend, perTable: perTable, width: width) { context.output.line(line) }
        }
        return .success
    }

    /// Reads `--by`: hour (the default) or day.
    static func bucketOption(_ arguments: ParsedArguments) throws(ArgumentError) -> FailureTrend.Bucket {
        guard let text = arguments.value(by) else { return .hour }
        guard let bucket = FailureTrend.Bucket(rawValue: text.lowercased()) else {
            throw .invalidValue(option: by.longForm, value: text, reason: "is not hour or day")
        }
        return bucket
    }

    /// Reads `--since`: a duration, covered by whole buckets; without it, 24 hours by hour
    /// and everything the log holds by day.
    static func windowOption(
        _ arguments: ParsedArguments, bucket: FailureTrend.Bucket
    ) throws(ArgumentError) -> FailureTrend.Window {
        guard let text = arguments.value(since) else {
            return bucket == .hour ? .last(defaultHours) : .retained
        }
        guard let seconds = TimeBound.parseDuration(text) else {
            throw .invalidValue(option: since.longForm, value: text, reason: "is not a duration (30m, 12h, 3d, 2w)")
        }
        let window = FailureTrend.Window.covering(seconds: seconds, by: bucket)
        if case .last(let buckets) = window, buckets > FailureTrend.maximumBuckets {
            throw .invalidValue(
                option: since.longForm, value: text,
                reason: "is more than \(ReadableFigure.count(FailureTrend.maximumBuckets)) \(bucket.rawValue)s"
                    + (bucket == .hour ? "; use --by day" : ""))
        }
        return window
    }

    // MARK: - Text

    /// The header line and the chart of the total, or with `perTable` a title line and a
    /// chart per table.
    static func text(_ trend: FailureTrend, perTable: Bool, width: Int) -> [String] {
        let labels = trend.starts.map { label($0, bucket: trend.bucket) }
        var lines = [headline(trend.total, trend: trend, title: "failures by \(trend.bucket.rawValue)")]
        // per table without any failure: the total's empty chart still shows the window
        guard perTable, !trend.tables.isEmpty else {
            return lines + FailureChart.lines(trend.total.counts, labels: labels, width: width, height: chartHeight)
        }
        for series in trend.tables {
            lines.append("")
            lines.append(headline(series, trend: trend, title: DisplayText.sanitized(series.table ?? "(no table)")))
            lines += FailureChart.lines(series.counts, labels: labels, width: width, height: tableChartHeight)
        }
        return lines
    }

    /// `failures by hour since 2026-12-04 18:00: 42 · peak 12 at 2026-12-05 14:00`, by day
    /// `failures by day since 2026-11-25: 22 · peak 7 on 2026-12-02`.
    static func headline(_ series: FailureTrend.Series, trend: FailureTrend, title: String) -> String {
        let start = trend.starts.first.map { " since " + name($0, bucket: trend.bucket) } ?? ""
        var line = "\(title)\(start): \(ReadableFigure.count(series.total))"
        if series.peak > 0, let index = series.counts.firstIndex(of: series.peak) {
            let at = trend.bucket == .day ? "on" : "at"
            line += " · peak \(ReadableFigure.count(series.peak)) \(at) \(name(trend.starts[index], bucket: trend.bucket))"
        }
        return line
    }

    /// A bucket by its start: the time to the minute for an hour, the date for a day.
    static func name(_ start: PostgresTimestamp, bucket: FailureTrend.Bucket) -> String {
        let minute = start.minuteDescription
        return bucket == .day && minute.count == 16 ? String(minute.prefix(10)) : minute
    }

    /// A bucket's label under the chart: its hour (`18:00`), or its date (`12-05`) for a day
    /// and for the hour that starts one.
    static func label(_ start: PostgresTimestamp, bucket: FailureTrend.Bucket) -> String {
        let minute = start.minuteDescription  // 2026-12-05 18:00
        guard minute.count == 16 else { return minute }
        let time = String(minute.suffix(5))
        let date = String(minute.dropFirst(5).prefix(5))
        return bucket == .day || time == "00:00" ? date : time
    }

    // MARK: - JSON and CSV

    /// One bucket: `start`, `failures`, and with `perTable` `tables` (table → failures, ""
    /// for entries without a table).
    static func json(_ trend: FailureTrend, bucket index: Int, perTable: Bool) -> String {
        var object = JSONObjectWriter()
        object.add("start", trend.starts[index])
        object.add("failures", trend.total.counts[index])
        if perTable {
            var tables = JSONObjectWriter()
            for series in trend.tables { tables.add(series.table ?? "", series.counts[index]) }
            object.add("tables", raw: tables.finished())
        }
        return object.text
    }

    /// `start,failures`, then with `perTable` one column per table (`(no table)` for
    /// entries without one).
    static func csvHeader(_ trend: FailureTrend, perTable: Bool) -> [String?] {
        ["start", "failures"] + (perTable ? trend.tables.map { $0.table ?? "(no table)" } : [])
    }

    static func csvFields(_ trend: FailureTrend, bucket index: Int, perTable: Bool) -> [String?] {
        [trend.starts[index].iso8601, String(trend.total.counts[index])]
            + (perTable ? trend.tables.map { String($0.counts[index]) } : [])
    }
}
