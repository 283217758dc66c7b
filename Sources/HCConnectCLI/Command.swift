import HerokuConnect
import Postgres

/// What `hcconnect help COMMAND` prints about a command.
struct CommandHelp {
    /// The command's name as typed.
    let name: String
    /// One line for the command list.
    let summary: String
    /// The ways to write the command's arguments, made from its option specs: one usage
    /// line each.
    let usage: [Usage]
    /// What the command does, in a few sentences.
    let description: String
    /// Example command lines and what they do.
    let examples: [(command: String, explanation: String)]
    /// Sections of their own after the examples (the console's keys), made from the same
    /// tables the command uses.
    var sections: [(title: String, lines: [String])] = []

    /// The usage lines, without the leading `hcconnect `: `retry ID... [--dry-run]`.
    var usageLines: [String] { usage.map { ([name] + ($0.parts.isEmpty ? [] : [$0.text])).joined(separator: " ") } }
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
    /// True for commands that change data: their statements get a default
    /// `statement_timeout`, and their batches the retry rule for lock timeouts.
    static var changesData: Bool { get }
    /// What to say for options people try on this command that belong elsewhere (`--limit`
    /// on a repair means `--max`): option name → advice.
    static var optionAdvice: [String: String] { get }
    /// True for commands whose output can be long (help, listings): on a terminal it goes
    /// through a pager.
    static var pages: Bool { get }
}

extension Command {
    static var changesData: Bool { false }
    static var optionAdvice: [String: String] { [:] }
    static var pages: Bool { false }
}

/// Everything a running command needs: its arguments, the global options, the streams, the
/// event log, the retry policy, and the database, connected on first use.
final class CommandContext {
    let arguments: ParsedArguments
    /// The global options; with `--app`, the app's database and schema are written in by
    /// ``resolveHerokuTarget()`` before the first connection.
    var options: GlobalOptions
    /// What `--app` resolved to, read once per run (CommandContext+Heroku.swift).
    var heroku = HerokuState()
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
    /// What `--verbose` writes.
    let events: EventLog
    /// Ctrl-C and SIGTERM during interruptible work.
    let interruption: Interruption
    /// Runs units of work under `--retries`' policy, reconnecting when needed.
    let executor: RetryingExecutor
    /// Whether the command changes data (see ``Command/changesData``).
    let changesData: Bool
    /// The arguments as typed (after the program's name), for the audit log.
    var commandLine: [String] = []
    private var connection: PostgresConnection?
    private var store: TriggerLogStore?

