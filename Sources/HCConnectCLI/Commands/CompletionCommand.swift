/// `hcconnect completion`: being written (issue 4).
enum CompletionCommand: Command {
    static let help = CommandHelp(
        name: "completion", summary: "(being written)", usage: ["completion"], description: "Not written yet.", examples: [])
    static let options: [OptionSpec] = []
    static let formats: [OutputFormat] = [.table]

    static func run(_ context: CommandContext) throws -> ExitStatus {
        throw CommandFailure(status: .internalError, message: "completion is not written yet")
    }
}
