import HerokuConnect

/// `hcconnect stats`: the figures a monitor watches, per table and in total.
enum StatsCommand: Command {
    static let help = CommandHelp(
        name: "stats",
        summary: "Show the backlog, the failures and when Connect last processed an entry, per table",
        usage: ["stats [--table T]"],
        description: """
            The monitoring view of the trigger log. Per table and in total: the backlog \
            (entries waiting for Heroku Connect: live NEW and PENDING, and REQUEUE) and how \
            long its oldest entry has waited, which tells a stuck sync (an old backlog) from \
            a busy one (a large but young backlog); an entry waits since the later of its \
            created_at and updated_at, so a retried entry waits since its retry; the FAILED \
            entries, live and archived, and the age of the oldest; the time since the \
            newest processed_at; and the entries per state in the live log and the archive. \
            Ages are measured by the database server's clock. Everything comes from one \
            pass over each of the two log tables. Entries of tables that are no longer \
            mapped are counted and shown as not mapped, except with --table. --format json \
            writes one object (totals and tables); --format csv one row of figures per \
            table (for counts per state, see 'hcconnect tables --format csv'). To alert on \
            these figures, see 'hcconnect check'.
            """,
        examples: [
            ("hcconnect stats", "backlog, failures and last processing time, per table"),
            ("hcconnect stats --table account,contact", "the same for two tables"),
            ("hcconnect stats --json | jq .totals.backlog", "the backlog, for a script"),
        ])

    static let table = OptionSpec("table", .list("TABLE"), "Only the entries of these mapped tables")
    static let options: [OptionSpec] = [table]
    static let formats: [OutputFormat] = [.table, .json, .csv]
    static var pages: Bool { true }

    static func run(_ context: CommandContext) throws -> ExitStatus {
        try context.expectNoPositionals()
        let tables = context.arguments.list("table")
        let store = try context.triggerLog()
        let statistics = try context.retrying("reading the statistics") {
            try store.statistics(tables: tables.isEmpty ? nil : tables)
        }
        switch context.format {
        case .json:
            var object = JSONObjectWriter()
            object.add("schema", store.schemaName.name)
            object.add("measured_at", statistics.measuredAt)
            var totals = JSONObjectWriter()
            StatisticsReport.addFigures(statistics.totals, to: &totals)
            object.add("totals", raw: totals.finished())
            object.add("tables", raw: StatisticsReport.jsonArray(statistics.tables))
            context.output.line(object.text)
        case .csv:
            context.output.write(bytes: CSVWriter.line(StatisticsReport.csvHeader))
            for table in statistics.tables {
                context.output.write(bytes: CSVWriter.line(StatisticsReport.csvFields(table)))
            }
        case .table, .ids, .prometheus:
            context.output.line(StatisticsReport.headline(statistics.totals, width: context.output.tableWidth))
            guard !statistics.tables.isEmpty else {
                context.note("Schema \(store.schemaName.name) has no mapped tables and no entries.")
                return .success
            }
            context.output.line()
            let width = context.output.tableWidth
            context.output.write(StatisticsReport.summaryTable(statistics, style: context.style, width: width))
            context.output.line()
            context.output.write(StatisticsReport.countsTable(statistics, style: context.style, width: width))
        }
        return .success
    }
}
