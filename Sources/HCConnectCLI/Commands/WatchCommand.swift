/// `hcconnect watch`: being written (issue 4).
enum WatchCommand: Command {
    static let help = CommandHelp(
        name: "watch", summary: "(being written)", usage: ["watch"], description: "Not written yet.", examples: [])
    static let options: [OptionSpec] = []
    static let formats: [OutputFormat] = [.table]

    static func run(_ context: CommandContext) throws -> ExitStatus {
        throw CommandFailure(status: .internalError, message: "watch is not written yet")
    }
}
