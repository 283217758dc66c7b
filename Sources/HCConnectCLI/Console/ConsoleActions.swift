import HerokuConnect
import Postgres

/// An action the console is about to take, with the preview a person confirms: the same
/// dry run `retry --failed` shows before it asks (entries per table and error code, what is
/// left alone and why, the write mode), and a question that names the count.
struct ConsolePlan {
    enum Work {
        case repair(RepairAction, TriggerLogRepair.Candidates)
        case capture([(table: MappedTable, recordIDs: [Int], columns: [String])])
    }

    let title: String
    let lines: [String]
    let question: String
    let work: Work
    /// How many entries (or records) would change.
    let count: Int

    var footer: String { count > 0 ? "y: go ahead · n or Esc: cancel" : "nothing to do · any key closes" }
}

/// What an action applies to.
enum ConsoleScope {
    /// These entries: the marked ones, else the one under the cursor (or on screen).
    case entries([TriggerLogRepair.Target])
    /// Every FAILED entry a query selects.
    case selection(TriggerLogQuery, description: String)
    /// The entries of a cause, by id (the server cannot match a masked message).
    case cause([Int], description: String)
}

extension ConsoleApp {
    /// The entries the lowercase action keys act on: the marked entries, else the entry
    /// under the cursor (or the one open).
    var chosenEntries: [TriggerLogRepair.Target] {
        if view == .entry, let entry { return [.init(entry.entry)] }
        if !entries.marks.isEmpty { return entries.marks.sorted { ($0.id, $0.location.rawValue) < ($1.id, $1.location.rawValue) } }
        return entries.current.map { [.init($0)] } ?? []
    }

    /// What the capital action keys act on: the cause under the cursor, or the filters.
    func filteredScope() -> ConsoleScope? {
        if view == .causes {
            guard let group = causes.current else { return nil }
            return .cause(causes.ids[group.message] ?? [], description: "cause " + group.message.summary)
        }
        if let cause = entries.filter.cause {
            return .cause(entries.filter.causeIDs, description: "cause " + cause.summary)
        }
        return .selection(entries.filter.query, description: entries.filter.summary)
    }

    /// Works out what `action` would do on `scope` (a dry run: read-only statements, no
    /// locks) and opens the confirmation.
    func plan(_ action: RepairAction, on scope: ConsoleScope) {
        guard !readOnly else {
            refuseReadOnly(action.name)
            return
        }
        do {
            let repair = TriggerLogRepair(store: store)
            let selection: TriggerLogRepair.Selection
            var what: String
            switch scope {
            case .entries(let targets):
                guard !targets.isEmpty else {
                    message = ("no entry to \(action.name): the list is empty", true)
                    return
                }
                selection = .ids(targets.map(\.id).uniqued())
                what = targets.count == 1 ? "entry \(targets[0].id)" : "\(ReadableFigure.count(targets.count)) chosen entries"
            case .selection(let query, let description):
                selection = .failed(query)
                what = "every FAILED entry of: " + description
            case .cause(let ids, let description):
                guard !ids.isEmpty else {
                    message = ("the cause has no FAILED entries left", true)
                    return
                }
                selection = .ids(ids)
                what = "the \(ReadableFigure.count(ids.count)) FAILED entries of the " + description
            }
            let candidates = try repair.candidates(for: selection, records: action != .ignore)
            let (summary, changing) = try ChangePreview.dryRun(
                context, repair, action, on: candidates, batchSize: TriggerLogRepair.defaultBatchSize, showsProgress: false)
            let preview = ChangePreview(
                changes: summary.changed, actions: [ChangePreview.describe(action, count: summary.changed)],
                groups: try repair.countsByTableAndCode(changing),
                leftAlone: RepairReport.leftAlone(summary).map { ($0.reason, $0.entries.count) },
                question: "")
            var lines = ["Selected: " + what + "."]
            if case .retry = action { lines.append("Write mode: \(writeMode.rawValue) (\(writeModeSource)).") }
            // the preview `retry --failed` shows, without its "hcconnect: " (this is hcconnect)
            lines += preview.lines(width: max(40, size.columns - 8), style: style).map { line in
                line.hasPrefix("hcconnect: about to ") ? "About to " + line.dropFirst("hcconnect: about to ".count) : line
            }
            if !summary.notFound.isEmpty {
                lines.append("not found (purged meanwhile?): \(ReadableFigure.count(summary.notFound.count))")
            }
            let verb = action == .ignore ? "Ignore" : "Retry"
            dialog = .confirm(
                ConsolePlan(
                    title: verb + " — preview", lines: lines,
                    question: summary.changed > 0
                        ? "\(verb) \(ChangePreview.these(summary.changed))? y: go ahead, n: cancel"
                        : "Nothing would change.",
                    work: .repair(action, candidates), count: summary.changed))
        } catch {
            connectionFailed(error)
        }
    }

