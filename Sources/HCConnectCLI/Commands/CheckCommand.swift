/// `hcconnect check`: being written (issue 4).
enum CheckCommand: Command {
    static let help = CommandHelp(
        name: "check", summary: "(being written)", usage: ["check"], description: "Not written yet.", examples: [])
    static let options: [OptionSpec] = []
    static let formats: [OutputFormat] = [.table]

    static func run(_ context: CommandContext) throws -> ExitStatus {
        throw CommandFailure(status: .internalError, message: "check is not written yet")
    }
}
