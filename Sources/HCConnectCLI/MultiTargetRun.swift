import HerokuConnect
import Postgres

/// The read and monitoring commands on several connections at once: `--app` given more than
/// once, or `--all-schemas` for every Heroku Connect schema of one database. The command
/// runs once per connection, each run on its own streams, and the outputs are joined:
///
/// - table: a section per connection, under a line that names it;
/// - CSV: an `app` (or `schema`) column first, one header;
/// - JSON: an `app` (or `schema`) field first in every object;
/// - Prometheus: an `app` (or `schema`) label on every sample, each metric family once.
///
/// One connection failing is reported (`hcconnect: app X: ...`) and does not hide the
/// others; the exit status is the worst of the runs.
enum MultiTargetRun {
    /// The commands that take several connections.
    static let commands: Set<String> = ["stats", "check", "errors", "failed", "tables", "connection"]

    enum Target {
        case app(String)
        case schema(String)

        var key: String {
            switch self {
            case .app(let name), .schema(let name): name
            }
        }

        var kind: String {
            switch self {
            case .app: "app"
            case .schema: "schema"
            }
        }
    }

    /// Whether `options` asks for several connections.
    static func isAsked(_ options: GlobalOptions) -> Bool {
        options.apps.count > 1 || options.allSchemas
    }

    static func run(
        _ command: any Command.Type, parsed: ParsedArguments, options: GlobalOptions, format: OutputFormat,
        environment: [String: String], input: InputChannel, output: OutputChannel, errors: OutputChannel,
        interruption: Interruption, commandLine: [String]
    ) throws -> ExitStatus {
        let name = command.help.name
        guard commands.contains(name) else {
            throw ArgumentError.invalidCombination(
                (options.allSchemas ? GlobalOptions.allSchemas.longForm : "--app given more than once")
                    + " works with " + commands.sorted().joined(separator: ", ") + "; \(name) takes one connection")
        }
        if options.allSchemas, !options.apps.isEmpty, options.apps.count > 1 {
            throw ArgumentError.invalidCombination("--all-schemas reads one database: give at most one --app")
        }
        if options.resource != nil, options.apps.count > 1 {
            throw ArgumentError.invalidCombination("--resource names a connection of one app: give one --app with it")
        }
        let targets: [Target]
        if options.allSchemas {
            targets = try schemas(options: options, parsed: parsed, environment: environment, input: input, errors: errors)
                .map(Target.schema)
        } else {
            targets = options.apps.map(Target.app)
        }
        var status = ExitStatus.success
        var joined = Joined(format: format, kind: targets.first?.kind ?? "app")
        for target in targets {
            var targetOptions = options
            targetOptions.allSchemas = false
            switch target {
            case .app(let app): targetOptions.apps = [app]
            case .schema(let schema):
                targetOptions.schema = schema
                targetOptions.schemaGiven = true
            }
            let targetOutput = OutputChannel(memoryAsTerminal: output.isTerminal, columns: output.columns)
            let targetErrors = OutputChannel(memoryAsTerminal: errors.isTerminal, columns: errors.columns)
            let context = CommandContext(
                arguments: parsed, options: targetOptions, format: format, environment: environment, input: input,
                output: targetOutput, errors: targetErrors, interruption: interruption, changesData: command.changesData)
            context.commandLine = commandLine
            var targetStatus: ExitStatus
            var failure: String?
            do {
                targetStatus = try command.run(context)
            } catch {
                let report = FailureReport(error)
                targetStatus = report.status
                failure = report.message
            }
            targetOutput.flush()
            targetErrors.flush()
            output.write(joined.add(targetOutput.text, target: target))
            errors.write(targetErrors.text)
            if let failure { errors.line("hcconnect: \(target.kind) \(target.key): " + DisplayText.sanitized(failure)) }
            status = worse(status, targetStatus)
            output.flush()
            errors.flush()
            if interruption.isRequested { break }
        }
        output.write(joined.finish())
        return status
    }

    /// The worse of two statuses: any failure over success, and among failures the higher.
    static func worse(_ a: ExitStatus, _ b: ExitStatus) -> ExitStatus {
        a.rawValue >= b.rawValue ? a : b
    }

