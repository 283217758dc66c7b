import HerokuConnect

/// The one rule for every command that changes entries (`retry`, `ignore`, `cleanup`; the
/// capture commands take explicit records only):
///
/// - ids on the command line or from `-` never ask: the person named them;
/// - a selection — `--failed` with its filters, cleanup's policy — asks at a terminal unless
///   `--yes`, and without one (cron, a pipe) is refused unless `--yes`, before anything
///   connects;
/// - `--dry-run` never asks.
///
/// The question shows what will happen: the entries per table and error code, the write
/// mode, and what will be left alone; only `yes` goes ahead.
enum Confirmation {
    enum Decision: Equatable {
        /// Go ahead without asking.
        case proceed
        /// Show the preview and ask.
        case ask
        /// No terminal to ask at and no --yes: refuse before changing anything.
        case refuse
    }

    /// What the rule says for a command line.
    ///
    /// - Parameters:
    ///   - isSelection: The entries are chosen by a selection (`--failed`, a policy), not named.
    ///   - canAsk: Standard input and standard error are both terminals.
    static func decision(isSelection: Bool, dryRun: Bool, yes: Bool, canAsk: Bool) -> Decision {
        guard isSelection, !dryRun, !yes else { return .proceed }
        return canAsk ? .ask : .refuse
    }

    /// The rule for `context`: a person can answer when standard input and standard error
    /// are terminals.
    static func decision(_ context: CommandContext, isSelection: Bool, dryRun: Bool, yes: Bool) -> Decision {
        decision(
            isSelection: isSelection, dryRun: dryRun, yes: yes,
            canAsk: context.input.isTerminal && context.errors.isTerminal)
    }

    /// The refusal when there is no terminal to ask at (exit 2, nothing changed).
    ///
    /// - Parameter command: The command as typed, `retry --failed` or `cleanup`.
    static func refusal(_ command: String, changes: String = "every entry it selects") -> ArgumentError {
        .invalidCombination(
            "\(command) changes \(changes) and there is no terminal to confirm at: add --yes to go ahead"
                + " (or --dry-run to see what it would change)")
    }

    /// Shows `preview` on standard error and reads the answer.
    ///
    /// - Throws: ``CommandFailure`` (exit 1) unless the answer is exactly `yes`.
    static func ask(_ context: CommandContext, _ preview: ChangePreview) throws {
        let width = context.errors.columns ?? 80
        try ask(context, lines: preview.lines(width: width, style: context.errorStyle), question: preview.question)
    }

    /// Shows `lines` on standard error, then `question`, and reads the answer.
    ///
    /// - Throws: ``CommandFailure`` (exit 1) unless the answer is exactly `yes`.
    static func ask(_ context: CommandContext, lines: [String], question: String) throws {
        context.output.flush()
        for line in lines { context.errors.line(line) }
        context.errors.write(question + " Type yes to go ahead, no to cancel: ")
        context.errors.flush()
        guard let line = context.input.readLine() else {
            context.errors.line()
            throw CommandFailure(status: .negative, message: "not confirmed (no answer); nothing was changed")
        }
        let answer = line.trimmingWhitespace()
        guard answer == "yes" else {
            let said = answer == "no" || answer.isEmpty ? "" : " ('\(DisplayText.sanitized(String(answer.prefix(20))))' is not yes)"
            throw CommandFailure(status: .negative, message: "not confirmed\(said); nothing was changed")
        }
    }
}

/// What a confirmation shows before entries change: how many, per table and error code,
/// in which write mode, and what will be left alone.
struct ChangePreview {
    /// How many entries will change.
    var changes: Int
    /// One line for each kind of change: `retry 1,200 FAILED entries (merged writes)`.
    var actions: [String]
    /// The entries that will change, per table and error code, most first.
    var groups: [(table: String?, code: String?, count: Int)]
    /// What will be left alone and why, with how many.
    var leftAlone: [(reason: String, count: Int)]
    /// The question: `Retry these 1,200 entries?`.
    var question: String

    /// The most groups listed; the rest are summed up in one line.
    static let shownGroups = 12

