import HerokuConnect

/// `hcconnect tables`: the mapped tables with their entry counts per state.
enum TablesCommand: Command {
    static let help = CommandHelp(
        name: "tables",
        summary: "List the mapped tables with their live and archived entry counts per state",
        usage: [Usage(.optional(StatsCommand.exact))],
        description: """
            Lists the mapped tables of the schema (read-write, read-only, or without log \
            trigger: a dropped or paused mapping) with the number of entries in each state, \
            in the live log and in the archive. Tables that still have entries but are no \
            longer mapped are listed too. Only read-write mappings' failures can be retried. \
            With --format csv, one line per table, place and state; with --format json, one \
            object per table. On a log table above 1,000,000 entries the finished states are \
            estimated as 'hcconnect stats' explains (~1.2M; "estimated": true in JSON, \
            estimated=true in CSV); FAILED and the backlog are always exact; --exact counts \
            every entry.
            """,
        examples: [
            ("hcconnect tables", "where the entries are, per table and state"),
            ("hcconnect tables --json", "the same, one JSON object per table"),
            ("hcconnect tables --exact", "every entry counted, however large the log"),
        ])

    static let options: [OptionSpec] = [StatsCommand.exact]
    static let formats: [OutputFormat] = [.table, .json, .csv]
    static var pages: Bool { true }

    private struct TableCounts {
        let name: String
        let mapped: MappedTable?
        var counts: [TriggerLogLocation: [(state: String, count: Int, isEstimate: Bool)]] = [:]

        /// True when some of the counts in `location` are estimates.
        func isEstimated(_ location: TriggerLogLocation) -> Bool {
            counts[location]?.contains { $0.isEstimate } ?? false
        }
    }

    static func run(_ context: CommandContext) throws -> ExitStatus {
        try context.expectNoPositionals()
        let counting = try StatsCommand.counting(context)
        let store = try context.triggerLog()
        var tables = try store.schema.mappedTables.map { TableCounts(name: $0.name, mapped: $0) }
        let statistics = try context.retrying("counting the entries") { try store.statistics(counting: counting) }
        for count in statistics.totals.counts {
            let name = count.tableName ?? "(no table)"
            if !tables.contains(where: { $0.name == name }) { tables.append(TableCounts(name: name, mapped: nil)) }
            let index = tables.firstIndex { $0.name == name }!
            tables[index].counts[count.location, default: []].append(
                (count.state?.rawValue ?? "NULL", count.count, count.isEstimate))
        }
        switch context.format {
        case .json:
            for table in tables {
                var object = JSONObjectWriter()
                object.add("table", table.name)
                object.add("mapped", table.mapped != nil)
                object.add("read_only", table.mapped?.isReadOnly ?? false)
                object.add("log_trigger", table.mapped?.hasLogTrigger ?? false)
                for location in TriggerLogLocation.allCases {
                    var counts = JSONObjectWriter()
                    for (state, count, _) in table.counts[location] ?? [] { counts.add(state, count) }
                    object.add(location.rawValue, raw: counts.finished())
                }
                object.add("estimated", !statistics.estimated.isEmpty)
                context.output.line(object.text)
            }
        case .csv:
            context.output.write(
                bytes: CSVWriter.line(["table", "mapped", "read_only", "in", "state", "count", "estimated"]))
            for table in tables {
                for location in TriggerLogLocation.allCases {
                    for (state, count, isEstimate) in table.counts[location] ?? [] {
                        context.output.write(bytes: CSVWriter.line([
                            table.name, String(table.mapped != nil), String(table.mapped?.isReadOnly ?? false),
                            location.rawValue, state, String(count), String(isEstimate),
                        ]))
                    }
                }
            }
        case .table, .ids, .prometheus:
            writeTable(tables, estimated: statistics.estimated, context)
            context.output.write(
                StatisticsReport.estimateNote(statistics, width: context.output.tableWidth, style: context.style))
        }
        return .success
    }

    private static func writeTable(
        _ tables: [TableCounts], estimated: Set<TriggerLogLocation>, _ context: CommandContext
    ) {
        guard !tables.isEmpty else {
            context.note("Schema \(context.options.schema) has no mapped tables.")
            return
        }
        let present = Set(tables.flatMap { $0.counts.values.flatMap { $0.map { $0.state } } })
        var states = TriggerLogState.documented.map(\.rawValue).filter { present.contains($0) || $0 == "FAILED" }
        states += present.subtracting(states).sorted()
        // on a narrow terminal: the rare states' columns go first (FAILED stays), then TABLE
        // and MODE are narrowed
        var table = TextTable(
            columns: [.init(title: "TABLE"), .init(title: "MODE"), .init(title: "IN"), .init(title: "TOTAL", alignRight: true)]
                + states.map { TextTable.Column(title: $0, alignRight: true) } + [.init(title: "")],
            fitSteps: StatisticsReport.stateFitSteps(states) + [.narrow("TABLE", to: 12), .narrow("MODE", to: 10)],
            lastMinimum: 0)
        let style = context.style
        let width = context.output.tableWidth
        let number = ReadableFigure.count
        for entry in tables {
            let mode =
                switch entry.mapped?.repairability {
                case .readWrite?: "read-write"
                case .readOnly?: "read-only"
                case .withoutLogTrigger?: "no log trigger"
                default: "not mapped"
                }
            for location in TriggerLogLocation.allCases {
                let counts = entry.counts[location] ?? []
                let byState = Dictionary(counts.map { ($0.state, $0.count) }, uniquingKeysWith: +)
                let estimates = Set(counts.filter(\.isEstimate).map(\.state))
                let total = counts.reduce(0) { $0 + $1.count }
                var cells = [
                    TextTable.Cell(location == .live ? entry.name : ""),
                    TextTable.Cell(
                        location == .live ? mode : "",
                        style: entry.mapped?.hasLogTrigger == true ? nil : { style.yellow($0) }),
                    TextTable.Cell(location.rawValue),
                    TextTable.Cell(StatisticsReport.count(total, estimated: estimated.contains(location))),
                ]
                for state in states {
                    let count = byState[state] ?? 0
                    let highlight: ((String) -> String)? = state == "FAILED" && count > 0 ? { style.red($0) } : nil
                    let text = estimates.contains(state) ? StatisticsReport.estimate(count) : number(count)
                    cells.append(TextTable.Cell(count == 0 ? "-" : text, style: highlight))
                }
                cells.append(TextTable.Cell(""))
                table.append(cells)
            }
        }
        context.output.write(StatisticsReport.render(&table, width: width, style: style))
    }
}
