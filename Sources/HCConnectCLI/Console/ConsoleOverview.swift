import HerokuConnect
import Postgres

/// The first view: the backlog and its age, FAILED now and the oldest, how long ago
/// Heroku Connect last processed an entry, the counts per table, and the failure chart.
///
/// The figures are ``TriggerLogStatistics/Counting/actionable``: their cost follows the
/// FAILED entries and the backlog, never the archive's size. The chart per hour reads the
/// last 24 hours through the `created_at` indexes; the chart per day over the whole archive
/// is read when asked for (`d`), kept, and says when it was read.
struct ConsoleOverview {
    var statistics: TriggerLogStatistics?
    /// The table the chart shows; nil for all tables together.
    var chartTable: String?
    /// Per day over the archive instead of per hour over the last day.
    var showsDays = false
    var hourly: FailureTrend?
    /// The per-day chart, read on demand, and the time it was read.
    var daily: (trend: FailureTrend, readAt: String)?

    /// Reads the figures and the hourly chart.
    mutating func load(_ store: TriggerLogStore) throws {
        statistics = try store.statistics(counting: .actionable)
        hourly = try store.failureTrend(by: .hour, over: .last(24))
    }

    /// Reads the per-day chart over everything the archive holds (a scan of the archive:
    /// only on request).
    mutating func loadDays(_ store: TriggerLogStore) throws {
        daily = (try store.failureTrend(by: .day, over: .retained), ConsoleApp.clockTime())
    }

    /// The tables the chart can show, in the order `p` steps through them.
    var chartTables: [String] {
        let names = (hourly?.tables.compactMap(\.table) ?? []) + (statistics?.tables.compactMap(\.name) ?? [])
        return names.uniqued().sorted()
    }

    mutating func nextChartTable() {
        let tables = chartTables
        guard !tables.isEmpty else { return }
        if let chartTable, let index = tables.firstIndex(of: chartTable) {
            self.chartTable = index + 1 < tables.count ? tables[index + 1] : nil
        } else {
            chartTable = tables[0]
        }
    }

    func draw(_ screen: inout ConsoleScreen, in area: ConsoleArea, style: TextStyle) {
        guard let statistics else {
            screen.put("  reading the log…", row: area.top, column: area.left)
            return
        }
        var row = area.top
        let totals = statistics.totals
        func fact(_ label: String, _ value: String, _ valueStyle: ConsoleScreen.Style = .plain) {
            guard row < area.top + area.height else { return }
            screen.put("  " + DisplayText.padded(label, toColumns: 16), row: row, column: area.left, style: .bold)
            screen.put(value, row: row, column: area.left + 18, width: area.width - 18, style: valueStyle)
            row += 1
        }
        fact(
            "Backlog",
            ReadableFigure.count(totals.backlog) + " waiting"
                + (totals.backlogOldest?.ageSeconds.map { ", oldest for " + ReadableFigure.age(seconds: $0) } ?? ""))
        fact(
            "FAILED",
            ReadableFigure.count(totals.failed) + " now"
                + (totals.failedOldest?.ageSeconds.map { ", oldest " + ReadableFigure.age(seconds: $0) + " old" } ?? ""),
            totals.failed > 0 ? .init(foreground: 31, bold: true) : .init(foreground: 32))
        fact(
            "Last processed",
            totals.lastProcessed?.ageSeconds.map { ReadableFigure.age(seconds: $0) + " ago" } ?? "never (no processed entry)")
        row += 1

        // the tables: those with FAILED entries or a backlog, most failures first
        let tables = statistics.tables.filter { $0.figures.failed > 0 || $0.figures.backlog > 0 }
            .sorted { ($0.figures.failed, $0.figures.backlog) > ($1.figures.failed, $1.figures.backlog) }
        let chartHeight = 7
        let tableRows = max(1, min(tables.count, area.top + area.height - row - chartHeight - 3))
        if tables.isEmpty {
            screen.put("  No FAILED entries and no backlog in any table.", row: row, column: area.left, style: .dim)
            row += 2
        } else {
            screen.put("  TABLE                    FAILED   BACKLOG  OLDEST FAILED", row: row, column: area.left, style: .dim)
            row += 1
            for table in tables.prefix(tableRows) {
                let figures = table.figures
                let line = "  " + DisplayText.fit(table.name ?? "(no table)", 22)
                    + DisplayText.padded(ReadableFigure.count(figures.failed), toColumns: 9, alignRight: true)
                    + DisplayText.padded(ReadableFigure.count(figures.backlog), toColumns: 10, alignRight: true)
                    + "  " + (figures.failedOldest?.ageSeconds.map { ReadableFigure.age(seconds: $0) } ?? "-")
                screen.put(line, row: row, column: area.left, width: area.width)
                row += 1
            }
            if tables.count > tableRows {
                screen.put("  … \(tables.count - tableRows) more tables (hcconnect stats)", row: row, column: area.left, style: .dim)
                row += 1
            }
            row += 1
        }
        drawChart(&screen, top: row, in: area)
    }

    private func drawChart(_ screen: inout ConsoleScreen, top: Int, in area: ConsoleArea) {
        let height = area.top + area.height - top - 1
        guard height >= 3 else { return }
        let scope = chartTable.map { "table " + $0 } ?? "all tables"
        let trend: FailureTrend?
        let title: String
        if showsDays {
            trend = daily?.trend
            title = "Failures per day, whole log (\(scope)) · read \(daily?.readAt ?? "-") · d: hourly"
        } else {
            trend = hourly
            title = "Failures per hour, last 24 hours (\(scope)) · p: table · d: per day"
        }
        screen.put("  " + title, row: top, column: area.left, width: area.width, style: .bold)
        guard let trend else {
            screen.put("  reading…", row: top + 1, column: area.left, style: .dim)
            return
        }
        let series = chartTable == nil ? trend.total : trend.series(of: chartTable)
        let counts = series?.counts ?? Array(repeating: 0, count: trend.starts.count)
        let labels = trend.starts.map { TrendCommand.label($0, bucket: trend.bucket) }
        let lines = FailureChart.lines(counts, labels: labels, width: max(20, area.width - 4), height: max(1, height - 3))
        for (offset, line) in lines.enumerated() where top + 1 + offset < area.top + area.height {
            screen.put("  " + line, row: top + 1 + offset, column: area.left, width: area.width, style: .init(foreground: 36))
        }
    }
}
