import HerokuConnect

/// `hcconnect related ID`: every entry for the same record as an entry.
enum RelatedCommand: Command {
    static let help = CommandHelp(
        name: "related",
        summary: "List every entry for the same record as an entry: its sync history",
        usage: [
            Usage(
                .argument("ID"), .optional(excludeSelf), .optionals(HistoryCommand.recordFilterSpecs),
                .oneOf([EntryFilters.limit, EntryFilters.all]))
        ],
        description: """
            Lists, oldest first, every entry with the same table and record id as entry ID, \
            from the live log and the archive: the record's sync history, the entry itself \
            included unless --exclude-self is given. Records are matched by table_name and \
            record_id, because sfid is NULL on INSERT entries.
            """,
        examples: [
            ("hcconnect related 4711", "what happened to the record of entry 4711"),
            ("hcconnect related 4711 --exclude-self --state FAILED", "its other failures"),
        ])

    static let excludeSelf = OptionSpec("exclude-self", .flag, "Leave entry ID itself out")
    static let options = [excludeSelf] + HistoryCommand.filterSpecs
    static let formats: [OutputFormat] = [.table, .json, .csv, .ids]
    static var pages: Bool { true }

    static func run(_ context: CommandContext) throws -> ExitStatus {
        let id = try context.entryID()
        let filters = try EntryFilters(context.arguments)
        let store = try context.triggerLog()
        let entry = try store.entry(id: id)
        var query = try filters.applied(to: .relatedTo(entry), store: store)
        if context.arguments.flag(excludeSelf) { query = query.excluding(ids: [id]) }
        if context.isForPerson, let table = entry.tableName, let recordID = entry.recordID {
            context.note(context.errorStyle.dim("History of \(DisplayText.sanitized(table)) \(recordID), oldest first:"))
        }
        try EntryListing.write(context, store: store, query: query, filters: filters, noun: "related entries")
        return .success
    }
}
