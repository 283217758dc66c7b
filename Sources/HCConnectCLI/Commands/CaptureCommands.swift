import HerokuConnect

/// `hcconnect capture-insert TABLE RECORD_ID...`: captures records as INSERTs.
enum CaptureInsertCommand: Command {
    static let help = CommandHelp(
        name: "capture-insert",
        summary: "Capture records' current state as INSERT entries (hc_capture_insert_from_row)",
        usage: RecordCaptureRun.usage([RecordCaptureRun.exclude]),
        description: """
            Writes a NEW INSERT entry to the live log for each record, with Heroku Connect's \
            hc_capture_insert_from_row, so Connect inserts the record into Salesforce: \
            its values are every column of the record as it is now, except --exclude's \
            (Salesforce field names, matched ignoring case; id and sfid are always captured). \
            Records are given by id (- reads them from standard input) or --sfid. Prints the \
            new entries' ids on standard output. Exit 3 when the table, a field or a record \
            does not exist (for fields and table, nothing is written).
            """,
        examples: [
            ("hcconnect capture-insert account 42", "insert account 42 into Salesforce again"),
            ("hcconnect capture-insert contact 7 8 --exclude Birthdate", "two contacts, without their birthdate"),
        ])

    static let options = [
        RecordCaptureRun.exclude, RecordCaptureRun.sfid, RecordCaptureRun.dryRun, RecordCaptureRun.batchSize,
        RecordCaptureRun.fields.hidden(), RecordCaptureRun.columns.hidden(),
    ]
    static let formats: [OutputFormat] = [.table, .json, .csv, .ids]
    static var changesData: Bool { true }

    static func run(_ context: CommandContext) throws -> ExitStatus {
        for option in [RecordCaptureRun.fields, RecordCaptureRun.columns] where context.arguments.has(option) {
            throw ArgumentError.invalidCombination(
                "\(option.longForm) is for capture-update; capture-insert captures every column except those named by --exclude")
        }
        return try RecordCaptureRun.run(context, .insert, fields: context.arguments.list(RecordCaptureRun.exclude), columns: [])
    }
}

/// `hcconnect capture-update TABLE RECORD_ID...`: captures records as UPDATEs.
enum CaptureUpdateCommand: Command {
    static let help = CommandHelp(
        name: "capture-update",
        summary: "Capture records' current state as UPDATE entries (hc_capture_update_from_row)",
        usage: RecordCaptureRun.usage([RecordCaptureRun.fields, RecordCaptureRun.columns]),
        description: """
            Writes a NEW UPDATE entry to the live log for each record, with Heroku Connect's \
            hc_capture_update_from_row, so Connect writes the record's current values to \
            Salesforce: the fields named by --fields (Salesforce API names, matched ignoring \
            case: BillingCity is the column billingcity) and --columns (exact column names), \
            or every column when neither is given. Records are given by id (- reads them from \
            standard input) or --sfid. Prints the new entries' ids on standard output. Exit 3 \
            when the table, a field or a record does not exist (for fields and table, nothing \
            is written).
            """,
        examples: [
            ("hcconnect capture-update account 42 --fields Name,BillingCity", "send account 42's name and city again"),
            ("hcconnect capture-update contact --sfid 0035e00000AbCdEAAV", "send every field of one contact again"),
            ("hcconnect capture-update account - --fields Name < ids.txt", "many records, ids from a file"),
        ])

    static let options = [
        RecordCaptureRun.fields, RecordCaptureRun.columns, RecordCaptureRun.sfid, RecordCaptureRun.dryRun,
        RecordCaptureRun.batchSize, RecordCaptureRun.exclude.hidden(),
    ]
    static let formats: [OutputFormat] = [.table, .json, .csv, .ids]
    static var changesData: Bool { true }

    static func run(_ context: CommandContext) throws -> ExitStatus {
        if context.arguments.has(RecordCaptureRun.exclude) {
            throw ArgumentError.invalidCombination(
                "--exclude is for capture-insert; capture-update captures the columns named by --fields or --columns (all when none)")
        }
        return try RecordCaptureRun.run(
            context, .update, fields: context.arguments.list(RecordCaptureRun.fields),
            columns: context.arguments.list(RecordCaptureRun.columns))
    }
}

