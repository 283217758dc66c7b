import HerokuConnect

/// The summary of a cleanup run: what each rule chose and what retry and ignore did, as
/// lines for people on standard error or one JSON object on standard output.
struct CleanupReport {
    let policy: CleanupPolicy
    let plan: CleanupPlan
    var retry: RepairSummary
    var ignore: RepairSummary
    /// Where the retries' write mode came from, when the app's connection chose it (`--app`).
    var writeModeSource: String? = nil

    /// One line per rule: the pattern or age, and how many entries it chose.
    var ruleLines: [String] {
        var lines: [String] = []
        for (index, pattern) in policy.retryPatterns.enumerated() {
            let chosen = plan.count(.retryPattern(index), in: plan.retry)
            let exhausted = plan.count(.retryPattern(index), in: plan.exhausted)
            var line = "  --retry-matching \(pattern.text)\(pattern.isCode ? " (error code)" : ""): \(ReadableFigure.count(chosen)) to retry"
            if exhausted > 0 { line += ", \(ReadableFigure.count(exhausted)) left FAILED after \(policy.maxAttempts) attempts" }
            lines.append(line)
        }
        if let seconds = policy.ignoreOlderThan {
            lines.append("  --ignore-older-than \(Self.age(seconds)): \(ReadableFigure.count(plan.count(.olderThan, in: plan.ignore))) to ignore")
        }
        for (index, pattern) in policy.ignorePatterns.enumerated() {
            let chosen = plan.count(.ignorePattern(index), in: plan.ignore)
            lines.append("  --ignore-matching \(pattern.text)\(pattern.isCode ? " (error code)" : ""): \(ReadableFigure.count(chosen)) to ignore")
        }
        return lines
    }

    /// Writes the summary; after a failure or an interruption, what was done until then (in
    /// text, nothing when no batch was done: the error's line is the whole report).
    func write(_ context: CommandContext, failure: (any Error)?) {
        if context.format == .json, !context.outputClosed {
            var object = JSONObjectWriter()
            object.add("command", "cleanup")
            object.add("dry_run", retry.isDryRun)
            if case .retry(let mode, let viaConnect) = retry.action {
                object.add("write_mode", mode.rawValue)
                object.add("via_connect", viaConnect)
                if let writeModeSource { object.add("write_mode_source", writeModeSource) }
            }
            object.add("max_attempts", policy.retryPatterns.isEmpty ? nil : policy.maxAttempts)
            object.add("rules", raw: RepairReport.array(rulesJSON))
            object.add("out_of_attempts", raw: RepairReport.array(plan.exhausted.map { choice in
                var item = JSONObjectWriter()
                item.add("id", choice.target.id)
                item.add("in", choice.target.location.rawValue)
                item.add("attempts", choice.attempts)
                return item.finished()
            }))
            var retried = JSONObjectWriter()
            RepairReport.json(retry, into: &retried)
            object.add("retry", raw: retried.finished())
            var ignored = JSONObjectWriter()
            RepairReport.json(ignore, into: &ignored)
            object.add("ignore", raw: ignored.finished())
            object.add("completed", failure == nil)
            if let failure { object.add("error", FailureReport(failure).message) }
            context.output.write(bytes: object.finished())
            context.output.line()
            return
        }
        // A failure before any batch changed nothing: its one line says it all, as for retry.
        guard failure == nil || retry.batches + ignore.batches > 0 else { return }
        let would = retry.isDryRun
        var headline = "cleanup" + (would ? ", dry run (nothing changed)" : "") + ": "
        headline += "\(ReadableFigure.count(plan.retry.count)) to retry, \(ReadableFigure.count(plan.ignore.count)) to ignore"
        if !plan.exhausted.isEmpty { headline += ", \(ReadableFigure.count(plan.exhausted.count)) left FAILED (out of attempts)" }
        if failure != nil { headline += "; stopped early, the batches done are committed, the rest is untouched" }
        context.note(headline)
        for line in ruleLines { context.note(line) }
        if !plan.retry.isEmpty || retry.batches > 0 {
            for line in RepairReport.lines(retry, style: context.errorStyle) { context.note("  " + line) }
            if let writeModeSource, case .retry(let mode, _) = retry.action {
                context.note("    write mode \(mode.rawValue): from \(writeModeSource) (features.poll_db_no_merge)")
            }
        }
        if !plan.ignore.isEmpty || ignore.batches > 0 {
            for line in RepairReport.lines(ignore, style: context.errorStyle) { context.note("  " + line) }
        }
    }

    private var rulesJSON: [[UInt8]] {
        var rules: [[UInt8]] = []
        func rule(_ option: String, _ pattern: CleanupPolicy.Pattern?, seconds: Int? = nil, chosen: Int, exhausted: Int?) {
            var item = JSONObjectWriter()
            item.add("option", option)
            if let pattern {
                item.add("pattern", pattern.text)
                item.add("error_code", pattern.isCode)
            }
            if let seconds { item.add("seconds", seconds) }
            item.add("chosen", chosen)
            if let exhausted { item.add("out_of_attempts", exhausted) }
            rules.append(item.finished())
        }
        for (index, pattern) in policy.retryPatterns.enumerated() {
            rule(
                "retry-matching", pattern, chosen: plan.count(.retryPattern(index), in: plan.retry),
                exhausted: plan.count(.retryPattern(index), in: plan.exhausted))
        }
        if let seconds = policy.ignoreOlderThan {
            rule("ignore-older-than", nil, seconds: seconds, chosen: plan.count(.olderThan, in: plan.ignore), exhausted: nil)
        }
        for (index, pattern) in policy.ignorePatterns.enumerated() {
            rule("ignore-matching", pattern, chosen: plan.count(.ignorePattern(index), in: plan.ignore), exhausted: nil)
        }
        return rules
    }

    /// `14d`, `12h`, `90m`, `45s`: the largest unit that divides the age.
    static func age(_ seconds: Int) -> String {
        for (unit, size) in [("w", 604_800), ("d", 86_400), ("h", 3600), ("m", 60)] where seconds % size == 0 {
            return "\(seconds / size)\(unit)"
        }
        return "\(seconds)s"
    }
}
