import HerokuConnect

/// Runs `retry` or `ignore`: resolves the selection, asks for confirmation when it is not a
/// list of ids, changes the entries batch by batch, and reports.
enum RepairRun {
    /// - Parameter writeModeSource: Where a retry's write mode came from, when the app's
    ///   connection chose it: the result says so.
    static func run(_ context: CommandContext, action: RepairAction, writeModeSource: String? = nil) throws -> ExitStatus {
        let request = try RepairRequest(context.arguments, command: action.name, input: context.input)
        if !request.dryRun, context.format == .csv {
            throw ArgumentError.invalidValue(
                option: GlobalOptions.format.longForm, value: "csv",
                reason: "lists entries, which only --dry-run does; use table, json or ids")
        }
        let confirmation = Confirmation.decision(
            context, isSelection: request.ids == nil, dryRun: request.dryRun, yes: request.confirmed)
        if confirmation == .refuse { throw Confirmation.refusal("\(action.name) --failed") }
        let audit = request.dryRun ? nil : try context.openAuditLog()
        var logged = 0
        if case .retry(let mode, let viaConnect) = action {
            context.debug("write mode: \(mode.rawValue)\(viaConnect ? ", archived entries via Connect (REQUEUE)" : "")")
        }
        // a retry decides with the mappings: read them with the schema's check
        let store = try context.triggerLog(inspected: action != .ignore)
        let repair = TriggerLogRepair(store: store)
        let selection: TriggerLogRepair.Selection
        if let ids = request.ids {
            selection = .ids(ids)
        } else {
            let (query, tables) = try request.filters!.appliedWithTables(to: .failed(), store: store)
            if case .retry = action { try requireRepairable(tables) }
            selection = .failed(query)
        }
        let candidates = try repair.candidates(for: selection, max: request.max, records: action != .ignore)
        context.debug(
            "selected \(candidates.targets.count) entries (\(candidates.targets.filter { $0.location == .live }.count) live), "
                + "\(candidates.notFound.count) unknown ids; batches of \(request.batchSize)")
        if confirmation == .ask, !candidates.targets.isEmpty {
            let preview = try preview(context, repair, action: action, candidates: candidates, batchSize: request.batchSize)
            // when every entry would be left alone there is nothing to confirm: the run's
            // summary says why for each
            if preview.changes > 0 { try Confirmation.ask(context, preview) }
        }

        let json = context.format == .json
        var entries = EntryStream(context: context, dryRun: request.dryRun)
        // A dry run's JSON is one object, streamed: its header, the entries as they are read,
        // then the counts.
        var streamed: JSONObjectWriter?
        if json, request.dryRun {
            var object = RepairReport.jsonHeader(action, dryRun: true)
            object.openArray("entries")
            context.output.write(bytes: object.takeBytes())
            streamed = object
        }
        var progress = ProgressMeter(
            errors: context.errors, label: action.name, total: candidates.targets.count,
            isEnabled: !context.options.verbose && candidates.targets.count > request.batchSize)
        var single: RepairOutcome?
        let summary: RepairSummary
        do {
            summary = try context.interruption.during(announcingBatch: context.events.format == .text) {
                try repair.run(
                    action, on: candidates, batchSize: request.batchSize, dryRun: request.dryRun,
                    includeSuperseded: context.arguments.flag(RetryCommand.includeSuperseded)
                ) { summary, outcomes, batchEntries in
                    if candidates.isExplicit, candidates.entries.count == 1, let outcome = outcomes.first {
                        single = outcome
                    }
                    try audit?.record(action, summary, logged: &logged)
                    entries.write(batchEntries, outcomes)
                    if !request.dryRun, context.format == .ids {
                        for id in outcomes.compactMap(\.changedOrCreatedID).uniqued() { context.output.line(String(id)) }
                    }
                    let handled = summary.handled - summary.notFound.count
                    context.events.record(
                        "batch",
                        "batch \(summary.batches) \(request.dryRun ? "planned" : "committed"): \(handled) of "
                            + "\(candidates.targets.count) entries handled, \(summary.changed) changed",
                        [
                            "batch": .int(summary.batches), "handled": .int(handled),
                            "total": .int(candidates.targets.count), "changed": .int(summary.changed),
                        ])
                    progress.update(handled)
                    // each batch's lines go out with it, so a closed reader is seen here
                    context.output.flush()
                    try context.interruption.check(context.output)
                }
            }
        } catch {
            progress.finish()
            entries.finish()
            var sofar = repair.summarySoFar ?? RepairSummary(action: action, isDryRun: request.dryRun)
            if repair.summarySoFar == nil {
                sofar.requested = candidates.requested
                sofar.notFound = candidates.notFound
            }
            finishReport(
                context, action: action, summary: sofar, dryRun: request.dryRun, streamed: streamed, failure: error,
                writeModeSource: writeModeSource)
            throw error
        }
        progress.finish()
        entries.finish()
        if !json, candidates.requested == 0 {
            context.note(request.ids == nil ? "No FAILED entries match; nothing to do." : "No ids given; nothing to do.")
            return status(summary, explicit: candidates.isExplicit)
        }
        // A single id left alone: one line that says why, instead of a summary.
        if !json, let single, let reason = RepairReport.reason(single), summary.notFound.isEmpty {
            context.note(
                "hcconnect: entry \(single.id) (\(single.location.rawValue)) \(request.dryRun ? "would not be" : "was not") "
                    + "\(action == .ignore ? "ignored" : "retried"): \(reason)")
            return .negative
        }
        finishReport(
            context, action: action, summary: summary, dryRun: request.dryRun, streamed: streamed, failure: nil,
            writeModeSource: writeModeSource)
        return status(summary, explicit: candidates.isExplicit)
    }