    /// Every Heroku Connect schema of the database the options name.
    private static func schemas(
        options: GlobalOptions, parsed: ParsedArguments, environment: [String: String], input: InputChannel,
        errors: OutputChannel
    ) throws -> [String] {
        let context = CommandContext(
            arguments: parsed, options: options, format: .table, environment: environment, input: input,
            output: OutputChannel(memoryAsTerminal: false), errors: errors)
        let connection = try context.database()
        let names = try ConnectSchema.connectSchemaNames(connection)
        guard !names.isEmpty else { throw HerokuConnectError.schemaNotFound(schema: "(any)", connectSchemas: []) }
        return names
    }

    /// The joined output, as the runs come in.
    struct Joined {
        let format: OutputFormat
        let kind: String
        private var wroteHeader = false
        private var first = true
        /// Prometheus: the families in order, each with its HELP and TYPE lines and samples.
        private var families: [(name: String, comments: [String], samples: [String])] = []

        init(format: OutputFormat, kind: String) {
            self.format = format
            self.kind = kind
        }

        mutating func add(_ text: String, target: Target) -> String {
            defer { first = false }
            // CSV ends its lines in CR LF, which Swift reads as one character
            let lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
                .map(String.init).dropLast(text.last == "\n" || text.last == "\r\n" ? 1 : 0)
            let end = text.last == "\r\n" ? "\r\n" : "\n"
            switch format {
            case .table:
                return (first ? "" : "\n") + "── \(kind) \(DisplayText.sanitized(target.key)) ──\n" + text
            case .ids:
                return text
            case .csv:
                var result = ""
                for (index, line) in lines.enumerated() {
                    if index == 0 {
                        if !wroteHeader { result += kind + "," + line + end }
                        wroteHeader = true
                        continue
                    }
                    var field = String(decoding: CSVWriter.line([target.key]), as: UTF8.self)
                    while field.last == "\n" || field.last == "\r\n" || field.last == "\r" { field.removeLast() }
                    result += field + "," + line + end
                }
                return result
            case .json:
                var result = ""
                var field = [UInt8]("\"\(kind)\":".utf8)
                JSONObjectWriter.appendString(target.key, to: &field)
                let prefix = String(decoding: field, as: UTF8.self)
                for line in lines {
                    // an object that names its schema already (check's) keeps its own field
                    if line.contains("\"\(kind)\":") {
                        result += line + "\n"
                    } else if line.hasPrefix("{}") {
                        result += "{" + prefix + "}" + line.dropFirst(2) + "\n"
                    } else if line.hasPrefix("{") {
                        result += "{" + prefix + "," + line.dropFirst() + "\n"
                    } else {
                        result += line + "\n"
                    }
                }
                return result
            case .prometheus:
                let label = kind + "=\"" + PrometheusWriter.escapedLabelValue(target.key) + "\""
                var current: Int?
                for line in lines where !line.isEmpty {
                    if line.hasPrefix("# HELP ") || line.hasPrefix("# TYPE ") {
                        let name = String(line.dropFirst(7).prefix { $0 != " " })
                        if let index = families.firstIndex(where: { $0.name == name }) {
                            current = index
                            if !families[index].comments.contains(line) { families[index].comments.append(line) }
                        } else {
                            families.append((name, [line], []))
                            current = families.count - 1
                        }
                        continue
                    }
                    let sample: String
                    if line.contains(kind + "=\"") {
                        sample = line  // labelled already (the schema of every metric)
                    } else if let brace = line.firstIndex(of: "{") {
                        sample = line[...brace] + label + "," + line[line.index(after: brace)...]
                    } else if let space = line.firstIndex(of: " ") {
                        sample = line[..<space] + "{" + label + "}" + line[space...]
                    } else {
                        sample = line
                    }
                    if let current { families[current].samples.append(sample) }
                }
                return ""
            }
        }

        /// What comes after the last run (Prometheus writes its families then).
        func finish() -> String {
            guard format == .prometheus else { return "" }
            return families.map { ($0.comments + $0.samples).joined(separator: "\n") + "\n" }.joined()
        }
    }
}
