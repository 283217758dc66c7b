import HerokuConnect
import Postgres

/// `hcconnect errors`: FAILED entries grouped by cause, largest group first.
enum ErrorsCommand: Command {
    static let help = CommandHelp(
        name: "errors",
        summary: "Group FAILED entries by cause: one line per Salesforce error, with counts",
        usage: [Usage(.optionals(EntryFilters.selectionSpecs + [examples, byTable]), .oneOf([limit, all]))],
        description: """
            Groups the FAILED entries of the live log and the archive by cause: Salesforce's \
            status code (UNABLE_TO_LOCK_ROW, DUPLICATE_VALUE, ...) and its message with the \
            record's values masked (ids become <id>, numbers <n>, e-mail addresses <email>, \
            quoted text '…', the value of a too-long field <value>), so that one cause is one \
            line however many records it hit. Each line has the number of entries, the tables, \
            when the cause was last seen (processed_at, when Connect failed the entry, else \
            created_at) and the ids of its newest entries, for show, failed --message, retry and \
            ignore. The largest group comes first. The filters are those of failed. On a \
            terminal the 100 largest groups are shown; piped or with --format json or csv, all. \
            JSON and CSV also have the first time seen, the live and archive counts, the count \
            per table and one original message.
            """,
        examples: [
            ("hcconnect errors", "what is failing, and how often"),
            ("hcconnect errors --since 1d --in live", "the causes of the last day's failures still in the live log"),
            ("hcconnect errors --table account,contact --by-table", "one line per cause and table"),
            ("hcconnect errors --examples 10 --limit 5", "the five largest causes with ten entry ids each"),
            ("hcconnect errors --json | jq -r 'select(.code == \"UNABLE_TO_LOCK_ROW\") | .example_ids[]'",
             "the newest lock errors' ids, for a script"),
        ])

    static let examples = OptionSpec("examples", .value("N"), "Keep the ids of the N newest entries per group (default 3, 0 for none)")
    static let byTable = OptionSpec("by-table", .flag, "One group per cause and table, instead of one per cause")
    static let limit = OptionSpec("limit", .value("N"), "At most N groups, the largest")
    static let all = OptionSpec("all", .flag, "Every group, even on a terminal (which shows 100 by default)")

    static let options: [OptionSpec] = EntryFilters.selectionSpecs + [examples, byTable, limit, all]
    static let formats: [OutputFormat] = [.table, .json, .csv]
    static var pages: Bool { true }

    /// The most example ids a group can keep.
    static let maximumExamples = 100

    static func run(_ context: CommandContext) throws -> ExitStatus {
        try context.expectNoPositionals()
        let filters = try EntryFilters(context.arguments)
        let examplesPerGroup = try examplesOption(context.arguments)
        let byTable = context.arguments.flag(byTable)
        let store = try context.triggerLog()
        let query = try filters.applied(to: .failed(), store: store)
        // The groups are built in memory before anything is written, so a read that lost its
        // connection can be repeated whole.
        let result = try context.retrying("grouping the failures") {
            try store.failureGroups(matching: query, examplesPerGroup: examplesPerGroup, splittingByTable: byTable)
        }
        let groups = result.groups
        let shown = filters.all ? groups.count : min(groups.count, filters.limit ?? (context.isForPerson ? EntryListing.personLimit : groups.count))
        let selected = groups.prefix(shown)
        switch context.format {
        case .json:
            for group in selected { context.output.write(bytes: json(group) + [UInt8(ascii: "\n")]) }
        case .csv:
            context.output.write(bytes: CSVWriter.line(csvHeader))
            for group in selected { context.output.write(bytes: CSVWriter.line(csvFields(group))) }
        case .table, .ids, .prometheus:
            // A script reading the table gets its header even when there is nothing; a person a note.
            if !selected.isEmpty || !context.output.isTerminal { writeTable(selected, byTable: byTable, context) }
        }
        if context.isForPerson { notes(context, shown: selected, groups: groups, entryCount: result.entryCount, filters: filters) }
        return .success
    }

    /// Reads `--examples`: a whole number from 0 to ``maximumExamples``.
    static func examplesOption(_ arguments: ParsedArguments) throws(ArgumentError) -> Int {
        guard let text = arguments.value(examples) else { return 3 }
        guard let value = Int(text), (0...maximumExamples).contains(value) else {
            throw .invalidValue(
                option: examples.longForm, value: text,
                reason: "is not a number of examples (a whole number from 0 to \(maximumExamples))")
        }
        return value
    }

