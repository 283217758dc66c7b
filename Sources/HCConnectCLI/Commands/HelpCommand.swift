import HerokuConnect

/// `hcconnect help [COMMAND]`.
enum HelpCommand: Command {
    static let help = CommandHelp(
        name: "help",
        summary: "Show help for hcconnect or one of its commands",
        usage: [Usage(.argument("[COMMAND]"))],
        description: "Shows the overview of hcconnect, or a command's usage, options and examples.",
        examples: [("hcconnect help failed", "the options of failed")])

    static let options: [OptionSpec] = []
    static let formats: [OutputFormat] = [.table]
    static var pages: Bool { true }

    static func run(_ context: CommandContext) throws -> ExitStatus {
        let positionals = context.arguments.positionals
        guard let name = positionals.first else {
            context.output.write(Help.overview(width: context.output.tableWidth ?? 80))
            return .success
        }
        if positionals.count > 1 { throw ArgumentError.unexpectedArgument(positionals[1]) }
        guard let command = HCConnect.commands.first(where: { $0.help.name == name }) else {
            throw ArgumentError.unknownCommand(
                name, suggestions: closestMatches(to: name, among: HCConnect.commands.map { $0.help.name }, limit: 2))
        }
        context.output.write(Help.command(command, width: context.output.tableWidth ?? 80))
        return .success
    }
}
