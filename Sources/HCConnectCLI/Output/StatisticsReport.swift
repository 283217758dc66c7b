import HerokuConnect
import Postgres

/// How `stats` and `check` write the figures of ``TriggerLogStatistics``: a headline and
/// tables for people, JSON fields, CSV rows and Prometheus metrics.
enum StatisticsReport {
    // MARK: - People

    /// One line: `backlog 12 (oldest 40s) · FAILED 7 (oldest 3d) · last processed 12s ago`;
    /// broken after a `·` where it would not fit `width`.
    static func headline(_ figures: TriggerLogStatistics.Figures, width: Int?) -> String {
        let parts = headlineParts(figures)
        guard let width else { return parts.joined(separator: " · ") }
        var lines: [String] = []
        for part in parts {
            if let last = lines.last, DisplayText.width(last) + 3 + DisplayText.width(part) <= width {
                lines[lines.count - 1] = last + " · " + part
            } else {
                lines.append(part)
            }
        }
        return lines.joined(separator: "\n")
    }

    /// The headline in one line.
    static func headline(_ figures: TriggerLogStatistics.Figures) -> String {
        headlineParts(figures).joined(separator: " · ")
    }

    private static func headlineParts(_ figures: TriggerLogStatistics.Figures) -> [String] {
        func oldest(_ moment: TriggerLogStatistics.Moment?) -> String {
            guard let age = moment?.ageSeconds else { return "" }
            return " (oldest \(ReadableFigure.age(seconds: age)))"
        }
        let processed = figures.lastProcessed.map { moment in
            moment.ageSeconds.map { "last processed \(ReadableFigure.age(seconds: $0)) ago" }
                ?? "last processed at \(moment.time.shortDescription)"
        } ?? "nothing processed"
        return [
            "backlog \(ReadableFigure.count(figures.backlog))\(oldest(figures.backlogOldest))",
            "FAILED \(ReadableFigure.count(figures.failed))\(oldest(figures.failedOldest))", processed,
        ]
    }

    /// The monitoring figures, one row per table. On a narrow terminal TABLE is narrowed to
    /// 12, then MODE and PROCESSED are dropped.
    static func summaryTable(_ statistics: TriggerLogStatistics, style: TextStyle, width: Int?) -> String {
        var table = TextTable(
            columns: [
                .init(title: "TABLE"), .init(title: "MODE"), .init(title: "BACKLOG", alignRight: true),
                .init(title: "BACKLOG AGE", alignRight: true), .init(title: "FAILED", alignRight: true),
                .init(title: "FAILED AGE", alignRight: true), .init(title: "PROCESSED"), .init(title: ""),
            ],
            fitSteps: [.narrow("TABLE", to: 12), .drop("PROCESSED"), .drop("MODE")], lastMinimum: 0)
        for entry in statistics.tables {
            let figures = entry.figures
            table.append([
                TextTable.Cell(tableName(entry)),
                TextTable.Cell(mode(entry), style: entry.mapped == nil ? { style.yellow($0) } : nil),
                TextTable.Cell(ReadableFigure.count(figures.backlog)),
                TextTable.Cell(age(figures.backlogOldest)),
                TextTable.Cell(
                    ReadableFigure.count(figures.failed), style: figures.failed > 0 ? { style.red($0) } : nil),
                TextTable.Cell(age(figures.failedOldest)),
                // with estimates, the last processing comes from the newest entries only: a table
                // without one among them was processed before them, not never
                TextTable.Cell(
                    figures.lastProcessed.map { age($0) + " ago" } ?? (figures.estimated.isEmpty ? "never" : "-")),
                TextTable.Cell(""),
            ])
        }
        return render(&table, width: width, style: style)
    }

    /// The table, and under it, when columns were dropped to fit `width`, which ones.
    static func render(_ table: inout TextTable, width: Int?, style: TextStyle) -> String {
        var text = table.render(header: true, maxWidth: width, style: style)
        if !table.droppedTitles.isEmpty {
            text += dimmed(
                "(not shown at this width: " + table.droppedTitles.joined(separator: ", ") + "; --format csv has them)",
                width: width, style: style)
        }
        return text
    }

