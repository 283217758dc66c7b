import HerokuConnect

/// Writes the entries a query selects, the way every listing command does: streamed in the
/// chosen format; for a person at a terminal at most 100 rows (unless --limit or --all
/// says otherwise) with a note of how many more there are and how to see them; for a
/// script everything, never cut silently.
enum EntryListing {
    /// The rows a person sees when no limit is given.
    static let personLimit = 100

    /// Runs a listing command without positional arguments: reads the filters, refines
    /// `base` with them and writes the entries.
    ///
    /// - Parameter noun: What the entries are called in notes, given the filters.
    static func run(
        _ context: CommandContext, selecting base: TriggerLogQuery, noun: (EntryFilters) -> String
    ) throws -> ExitStatus {
        try context.expectNoPositionals()
        let filters = try EntryFilters(context.arguments)
        let store = try context.triggerLog(checked: false)
        let query = try filters.applied(to: base, store: store).attempts(context.arguments.flag(FailedCommand.attempts))
        try write(context, store: store, query: query, filters: filters, noun: noun(filters))
        return .success
    }

    /// Writes the entries and returns the number written.
    ///
    /// - Parameters:
    ///   - query: The selection, without a limit.
    ///   - filters: The --limit and --all the user gave.
    ///   - noun: What the entries are, for notes ("FAILED entries").
    @discardableResult
    static func write(
        _ context: CommandContext, store: TriggerLogStore, query: TriggerLogQuery, filters: EntryFilters, noun: String
    ) throws -> Int {
        let shown = filters.all ? nil : filters.limit ?? (context.isForPerson ? personLimit : nil)
        // A person is told when there are more; fetching one more row says so cheaply.
        let probe = context.isForPerson ? shown.map { $0 + 1 } : shown
        var writer = EntryWriters.make(
            context.format, output: context.output, style: context.style, oneState: query.states.count == 1,
            attempts: query.withAttempts)
        var written = 0
        var hasMore = false
        try store.forEachRow(matching: query.limit(probe)) { row in
            if context.outputClosed { throw OutputClosed() }
            if let shown, written == shown {
                hasMore = true
                return
            }
            writer.write(row: row)
            written += 1
        }
        writer.finish()
        if hasMore {
            let total = try store.count(matching: query)
            let flag = filters.limit == nil ? "--limit \(total) or --all" : "a larger --limit or --all"
            context.note(
                "… \(ReadableFigure.count(total - written)) more \(noun) not shown (\(ReadableFigure.count(total)) in all);"
                    + " use \(flag) to see them,"
                    + " or --format csv or json for scripts")
        } else if written == 0, context.isForPerson {
            context.note("No \(noun).")
        }
        return written
    }
}
