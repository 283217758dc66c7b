import HerokuConnect
import Postgres

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `hcconnect export`: the selected entries of both log tables in id order, every column
/// as stored, for keeping the history beyond the archive's purge; resumable by id.
enum ExportCommand: Command {
    static let help = CommandHelp(
        name: "export",
        summary: "Write entries, live and archive, in id order as JSON lines or CSV, to keep them",
        usage: [
            Usage(
                .oneOf([afterID, checkpoint]), .optionalWith(processed, stuckAfter),
                .optionals(
                    [EntryFilters.state] + EntryFilters.selectionSpecs + [EntryFilters.limit, noHeader, waitForWriters, summary]))
        ],
        description: """
            Writes the selected entries of the live log and the archive (all states unless \
            --state says) to standard output in id order, as JSON lines (the default) or CSV \
            with a header (--format csv), streamed: memory stays the same for any number of \
            entries. Heroku Connect purges the archive after 7 or 30 days; a nightly export \
            keeps the history. Every column is written as stored, plus `archived`: times in \
            ISO 8601 to the microsecond with their offset; in JSON, `old` and `values` are \
            objects when these rebuild the column's hstore text byte for byte (always so \
            for text hstore wrote: hstore(keys, values)::text gives it back), else that text \
            as a string; in CSV, the text. NULL is JSON null, and in CSV an empty field, \
            with the empty string written as "" (as COPY ... CSV reads them; COPY before \
            PostgreSQL 18 cannot read back a value holding a line that is just \\., which \
            it writes the same way).

            --after-id N exports only entries with a greater id. --checkpoint FILE keeps \
            that bookkeeping for a nightly job: it starts after the id in FILE (from the \
            first entry when FILE does not exist), and after all output has been written \
            (and, to a file, flushed to disk) it replaces FILE atomically with the id the \
            next run starts after. A checkpoint that cannot be read or does not hold an id \
            is an error (exit 2) and is never reset. A run that fails leaves FILE as it \
            was, and the next run repeats it: entries arrive at least once, so give each \
            run a file of its own (a failed run may leave a partial one), or de-duplicate on \
            id and archived, keeping the last copy. Use one checkpoint per set of filters.

            Ids are taken when a change is captured, but transactions commit in any order: \
            an entry can become visible after one with a higher id. So the export first \
            waits (up to --wait-for-writers, 60 s) for the transactions writing the live \
            log when it starts, and then exports ids up to the highest it saw at the start; \
            with that, resuming after where it stopped loses no entry. When such a \
            transaction stays open longer (a session idle in transaction), nothing is \
            written and the exit status is 75. This relies on the id sequence handing out \
            increasing ids, as Heroku Connect creates it.

            Each entry is exported once, in the state it has then. An entry still NEW or \
            PENDING at that moment later succeeds or fails, and the export does not follow \
            it; --processed stops before the first live entry Connect has not processed \
            yet (entries stuck for over --stuck-after, 1d, do not hold it back), so that \
            failures are exported as FAILED. A FAILED entry retried or ignored after its \
            export is not exported again. Entries reach the archive as they are processed, \
            not necessarily in id order, so export both tables (the default) rather than --in archive \
            when resuming by id.
            """,
        examples: [
            ("hcconnect export > log.jsonl", "every entry, live and archive, one JSON object per line"),
            ("hcconnect export --checkpoint /var/lib/hc/export.id --processed > \"hc-$(date +%F).jsonl\"",
             "nightly: what is new since the last successful run, each entry once processed"),
            ("hcconnect export --state FAILED --format csv --after-id 81234 --summary",
             "failures above id 81234 as CSV, with a summary on standard error"),
            ("hcconnect export --format csv --no-header --checkpoint state.id >> history.csv",
             "append to one CSV file (after a failed run, it holds some entries twice)"),
        ])