/// What both capture commands share: reading table, records and names, checking them
/// against the catalog before anything is written, and reporting.
enum RecordCaptureRun {
    static let exclude = OptionSpec(
        "exclude", .list("FIELD"), "Fields not to capture (Salesforce API names, any case)", usageValue: "FIELDS")
    static let fields = OptionSpec(
        "fields", .list("FIELD"), "Fields to capture (Salesforce API names, any case); default all", usageValue: "FIELDS")
    static let columns = OptionSpec("columns", .list("COLUMN"), "Columns to capture, by exact column name", usageValue: "COLUMNS")
    static let sfid = OptionSpec("sfid", .list("SFID"), "Records by Salesforce id, in place of or besides RECORD_IDs")
    static let dryRun = OptionSpec("dry-run", .flag, "Show the values that would be captured, and write nothing")
    static let batchSize = RepairRequest.batchSize

    /// How the capture commands are written: records by id, or by `--sfid`; the first form
    /// shows `options`, the command's own.
    static func usage(_ options: [OptionSpec]) -> [Usage] {
        [
            Usage(.argument("TABLE RECORD_ID..."), .optionals(options + [dryRun, batchSize])),
            Usage(.argument("TABLE"), .required(sfid), .argument("[...]")),
        ]
    }

    static func run(
        _ context: CommandContext, _ procedure: CaptureProcedure, fields: [String], columns: [String]
    ) throws -> ExitStatus {
        let arguments = context.arguments
        if !arguments.flag(Self.dryRun), context.format == .csv {
            throw ArgumentError.invalidValue(
                option: GlobalOptions.format.longForm, value: "csv",
                reason: "lists records, which only --dry-run does; use table, json or ids")
        }
        guard let tableName = arguments.positionals.first else { throw ArgumentError.missingArgument("TABLE (a mapped table)") }
        let recordIDs = try RepairRequest.ids(
            Array(arguments.positionals.dropFirst()), input: context.input, argumentName: "RECORD_ID", noun: "record id")
        let sfids = try arguments.list(Self.sfid).map { text throws(ArgumentError) in try EntryFilters.salesforceID(text) }
        if recordIDs.isEmpty, sfids.isEmpty, !arguments.positionals.contains("-") {
            throw ArgumentError.missingArgument("RECORD_ID (the table's id; - reads them from standard input) or --sfid SFID")
        }
        let batchSize = try RepairRequest.batchSize(arguments)
        let fieldOption = (procedure == .insert ? Self.exclude : Self.fields).longForm
        for (option, name) in fields.map({ (fieldOption, $0) }) + columns.map({ (Self.columns.longForm, $0) }) {
            if name.trimmingWhitespace().isEmpty {
                throw ArgumentError.invalidValue(option: option, value: name, reason: "is an empty name")
            }
            if RecordCapture.bookkeepingColumns.contains(name.lowercased()) {
                throw ArgumentError.invalidValue(
                    option: option, value: name, reason: "is Heroku Connect's bookkeeping column, which is never captured")
            }
            if procedure == .insert, RecordCapture.alwaysCapturedColumns.contains(name.lowercased()) {
                throw ArgumentError.invalidValue(
                    option: option, value: name, reason: "cannot be excluded: Heroku Connect always captures id and sfid")
            }
        }

        let audit = arguments.flag(Self.dryRun) ? nil : try context.openAuditLog()
        let store = try context.triggerLog(inspected: true)
        let table = try store.schema.requireMappedTable(named: tableName)
        if table.isReadOnly {
            throw CommandFailure(
                status: .usage,
                message: "\(table.name) is a read-only mapping: Heroku Connect does not write its changes to Salesforce")
        }
        if !table.hasLogTrigger {
            throw CommandFailure(
                status: .usage,
                message: "\(table.name) has no log trigger (its mapping is dropped or paused): Heroku Connect does not process its entries")
        }
        // the table's columns are read only to resolve names (none: every column)
        let resolved =
            fields.isEmpty && columns.isEmpty
            ? []
            : try RecordCapture.resolveColumns(
                fields: fields, columns: columns, in: table.name, tableColumns: try store.columns(of: table))
        var ids = recordIDs
        var unknownSFIDs: [String] = []
        for sfid in sfids {
            if let id = try store.recordID(in: table, sfid: sfid) { ids.append(id) } else { unknownSFIDs.append(sfid.typed) }
        }
        let dryRun = arguments.flag(Self.dryRun)
        context.debug("\(procedure.rawValue) on \(table.name), columns: \(resolved.isEmpty ? "all" : resolved.joined(separator: ", "))")

        let capture = RecordCapture(store: store)
        var preview = dryRun && context.format != .json ? CapturePreview(context: context) : nil
        var progress = ProgressMeter(
            errors: context.errors, label: procedure == .insert ? "capture-insert" : "capture-update", total: ids.count,
            noun: "records", isEnabled: !context.options.verbose && ids.count > batchSize)
        var sofar: RecordCapture.Summary?
        let summary: RecordCapture.Summary
        do {
            summary = try context.interruption.during(announcingBatch: context.events.format == .text) {
                try capture.capture(
                    procedure, table: table, recordIDs: ids, columns: resolved, batchSize: batchSize, dryRun: dryRun
                ) { summary, captured in
                    sofar = summary
                    if let audit, !dryRun, captured.contains(where: { $0.newID != nil }) {
                        try audit.record(
                            action: procedure == .insert ? "capture-insert" : "capture-update", writeMode: nil,
                            batch: summary.batches, changes: Self.auditChanges(captured, table: table.name))
                    }
                    if dryRun {
                        preview?.write(captured)
                    } else if context.format != .json {
                        for record in captured { if let id = record.newID { context.output.line(String(id)) } }
                    }
                    context.events.record(
                        "batch", "batch \(summary.batches): \(summary.captured.count) of \(summary.requested) records captured",
                        ["batch": .int(summary.batches), "captured": .int(summary.captured.count), "total": .int(summary.requested)])
                    progress.update(summary.captured.count + summary.notFound.count)
                    try context.interruption.check(context.output)
                }
            }
        } catch {
            progress.finish()
            preview?.finish()
            if let sofar { report(context, sofar, unknownSFIDs: unknownSFIDs, failure: error) }
            throw error
        }
        progress.finish()
        preview?.finish()
        report(context, summary, unknownSFIDs: unknownSFIDs, failure: nil)
        if !summary.notFound.isEmpty || !unknownSFIDs.isEmpty { return .notFound }
        return summary.alreadyInSalesforce.isEmpty ? .success : .negative
    }