    init(
        arguments: ParsedArguments, options: GlobalOptions, format: OutputFormat, environment: [String: String],
        input: InputChannel, output: OutputChannel, errors: OutputChannel, interruption: Interruption = .none,
        changesData: Bool = false
    ) {
        self.arguments = arguments
        self.options = options
        self.format = format
        self.environment = environment
        self.input = input
        self.output = output
        self.errors = errors
        self.interruption = interruption
        self.changesData = changesData
        style = TextStyle(output: output, environment: environment, noColorFlag: options.noColor)
        errorStyle = TextStyle(output: errors, environment: environment, noColorFlag: options.noColor)
        events = EventLog(
            isEnabled: options.verbose, format: options.logFormat, output: output, errors: errors, style: errorStyle)
        executor = RetryingExecutor(connection: nil, policy: options.retryPolicy)
        executor.shouldStop = { interruption.isRequested }
        executor.observer = { [events] retry in
            events.record(
                "retry",
                "\(retry.operation): \(retry.error.description); retry \(retry.retry) in "
                    + CommandContext.milliseconds(retry.delay),
                [
                    "operation": .string(retry.operation), "rule": .string(retry.rule.rawValue),
                    "sqlstate": .string(retry.error.sqlState), "error": .string(retry.error.message),
                    "retry": .int(retry.retry), "delay_ms": .milliseconds(retry.delay),
                ])
        }
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

    /// The database connection, opened on first use (retried under the retry policy), with
    /// the session's timeouts set.
    func database() throws -> PostgresConnection {
        if let connection { return connection }
        let connection = try openConnection(logged: true)
        executor.connection = connection
        self.connection = connection
        return connection
    }

    /// A new connection with the command's settings and timeouts, for work that needs a
    /// session of its own (cleanup's lock); retried like the first.
    func openConnection(logged: Bool = false) throws -> PostgresConnection {
        try resolveHerokuTarget()
        var defaults: [ConnectionSettings.Parameter] = [.init("fallback_application_name", "hcconnect")]
        // libpq waits for the operating system's TCP timeout (minutes) by default; a cron job
        // should fail fast. The URL or PGCONNECT_TIMEOUT still decide when they say.
        if environment["PGCONNECT_TIMEOUT"] == nil {
            defaults.append(.init("connect_timeout", String(Self.defaultConnectTimeout)))
        }
        let settings = ConnectionSettings(connectionString: options.databaseURL, defaults: defaults)
        if events.isEnabled {
            let target = options.databaseURL.map { _ in settings.redactedConnectionString } ?? "libpq defaults (PG* variables)"
            events.record("connect", "connecting to \(target)", ["target": .string(target)])
        }
        let start = ContinuousClock.now
        // With nothing configured, libpq's default (the local socket) is a guess: when it
        // fails, say so at once rather than retry it.
        let nothingGiven = options.databaseURL == nil && !Self.libpqTargetVariables.contains { environment[$0] != nil }
        let connector = RetryingExecutor(connection: nil, policy: nothingGiven ? .none : options.retryPolicy)
        connector.observer = executor.observer
        connector.shouldStop = executor.shouldStop
        let connection: PostgresConnection
        do {
            connection = try connector.run(Self.connecting) { try PostgresConnection(settings: settings) }
        } catch let error as PostgresError where nothingGiven && error.kind == .connectionFailed {
            throw CommandFailure(
                status: .unavailable,
                message: "no database given: set DATABASE_URL or use --database-url URL (or libpq's PGHOST, PGDATABASE, ...);"
                    + " libpq's default failed: \(error.message)")
        }
        events.record(
            "connected",
            "connected to \(connection.endpointDescription) in \(Self.milliseconds(ContinuousClock.now - start))",
            ["endpoint": .string(connection.endpointDescription), "duration_ms": .milliseconds(ContinuousClock.now - start)])
        connection.noticeObserver = { [events] text in
            events.record("notice", "server says: " + Self.oneLine(text), ["text": .string(text)])
        }
        if events.isEnabled, logged {
            connection.statementObserver = { [events] event in
                let status = event.failed ? "failed after" : "\(event.rowCount) row(s) in"
                events.record(
                    "statement", "sql: \(Self.oneLine(event.sql)) -- \(status) \(Self.milliseconds(event.duration))",
                    [
                        "sql": .string(Self.oneLine(event.sql)), "duration_ms": .milliseconds(event.duration),
                        "rows": .int(event.rowCount), "failed": .bool(event.failed), "sqlstate": .string(event.sqlState),
                    ])
                if event.sqlState == SQLState.lockNotAvailable {
                    events.record(
                        "lock_wait", "a lock was not granted within lock_timeout (\(Self.milliseconds(event.duration)))",
                        ["duration_ms": .milliseconds(event.duration)])
                }
            }
        }
        let lockTimeout = options.lockTimeout ?? Self.defaultLockTimeout
        let statementTimeout = options.statementTimeout ?? (changesData ? Self.defaultStatementTimeout : nil)
        var timeouts = [(name: "lock_timeout", value: Self.postgresDuration(lockTimeout))]
        if let statementTimeout { timeouts.append(("statement_timeout", Self.postgresDuration(statementTimeout))) }
        if changesData {
            // A repair's statements are index-driven over one batch: a parallel plan's workers
            // cost more to start than they save (a batch's facts took 15.7 ms with two, 8.0
            // without, docs/benchmarks.md). A repair reads its selection through a cursor, to
            // the end: plan it for every row, not the first tenth.
            try connection.setSessionParameters(
                timeouts + [("max_parallel_workers_per_gather", "0"), ("cursor_tuple_fraction", "1")])
        } else {
            // a command that only reads sends them with its first statement, in one round trip
            connection.deferSessionParameters(timeouts)
        }
        return connection
    }

    /// The audit log (`--audit-log`, `HCCONNECT_AUDIT_LOG`), opened for appending before
    /// anything changes; nil when none is asked for.
    ///
    /// - Throws: ``CommandFailure`` (exit 74) when it cannot be opened.
    func openAuditLog() throws -> AuditLog? {
        try resolveHerokuTarget()
        return try AuditLog.open(options, environment: environment, commandLine: commandLine) { [weak self] in
            try? self?.database().query("SELECT current_user::text")[0].string(0)
        }
    }

    /// The libpq variables that say which server or database to use: with none of them and
    /// no URL, nothing was configured.
    static let libpqTargetVariables = ["PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE", "PGUSER", "PGSERVICE"]

    /// The trigger log store of the chosen schema, checked on first use.
    ///
    /// - Parameter checked: False for a command that only reads the log: its first
    ///   statement shows whether the schema is usable (and if not, the store says why),
    ///   which spares a fresh session a statement.
    /// - Parameter inspected: True for a command that needs the mapped tables (a retry, a
    ///   capture): the schema is checked and inspected in one statement.
    func triggerLog(checked: Bool = true, inspected: Bool = false) throws -> TriggerLogStore {
        if let store { return store }
        let connection = try database()
        let store: TriggerLogStore
        if inspected {
            let name = options.schema
            let schema = try executor.run("reading the schema") { try ConnectSchema.inspect(connection, schemaName: name) }
            store = TriggerLogStore(connection: connection, schema: schema, executor: executor)
            events.record(
                "schema", "schema \(options.schema): \(schema.mappedTables.count) mapped table(s)",
                ["schema": .string(options.schema), "mapped_tables": .int(schema.mappedTables.count)])
        } else if checked {
            store = try TriggerLogStore(connection: connection, schemaName: options.schema, executor: executor)
            events.record("schema", "schema \(options.schema): a Heroku Connect schema", ["schema": .string(options.schema)])
        } else {
            store = try TriggerLogStore(connection: connection, uncheckedSchemaName: options.schema, executor: executor)
        }
        // its mapped tables are read when a command first needs them
        store.schemaObserver = { [events, options] schema in
            events.record(
                "schema", "schema \(options.schema): \(schema.mappedTables.count) mapped table(s)",
                ["schema": .string(options.schema), "mapped_tables": .int(schema.mappedTables.count)])
        }
        self.store = store
        return store
    }

    /// Runs a unit of work under the retry policy (see ``RetryingExecutor/run(_:safety:isBulk:_:)``).
    func retrying<T>(
        _ operation: String, safety: RepeatSafety = .unlessCommitted, isBulk: Bool = false, _ body: () throws -> T
    ) throws -> T {
        try executor.run(operation, safety: safety, isBulk: isBulk, body)
    }

    /// Tells the person something on standard error (after what standard output holds);
    /// with `--log-format json`, as an event of kind `note`, so that every line there stays
    /// a JSON object for log shippers.
    func note(_ text: String) {
        if events.format == .json {
            events.always("note", level: "info", text)
            return
        }
        output.flush()
        if errors.isTerminal {
            // wider than the terminal: wrapped at spaces, under the line's own indent
            let indent = String(text.prefix { $0 == " " })
            for line in DisplayText.wrapped(
                String(text.dropFirst(indent.count)), width: errors.columns ?? 80, indent: indent,
                continuation: indent + "  ")
            {
                errors.line(line)
            }
        } else {
            errors.line(text)
        }
        errors.flush()
    }

    /// True when standard output's reader went away (a closed pipe): results can no longer
    /// be written there, and summaries go to standard error instead.
    var outputClosed: Bool { output.readerClosed }

    /// With --verbose, says what is happening on standard error (an event of kind `info`).
    func debug(_ text: @autoclosure () -> String) {
        events.record("info", text())
    }

    /// The operation name of connection attempts: retries that run out here mean the server
    /// was not reached (see ``FailureReport``).
    static let connecting = "connecting"

    /// Seconds to wait for the server to answer a connection attempt, unless told otherwise.
    static let defaultConnectTimeout = 10
    /// How long a statement waits for a lock unless `--lock-timeout` says otherwise: long
    /// enough for Heroku Connect's own short transactions, short enough that a cron job
    /// stuck behind a migration gives up (and retries) instead of hanging.
    static let defaultLockTimeout: Duration = .seconds(10)
    /// How long a statement of a command that changes data may run: a batch takes
    /// milliseconds, so one that runs for minutes is stuck.
    static let defaultStatementTimeout: Duration = .seconds(300)

    /// A duration as PostgreSQL's GUC text: whole milliseconds (`0` turns the timeout off).
    static func postgresDuration(_ duration: Duration) -> String {
        "\(duration.inWholeMilliseconds)ms"
    }

    static func milliseconds(_ duration: Duration) -> String {
        let milliseconds = duration.inMilliseconds
        return milliseconds < 10
            ? "\(Double(Int(milliseconds * 100)) / 100) ms" : "\(Int(milliseconds.rounded())) ms"
    }

    static func oneLine(_ sql: String) -> String {
        sql.split(whereSeparator: \.isNewline).map { $0.trimmingWhitespace() }.joined(separator: " ")
    }
}

/// Thrown by a listing when standard output's reader went away (`| head -1`): the listing
/// stops, and hcconnect exits 141 without a message, as a program killed by SIGPIPE would.
struct OutputClosed: Error {}