    /// The capture-update of the chosen entries' records, with the fields each UPDATE wrote.
    func planCaptureUpdate() {
        guard !readOnly else {
            refuseReadOnly("capture-update")
            return
        }
        do {
            let chosen = Set(chosenEntries)
            var loaded = entries.rows.filter { chosen.contains(.init($0)) }
            if view == .entry, let entry { loaded = [entry.entry] }
            var skipped: [String] = []
            var byTable: [String: (table: MappedTable, ids: [Int], columns: [String])] = [:]
            for item in loaded {
                guard item.action == .update, let name = item.tableName, let recordID = item.recordID else {
                    skipped.append("\(item.id): a capture-update re-sends an UPDATE's fields; this is \(item.action?.rawValue ?? "no action") (use r)")
                    continue
                }
                guard let table = try store.schema.mappedTable(named: name) else {
                    skipped.append("\(item.id): \(name) is not mapped")
                    continue
                }
                guard !table.isReadOnly, table.hasLogTrigger else {
                    skipped.append("\(item.id): \(name) is \(table.isReadOnly ? "a read-only mapping" : "without log trigger (mapping dropped or paused)")")
                    continue
                }
                let written = (item.values?.keys ?? []).filter { !RecordCapture.bookkeepingColumns.contains($0) }
                var current = byTable[name] ?? (table, [], [])
                current.ids.append(recordID)
                current.columns = (current.columns + written).uniqued()
                byTable[name] = current
            }
            var work: [(table: MappedTable, recordIDs: [Int], columns: [String])] = []
            var lines: [String] = []
            var count = 0
            let capture = RecordCapture(store: store)
            for (_, group) in byTable.sorted(by: { $0.key < $1.key }) {
                let tableColumns = try store.columns(of: group.table)
                let columns = group.columns.filter(tableColumns.contains)
                let summary = try capture.capture(.update, table: group.table, recordIDs: group.ids, columns: columns, dryRun: true)
                count += summary.captured.count
                lines.append(
                    "capture-update \(ReadableFigure.count(summary.captured.count)) record(s) of \(group.table.name): "
                        + (columns.isEmpty ? "every column" : columns.joined(separator: ", ")))
                if !summary.notFound.isEmpty {
                    lines.append(style.yellow("left alone") + ", the record's row is gone: \(summary.notFound.map(String.init).joined(separator: " "))")
                }
                work.append((group.table, group.ids, columns))
            }
            for reason in skipped.prefix(8) { lines.append(style.yellow("left alone") + ", " + reason) }
            if skipped.count > 8 { lines.append("… and \(skipped.count - 8) more left alone") }
            lines.append("The entries stay as they are (r retries them; i ignores them once the capture is through).")
            dialog = .confirm(
                ConsolePlan(
                    title: "Capture-update — preview", lines: lines,
                    question: count > 0 ? "Capture \(count == 1 ? "this record" : "these \(count) records") again? y: go ahead, n: cancel" : "Nothing would be captured.",
                    work: .capture(work), count: count))
        } catch {
            connectionFailed(error)
        }
    }

    /// Does what the confirmed plan says, with the commands' code and audit log, and shows
    /// the result.
    func carryOut(_ plan: ConsolePlan) {
        dialog = nil
        context.commandLine = ["console"]
        do {
            let audit = try context.openAuditLog()
            var result: [String] = []
            switch plan.work {
            case .repair(let action, let candidates):
                let repair = TriggerLogRepair(store: store)
                var logged = 0
                let summary = try repair.run(action, on: candidates) { summary, _, _ in
                    try audit?.record(action, summary, logged: &logged)
                }
                result = RepairReport.lines(summary, style: style)
                entries.marks.subtract(candidates.targets)
            case .capture(let groups):
                let capture = RecordCapture(store: store)
                for group in groups {
                    let summary = try capture.capture(.update, table: group.table, recordIDs: group.recordIDs, columns: group.columns) {
                        summary, captured in
                        if let audit, captured.contains(where: { $0.newID != nil }) {
                            try audit.record(
                                action: "capture-update", writeMode: nil, batch: summary.batches,
                                changes: RecordCaptureRun.auditChanges(captured, table: group.table.name))
                        }
                    }
                    result += RecordCaptureRun.lines(summary, unknownSFIDs: [], style: style)
                }
                entries.marks.removeAll()
            }
            dialog = .message(title: "Done", lines: result)
        } catch {
            dialog = .message(title: "Failed", lines: [FailureReport(error).message, "Each batch is one transaction: what is not listed as done was not changed."])
        }
        refresh()
    }

    private func refuseReadOnly(_ action: String) {
        dialog = .message(
            title: "Read-only console",
            lines: ["This console was started with --read-only: \(action) is refused, and nothing was changed."])
    }
}