    /// The summary: one JSON object on standard output, or lines on standard error; after a
    /// failure or an interruption, what was done until then.
    private static func report(
        _ context: CommandContext, _ summary: RecordCapture.Summary, unknownSFIDs: [String], failure: (any Error)?
    ) {
        if context.format == .json, !context.outputClosed {
            var object = json(summary, unknownSFIDs: unknownSFIDs)
            if let failure {
                object.add("completed", false)
                object.add("error", FailureReport(failure).message)
            }
            context.output.write(bytes: object.finished() + [UInt8(ascii: "\n")])
        } else {
            if failure != nil {
                context.note(
                    "Stopped after \(summary.batches) \(summary.batches == 1 ? "batch" : "batches"); the batches done are "
                        + "committed, the rest is untouched. So far:")
            }
            for line in lines(summary, unknownSFIDs: unknownSFIDs, style: context.errorStyle) { context.note(line) }
        }
    }

    static func lines(_ summary: RecordCapture.Summary, unknownSFIDs: [String], style: TextStyle) -> [String] {
        let columns =
            summary.columns.isEmpty
            ? "all columns"
            : (summary.procedure == .insert ? "all columns but " : "columns ") + summary.columns.joined(separator: ", ")
        let verb = summary.isDryRun ? "would capture" : "captured"
        var lines = [
            "\(summary.procedure.rawValue) on \(summary.table)\(summary.isDryRun ? ", dry run (nothing written)" : ""): "
                + "\(verb) \(ReadableFigure.count(summary.captured.count)) of "
                + "\(ReadableFigure.count(summary.requested + unknownSFIDs.count)) records (\(columns))"
        ]
        if !summary.isDryRun, !summary.captured.isEmpty {
            lines.append(
                "  new live ids: " + RepairReport.listed(summary.captured.compactMap { $0.newID.map { "\($0)" } }))
        }
        if !summary.alreadyInSalesforce.isEmpty {
            lines.append(
                "  " + style.yellow("not captured, already in Salesforce (it has an sfid; an INSERT would duplicate it, "
                    + "capture-update sends its fields)") + ": "
                    + RepairReport.listed(summary.alreadyInSalesforce.map { "\($0.recordID) \($0.sfid ?? "")" }))
        }
        if !summary.notFound.isEmpty {
            lines.append("  " + style.red("no such record") + ": " + RepairReport.listed(summary.notFound.map(String.init)))
        }
        if !unknownSFIDs.isEmpty {
            lines.append("  " + style.red("no record with sfid") + ": " + RepairReport.listed(unknownSFIDs))
        }
        return lines
    }

