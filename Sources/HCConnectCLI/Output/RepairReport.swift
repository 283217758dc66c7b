import HerokuConnect

/// How the result of `retry` and `ignore` is told: lines for people on standard error, or
/// one JSON object on standard output.
enum RepairReport {
    /// How many ids a line lists before it says "and N more".
    static let listedIDs = 10

    /// The summary for people: a headline with the counts, then one line per kind of change
    /// and per reason entries were left alone.
    static func lines(_ summary: RepairSummary, style: TextStyle) -> [String] {
        let would = summary.isDryRun
        var headline = title(summary.action) + (would ? ", dry run (nothing changed)" : "") + ": "
        let n = ReadableFigure.count
        headline += "\(n(summary.requested)) requested, \(n(summary.changed)) \(would ? "would change" : "changed")"
        if summary.unchanged > 0 { headline += ", \(n(summary.unchanged)) \(would ? "would be left alone" : "left alone")" }
        if !summary.notFound.isEmpty { headline += ", \(n(summary.notFound.count)) not found" }
        var lines = [headline]
        for (step, count) in summary.steps.sorted(by: { $0.key < $1.key }) {
            var line = "  \(describe(step)): \(n(count))"
            if step == .coalesced {
                line += " (" + listed(summary.coalesced.sorted { $0.id < $1.id }.map { "\($0.id)→\($0.into)" }) + ")"
            } else {
                let pairs = summary.created.filter { $0.step == step }.map { "\($0.sourceID)→\($0.newID)" }
                if !pairs.isEmpty { line += " (new live ids: " + listed(pairs) + ")" }
            }
            lines.append(line)
        }
        for (reason, entries, item) in leftAlone(summary) where !entries.isEmpty {
            // in id order: a run's batches keep each record's entries together, not the ids
            let sorted = entries.sorted { ($0.id, $0.location == .archive ? 1 : 0) < ($1.id, $1.location == .archive ? 1 : 0) }
            lines.append("  " + style.yellow(reason) + ": \(n(entries.count)) (" + listed(sorted.map(item)) + ")")
        }
        if !summary.notFound.isEmpty {
            lines.append("  " + style.red("not found") + ": \(n(summary.notFound.count)) (" + listed(summary.notFound.map(String.init)) + ")")
        }
        return lines
    }

    /// The reasons entries were left alone, each with its entries and how one is listed.
    static func leftAlone(
        _ summary: RepairSummary
    ) -> [(reason: String, entries: [RepairSummary.Skipped], item: (RepairSummary.Skipped) -> String)] {
        let record = { (entry: RepairSummary.Skipped) in
            "\(entry.id) \(entry.tableName ?? "?") \(entry.recordID.map(String.init) ?? "?")"
        }
        return [
            ("skipped, not FAILED", summary.notFailed, { "\($0.id) \($0.state?.rawValue ?? "NULL")" }),
            ("skipped, no longer matches the selection (still FAILED, failed again with another message?)",
             summary.noLongerMatching, { String($0.id) }),
            ("skipped, locked or changed by another session (try again)", summary.locked, { String($0.id) }),
            ("skipped, moved to the archive or purged meanwhile (run again to include moved ones)", summary.gone,
             { "\($0.id) \($0.location.rawValue)" }),
            ("not retried, read-only mapping: Heroku Connect never writes its changes (still FAILED)", summary.readOnly,
             { "\($0.id) \($0.tableName ?? "?")" }),
            ("not retried, the table is not mapped (still FAILED)", summary.tableNotMapped,
             { "\($0.id) \($0.tableName ?? "NULL")" }),
            ("not retried, the mapping has no log trigger: dropped or paused (still FAILED)", summary.withoutLogTrigger,
             { "\($0.id) \($0.tableName ?? "?")" }),
            ("not retried, superseded by a later change that succeeded (still FAILED; --include-superseded retries them)",
             summary.superseded,
             { entry in "\(entry.id) " + (entry.supersededBy.map { "by \($0)" } ?? "sfid set") }),
            ("not retried, the record no longer exists (still FAILED)", summary.recordMissing, record),
            ("not retried, a DELETE of a record that has a row again (still FAILED)", summary.recordExists, record),
            ("not captured, its values are not readable hstore (still FAILED; see hcconnect show)", summary.valuesUnreadable,
             { String($0.id) }),
            ("not retried, its action is not INSERT, UPDATE or DELETE (still FAILED)", summary.unknownAction,
             { String($0.id) }),
        ]
    }

