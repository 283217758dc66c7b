import HerokuConnect
import Postgres

/// What `hcconnect help COMMAND` prints about a command.
struct CommandHelp {
    /// The command's name as typed.
    let name: String
    /// One line for the command list.
    let summary: String
    /// Usage lines, without the leading `hcconnect `.
    let usage: [String]
    /// What the command does, in a few sentences.
    let description: String
    /// Example command lines and what they do.
    let examples: [(command: String, explanation: String)]
}

/// A subcommand of hcconnect.
protocol Command: Sendable {
    /// The help text.
    static var help: CommandHelp { get }
    /// The options of this command, besides the global ones.
    static var options: [OptionSpec] { get }
    /// The output formats it can write; the first is the default.
    static var formats: [OutputFormat] { get }
    /// Runs the command.
    ///
    /// - Returns: The exit status.
    /// - Throws: What ``FailureReport`` turns into a message and an exit status.
    static func run(_ context: CommandContext) throws -> ExitStatus
}

/// Everything a running command needs: its arguments, the global options, the streams, and
/// the database, connected on first use.
final class CommandContext {
    let arguments: ParsedArguments
    let options: GlobalOptions
    let environment: [String: String]
    let input: InputChannel
    let output: OutputChannel
    let errors: OutputChannel
    /// Colours for standard output.
    let style: TextStyle
    /// Colours for standard error.
    let errorStyle: TextStyle
    /// The output format: the one asked for, else the command's default.
    let format: OutputFormat
    private var connection: PostgresConnection?
    private var store: TriggerLogStore?

    init(
        arguments: ParsedArguments, options: GlobalOptions, format: OutputFormat, environment: [String: String],
        input: InputChannel, output: OutputChannel, errors: OutputChannel
    ) {
        self.arguments = arguments
        self.options = options
        self.format = format
        self.environment = environment
        self.input = input
        self.output = output
        self.errors = errors
        style = TextStyle(output: output, environment: environment, noColorFlag: options.noColor)
        errorStyle = TextStyle(output: errors, environment: environment, noColorFlag: options.noColor)
    }

    /// True when the output is read by a person: a terminal, in table format.
    var isForPerson: Bool { output.isTerminal && format == .table }

    /// The single positional argument, a trigger log id (`show ID`, `related ID`).
    ///
    /// - Throws: ``ArgumentError`` when it is missing, not an id, or not alone.
    func entryID() throws(ArgumentError) -> Int {
        let positionals = arguments.positionals
        guard let text = positionals.first else { throw .missingArgument("ID (a trigger log id)") }
        guard positionals.count == 1 else { throw .unexpectedArgument(positionals[1]) }
        return try EntryFilters.positiveInteger(text, option: "ID", noun: "trigger log id")
    }

    /// Refuses positional arguments, for commands that take none.
    func expectNoPositionals() throws(ArgumentError) {
        if let extra = arguments.positionals.first { throw .unexpectedArgument(extra) }
    }

    /// The database connection, opened on first use.
    func database() throws -> PostgresConnection {
        if let connection { return connection }
        var defaults: [ConnectionSettings.Parameter] = [.init("fallback_application_name", "hcconnect")]
        // libpq waits for the operating system's TCP timeout (minutes) by default; a cron job
        // should fail fast. The URL or PGCONNECT_TIMEOUT still decide when they say.
        if environment["PGCONNECT_TIMEOUT"] == nil {
            defaults.append(.init("connect_timeout", String(Self.defaultConnectTimeout)))
        }
        let settings = ConnectionSettings(connectionString: options.databaseURL, defaults: defaults)
        if options.verbose {
            let target = options.databaseURL.map { _ in settings.redactedConnectionString } ?? "libpq defaults (PG* variables)"
            debug("connecting to \(target)")
        }
        let start = ContinuousClock.now
        let connection = try PostgresConnection(settings: settings)
        if options.verbose {
            debug("connected to \(connection.endpointDescription) in \(Self.milliseconds(ContinuousClock.now - start))")
            connection.statementObserver = { [weak self] event in
                let status = event.failed ? "failed after" : "\(event.rowCount) row(s) in"
                self?.debug("sql: \(Self.oneLine(event.sql)) -- \(status) \(Self.milliseconds(event.duration))")
            }
        }
        self.connection = connection
        return connection
    }

    /// The trigger log store of the chosen schema, checked on first use.
    func triggerLog() throws -> TriggerLogStore {
        if let store { return store }
        let store = try TriggerLogStore(connection: try database(), schemaName: options.schema)
        if options.verbose {
            debug("schema \(options.schema): \(store.schema.mappedTables.count) mapped table(s)")
        }
        self.store = store
        return store
    }

    /// Tells the person something on standard error (after what standard output holds).
    func note(_ text: String) {
        output.flush()
        errors.line(text)
        errors.flush()
    }

    /// With --verbose, says what is happening on standard error.
    func debug(_ text: @autoclosure () -> String) {
        guard options.verbose else { return }
        note(errorStyle.dim("hcconnect: " + text()))
    }

    /// Seconds to wait for the server to answer a connection attempt, unless told otherwise.
    static let defaultConnectTimeout = 10

    static func milliseconds(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let milliseconds = Double(seconds) * 1000 + Double(attoseconds) / 1e15
        return milliseconds < 10
            ? "\(Double(Int(milliseconds * 100)) / 100) ms" : "\(Int(milliseconds.rounded())) ms"
    }

    static func oneLine(_ sql: String) -> String {
        sql.split(whereSeparator: \.isNewline).map { $0.trimmingWhitespace() }.joined(separator: " ")
    }
}
