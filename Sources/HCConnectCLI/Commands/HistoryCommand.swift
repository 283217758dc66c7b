import HerokuConnect

/// `hcconnect history TABLE RECORD_ID` or `--sfid SFID`: a record's sync history.
enum HistoryCommand: Command {
    static let help = CommandHelp(
        name: "history",
        summary: "List a record's sync history, by record id or sfid",
        usage: [
            Usage(.argument("TABLE RECORD_ID"), .optionals(recordFilterSpecs), .oneOf([EntryFilters.limit, EntryFilters.all])),
            Usage(.argument("TABLE"), .required(sfid), .argument("[...]")),
        ],
        description: """
            Lists, oldest first, every entry of the live log and the archive for one record \
            of a mapped table, given by its id (the table's id column) or by its Salesforce \
            id. An sfid is looked up in the mapped table; when the record is no longer \
            there, the entries that carry the sfid lead to it.
            """,
        examples: [
            ("hcconnect history account 42", "everything captured for account 42"),
            ("hcconnect history contact --sfid 0035e00000AbCdEAAV", "the same, by Salesforce id"),
            ("hcconnect history account 42 --state FAILED --json", "its failures, as JSON"),
        ])

    /// The filters that choose among one record's entries.
    static let recordFilterSpecs = [
        EntryFilters.state, EntryFilters.source, EntryFilters.action, EntryFilters.since, EntryFilters.until,
        EntryFilters.message, EntryFilters.code,
    ]
    /// The filters that make sense within one record's history, limits included.
    static let filterSpecs = recordFilterSpecs + [EntryFilters.limit, EntryFilters.all]
    /// The record, by Salesforce id: not a filter, unlike ``EntryFilters/sfid``.
    static let sfid = OptionSpec("sfid", .value("SFID"), "The record's Salesforce id, in place of RECORD_ID")
    static let options = [sfid] + filterSpecs
    static let formats: [OutputFormat] = [.table, .json, .csv, .ids]
    static var pages: Bool { true }

    static func run(_ context: CommandContext) throws -> ExitStatus {
        let positionals = context.arguments.positionals
        guard let tableName = positionals.first else { throw ArgumentError.missingArgument("TABLE (a mapped table)") }
        let sfidText = context.arguments.value(Self.sfid)
        var recordID: Int?
        switch (positionals.count, sfidText) {
        case (1, nil): throw ArgumentError.missingArgument("RECORD_ID or --sfid SFID")
        case (2, nil): recordID = try EntryFilters.positiveInteger(positionals[1], option: "RECORD_ID", noun: "record id")
        case (2, .some): throw ArgumentError.conflictingOptions("RECORD_ID", Self.sfid.longForm)
        case (1, .some): break
        default: throw ArgumentError.unexpectedArgument(positionals[2])
        }
        let sfid = try sfidText.map { text throws(ArgumentError) in try EntryFilters.salesforceID(text) }
        var filterArguments = context.arguments
        filterArguments.positionals = []
        var filters = try EntryFilters(filterArguments)
        filters.sfids = []  // here --sfid names the record; it is not a filter on the entries
        let store = try context.triggerLog()
        // a mapped table, or one whose mapping was deleted but whose entries remain
        let table = try store.loggedTable(named: tableName)
        if let sfid {
            recordID = try table.mapping.map { try store.recordID(in: $0, sfid: sfid) } ?? nil
            if recordID == nil {
                let carrying = try store.entries(
                    matching: TriggerLogQuery().tables([table.name]).sfids([sfid]).limit(1))
                guard let found = carrying.first?.recordID else {
                    throw HerokuConnectError.sfidNotFound(table: table.name, sfid: sfid.typed)
                }
                context.note(
                    "\(table.name) has no record with sfid \(sfid.typed)\(table.mapping == nil ? " (it is not mapped)" : " now"); "
                        + "showing the history of record id \(found), which the log ties to it")
                recordID = found
            }
        }
        guard let recordID else { return .internalError }
        let query = try filters.applied(to: .history(table: table.name, recordID: recordID), store: store)
        let written = try EntryListing.write(
            context, store: store, query: query, filters: filters, noun: "entries for \(table.name) \(recordID)")
        // Nothing to show and nothing there: the record id is most likely mistyped.
        if written == 0, sfid == nil, try store.count(matching: .history(table: table.name, recordID: recordID)) == 0,
            try table.mapping.flatMap({ try store.currentRecord(in: $0, recordID: recordID) }) == nil
        {
            throw HerokuConnectError.recordNotFound(table: table.name, recordID: recordID)
        }
        return .success
    }
}