    /// A note under a table: dim, wrapped to `width`, each line ended.
    static func dimmed(_ note: String, width: Int?, style: TextStyle) -> String {
        DisplayText.wrapped(note, width: width ?? Int.max).map { style.dim($0) + "\n" }.joined()
    }

    /// The state columns of a count table, in the order they go on a narrow terminal (FAILED
    /// never goes): the rare states first, NEW last.
    static func stateFitSteps(_ titles: [String]) -> [TextTable.FitStep] {
        let order = ["IGNORE", "READONLY", "MERGED", "REQUEUE", "REQUEUED", "PENDING", "IGNORED", "SUCCESS", "NEW"]
        let others = titles.filter { !order.contains($0) && $0 != "FAILED" && $0 != "" }
        return (others + order.filter(titles.contains)).map { .drop($0) }
    }

    /// A count for people: exact with thousands separators, or an estimate to two
    /// significant digits with `~`: `~870`, `~1.3k`, `~45k`, `~1.2M`.
    static func count(_ value: Int, estimated: Bool) -> String {
        estimated ? estimate(value) : ReadableFigure.count(value)
    }

    /// `~1.2M`: an estimated count, to two significant digits.
    static func estimate(_ value: Int) -> String {
        guard value >= 100 else { return "~\(max(value, 0))" }
        var magnitude = 1
        while value / magnitude >= 100 { magnitude *= 10 }
        let rounded = (value + magnitude / 2) / magnitude * magnitude
        for (unit, suffix) in [(1_000_000_000, "G"), (1_000_000, "M"), (1_000, "k")] where rounded >= unit {
            let tenths = rounded * 10 / unit
            return "~\(tenths / 10)" + (tenths < 100 && tenths % 10 != 0 ? ".\(tenths % 10)" : "") + suffix
        }
        return "~\(rounded)"
    }

    /// The lines under a table with estimated counts (none without estimates): which log
    /// table, about how large, and how to count instead.
    static func estimateNote(_ statistics: TriggerLogStatistics, width: Int?, style: TextStyle) -> String {
        guard case .estimatingAbove(let threshold) = statistics.counting, !statistics.estimated.isEmpty else { return "" }
        let tables = TriggerLogLocation.allCases.filter(statistics.estimated.contains).map { location in
            "the \(location == .live ? "live log" : "archive") (\(estimate(statistics.totals.total(in: location))) entries)"
        }
        return dimmed(
            "~ estimated from the planner's statistics: " + tables.joined(separator: " and ")
                + " holds more than \(ReadableFigure.count(threshold)); FAILED and the backlog are exact."
                + " --exact counts every entry",
            width: width, style: style)
    }

    /// Entry counts per table, place and state: one row per table and place, one column
    /// per state present (FAILED always). On a narrow terminal, state columns are dropped
    /// (``stateFitSteps(_:)``), then TABLE is narrowed to 12.
    static func countsTable(_ statistics: TriggerLogStatistics, style: TextStyle, width: Int?) -> String {
        let present = statistics.totals.states
        let states: [TriggerLogState?] =
            TriggerLogState.documented.filter { present.contains($0) || $0 == .failed }
            + present.filter { state in state.map { !$0.isDocumented } ?? true }
        let titles = states.map { $0?.rawValue ?? "NULL" }
        var table = TextTable(
            columns: [.init(title: "TABLE"), .init(title: "IN"), .init(title: "TOTAL", alignRight: true)]
                + titles.map { TextTable.Column(title: $0, alignRight: true) } + [.init(title: "")],
            fitSteps: stateFitSteps(titles) + [.narrow("TABLE", to: 12)], lastMinimum: 0)
        for entry in statistics.tables {
            for location in TriggerLogLocation.allCases {
                let estimated = entry.figures.estimated.contains(location)
                var cells = [
                    TextTable.Cell(location == .live ? tableName(entry) : ""), TextTable.Cell(location.rawValue),
                    TextTable.Cell(count(entry.figures.total(in: location), estimated: estimated)),
                ]
                for state in states {
                    let value = entry.figures.count(of: state, in: location)
                    let highlight: ((String) -> String)? = state == .failed && value > 0 ? { style.red($0) } : nil
                    let isEstimate = estimated && !TriggerLogStatistics.isActionable(state, in: location)
                    cells.append(TextTable.Cell(value == 0 ? "-" : count(value, estimated: isEstimate), style: highlight))
                }
                cells.append(TextTable.Cell(""))
                table.append(cells)
            }
        }
        return render(&table, width: width, style: style)
    }

