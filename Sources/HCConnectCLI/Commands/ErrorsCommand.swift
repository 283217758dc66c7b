/// `hcconnect errors`: being written (issue 4).
enum ErrorsCommand: Command {
    static let help = CommandHelp(
        name: "errors", summary: "(being written)", usage: ["errors"], description: "Not written yet.", examples: [])
    static let options: [OptionSpec] = []
    static let formats: [OutputFormat] = [.table]

    static func run(_ context: CommandContext) throws -> ExitStatus {
        throw CommandFailure(status: .internalError, message: "errors is not written yet")
    }
}
