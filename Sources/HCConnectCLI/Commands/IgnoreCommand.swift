import HerokuConnect

/// `hcconnect ignore`: silences FAILED entries (FAILED → IGNORED).
enum IgnoreCommand: Command {
    static let help = CommandHelp(
        name: "ignore",
        summary: "Set FAILED entries to IGNORED, by id or by selection",
        usage: RepairRequest.usage([]),
        description: """
            Sets FAILED trigger log entries, live or archived, to IGNORED, so they no longer \
            count as failures; Heroku Connect does not write them. Entries are given by id \
            (- reads ids from standard input) or selected with --failed and the filters of \
            'failed'. Only entries that are FAILED at that moment are changed, under row \
            locks; locked entries are skipped and counted (a single id that is locked exits \
            75). Each batch is one transaction. A --failed selection asks for confirmation on \
            a terminal and needs --yes otherwise. --format ids prints the ids ignored, one per \
            line. Exit 0 when every entry was ignored, 1 when \
            some were not, 3 when an id does not exist.
            """,
        examples: [
            ("hcconnect ignore 4711 4712", "ignore two entries"),
            ("hcconnect ignore --failed --until 30d --yes", "ignore failures older than 30 days"),
            ("hcconnect ignore --failed --table user --dry-run", "see what would be ignored"),
        ])

    static let options = RepairRequest.specs
    static var optionAdvice: [String: String] { RepairRequest.optionAdvice }
    static let formats: [OutputFormat] = [.table, .json, .csv, .ids]
    static var changesData: Bool { true }

    static func run(_ context: CommandContext) throws -> ExitStatus {
        try RepairRun.run(context, action: .ignore)
    }
}
