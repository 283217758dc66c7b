/// `hcconnect cleanup`: being written (issue 4).
enum CleanupCommand: Command {
    static let help = CommandHelp(
        name: "cleanup", summary: "(being written)", usage: ["cleanup"], description: "Not written yet.", examples: [])
    static let options: [OptionSpec] = []
    static let formats: [OutputFormat] = [.table]

    static func run(_ context: CommandContext) throws -> ExitStatus {
        throw CommandFailure(status: .internalError, message: "cleanup is not written yet")
    }
}
