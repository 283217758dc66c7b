/// `hcconnect export`: being written (issue 4).
enum ExportCommand: Command {
    static let help = CommandHelp(
        name: "export", summary: "(being written)", usage: ["export"], description: "Not written yet.", examples: [])
    static let options: [OptionSpec] = []
    static let formats: [OutputFormat] = [.table]

    static func run(_ context: CommandContext) throws -> ExitStatus {
        throw CommandFailure(status: .internalError, message: "export is not written yet")
    }
}
