import HerokuConnect

/// `hcconnect stats`: the figures a monitor watches, per table and in total.
enum StatsCommand: Command {
    static let help = CommandHelp(
        name: "stats",
        summary: "Show the backlog, the failures and when Connect last processed an entry, per table",
        usage: [Usage(.optional(table), .oneOf([brief, exact]))],
        description: """
            The monitoring view of the trigger log. Per table and in total: the backlog \
            (entries waiting for Heroku Connect: the live log's NEW, PENDING and REQUEUE) and how \
            long its oldest entry has waited, which tells a stuck sync (an old backlog) from \
            a busy one (a large but young backlog); an entry waits since the later of its \
            created_at and updated_at, so a retried entry waits since its retry; the FAILED \
            entries, live and archived, and the age of the oldest; the time since the \
            newest processed_at; and the entries per state in the live log and the archive. \
            Ages are measured by the database server's clock. Entries of tables that are no \
            longer mapped are counted and shown as not mapped, except with --table. \
            --format json writes one object (totals and tables); --format csv one row of \
            figures per table (for counts per state, see 'hcconnect tables --format csv'). \
            To alert on these figures, see 'hcconnect check'.

            What it costs: the FAILED entries and the backlog are always counted exactly, \
            through the log's indexes. The finished entries (SUCCESS, MERGED, IGNORED, ...) \
            of a log table the planner's statistics put above 1,000,000 entries (a busy \
            connection's archive holds tens of millions) are estimated instead: the table's \
            size as the planner reckons it, split among tables and states by a sample of at \
            most 1,000 of its pages. Estimates are marked: ~1.2M in the tables, \
            "estimated": true in JSON, estimated=true in CSV. --exact counts every entry (a \
            full pass over each log table, which grows with the log); \
            HCCONNECT_ESTIMATE_THRESHOLD sets another size. --brief prints only the backlog \
            and its age, the FAILED entries and the oldest one's age, and the time since \
            Connect last processed an entry (among the 1,000 newest entries of each log \
            table), in total: it reads nothing but those entries, so it costs the same on \
            a log of 20 million entries as on one of 200,000, like 'hcconnect check'.
            """,
        examples: [
            ("hcconnect stats", "backlog, failures and last processing time, per table"),
            ("hcconnect stats --table account,contact", "the same for two tables"),
            ("hcconnect stats --json | jq .totals.backlog", "the backlog, for a script"),
            ("hcconnect stats --brief", "one line: backlog, failures, last processing; cheap on any log"),
            ("hcconnect stats --exact", "count every finished entry too, however large the log"),
        ])

    static let table = OptionSpec("table", .list("TABLE"), "Only the entries of these mapped tables", usageValue: "T")
    static let brief = OptionSpec(
        "brief", .flag, "Only the backlog, the FAILED entries and the last processing, in total; reads nothing else")
    static let exact = OptionSpec(
        "exact", .flag, "Count every entry, even on a log above the estimate threshold (1,000,000 entries)")
    static let options: [OptionSpec] = [table, brief, exact]
    static let formats: [OutputFormat] = [.table, .json, .csv]
    static var pages: Bool { true }

    /// `HCCONNECT_ESTIMATE_THRESHOLD`: the size of a log table above which finished states
    /// are estimated (``TriggerLogStatistics/Counting/defaultEstimateThreshold`` when unset).
    static let thresholdVariable = "HCCONNECT_ESTIMATE_THRESHOLD"

    /// What `stats` and `tables` count: everything with `--exact`, else estimates above the
    /// threshold.
    ///
    /// - Throws: ``ArgumentError`` when `HCCONNECT_ESTIMATE_THRESHOLD` is not a number of
    ///   entries.
    static func counting(_ context: CommandContext) throws(ArgumentError) -> TriggerLogStatistics.Counting {
        if context.arguments.flag(exact) { return .exact }
        return .estimatingAbove(try threshold(context.environment))
    }

    static func threshold(_ environment: [String: String]) throws(ArgumentError) -> Int {
        guard let text = environment[thresholdVariable] else {
            return TriggerLogStatistics.Counting.defaultEstimateThreshold
        }
        guard let value = Int(text.trimmingWhitespace()), value >= 0 else {
            throw .invalidValue(option: thresholdVariable, value: text, reason: "is not a number of entries (0 or more)")
        }
        return value
    }

    /// The figures of what an operator acts on (``TriggerLogStatistics/Counting/actionable``),
    /// for `stats --brief` and `check`: in a session that plans without sequential scans, so
    /// that the archive is read through its indexes whatever the share of FAILED entries.
    static func actionableFigures(_ context: CommandContext, tables: [String]) throws -> TriggerLogStatistics {
        let store = try context.triggerLog()
        store.connection.deferSessionParameters([("enable_seqscan", "off")])
        return try context.retrying("reading the statistics") {
            try store.statistics(tables: tables.isEmpty ? nil : tables, counting: .actionable)
        }
    }

    static func run(_ context: CommandContext) throws -> ExitStatus {
        try context.expectNoPositionals()
        let tables = context.arguments.list(table)
        if context.arguments.flag(brief) {
            if context.arguments.flag(exact) { throw ArgumentError.conflictingOptions(brief.longForm, exact.longForm) }
            return try runBrief(context, tables: tables)
        }
        let counting = try counting(context)
        let store = try context.triggerLog()
        let statistics = try context.retrying("reading the statistics") {
            try store.statistics(tables: tables.isEmpty ? nil : tables, counting: counting)
        }
        switch context.format {
        case .json:
            var object = JSONObjectWriter()
            object.add("schema", store.schemaName.name)
            object.add("measured_at", statistics.measuredAt)
            object.add("estimated", !statistics.estimated.isEmpty)
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
            context.output.write(StatisticsReport.estimateNote(statistics, width: width, style: context.style))
        }
        return .success
    }

    /// `stats --brief`: the backlog, the FAILED entries and the last processing, in total.
    static func runBrief(_ context: CommandContext, tables: [String]) throws -> ExitStatus {
        let statistics = try actionableFigures(context, tables: tables)
        let totals = statistics.totals
        switch context.format {
        case .json:
            var object = JSONObjectWriter()
            object.add("schema", context.options.schema)
            object.add("measured_at", statistics.measuredAt)
            StatisticsReport.addFigures(totals, counts: false, to: &object)
            context.output.line(object.text)
        case .csv:
            context.output.write(bytes: CSVWriter.line(StatisticsReport.briefCSVHeader))
            context.output.write(bytes: CSVWriter.line(StatisticsReport.briefCSVFields(totals)))
        case .table, .ids, .prometheus:
            context.output.line(StatisticsReport.headline(totals, width: context.output.tableWidth))
        }
        return .success
    }
}