    static let afterID = OptionSpec("after-id", .value("N"), "Only entries with an id greater than N")
    static let checkpoint = OptionSpec(
        "checkpoint", .value("FILE"), "Start after the id in FILE; once all is written, store the next start there")
    static let processed = OptionSpec(
        "processed", .flag, "Stop before the first live entry Connect has not processed yet (NEW, PENDING)")
    static let stuckAfter = OptionSpec(
        "stuck-after", .value("AGE"), "With --processed: entries waiting longer (since capture or retry) hold nothing back (default 1d)")
    static let waitForWriters = OptionSpec(
        "wait-for-writers", .value("SECONDS"), "Wait at most this long for transactions writing the log (default 60)")
    static let noHeader = OptionSpec("no-header", .flag, "CSV without its header line, to append to a file")
    static let summary = OptionSpec("summary", .flag, "Say what was exported on standard error (always on a terminal)")

    static let options: [OptionSpec] =
        [afterID, checkpoint, processed, stuckAfter, EntryFilters.state] + EntryFilters.selectionSpecs
        + [EntryFilters.limit, noHeader, waitForWriters, summary]
    static let formats: [OutputFormat] = [.json, .csv]

    /// The export's own options, checked before anything connects.
    struct Settings {
        var afterID = 0
        var checkpointPath: String?
        var processed = false
        var stuckAfterSeconds = 86_400
        var waitSeconds = 60
        var header = true
        var summary = false

        init(_ arguments: ParsedArguments, format: OutputFormat) throws(ArgumentError) {
            if let text = arguments.value(ExportCommand.afterID) {
                guard let id = Int(text), id >= 0 else {
                    throw .invalidValue(
                        option: ExportCommand.afterID.longForm, value: text,
                        reason: "is not a trigger log id (a whole number, 0 or more)")
                }
                guard id <= Int(Int32.max) else {
                    throw .invalidValue(
                        option: ExportCommand.afterID.longForm, value: text,
                        reason: "is too large for a trigger log id (at most \(Int32.max))")
                }
                afterID = id
            }
            checkpointPath = arguments.value(ExportCommand.checkpoint)
            if checkpointPath != nil, arguments.has(ExportCommand.afterID) {
                throw .conflictingOptions(ExportCommand.afterID.longForm, ExportCommand.checkpoint.longForm)
            }
            processed = arguments.flag(ExportCommand.processed)
            if let text = arguments.value(ExportCommand.stuckAfter) {
                guard processed else { throw .invalidCombination("--stuck-after applies only with --processed") }
                guard case .ago(let seconds)? = TimeBound(parsing: text), seconds > 0 else {
                    throw .invalidValue(
                        option: ExportCommand.stuckAfter.longForm, value: text, reason: "is not an age like 12h, 2d or 1w")
                }
                stuckAfterSeconds = seconds
            }
            if let text = arguments.value(ExportCommand.waitForWriters) {
                guard let seconds = Int(text), seconds >= 0, seconds <= 86_400 else {
                    throw .invalidValue(
                        option: ExportCommand.waitForWriters.longForm, value: text, reason: "is not a number of seconds (0 to 86400)")
                }
                waitSeconds = seconds
            }
            if arguments.flag(ExportCommand.noHeader) {
                guard format == .csv else { throw .invalidCombination("--no-header applies only to --format csv") }
                header = false
            }
            summary = arguments.flag(ExportCommand.summary)
        }
    }