    /// The preview as lines no wider than `width` (the reasons wrap; colour takes no room).
    func lines(width: Int, style: TextStyle) -> [String] {
        var lines = DisplayText.wrapped(
            "hcconnect: about to " + actions.joined(separator: ", then ") + ":", width: width, continuation: "  ")
        if !groups.isEmpty {
            let shown = groups.prefix(Self.shownGroups)
            let counts = shown.map { ReadableFigure.count($0.count) }
            let countWidth = max("ENTRIES".count, counts.map(\.count).max() ?? 0)
            let tables = shown.map { DisplayText.sanitized($0.table ?? "(no table)") }
            let codes = shown.map { $0.code ?? "(no code)" }
            // the code column gets what the table and count columns leave, at least 12
            let tableWidth = min(max("TABLE".count, tables.map(\.count).max() ?? 0), 24)
            let codeWidth = max(12, min(codes.map(\.count).max() ?? 0, width - 2 - tableWidth - 2 - 2 - countWidth))
            func row(_ table: String, _ code: String, _ count: String) -> String {
                "  " + DisplayText.fit(table, tableWidth) + "  " + DisplayText.fit(code, codeWidth) + "  "
                    + DisplayText.padded(count, toColumns: countWidth, alignRight: true)
            }
            lines.append(style.dim(row("TABLE", "ERROR CODE", "ENTRIES")))
            for (index, count) in counts.enumerated() { lines.append(row(tables[index], codes[index], count)) }
            if groups.count > shown.count {
                let rest = groups.dropFirst(shown.count)
                lines.append(
                    "  … and \(ReadableFigure.count(rest.reduce(0) { $0 + $1.count })) more in \(rest.count) other groups"
                        + " (hcconnect errors --by-table lists them all)")
            }
        }
        for (reason, count) in leftAlone where count > 0 {
            lines += DisplayText.wrapped(
                style.yellow("left alone") + ", " + reason + ": " + ReadableFigure.count(count), width: width,
                indent: "  ", continuation: "    ")
        }
        return lines
    }
}

extension ChangePreview {
    /// A dry run of `action` on `candidates` for a preview (read-only statements, no locks,
    /// no entries read), with progress on a terminal: its summary and the entries it would
    /// change.
    ///
    /// - Parameter showsProgress: False when standard error is not the place for it (the
    ///   console owns the terminal).
    static func dryRun(
        _ context: CommandContext, _ repair: TriggerLogRepair, _ action: RepairAction,
        on candidates: TriggerLogRepair.Candidates, batchSize: Int, showsProgress: Bool = true
    ) throws -> (summary: RepairSummary, changing: [TriggerLogRepair.Target]) {
        var changing: [TriggerLogRepair.Target] = []
        var progress = ProgressMeter(
            errors: context.errors, label: "checking", total: candidates.targets.count,
            isEnabled: showsProgress && candidates.targets.count > batchSize)
        let summary = try repair.run(
            action, on: candidates, batchSize: batchSize, dryRun: true,
            includeSuperseded: context.arguments.flag(RetryCommand.includeSuperseded), readingEntries: false
        ) { summary, outcomes, _ in
            changing += outcomes.filter { $0.result.isChange }.map { .init(id: $0.id, location: $0.location) }
            progress.update(summary.handled - summary.notFound.count)
        }
        progress.finish()
        return (summary, changing)
    }

    /// What an action will do, for the first line: `retry 1,200 FAILED entries (merged
    /// writes)`, `ignore 1 FAILED entry`.
    static func describe(_ action: RepairAction, count: Int) -> String {
        var text = "\(action.name) \(ReadableFigure.count(count)) FAILED \(count == 1 ? "entry" : "entries")"
        if case .retry(let mode, let viaConnect) = action {
            text += " (\(mode.rawValue) writes\(viaConnect ? ", archived ones via Connect" : ""))"
        }
        return text
    }

    /// `these 1,200 entries`, `this entry`.
    static func these(_ count: Int) -> String {
        count == 1 ? "this entry" : "these \(ReadableFigure.count(count)) entries"
    }
}
