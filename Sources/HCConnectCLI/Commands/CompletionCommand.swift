/// `hcconnect completion bash|zsh`: prints a shell completion script.
enum CompletionCommand: Command {
    /// The shells hcconnect writes completion scripts for.
    enum Shell: String, CaseIterable {
        case bash
        case zsh
    }

    static let help = CommandHelp(
        name: "completion",
        summary: "Print the shell completion script for bash or zsh",
        usage: [Usage(.argument(Shell.allCases.map(\.rawValue).joined(separator: "|")))],
        description: """
            Prints a script that makes the shell complete hcconnect's commands, their options \
            and the values hcconnect knows: formats, states, actions, write modes, commands, \
            and the mapped tables for --table, which the script asks of the database the \
            command line names (a catalog query; nothing is offered when the database does \
            not answer within a few seconds). \
            bash: load it into the running shell with 'source <(hcconnect completion bash)' \
            (put that line in ~/.bashrc to keep it), or save it as \
            ~/.local/share/bash-completion/completions/hcconnect (with the bash-completion \
            package) or as /etc/bash_completion.d/hcconnect for every user. \
            zsh: save it as _hcconnect in a directory of fpath before compinit runs (for \
            example ~/.zfunc, with fpath=(~/.zfunc $fpath) above compinit in ~/.zshrc), or \
            load it after compinit with 'source <(hcconnect completion zsh)'. \
            The script is made from this hcconnect's commands: generate it again after an upgrade.
            """,
        examples: [
            ("source <(hcconnect completion bash)", "complete hcconnect in this bash"),
            ("hcconnect completion bash > ~/.local/share/bash-completion/completions/hcconnect",
             "in every new bash (bash-completion loads it; create the folder first)"),
            ("hcconnect completion zsh > ~/.zfunc/_hcconnect", "in every new zsh, with ~/.zfunc in fpath before compinit"),
        ])

    /// Prints the mapped tables, for the scripts to complete --table with; left out of help.
    static let mappedTables = OptionSpec(
        "mapped-tables", .flag, "Print the schema's mapped tables, one per line (what the scripts offer for --table)"
    ).hidden()

    static let options = [mappedTables]
    static let formats: [OutputFormat] = [.table]

    static func run(_ context: CommandContext) throws -> ExitStatus {
        if context.arguments.flag(mappedTables) {
            try context.expectNoPositionals()
            for table in try context.triggerLog().schema.mappedTables { context.output.line(table.name) }
            return .success
        }
        let positionals = context.arguments.positionals
        let choices = Shell.allCases.map(\.rawValue).joined(separator: " or ")
        guard let name = positionals.first else { throw ArgumentError.missingArgument("SHELL (\(choices))") }
        guard let shell = Shell(rawValue: name.lowercased()) else {
            throw ArgumentError.invalidValue(
                option: "SHELL", value: name, reason: "is not a shell hcconnect completes; use \(choices)")
        }
        if positionals.count > 1 { throw ArgumentError.unexpectedArgument(positionals[1]) }
        context.output.write(script(for: shell))
        return .success
    }

    /// The completion script for `shell`, made from hcconnect's commands as they are now.
    static func script(for shell: Shell) -> String {
        switch shell {
        case .bash: BashCompletion.script(.hcconnect)
        case .zsh: ZshCompletion.script(.hcconnect)
        }
    }
}
