import HerokuConnect
import Postgres

/// `hcconnect cleanup`: a retry-and-ignore policy run for cron.
enum CleanupCommand: Command {
    static let help = CommandHelp(
        name: "cleanup",
        summary: "Run a cleanup policy for cron: retry transient failures, ignore old or known ones",
        usage: [
            Usage(
                .optionals(policySpecs + filterSpecs),
                .optionals([
                    RetryCommand.writeModeOption, RetryCommand.viaConnect, RetryCommand.includeSuperseded, RepairRequest.yes,
                    RepairRequest.dryRun, RepairRequest.batchSize,
                ]))
        ],
        description: """
            Applies a policy to the FAILED entries, for unattended runs. --retry-matching \
            retries the entries whose message matches PATTERN (repeatable): a word in capitals \
            such as UNABLE_TO_LOCK_ROW is a Salesforce error code, matched as a whole word; \
            anything else is a PostgreSQL regular expression on sf_message (case-sensitive; \
            start it with (?i) to ignore case). An entry is retried while its record has had \
            fewer than --max-attempts (default 3) earlier retries of the same action: entries \
            of the same table, record and action with a smaller id in state REQUEUED or \
            REQUEUE, in the live log or the archive. (Under merged writes a live entry retried \
            in place leaves no such trace until it is retried from the archive.) Then \
            --ignore-older-than ignores entries captured longer ago than DURATION (30m, 12h, \
            7d, 2w), and --ignore-matching ignores entries whose message matches PATTERN; \
            entries that ran out of attempts are ignored only when an ignore rule says so. \
            The filters narrow what the policy looks at. Retry and ignore work as the retry \
            and ignore commands do (write mode, row locks, only entries still FAILED and still \
            matching the rule that chose them, one transaction per batch, and what a retry \
            leaves alone: read-only and unmapped tables, records whose row is gone, \
            superseded changes unless --include-superseded). Like every selection that \
            changes entries, it asks at a terminal, showing what it would change per table \
            and error code and what it would leave alone, and needs --yes without one (cron). \
            An attempt is counted once per retry, even when it coalesced \
            several failures of a record. Two cleanups of the same \
            schema never overlap: each holds a transaction-scoped advisory lock for its whole \
            run, and a second one says which session holds it and exits 75. --dry-run shows \
            the plan, takes no lock and changes nothing. The summary goes to standard error \
            (one JSON object on standard output with --format json). Exit 0 when every chosen \
            entry was changed, 1 when some were left (locked, no longer FAILED, ...), 75 when \
            another cleanup runs or transient errors outlasted the retries.
            """,
        examples: [
            (
                "hcconnect cleanup --retry-matching UNABLE_TO_LOCK_ROW --max-attempts 5 --yes",
                "from cron: retry lock errors, at most 5 times per record"
            ),
            (
                "hcconnect cleanup --ignore-older-than 14d --table task",
                "ignore task failures older than two weeks"
            ),
            (
                "hcconnect cleanup --retry-matching UNABLE_TO_LOCK_ROW --ignore-matching UNABLE_TO_LOCK_ROW",
                "retry lock errors 3 times, then ignore them"
            ),
            (
                "hcconnect cleanup --retry-matching '(?i)timed? ?out' --dry-run",
                "see what a regular expression would retry"
            ),
        ])

    static let retryMatching = OptionSpec(
        "retry-matching", .repeated("PATTERN"), "Retry entries whose message matches: an error code or a regular expression")
    static let maxAttempts = OptionSpec(
        "max-attempts", .value("N"),
        "Retries per record and action, counting earlier ones (default \(CleanupPolicy.defaultMaxAttempts))")
    static let ignoreOlderThan = OptionSpec(
        "ignore-older-than", .value("DURATION"), "Ignore entries captured longer ago than DURATION (7d, 12h, 2w)")
    static let ignoreMatching = OptionSpec(
        "ignore-matching", .repeated("PATTERN"), "Ignore entries whose message matches: an error code or a regular expression")
    /// The policy's rules.
    static let policySpecs = [retryMatching, maxAttempts, ignoreOlderThan, ignoreMatching]
    /// The filters that narrow what the policy looks at.
    static let filterSpecs = [EntryFilters.table, EntryFilters.source, EntryFilters.action, EntryFilters.code]

