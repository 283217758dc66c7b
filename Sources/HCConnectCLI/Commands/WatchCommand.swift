import HerokuConnect
import Postgres

/// `hcconnect watch`: follows the live trigger log and writes entries as they become FAILED
/// (or reach other states, or are inserted), until stopped.
enum WatchCommand: Command {
    static let help = CommandHelp(
        name: "watch",
        summary: "Follow the live trigger log: write entries as they become FAILED",
        usage: [
            Usage(
                .optionals(filterSpecs), .oneOf([state, all]), .optionals([existing, interval, count, timeout]))
        ],
        description: """
            Follows the live trigger log and writes each entry as it becomes FAILED, one line \
            (or JSON object, or CSV row, or id) per entry, as it happens, until interrupted. \
            It listens for Heroku Connect's notification of new entries and looks for state \
            changes, which are not notified, every --interval. Entries already FAILED when it \
            starts are not written, unless --existing. With --state, it writes entries that \
            are inserted in or change into those states instead; with --all, every new entry \
            as it is inserted. When the connection drops it reconnects, with growing delays \
            (0.5 s up to 30 s), and catches up: changes made meanwhile are written then, \
            including candidates Connect moved to the archive. --count N stops after N \
            entries (exit 0); --timeout DUR stops after DUR, with exit status 1 when fewer \
            than --count entries (without --count: none) were written.
            """,
        examples: [
            ("hcconnect watch", "every new failure, as it happens"),
            ("hcconnect watch --table account --json", "failures of account entries, as JSON lines"),
            ("hcconnect watch --count 1 --timeout 10m", "wait up to ten minutes for the next failure"),
            ("hcconnect watch --state SUCCESS,FAILED", "every entry Connect has processed, either way"),
            ("hcconnect watch --all --format ids", "the id of every new entry"),
        ])

    static let state = OptionSpec(
        "state", .list("STATE"), "Write entries inserted in or changing into these states (default FAILED)", usageValue: "S")
    static let all = OptionSpec("all", .flag, "Write every new entry as it is inserted, in any state")
    static let existing = OptionSpec("existing", .flag, "First write the live entries already in the watched states")
    static let interval = OptionSpec("interval", .value("DUR"), "Look for state changes every DUR (default 2s; e.g. 500ms, 10s)")
    static let count = OptionSpec("count", .value("N"), "Stop after writing N entries")
    static let timeout = OptionSpec(
        "timeout", .value("DUR"), "Stop after DUR (e.g. 30s, 10m); exit 1 when fewer than --count (else no) entries came")

    /// The filters of `failed` that apply to entries as they change.
    static let filterSpecs = [
        EntryFilters.table, EntryFilters.action, EntryFilters.message, EntryFilters.code, EntryFilters.recordID, EntryFilters.sfid,
    ]
    static let options = filterSpecs + [state, all, existing, interval, count, timeout]
    static let formats: [OutputFormat] = [.table, .json, .csv, .ids]

    /// The default time between two looks for state changes.
    static let defaultInterval: Duration = .seconds(2)

    /// Ctrl-C or SIGTERM stops the watch (exit 130 or 143), after the entry in hand.
    static func run(_ context: CommandContext) throws -> ExitStatus {
        let status = try context.interruption.during(announcingBatch: false) {
            try run(context, shouldStop: { context.interruption.isRequested })
        }
        try context.interruption.check()
        return status
    }