    /// The table's name, or `(no table)` for entries without one.
    static func tableName(_ table: TriggerLogStatistics.Table) -> String {
        table.name ?? "(no table)"
    }

    static func mode(_ table: TriggerLogStatistics.Table) -> String {
        table.mapped.map { $0.isReadOnly ? "read-only" : "read-write" } ?? "not mapped"
    }

    private static func age(_ moment: TriggerLogStatistics.Moment?) -> String {
        moment?.ageSeconds.map { ReadableFigure.age(seconds: $0) } ?? "-"
    }

    // MARK: - Scripts

    /// A number of seconds as JSON, CSV and Prometheus write it: whole seconds without a
    /// fraction, else with the server's microseconds.
    static func seconds(_ value: Double) -> String {
        PrometheusWriter.value(value)
    }

    /// The figures as fields of a JSON object: counts per place and state and whether some
    /// are estimates (unless `counts` is false: figures of ``TriggerLogStatistics/Counting/actionable``
    /// hold only some states), then FAILED, backlog and last processed, each time with its
    /// age in seconds (null when unknown).
    static func addFigures(_ figures: TriggerLogStatistics.Figures, counts: Bool = true, to object: inout JSONObjectWriter) {
        if counts {
            for location in TriggerLogLocation.allCases {
                var counts = JSONObjectWriter()
                for state in figures.states where figures.count(of: state, in: location) > 0 {
                    counts.add(state?.rawValue ?? "NULL", figures.count(of: state, in: location))
                }
                object.add(location.rawValue, raw: counts.finished())
            }
            object.add("estimated", !figures.estimated.isEmpty)
        }
        object.add("failed", figures.failed)
        addMoment("failed_oldest", figures.failedOldest, to: &object)
        object.add("backlog", figures.backlog)
        addMoment("backlog_oldest", figures.backlogOldest, to: &object)
        addMoment("last_processed", figures.lastProcessed, to: &object)
    }

    /// The tables as a JSON array of objects: name, mapping, then their figures.
    static func jsonArray(_ tables: [TriggerLogStatistics.Table]) -> [UInt8] {
        RepairReport.array(tables.map { table in
            var object = JSONObjectWriter()
            object.add("table", table.name)
            object.add("mapped", table.mapped != nil)
            object.add("read_only", table.mapped?.isReadOnly ?? false)
            addFigures(table.figures, to: &object)
            return object.finished()
        })
    }

    private static func addMoment(
        _ name: String, _ moment: TriggerLogStatistics.Moment?, to object: inout JSONObjectWriter
    ) {
        object.add(name + "_at", moment?.time)
        addSeconds(name + "_age_seconds", moment?.ageSeconds, to: &object)
    }

    /// A number of seconds, or null.
    static func addSeconds(_ name: String, _ value: Double?, to object: inout JSONObjectWriter) {
        if let value { object.add(name, raw: Array(seconds(value).utf8)) } else { object.add(name, nil as String?) }
    }

    /// The CSV columns of ``csvFields(_:)``.
    static let csvHeader = [
        "table", "mapped", "read_only", "live", "archive", "backlog", "backlog_oldest_at", "backlog_oldest_age_seconds",
        "failed", "failed_oldest_at", "failed_oldest_age_seconds", "last_processed_at", "last_processed_age_seconds",
        "estimated",
    ]

