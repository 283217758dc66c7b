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
        headline += "\(summary.requested) requested, \(summary.changed) \(would ? "would change" : "changed")"
        if summary.unchanged > 0 { headline += ", \(summary.unchanged) \(would ? "would be left alone" : "left alone")" }
        if !summary.notFound.isEmpty { headline += ", \(summary.notFound.count) not found" }
        var lines = [headline]
        for (step, count) in summary.steps.sorted(by: { $0.key < $1.key }) {
            var line = "  \(describe(step)): \(count)"
            let pairs = summary.created.filter { $0.step == step }.map { "\($0.sourceID)→\($0.newID)" }
            if !pairs.isEmpty { line += " (new live ids: " + listed(pairs) + ")" }
            lines.append(line)
        }
        let leftAlone: [(reason: String, entries: [RepairSummary.Skipped], item: (RepairSummary.Skipped) -> String)] = [
            ("skipped, not FAILED", summary.notFailed, { "\($0.id) \($0.state?.rawValue ?? "NULL")" }),
            ("skipped, locked or changed by another session (try again)", summary.locked, { String($0.id) }),
            ("skipped, moved to the archive or purged meanwhile (run again to include moved ones)", summary.gone,
             { "\($0.id) \($0.location.rawValue)" }),
            ("not captured, the record no longer exists (still FAILED)", summary.recordMissing,
             { "\($0.id) \($0.tableName ?? "?") \($0.recordID.map(String.init) ?? "?")" }),
            ("not captured, the table is not mapped (still FAILED)", summary.tableNotMapped,
             { "\($0.id) \($0.tableName ?? "NULL")" }),
            ("not captured, its values are not readable hstore (still FAILED; see hcconnect show)", summary.valuesUnreadable,
             { String($0.id) }),
        ]
        for (reason, entries, item) in leftAlone where !entries.isEmpty {
            lines.append("  " + style.yellow(reason) + ": \(entries.count) (" + listed(entries.map(item)) + ")")
        }
        if !summary.notFound.isEmpty {
            lines.append("  " + style.red("not found") + ": \(summary.notFound.count) (" + listed(summary.notFound.map(String.init)) + ")")
        }
        return lines
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
        object.add("skipped_not_failed", raw: skippedArray(summary.notFailed, withState: true))
        object.add("skipped_locked", raw: skippedArray(summary.locked, withState: false))
        object.add("skipped_gone", raw: skippedArray(summary.gone, withState: false))
        object.add("record_missing", raw: skippedArray(summary.recordMissing, withState: false))
        object.add("table_not_mapped", raw: skippedArray(summary.tableNotMapped, withState: false))
        object.add("values_unreadable", raw: skippedArray(summary.valuesUnreadable, withState: false))
        object.add("not_found_ids", raw: array(summary.notFound.map { Array(String($0).utf8) }))
        object.add("batches", summary.batches)
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

    private static func skippedArray(_ skipped: [RepairSummary.Skipped], withState: Bool) -> [UInt8] {
        array(skipped.map { entry in
            var item = JSONObjectWriter()
            item.add("id", entry.id)
            item.add("in", entry.location.rawValue)
            item.add("table_name", entry.tableName)
            item.add("record_id", entry.recordID)
            if withState { item.add("state", entry.state?.rawValue) }
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