    static let options: [OptionSpec] = policySpecs + filterSpecs + [
        RetryCommand.writeModeOption, RetryCommand.viaConnect, RetryCommand.includeSuperseded, RepairRequest.dryRun,
        RepairRequest.yes, RepairRequest.batchSize,
    ]
    static let formats: [OutputFormat] = [.table, .json]
    static var changesData: Bool { true }

    static func run(_ context: CommandContext) throws -> ExitStatus {
        try context.expectNoPositionals()
        let arguments = context.arguments
        let dryRun = arguments.flag(RepairRequest.dryRun)
        let batchSize = try RepairRequest.batchSize(arguments)
        let choice = try RetryCommand.writeModeChoice(context)
        let mode = choice.mode
        let policy = try policy(arguments)
        let confirmation = Confirmation.decision(
            context, isSelection: true, dryRun: dryRun, yes: arguments.flag(RepairRequest.yes))
        if confirmation == .refuse { throw Confirmation.refusal("cleanup") }
        let audit = dryRun ? nil : try context.openAuditLog()
        let store = try context.triggerLog(inspected: !policy.retryPatterns.isEmpty)
        var scoped = policy
        let (scope, tables) = try EntryFilters(arguments).appliedWithTables(to: .failed(), store: store)
        if !policy.retryPatterns.isEmpty { try RepairRun.requireRepairable(tables) }
        scoped.scope = scope
        let cleanup = TriggerLogCleanup(store: store, policy: scoped)
        if let (pattern, message) = try cleanup.invalidPattern() {
            let option = (policy.retryPatterns.contains(pattern) ? retryMatching : ignoreMatching).longForm
            throw ArgumentError.invalidValue(option: option, value: pattern.text, reason: "is not a regular expression: \(message)")
        }
        let repair = TriggerLogRepair(store: store)
        let retryAction = RepairAction.retry(mode, viaConnect: arguments.flag(RetryCommand.viaConnect))
        // asked before the lock is taken: no transaction stays open while a person reads
        var confirmed: CleanupPlan?
        if confirmation == .ask {
            let plan = try cleanup.plan()
            let preview = try Self.preview(context, repair, plan: plan, retryAction: retryAction, batchSize: batchSize, maxAttempts: policy.maxAttempts)
            if preview.changes > 0 { try Confirmation.ask(context, preview) }
            confirmed = plan
        }
        let lock = dryRun ? nil : try CleanupLock.acquire(context, schema: store.schemaName.name)
        defer { lock?.release() }
        var plan = try cleanup.plan()
        if let confirmed { plan = plan.limited(to: confirmed) }
        context.debug(
            "plan: retry \(plan.retry.count), attempts used up \(plan.exhausted.count), ignore \(plan.ignore.count)")

        var report = CleanupReport(
            policy: policy, plan: plan, retry: RepairSummary(action: retryAction, isDryRun: dryRun),
            ignore: RepairSummary(action: .ignore, isDryRun: dryRun),
            writeModeSource: choice.isFromConnection ? choice.source : nil)
        let total = plan.retry.count + plan.ignore.count
        var progress = ProgressMeter(
            errors: context.errors, label: "cleanup", total: total, isEnabled: !context.options.verbose && total > batchSize)
        do {
            try context.interruption.during(announcingBatch: context.events.format == .text) {
                for (action, candidates) in [(retryAction, plan.retryCandidates), (.ignore, plan.ignoreCandidates)]
                where !candidates.entries.isEmpty {
                    let done = report.retry.handled
                    var logged = 0
                    _ = try repair.run(
                        action, on: candidates, batchSize: batchSize, dryRun: dryRun,
                        includeSuperseded: arguments.flag(RetryCommand.includeSuperseded)
                    ) { summary, _, _ in
                        if case .ignore = action { report.ignore = summary } else { report.retry = summary }
                        try audit?.record(action, summary, logged: &logged)
                        context.events.record(
                            "batch", "\(action.name) batch \(summary.batches) done: \(summary.changed) changed",
                            ["action": .string(action.name), "batch": .int(summary.batches), "changed": .int(summary.changed)])
                        progress.update(done + summary.handled)
                        try lock?.confirm(context)
                        try context.interruption.check(context.output)
                    }
                }
            }
        } catch {
            progress.finish()
            report.write(context, failure: error)
            throw error
        }
        progress.finish()
        report.write(context, failure: nil)
        return report.retry.isComplete && report.ignore.isComplete ? .success : .negative
    }