    /// The CSV columns of ``briefCSVFields(_:)``: the figures of `stats --brief`.
    static let briefCSVHeader = [
        "backlog", "backlog_oldest_at", "backlog_oldest_age_seconds", "failed", "failed_oldest_at",
        "failed_oldest_age_seconds", "last_processed_at", "last_processed_age_seconds",
    ]

    /// The total figures of `stats --brief` as CSV fields.
    static func briefCSVFields(_ figures: TriggerLogStatistics.Figures) -> [String?] {
        [String(figures.backlog)] + moment(figures.backlogOldest) + [String(figures.failed)]
            + moment(figures.failedOldest) + moment(figures.lastProcessed)
    }

    private static func moment(_ moment: TriggerLogStatistics.Moment?) -> [String?] {
        [moment?.time.iso8601, moment?.ageSeconds.map(seconds)]
    }

    /// One table's figures as CSV fields (empty for unknown times and ages).
    static func csvFields(_ table: TriggerLogStatistics.Table) -> [String?] {
        let figures = table.figures
        return [table.name, String(table.mapped != nil), String(table.mapped?.isReadOnly ?? false),
                String(figures.total(in: .live)), String(figures.total(in: .archive)), String(figures.backlog)]
            + moment(figures.backlogOldest) + [String(figures.failed)] + moment(figures.failedOldest)
            + moment(figures.lastProcessed) + [String(!figures.estimated.isEmpty)]
    }

    // MARK: - Prometheus

    /// The per-table figures as gauges labelled with schema and table. The states NEW,
    /// PENDING and FAILED are always written (0 when absent), so alerts on them never see
    /// a series vanish; ages are left out when there is no such entry. Figures of
    /// ``TriggerLogStatistics/Counting/actionable`` give the live log's NEW, PENDING,
    /// REQUEUE and FAILED entries and the archive's FAILED ones, always written.
    static func writeMetrics(_ statistics: TriggerLogStatistics, schema: String, to writer: inout PrometheusWriter) {
        let always: [TriggerLogState?] = [.new, .pending, .failed]
        func labels(_ table: TriggerLogStatistics.Table) -> [(name: String, value: String)] {
            [("schema", schema), ("table", tableName(table))]
        }
        var entries: [PrometheusWriter.Sample] = []
        for table in statistics.tables {
            let states = always + table.figures.states.filter { !always.contains($0) }
            for location in TriggerLogLocation.allCases {
                let written =
                    statistics.counting == .actionable
                    ? TriggerLogStatistics.actionableStates(in: location).map(Optional.some) : states
                for state in written {
                    entries.append(.init(
                        labels(table) + [("location", location.rawValue), ("state", state?.rawValue ?? "NULL")],
                        Double(table.figures.count(of: state, in: location))))
                }
            }
        }
        writer.gauge(
            "hcconnect_trigger_log_entries",
            help: "Trigger log entries per table, location (live or archive) and state.", entries)
        func perTable(_ value: (TriggerLogStatistics.Figures) -> Double?) -> [PrometheusWriter.Sample] {
            statistics.tables.compactMap { table in value(table.figures).map { .init(labels(table), $0) } }
        }
        writer.gauge(
            "hcconnect_failed_entries", help: "FAILED entries, live and archived.",
            perTable { Double($0.failed) })
        writer.gauge(
            "hcconnect_failed_oldest_age_seconds",
            help: "Age of the oldest FAILED entry (live or archived), by created_at.",
            perTable { $0.failedOldest?.ageSeconds })
        writer.gauge(
            "hcconnect_backlog_entries", help: "Entries waiting for Heroku Connect (the live log's NEW, PENDING and REQUEUE).",
            perTable { Double($0.backlog) })
        writer.gauge(
            "hcconnect_backlog_oldest_age_seconds", help: "How long the backlog entry waiting longest has waited, since the later of created_at and updated_at.",
            perTable { $0.backlogOldest?.ageSeconds })
        writer.gauge(
            "hcconnect_last_processed_age_seconds",
            help: "Time since the newest processed_at of any entry, live or archived.",
            perTable { $0.lastProcessed?.ageSeconds })
    }
}
