import HerokuConnect

/// `hcconnect failed`: FAILED entries, live and archive, newest first.
enum FailedCommand: Command {
    static let help = CommandHelp(
        name: "failed",
        summary: "List FAILED trigger log entries, live and archive, newest first",
        usage: [Usage(.optionals(EntryFilters.selectionSpecs + [attempts]), .oneOf([EntryFilters.limit, EntryFilters.all]))],
        description: """
            Lists the entries Heroku Connect could not write to Salesforce, with Salesforce's \
            message, from the live log and the archive in one listing, newest first. On a \
            terminal the first 100 are shown (with the count of the rest); piped or with \
            --format json, csv or ids, all of them are written. --attempts adds how many times \
            the entry's change has failed: the entries of the same table, record and action, \
            live and archived, up to this one, that are FAILED, REQUEUE, REQUEUED or IGNORED \
            (the ATTEMPTS column of the wide layout, the first to go on a narrow terminal; \
            attempts in JSON and CSV). A live entry retried in place under merged writes \
            leaves no trace to count until it fails again.
            """,
        examples: [
            ("hcconnect failed", "every failure, newest first"),
            ("hcconnect failed --table account --since 2d", "failures of account rows captured in the last two days"),
            ("hcconnect failed --message UNABLE_TO_LOCK_ROW --in live", "lock errors still in the live log"),
            ("hcconnect failed --table account --format ids", "just the ids, one per line, for later commands"),
            ("hcconnect failed --json > failures.jsonl", "everything, one JSON object per line"),
            ("hcconnect failed --attempts --table account", "with how often each change has failed, retries included"),
        ])

    static let attempts = OptionSpec(
        "attempts", .flag, "Show how many times each entry's change of its record has failed (ATTEMPTS; attempts in JSON, CSV)")
    static let options = EntryFilters.specs + [attempts]
    static var optionAdvice: [String: String] {
        [
            EntryFilters.state.name:
                "failed lists FAILED entries only; for other states use hcconnect list --state STATE (NEW, PENDING, ...)",
            RepairRequest.max.name: "to list at most N entries, use --limit N",
        ]
    }
    static let formats: [OutputFormat] = [.table, .json, .csv, .ids]
    static var pages: Bool { true }

    static func run(_ context: CommandContext) throws -> ExitStatus {
        try EntryListing.run(context, selecting: .failed()) { _ in "FAILED entries" }
    }
}