    static func run(_ context: CommandContext) throws -> ExitStatus {
        try context.expectNoPositionals()
        let filters = try EntryFilters(context.arguments)
        let settings = try Settings(context.arguments, format: context.format)
        // Read and prepared before connecting: a bad checkpoint stops the run before any output.
        let checkpoint = try settings.checkpointPath.map { path throws(ArgumentError) in try ExportCheckpoint(path: path) }
        let store = try context.triggerLog()
        let query = try filters.applied(to: TriggerLogQuery(), store: store)
        let export = TriggerLogExport(store: store, query: query, afterID: checkpoint?.storedID ?? settings.afterID)

        var horizon: Int
        do {
            horizon = try context.retrying("waiting for the log's writers") {
                try export.settle(waitingAtMost: .seconds(settings.waitSeconds))
            }
        } catch let error as TriggerLogWritersStillRunning {
            throw CommandFailure(
                status: .temporaryFailure,
                message: "\(error); nothing was exported. Try again later, or wait longer with --wait-for-writers")
        }
        var unprocessedID: Int?
        if settings.processed {
            (horizon, unprocessedID) = try context.retrying("finding the processed entries") {
                try export.processedHorizon(upTo: horizon, stuckAfter: .seconds(settings.stuckAfterSeconds))
            }
        }

        let output = context.output
        let json = context.format == .json
        if !json, settings.header { output.write(bytes: CSVWriter.line(EntryWriters.csvHeader)) }
        // After a lost connection the export goes on after the last entry written, so no
        // entry is written twice; Ctrl-C stops it after the entry in hand, and the checkpoint
        // stays where it was.
        var written = TriggerLogExportResult(resumeAfter: export.afterID)
        // on a terminal, progress with a total and the time left, as a repair shows it: the
        // entries up to the horizon are counted first (one more scan, for a person only)
        let showsProgress = !context.options.verbose && !settings.summary && context.errors.isTerminal
        var total: Int?
        if showsProgress {
            let counted = try context.retrying("counting the entries to export") {
                try store.count(matching: query.ids(after: export.afterID, through: horizon))
            }
            total = filters.limit.map { min($0, counted) } ?? counted
        }
        var progress = ProgressMeter(errors: context.errors, label: "export", total: total, isEnabled: showsProgress)
        let result: TriggerLogExportResult
        do {
            result = try context.interruption.during(announcingBatch: false) {
                try context.retrying("exporting") {
                    let rest = TriggerLogExport(store: store, query: query, afterID: written.lastID ?? export.afterID)
                    let remaining = filters.limit.map { $0 - written.count }
                    let part = try rest.forEachRow(through: horizon, limit: remaining) { entry in
                        try context.interruption.check()
                        if let error = output.writeError { throw outputFailure(error, checkpoint: checkpoint) }
                        output.append { bytes in
                            if json {
                                EntryWriters.appendJSONLine(entry, exact: true, to: &bytes)
                            } else {
                                EntryWriters.appendCSVLine(entry, to: &bytes)
                            }
                        }
                        written.count += 1
                        written.firstID = written.firstID ?? entry.id
                        written.lastID = entry.id
                        progress.update(written.count)
                    }
                    return TriggerLogExportResult(
                        count: written.count, firstID: written.firstID, lastID: written.lastID,
                        resumeAfter: part.resumeAfter)
                }
            }
        } catch {
            progress.finish()
            output.flush()
            if error is Interrupted || error is RetriesExhausted, let checkpoint {
                context.note(
                    "hcconnect: exported \(ReadableFigure.count(written.count)) entries before stopping; the checkpoint \(checkpoint.path) was "
                        + "left as it was")
            }
            throw error
        }
        progress.finish()
        if let error = output.flushToDisk() { throw outputFailure(error, checkpoint: checkpoint) }
        try checkpoint?.save(result.resumeAfter)
        if settings.summary || context.errors.isTerminal {
            context.note(summaryLine(result, export: export, unprocessedID: unprocessedID, checkpoint: checkpoint))
        }
        return .success
    }

    /// The failure when standard output cannot be written.
    private static func outputFailure(_ error: Int32, checkpoint: ExportCheckpoint?) -> CommandFailure {
        CommandFailure(
            status: error == EPIPE ? .outputClosed : .temporaryFailure,
            message: "cannot write the output: \(ExportCheckpoint.systemMessage(error))"
                + (checkpoint.map { "; the checkpoint \($0.path) was left as it was" } ?? ""))
    }

    /// One line for people: what was written and where the next export starts.
    static func summaryLine(
        _ result: TriggerLogExportResult, export: TriggerLogExport, unprocessedID: Int?, checkpoint: ExportCheckpoint?
    ) -> String {
        var text = "Exported "
        if let first = result.firstID, let last = result.lastID {
            text += result.count == 1 ? "1 entry (id \(first))" : "\(ReadableFigure.count(result.count)) entries (ids \(first) to \(last))"
        } else {
            text += "no entries"
        }
        text += export.afterID > 0 ? " after id \(export.afterID)" : ""
        text += "; the next export starts after id \(result.resumeAfter)"
        if let checkpoint { text += " (saved in \(checkpoint.path))" }
        if let unprocessedID, result.resumeAfter == unprocessedID - 1 {
            text += "; entry \(unprocessedID) is not processed yet"
        }
        return text
    }
}
