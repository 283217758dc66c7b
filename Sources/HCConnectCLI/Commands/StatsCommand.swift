/// `hcconnect stats`: being written (issue 4).
enum StatsCommand: Command {
    static let help = CommandHelp(
        name: "stats", summary: "(being written)", usage: ["stats"], description: "Not written yet.", examples: [])
    static let options: [OptionSpec] = []
    static let formats: [OutputFormat] = [.table]

    static func run(_ context: CommandContext) throws -> ExitStatus {
        throw CommandFailure(status: .internalError, message: "stats is not written yet")
    }
}