    /// Watches until `shouldStop` returns true (asked at every wake-up, and at least every
    /// interval), --count entries are written or --timeout passes.
    ///
    /// - Returns: Success when stopped or when --count entries were written; negative when
    ///   --timeout ended the watch before enough entries came.
    static func run(_ context: CommandContext, shouldStop: () -> Bool) throws -> ExitStatus {
        try context.expectNoPositionals()
        let request = try Request(context.arguments)
        let store = try context.triggerLog()
        let filter = try request.filters.applied(to: TriggerLogQuery(), store: store)
        let watcher = TriggerLogWatcher(
            store: store, filter: filter, selection: request.selection, includingExisting: request.existing)
        if context.errors.isTerminal {
            context.note("watching \(store.schemaName.name) for \(request.noun(filter: filter)); Ctrl-C to stop")
        }
        var writer = EntryWriters.make(context.format, output: context.output, style: context.style, streaming: true)
        context.output.flush()
        var written = 0
        let deadline = request.timeout.map { ContinuousClock.now + $0 }
        try watcher.run(
            interval: request.interval, until: deadline,
            shouldStop: { shouldStop() || request.count.map { written >= $0 } ?? false }
        ) { event in
            switch event {
            case .entry(let entry):
                writer.write(entry)
                context.output.flush()
                written += 1
            case .connectionLost(let error, let delay):
                context.events.always("reconnect", level: "warning", "connection lost (\(error.message)); reconnecting in \(seconds(delay))")
            case .reconnectFailed(let error, let delay):
                context.events.always("reconnect", level: "warning", "could not reconnect (\(error.message)); trying again in \(seconds(delay))")
            case .reconnected:
                context.events.always("reconnected", level: "info", "reconnected")
            }
        }
        writer.finish()
        context.output.flush()
        if let deadline, ContinuousClock.now >= deadline, written < request.count ?? 1 { return .negative }
        return .success
    }

    /// A delay as people read it: `0.5 s`, `12.3 s`.
    static func seconds(_ duration: Duration) -> String {
        let tenths = duration.inTenthsOfASecondRounded
        return "\(tenths / 10).\(tenths % 10) s"
    }

    /// The command line, checked before anything connects.
    struct Request {
        var filters: EntryFilters
        var selection = TriggerLogWatcher.Selection.failures
        var existing = false
        var interval = WatchCommand.defaultInterval
        var count: Int?
        var timeout: Duration?

        init(_ arguments: ParsedArguments) throws(ArgumentError) {
            filters = try EntryFilters(arguments)
            if arguments.flag(WatchCommand.all) {
                if arguments.has(WatchCommand.state) {
                    throw .conflictingOptions(WatchCommand.all.longForm, WatchCommand.state.longForm)
                }
                if arguments.flag(WatchCommand.existing) {
                    throw .conflictingOptions(WatchCommand.all.longForm, WatchCommand.existing.longForm)
                }
                selection = .inserted
            } else if !filters.states.isEmpty {
                selection = .reaching(Set(filters.states))
            }
            existing = arguments.flag(WatchCommand.existing)
            if let text = arguments.value(WatchCommand.interval) {
                let interval = try Self.duration(text, option: WatchCommand.interval.longForm)
                guard interval >= .milliseconds(100), interval <= .seconds(3600) else {
                    throw .invalidValue(
                        option: WatchCommand.interval.longForm, value: text, reason: "is not between 100ms and 1h")
                }
                self.interval = interval
            }
            if let text = arguments.value(WatchCommand.count) {
                count = try EntryFilters.positiveInteger(text, option: WatchCommand.count.longForm, noun: "count")
            }
            if let text = arguments.value(WatchCommand.timeout) {
                timeout = try Self.duration(text, option: WatchCommand.timeout.longForm)
            }
        }

        /// What is watched, for the note at the start: "entries that become FAILED".
        func noun(filter: TriggerLogQuery) -> String {
            let tables = filter.tables.isEmpty ? "" : " of " + filter.tables.joined(separator: ", ")
            switch selection {
            case .inserted:
                return "new entries" + tables
            case .reaching(let states):
                let names = states.map(\.rawValue).sorted()
                return "entries" + tables + " that become " + names.joined(separator: " or ")
            }
        }

        /// Parses a duration: a whole number of milliseconds (`500ms`), or of seconds,
        /// minutes, hours, days, weeks (`30s`, `10m`, `1h30m`).
        static func duration(_ text: String, option: String) throws(ArgumentError) -> Duration {
            if let milliseconds = DurationText.waits.milliseconds(text, maximum: TimeBound.maximumMilliseconds),
                milliseconds > 0
            {
                return .milliseconds(milliseconds)
            }
            throw .invalidValue(option: option, value: text, reason: "is not a duration (e.g. 500ms, 30s, 10m, 1h)")
        }
    }
}