    /// What the confirmation shows: the plan's retries and ignores, each a dry run (no
    /// locks), per table and error code, and what the retries would leave alone.
    static func preview(
        _ context: CommandContext, _ repair: TriggerLogRepair, plan: CleanupPlan, retryAction: RepairAction, batchSize: Int,
        maxAttempts: Int
    ) throws -> ChangePreview {
        var changing: [TriggerLogRepair.Target] = []
        var actions: [String] = []
        var leftAlone: [String: Int] = [:]
        var reasons: [String] = []
        var changes = 0
        for (action, candidates) in [(retryAction, plan.retryCandidates), (.ignore, plan.ignoreCandidates)]
        where !candidates.entries.isEmpty {
            let (summary, willChange) = try ChangePreview.dryRun(context, repair, action, on: candidates, batchSize: batchSize)
            changing += willChange
            changes += summary.changed
            actions.append(ChangePreview.describe(action, count: summary.changed))
            for (reason, entries, _) in RepairReport.leftAlone(summary) where !entries.isEmpty {
                if leftAlone[reason] == nil { reasons.append(reason) }
                leftAlone[reason, default: 0] += entries.count
            }
        }
        if !plan.exhausted.isEmpty {
            let reason = "out of attempts: \(maxAttempts) retries of the same record already (still FAILED)"
            reasons.append(reason)
            leftAlone[reason] = plan.exhausted.count
        }
        return ChangePreview(
            changes: changes, actions: actions.isEmpty ? ["change nothing"] : actions,
            groups: try repair.countsByTableAndCode(changing), leftAlone: reasons.map { ($0, leftAlone[$0]!) },
            question: "Go ahead with " + ChangePreview.these(changes) + "?")
    }

    /// Reads the policy options.
    static func policy(_ arguments: ParsedArguments) throws(ArgumentError) -> CleanupPolicy {
        var policy = CleanupPolicy()
        for (option, text) in arguments.list(retryMatching).map({ (retryMatching.longForm, $0) })
            + arguments.list(ignoreMatching).map({ (ignoreMatching.longForm, $0) })
        {
            guard !text.isEmpty else { throw .invalidValue(option: option, value: text, reason: "is empty") }
        }
        policy.retryPatterns = arguments.list(retryMatching).map(CleanupPolicy.Pattern.init)
        policy.ignorePatterns = arguments.list(ignoreMatching).map(CleanupPolicy.Pattern.init)
        if let text = arguments.value(maxAttempts) {
            guard !policy.retryPatterns.isEmpty else {
                throw .invalidCombination("--max-attempts limits --retry-matching; give a --retry-matching pattern")
            }
            guard let number = Int(text), number >= 1, number <= 1000 else {
                throw .invalidValue(
                    option: maxAttempts.longForm, value: text, reason: "is not a number of attempts from 1 to 1000")
            }
            policy.maxAttempts = number
        }
        if let text = arguments.value(ignoreOlderThan) {
            guard let seconds = TimeBound.parseDuration(text) else {
                throw .invalidValue(
                    option: ignoreOlderThan.longForm, value: text, reason: "is not a duration; use 30m, 12h, 7d or 2w")
            }
            policy.ignoreOlderThan = seconds
        }
        guard !policy.isEmpty else {
            throw .invalidCombination(
                "cleanup needs a policy: --retry-matching, --ignore-older-than or --ignore-matching")
        }
        return policy
    }
}