    /// The summary as a JSON object, still open for more fields.
    static func json(_ summary: RecordCapture.Summary, unknownSFIDs: [String]) -> JSONObjectWriter {
        var object = JSONObjectWriter()
        object.add("command", summary.procedure == .insert ? "capture-insert" : "capture-update")
        object.add("dry_run", summary.isDryRun)
        object.add("table_name", summary.table)
        object.add(summary.procedure == .insert ? "excluded_columns" : "columns", raw: RepairReport.array(summary.columns.map(jsonString)))
        object.add("requested", summary.requested + unknownSFIDs.count)
        object.add("captured", summary.captured.count)
        object.add("not_found", summary.notFound.count + unknownSFIDs.count)
        object.add("entries", raw: RepairReport.array(summary.captured.map { record in
            var item = JSONObjectWriter()
            item.add("record_id", record.recordID)
            item.add("sfid", record.sfid)
            if summary.isDryRun { item.add("values", record.values) } else { item.add("id", record.newID) }
            return item.finished()
        }))
        object.add("already_in_salesforce", raw: RepairReport.array(summary.alreadyInSalesforce.map { record in
            var item = JSONObjectWriter()
            item.add("record_id", record.recordID)
            item.add("sfid", record.sfid)
            return item.finished()
        }))
        object.add("not_found_record_ids", raw: RepairReport.array(summary.notFound.map { Array(String($0).utf8) }))
        object.add("not_found_sfids", raw: RepairReport.array(unknownSFIDs.map(jsonString)))
        return object
    }

    private static func jsonString(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        JSONObjectWriter.appendString(text, to: &bytes)
        return bytes
    }
}

/// A dry run's records, as the entries they would become: a table (RECORD, SFID, VALUES),
/// CSV, or record ids.
private struct CapturePreview {
    private let context: CommandContext
    private var table: TextTable?
    private var wroteHeader = false

    init(context: CommandContext) {
        self.context = context
        if context.format == .table {
            table = TextTable(columns: [.init(title: "RECORD", alignRight: true), .init(title: "SFID"), .init(title: "VALUES")])
        }
    }

    mutating func write(_ records: [RecordCapture.Captured]) {
        for record in records {
            switch context.format {
            case .ids:
                context.output.line(String(record.recordID))
            case .csv:
                if !wroteHeader { context.output.write(bytes: CSVWriter.line(["record_id", "sfid", "values"])) }
                wroteHeader = true
                context.output.write(bytes: CSVWriter.line([String(record.recordID), record.sfid, record.values?.text]))
            default:
                table?.append([.init(String(record.recordID)), .init(record.sfid ?? ""), .init(record.values?.text ?? "")])
            }
        }
    }

    mutating func finish() {
        guard var table, !table.rows.isEmpty else { return }
        let output = context.output
        output.write(table.render(header: true, maxWidth: output.tableWidth, style: context.style))
    }
}

extension RecordCaptureRun {
    /// A batch's captures as the audit log lists them: `{"table":"account","record_id":42,
    /// "new_id":4803}`.
    static func auditChanges(_ captured: [RecordCapture.Captured], table: String) -> [UInt8] {
        RepairReport.array(captured.compactMap { record in
            guard let newID = record.newID else { return nil }
            var item = JSONObjectWriter()
            item.add("table", table)
            item.add("record_id", record.recordID)
            item.add("new_id", newID)
            return item.finished()
        })
    }
}
