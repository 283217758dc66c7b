import HerokuConnect
import Postgres

/// The hcconnect command line: a function from arguments, environment and streams to an
/// exit status, so it runs the same in the executable and in tests.
public enum HCConnect {
    /// hcconnect's version.
    public static let version = "0.1.0"

    /// The commands, in the order help lists them.
    static let commands: [any Command.Type] = [
        FailedCommand.self, ListCommand.self, ShowCommand.self, RelatedCommand.self, HistoryCommand.self,
        TablesCommand.self, StatsCommand.self, ErrorsCommand.self, TrendCommand.self, CheckCommand.self,
        RetryCommand.self, IgnoreCommand.self, CaptureInsertCommand.self, CaptureUpdateCommand.self,
        CleanupCommand.self, WatchCommand.self, ConsoleCommand.self, ExportCommand.self, ConnectionCommand.self,
        PauseCommand.self, ResumeCommand.self, RestartCommand.self, ReloadCommand.self, CompletionCommand.self,
        HelpCommand.self,
    ]

    /// Runs one command line.
    ///
    /// - Parameters:
    ///   - arguments: The arguments after the program name.
    ///   - environment: The environment variables (`DATABASE_URL`, `HEROKU_CONNECT_SCHEMA`,
    ///     `NO_COLOR`, ...). libpq reads its own `PG*` variables from the process.
    ///   - input: Standard input.
    ///   - output: Standard output: results only.
    ///   - errors: Standard error: messages for people.
    ///   - handlesSignals: Whether Ctrl-C and SIGTERM are caught during bulk work and
    ///     streams, to stop after a whole batch (the executable's choice; never in tests).
    ///   - pages: Whether long help and listings may go through a pager (``Pager``): the
    ///     executable's choice, for its real standard output.
    /// - Returns: The exit status (see ``ExitStatus``).
    public static func run(
        arguments: [String], environment: [String: String], input: InputChannel, output: OutputChannel,
        errors: OutputChannel, handlesSignals: Bool = false, pages: Bool = false
    ) -> Int32 {
        let paging = PagerSlot(isAllowed: pages)
        defer {
            output.flush()
            errors.flush()
            paging.pager?.finish()
        }
        var log: EventLog?
        var jsonResult: JSONResult?
        do {
            let status = try dispatch(
                arguments, environment, input, output, errors, interruption: handlesSignals ? .process : .none,
                log: &log, jsonResult: &jsonResult, paging: paging)
            // what a closed pipe (`| head -1`) cut off is not a success: the status SIGPIPE's
            // death would have given, without the death; a pager quit early is the person's choice
            output.flush()
            if output.readerClosed { return paging.pager == nil ? ExitStatus.outputClosed.rawValue : status.rawValue }
            return status.rawValue
        } catch is OutputClosed {
            return paging.pager == nil ? ExitStatus.outputClosed.rawValue : ExitStatus.success.rawValue
        } catch {
            var report = FailureReport(error)
            // A signal that stopped the work (during a retry's wait, say) decides the status,
            // whatever error the work ended with.
            if handlesSignals, !(error is Interrupted), let signal = Interruption.process.signal {
                report = FailureReport(Interrupted(signal: signal))
            }
            // a command that changes data promised one JSON object: it says what went wrong
            if let jsonResult, !output.hasWritten {
                var object = JSONObjectWriter()
                object.add("command", jsonResult.command)
                object.add("dry_run", jsonResult.dryRun)
                object.add("completed", false)
                object.add("error", report.message)
                object.add("exit_status", Int(report.status.rawValue))
                output.write(bytes: object.finished())
                output.line()
            }
            output.flush()
            if let log, log.format == .json {
                log.always(
                    "error", level: "error", report.message,
                    ["exit_status": .int(Int(report.status.rawValue)), "hint": .string(report.hint)])
            } else {
                // the message may quote a value as given (a table name with a line break); one
                // line for logs, wrapped at spaces on a terminal
                var lines = ["hcconnect: " + DisplayText.sanitized(report.message)]
                if log?.isEnabled == true, let hint = report.hint { lines.append("hcconnect: " + DisplayText.sanitized(hint)) }
                for line in lines {
                    guard errors.isTerminal else {
                        errors.line(line)
                        continue
                    }
                    for piece in DisplayText.wrapped(line, width: errors.columns ?? 80, continuation: "  ") { errors.line(piece) }
                }
            }
            return report.status.rawValue
        }
    }