    /// Writes the summary: one JSON object on standard output, or lines for people on
    /// standard error. After a failure or an interruption, it is what was done until then.
    ///
    /// - Parameter streamed: A dry run's JSON object, begun with its entries array open.
    private static func finishReport(
        _ context: CommandContext, action: RepairAction, summary: RepairSummary, dryRun: Bool,
        streamed: JSONObjectWriter?, failure: (any Error)?, writeModeSource: String?
    ) {
        // a closed standard output gets no result: the summary goes to standard error
        if context.format == .json, !context.outputClosed {
            var object: JSONObjectWriter
            if var streamed {
                streamed.closeArray()
                object = streamed
            } else {
                object = RepairReport.jsonHeader(action, dryRun: dryRun)
            }
            RepairReport.json(summary, into: &object)
            if let writeModeSource { object.add("write_mode_source", writeModeSource) }
            if let failure {
                object.add("completed", false)
                object.add("error", FailureReport(failure).message)
            }
            context.output.write(bytes: object.finished())
            context.output.line()
            return
        }
        guard failure == nil || summary.batches > 0 else { return }
        if failure != nil {
            context.note(
                "Stopped after \(summary.batches) \(summary.batches == 1 ? "batch" : "batches"); "
                    + (dryRun ? "" : "the batches done are committed, the rest is untouched. ")
                    + "So far:")
        }
        for line in RepairReport.lines(summary, style: context.errorStyle) { context.note(line) }
        if let writeModeSource, case .retry(let mode, _) = action {
            context.note("  write mode \(mode.rawValue): from \(writeModeSource) (features.poll_db_no_merge)")
        }
    }

    /// 0 when everything requested was changed (or would be), 3 when an explicit id does
    /// not exist, 1 otherwise.
    static func status(_ summary: RepairSummary, explicit: Bool) -> ExitStatus {
        if explicit, !summary.notFound.isEmpty { return .notFound }
        return summary.isComplete ? .success : .negative
    }

    /// Refuses a retry of tables named by --table whose failures cannot be retried: a
    /// read-only mapping, a mapping without log trigger, a table not mapped. (Ignoring them is
    /// fine.)
    static func requireRepairable(_ tables: [LoggedTable]) throws {
        if let table = tables.first(where: { $0.repairability != .readWrite }) {
            throw HerokuConnectError.tableNotRepairable(table: table.name, status: table.repairability)
        }
    }

    /// Asks a person at a terminal to type "yes"; refuses without one.
    /// What the confirmation shows: a dry run of the same batches (read-only, no locks),
    /// counted per table and error code, and what it would leave alone.
    static func preview(
        _ context: CommandContext, _ repair: TriggerLogRepair, action: RepairAction,
        candidates: TriggerLogRepair.Candidates, batchSize: Int
    ) throws -> ChangePreview {
        let (summary, changing) = try ChangePreview.dryRun(context, repair, action, on: candidates, batchSize: batchSize)
        return ChangePreview(
            changes: summary.changed, actions: [ChangePreview.describe(action, count: summary.changed)],
            groups: try repair.countsByTableAndCode(changing),
            leftAlone: RepairReport.leftAlone(summary).map { ($0.reason, $0.entries.count) },
            question: (action == .ignore ? "Ignore " : "Retry ") + ChangePreview.these(summary.changed) + "?")
    }
}

/// The entries a dry run would change, in the chosen format, streamed as each batch is
/// planned; in json, as the items of the result's `entries` array, each with the step it
/// would take (`would`).
private struct EntryStream {
    private let context: CommandContext
    private var writer: (any EntryWriter)?
    private let isJSON: Bool
    private var written = 0
    private var listed = 0

    init(context: CommandContext, dryRun: Bool) {
        self.context = context
        isJSON = dryRun && context.format == .json
        writer =
            dryRun && !isJSON
            ? EntryWriters.make(context.format, output: context.output, style: context.style, oneState: true) : nil
    }

    /// Writes the entries that would change; those that would be left alone are counted
    /// in the summary instead.
    mutating func write(_ entries: [TriggerLogEntry], _ outcomes: [RepairOutcome]) {
        guard !entries.isEmpty else { return }  // a real run lists none
        var steps: [TriggerLogRepair.Target: (step: RepairStep, into: Int?)] = [:]
        for outcome in outcomes {
            let target = TriggerLogRepair.Target(id: outcome.id, location: outcome.location)
            switch outcome.result {
            case .changed(let step, _): steps[target] = (step, nil)
            case .coalesced(let into, _): steps[target] = (.coalesced, into)
            default: break
            }
        }
        for entry in entries.sorted(by: { ($0.id, $0.isArchived ? 1 : 0) < ($1.id, $1.isArchived ? 1 : 0) }) {
            guard let (step, into) = steps[.init(id: entry.id, location: entry.location)] else { continue }
            guard isJSON else {
                writer?.write(entry)
                listed += 1
                continue
            }
            var object = EntryWriters.json(entry)
            object.add("would", step.rawValue)
            if let into { object.add("into", into) }
            if written > 0 { context.output.write(",") }
            context.output.write(bytes: object.finished())
            written += 1
        }
    }

    /// Ends the listing; a table with no rows is not written at all (the summary says that
    /// nothing would change), while CSV keeps its header.
    mutating func finish() {
        if listed > 0 || context.format != .table { writer?.finish() }
    }
}

extension RepairOutcome {
    /// The id `--format ids` prints for a changed entry: the entry written for it (an
    /// archived entry's copy, a capture), else the entry itself (set to NEW, REQUEUE,
    /// REQUEUED or IGNORED); nil when it was left alone.
    var changedOrCreatedID: Int? {
        guard result.isChange else { return nil }
        if case .changed(_, let newID?) = result { return newID }
        return id
    }
}
