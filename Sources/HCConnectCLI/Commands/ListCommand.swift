import HerokuConnect

/// `hcconnect list`: entries in any state.
enum ListCommand: Command {
    static let help = CommandHelp(
        name: "list",
        summary: "List trigger log entries in any state, newest first",
        usage: [
            Usage(
                .optional(EntryFilters.state.shown(as: "S[,S...]")), .optionals(EntryFilters.selectionSpecs),
                .oneOf([EntryFilters.limit, EntryFilters.all]))
        ],
        description: """
            Lists trigger log entries from the live log and the archive, newest first, in \
            every state or in those given with --state (NEW, PENDING, SUCCESS, FAILED, \
            MERGED, IGNORE, IGNORED, READONLY, REQUEUE, REQUEUED). Entries in states \
            outside that list are listed too, as stored.
            """,
        examples: [
            ("hcconnect list --state NEW,PENDING --in live", "the backlog waiting for Heroku Connect"),
            ("hcconnect list --table contact --since 1h", "everything captured for contact in the last hour"),
            ("hcconnect list --sfid 0035e00000AbCdEAAV", "every entry for one Salesforce record"),
        ])

    static let options = [EntryFilters.state] + EntryFilters.specs
    static var optionAdvice: [String: String] { [RepairRequest.max.name: "to list at most N entries, use --limit N"] }
    static let formats: [OutputFormat] = [.table, .json, .csv, .ids]
    static var pages: Bool { true }

    static func run(_ context: CommandContext) throws -> ExitStatus {
        try EntryListing.run(context, selecting: TriggerLogQuery()) { filters in
            filters.states.isEmpty ? "entries" : filters.states.map(\.rawValue).joined(separator: "/") + " entries"
        }
    }
}