    private static func notes(
        _ context: CommandContext, shown: ArraySlice<FailureGroup>, groups: [FailureGroup], entryCount: Int,
        filters: EntryFilters
    ) {
        guard !groups.isEmpty else {
            context.note("No FAILED entries.")
            return
        }
        let entries = entryCount == 1 ? "1 FAILED entry" : "\(ReadableFigure.count(entryCount)) FAILED entries"
        let causes = groups.count == 1 ? "1 group" : "\(ReadableFigure.count(groups.count)) groups"
        if shown.count < groups.count {
            let hidden = groups.count - shown.count
            let hiddenEntries = groups.dropFirst(shown.count).reduce(0) { $0 + $1.count }
            let flag = filters.limit == nil ? "--limit \(groups.count) or --all" : "a larger --limit or --all"
            context.note(
                "… \(ReadableFigure.count(hidden)) more \(hidden == 1 ? "group" : "groups") "
                    + "(\(ReadableFigure.count(hiddenEntries)) entries) not shown;"
                    + " \(entries) in \(causes) in all; use \(flag) to see them")
        } else {
            context.note("\(entries) in \(causes).")
        }
    }

    // MARK: - Table

    private static func writeTable(_ groups: ArraySlice<FailureGroup>, byTable: Bool, _ context: CommandContext) {
        let output = context.output
        let style = context.style
        let isCompact = output.tableWidth != nil
        let showsFirstSeen = (output.tableWidth ?? Int.max) >= 150
        var columns: [TextTable.Column] = [.init(title: "COUNT", alignRight: true)]
        if showsFirstSeen { columns.append(.init(title: "FIRST SEEN")) }
        columns += [.init(title: "LAST SEEN"), .init(title: byTable ? "TABLE" : "TABLES"), .init(title: "EXAMPLE IDS"),
                    .init(title: "ERROR")]
        // on a narrow terminal, the cause keeps 40 columns: EXAMPLE IDS goes first, then
        // TABLES is narrowed to 12, then LAST SEEN and TABLES go
        var table = TextTable(
            columns: columns,
            fitSteps: [
                .drop("EXAMPLE IDS"), .narrow(byTable ? "TABLE" : "TABLES", to: 12), .drop("LAST SEEN"),
                .drop(byTable ? "TABLE" : "TABLES"),
            ],
            lastMinimum: 40)
        func time(_ timestamp: PostgresTimestamp?) -> String {
            (isCompact ? timestamp?.minuteDescription : timestamp?.shortDescription) ?? "-"
        }
        for group in groups {
            var cells = [TextTable.Cell(ReadableFigure.count(group.count))]
            if showsFirstSeen { cells.append(TextTable.Cell(time(group.firstSeen))) }
            let code = group.message.code ?? ""
            cells += [
                TextTable.Cell(time(group.lastSeen)),
                TextTable.Cell(byTable ? group.table ?? "(none)" : tablesText(group, separator: " ")),
                TextTable.Cell(group.exampleIDs.map(String.init).joined(separator: " ")),
                TextTable.Cell(group.message.summary, style: { text in
                    guard !code.isEmpty, text.hasPrefix(code) else { return text }
                    return style.red(code) + text.dropFirst(code.count)
                }),
            ]
            table.append(cells)
        }
        output.write(table.render(header: true, maxWidth: output.tableWidth, style: style))
    }

    /// `account` for one table, `account:3 contact:1` for several.
    private static func tablesText(_ group: FailureGroup, separator: String) -> String {
        if group.tableCounts.count == 1 { return group.tableCounts[0].table ?? "(none)" }
        return group.tableCounts.map { "\($0.table ?? "(none)"):\($0.count)" }.joined(separator: separator)
    }

    // MARK: - JSON and CSV

    /// One group as a JSON object: `code`, `message` (masked), `table` (with --by-table,
    /// else null), `count`, `live`, `archive`, `tables` (table → count; "" for entries
    /// without one), `first_seen`, `last_seen`, `example_ids`, `example_message`.
    static func json(_ group: FailureGroup) -> [UInt8] {
        var object = JSONObjectWriter()
        object.add("code", group.message.code)
        object.add("message", group.message.maskedText)
        object.add("table", group.table)
        object.add("count", group.count)
        object.add("live", group.liveCount)
        object.add("archive", group.archiveCount)
        var tables = JSONObjectWriter()
        for tableCount in group.tableCounts { tables.add(tableCount.table ?? "", tableCount.count) }
        object.add("tables", raw: tables.finished())
        object.add("first_seen", group.firstSeen)
        object.add("last_seen", group.lastSeen)
        object.add("example_ids", raw: Array(("[" + group.exampleIDs.map(String.init).joined(separator: ",") + "]").utf8))
        object.add("example_message", group.exampleMessage)
        return object.finished()
    }

    static let csvHeader = [
        "code", "message", "table", "count", "live", "archive", "tables", "first_seen", "last_seen", "example_ids",
        "example_message",
    ]

    /// One group's CSV fields in ``csvHeader`` order; `tables` as `account:3 contact:1`,
    /// `example_ids` separated by spaces.
    static func csvFields(_ group: FailureGroup) -> [String?] {
        [
            group.message.code, group.message.maskedText, group.table, String(group.count), String(group.liveCount),
            String(group.archiveCount),
            group.tableCounts.map { "\($0.table ?? ""):\($0.count)" }.joined(separator: " "),
            group.firstSeen?.iso8601, group.lastSeen?.iso8601, group.exampleIDs.map(String.init).joined(separator: " "),
            group.exampleMessage,
        ]
    }
}