    /// Why one entry was left alone, in one line (for a single explicit id).
    static func reason(_ outcome: RepairOutcome) -> String? {
        let table = outcome.tableName ?? "its table"
        let record = "\(table) \(outcome.recordID.map(String.init) ?? "?")"
        switch outcome.result {
        case .changed, .coalesced: return nil
        case .notFailed(let state): return "it is \(state?.rawValue ?? "NULL"), not FAILED"
        case .noLongerMatches: return "it no longer matches the selection"
        case .locked: return "another session changed it meanwhile; try again"
        case .gone: return "it left the \(outcome.location.rawValue) log meanwhile; try again"
        case .readOnlyMapping:
            return "\(table) is a read-only mapping: Heroku Connect never writes its changes to Salesforce"
                + " (hcconnect ignore \(outcome.id) silences it)"
        case .tableNotMapped: return "\(table) is not a mapped table, so Heroku Connect would not process it"
        case .mappingWithoutLogTrigger: return "\(table) has no log trigger: its mapping is dropped or paused"
        case .superseded(let by?):
            return "superseded: entry \(by), a later change of \(record), succeeded"
                + " (--include-superseded retries it anyway)"
        case .superseded(nil):
            return "superseded: \(record) already has its Salesforce id, so re-sending the INSERT would create a duplicate"
        case .recordMissing: return "\(record) no longer exists, so retrying would change Salesforce for a record with no row here"
        case .recordExists:
            return "\(record) has a row again, so re-sending its DELETE would delete the Salesforce record that row is synced with"
        case .valuesUnreadable: return "its values are not readable hstore text (see hcconnect show \(outcome.id))"
        case .unknownAction: return "its action is not INSERT, UPDATE or DELETE"
        }
    }

    /// `retry (merged writes)` or `ignore`.
    static func title(_ action: RepairAction) -> String {
        switch action {
        case .retry(let mode, let viaConnect): "retry (\(mode.rawValue) writes\(viaConnect ? ", via Connect" : ""))"
        case .ignore: "ignore"
        }
    }

    /// What a step does, in the words of the recovery procedures.
    static func describe(_ step: RepairStep) -> String {
        switch step {
        case .requeuedInPlace: "live FAILED → NEW"
        case .copiedToLive: "archived FAILED → copied to the live log as NEW, archived entry REQUEUED"
        case .markedRequeue: "archived FAILED → REQUEUE (Heroku Connect copies it back)"
        case .capturedInsert: "re-captured with hc_capture_insert_from_row, failed entry REQUEUED"
        case .capturedUpdate: "re-captured with hc_capture_update_from_row, failed entry REQUEUED"
        case .ignored: "FAILED → IGNORED"
        case .coalesced: "FAILED → REQUEUED, coalesced into the retry of another entry of the same record"
        }
    }

    /// Up to ``listedIDs`` items, then how many more.
    static func listed(_ items: [String]) -> String {
        let shown = items.prefix(listedIDs).joined(separator: ", ")
        return items.count > listedIDs ? shown + ", … \(items.count - listedIDs) more" : shown
    }