    private static func dispatch(
        _ arguments: [String], _ environment: [String: String], _ input: InputChannel, _ output: OutputChannel,
        _ errors: OutputChannel, interruption: Interruption, log: inout EventLog?, jsonResult: inout JSONResult?,
        paging: PagerSlot
    ) throws -> ExitStatus {
        let (commandIndex, command) = try findCommand(arguments)
        var rest = arguments
        if let commandIndex { rest.remove(at: commandIndex) }
        let specs = GlobalOptions.specs + (command?.options ?? [])
        let help = GlobalOptions.help
        let helpRequested = rest.prefix { $0 != "--" }.contains { $0 == help.longForm || $0 == help.short.map { "-\($0)" } }
        if helpRequested {
            if paging.isAllowed, !rest.contains(GlobalOptions.noPager.longForm), output.isTerminal {
                paging.pager = Pager.start(environment: environment)
            }
            let width = output.tableWidth ?? 80
            output.write(command.map { Help.command($0, width: width) } ?? Help.overview(width: width))
            return .success
        }
        let parsed = try parse(rest, specs, command)
        if parsed.flag(GlobalOptions.version) {
            output.line("hcconnect \(version)")
            return .success
        }
        guard let command else {
            if parsed.positionals.isEmpty {
                errors.write(Help.overview(width: errors.columns ?? 80))
                throw ArgumentError.missingCommand
            }
            throw ArgumentError.unexpectedArgument(parsed.positionals[0])
        }
        let options = try GlobalOptions(parsed, environment: environment)
        let format = options.format ?? command.formats[0]
        guard command.formats.contains(format) else {
            throw ArgumentError.invalidValue(
                option: GlobalOptions.format.longForm, value: format.rawValue,
                reason: "is not available for \(command.help.name); use "
                    + command.formats.map(\.rawValue).joined(separator: ", "))
        }
        // a table asked for by name in a pipe is read by a person: it fits COLUMNS, else 80
        if options.format == .table { output.fitTables(environment: environment) }
        if MultiTargetRun.isAsked(options) {
            return try MultiTargetRun.run(
                command, parsed: parsed, options: options, format: format, environment: environment, input: input,
                output: output, errors: errors, interruption: interruption, commandLine: arguments)
        }
        let context = CommandContext(
            arguments: parsed, options: options, format: format, environment: environment, input: input,
            output: output, errors: errors, interruption: interruption, changesData: command.changesData)
        context.commandLine = arguments
        log = context.events
        if paging.isAllowed, command.pages, format == .table, !options.noPager, output.isTerminal {
            paging.pager = Pager.start(environment: environment)
        }
        if command.changesData, format == .json {
            // every command that changes data has a --dry-run (capture's own spec, or repair's)
            jsonResult = JSONResult(command: command.help.name, dryRun: parsed.flag(RepairRequest.dryRun))
        }
        return try command.run(context)
    }

    /// Parses the arguments; an option that belongs to another command is answered with
    /// the command's advice (``Command/optionAdvice``).
    private static func parse(
        _ arguments: [String], _ specs: [OptionSpec], _ command: (any Command.Type)?
    ) throws(ArgumentError) -> ParsedArguments {
        do {
            return try ArgumentParser.parse(arguments, options: specs)
        } catch {
            guard case .unknownOption(let option, _) = error, let command,
                let advice = command.optionAdvice[String(option.drop { $0 == "-" })]
            else { throw error }
            throw .invalidCombination("\(command.help.name) has no \(option) option; \(advice)")
        }
    }

    /// Finds the command name: the first argument that is neither an option nor an
    /// option's value. Options of any command may come before it.
    private static func findCommand(_ arguments: [String]) throws(ArgumentError) -> (Int?, (any Command.Type)?) {
        // read only when an option other than a global one comes before the command (every
        // command's options are built then: a third of `--version`'s instructions)
        lazy var commandOptions = commands.flatMap { $0.options }
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            if argument == "--" { break }
            if argument.hasPrefix("-"), argument != "-" {
                let name = argument.hasPrefix("--") ? String(argument.dropFirst(2).prefix { $0 != "=" }) : ""
                // a short option (`-a APP`) is the global one of that letter
                let short = argument.hasPrefix("--") || argument.count != 2 ? nil : argument.last
                let spec: OptionSpec?
                if let short {
                    spec = GlobalOptions.specs.first { $0.short == short }
                } else {
                    spec = GlobalOptions.specs.first { $0.name == name } ?? commandOptions.first { $0.name == name }
                }
                let takesValue = spec?.takesValue ?? false
                index += (takesValue && !argument.contains("=")) ? 2 : 1
                continue
            }
            guard let command = commands.first(where: { $0.help.name == argument }) else {
                throw .unknownCommand(
                    argument, suggestions: closestMatches(to: argument, among: commands.map { $0.help.name }, limit: 2))
            }
            return (index, command)
        }
        return (nil, nil)
    }
}

/// The command whose JSON result a failure before its first batch writes (the command
/// changes data and `--format json` was asked for).
struct JSONResult {
    let command: String
    let dryRun: Bool
}

/// The pager of a run, once started; only the executable may start one.
final class PagerSlot {
    let isAllowed: Bool
    var pager: Pager?

    init(isAllowed: Bool) { self.isAllowed = isAllowed }
}