    /// The result as one JSON object's fields (the caller may add more before finishing it).
    static func json(_ summary: RepairSummary, into object: inout JSONObjectWriter) {
        object.add("requested", summary.requested)
        object.add("changed", summary.changed)
        object.add("skipped", summary.skipped)
        object.add("not_found", summary.notFound.count)
        var steps = JSONObjectWriter()
        for (step, count) in summary.steps.sorted(by: { $0.key < $1.key }) { steps.add(step.rawValue, count) }
        object.add("steps", raw: steps.finished())
        object.add("created", raw: array(summary.created.map { created in
            var item = JSONObjectWriter()
            item.add("id", created.sourceID)
            item.add("in", created.sourceLocation.rawValue)
            item.add("new_id", created.newID)
            item.add("step", created.step.rawValue)
            return item.finished()
        }))
        if !summary.isDryRun { object.add("changes", raw: changesArray(summary.changes)) }
        object.add("coalesced", raw: array(summary.coalesced.map { entry in
            var item = JSONObjectWriter()
            item.add("id", entry.id)
            item.add("in", entry.location.rawValue)
            item.add("table_name", entry.tableName)
            item.add("record_id", entry.recordID)
            item.add("into", entry.into)
            item.add("new_id", entry.newID)
            return item.finished()
        }))
        object.add("not_retried", summary.refused)
        object.add("skipped_not_failed", raw: skippedArray(summary.notFailed, withState: true))
        object.add("skipped_no_longer_matching", raw: skippedArray(summary.noLongerMatching, withState: false))
        object.add("skipped_locked", raw: skippedArray(summary.locked, withState: false))
        object.add("skipped_gone", raw: skippedArray(summary.gone, withState: false))
        object.add("read_only", raw: skippedArray(summary.readOnly, withState: false))
        object.add("table_not_mapped", raw: skippedArray(summary.tableNotMapped, withState: false))
        object.add("no_log_trigger", raw: skippedArray(summary.withoutLogTrigger, withState: false))
        object.add("superseded", raw: skippedArray(summary.superseded, withState: false, supersededBy: true))
        object.add("record_missing", raw: skippedArray(summary.recordMissing, withState: false))
        object.add("record_exists", raw: skippedArray(summary.recordExists, withState: false))
        object.add("values_unreadable", raw: skippedArray(summary.valuesUnreadable, withState: false))
        object.add("unknown_action", raw: skippedArray(summary.unknownAction, withState: false))
        object.add("not_found_ids", raw: array(summary.notFound.map { Array(String($0).utf8) }))
        object.add("batches", summary.batches)
    }

    /// Changed entries as the JSON result and the audit log list them: `{"id":4711,
    /// "in":"archive","step":"archive-copied","new_id":4802}` (`new_id` only where an entry
    /// was written for it).
    static func changesArray(_ changes: some Sequence<RepairSummary.Change>) -> [UInt8] {
        array(changes.map { change in
            var item = JSONObjectWriter()
            item.add("id", change.id)
            item.add("in", change.location.rawValue)
            item.add("step", change.step.rawValue)
            if let newID = change.newID { item.add("new_id", newID) }
            return item.finished()
        })
    }

    /// The fields that come before the counts: command, write mode, dry run.
    static func jsonHeader(_ action: RepairAction, dryRun: Bool) -> JSONObjectWriter {
        var object = JSONObjectWriter()
        object.add("command", action.name)
        if case .retry(let mode, let viaConnect) = action {
            object.add("write_mode", mode.rawValue)
            object.add("via_connect", viaConnect)
        }
        object.add("dry_run", dryRun)
        return object
    }

    private static func skippedArray(
        _ skipped: [RepairSummary.Skipped], withState: Bool, supersededBy: Bool = false
    ) -> [UInt8] {
        array(skipped.map { entry in
            var item = JSONObjectWriter()
            item.add("id", entry.id)
            item.add("in", entry.location.rawValue)
            item.add("table_name", entry.tableName)
            item.add("record_id", entry.recordID)
            if withState { item.add("state", entry.state?.rawValue) }
            if supersededBy { item.add("superseded_by", entry.supersededBy) }
            return item.finished()
        })
    }

    /// A JSON array of already-encoded values.
    static func array(_ items: [[UInt8]]) -> [UInt8] {
        var bytes: [UInt8] = [UInt8(ascii: "[")]
        for (index, item) in items.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            bytes += item
        }
        bytes.append(UInt8(ascii: "]"))
        return bytes
    }
}

extension RepairAction {
    /// A retry's write mode (`merged`, `ordered`); nil for ignore.
    var writeModeName: String? {
        if case .retry(let mode, _) = self { return mode.rawValue }
        return nil
    }
}
