import HerokuConnect
import Postgres

/// The options every command accepts, and how they fall back to the environment.
struct GlobalOptions {
    /// The URL or libpq string to connect with; nil leaves everything to libpq's `PG*`
    /// variables and defaults.
    var databaseURL: String?
    /// The Heroku Connect schema.
    var schema: String
    /// The output format; nil when not given (each command's default applies).
    var format: OutputFormat?
    var noColor: Bool
    var verbose: Bool
    /// `--log-format`: the event log's lines as text or JSON.
    var logFormat: EventLog.Format
    /// `--retries N`: the retry policy for transient database errors.
    var retryPolicy: RetryPolicy
    /// `--lock-timeout`: nil for the command's default; zero for none.
    var lockTimeout: Duration?
    /// `--statement-timeout`: nil for the command's default; zero for none.
    var statementTimeout: Duration?
    /// `--audit-log FILE`, else `HCCONNECT_AUDIT_LOG`: where commands that change entries
    /// append a line per committed batch; nil for none.
    var auditLog: String?
    /// `--no-pager`: help and listings straight to the terminal.
    var noPager: Bool
    /// `--app` (repeatable), else `HEROKU_APP` when no database is given: the Heroku apps whose
    /// Connect connection to work on. Their database and schema come from the Heroku APIs
    /// (``CommandContext/resolveHerokuTarget()``) unless `--database-url`/`--schema` say.
    var apps: [String] = []
    /// `--resource`: which of an app's connections, when it has several.
    var resource: String?
    /// `--all-schemas`: every Heroku Connect schema of the database (read and monitoring
    /// commands, ``MultiTargetRun``).
    var allSchemas = false
    /// Whether `--database-url` was given (it wins over `--app`).
    var databaseURLGiven = false
    /// Whether `--schema` was given (it wins over the app's connection).
    var schemaGiven = false

    static let databaseURL = OptionSpec(
        "database-url", .value("URL"), "Database to connect to (else DATABASE_URL, else libpq's PG* variables)")
    static let schema = OptionSpec(
        "schema", .value("NAME"), "Heroku Connect schema (else HEROKU_CONNECT_SCHEMA, else salesforce)")
    static let format = OptionSpec("format", .value("FORMAT"), "Output format: table, json, csv, ids or prometheus (check)")
    static let json = OptionSpec("json", .flag, "Same as --format json")
    static let noColor = OptionSpec("no-color", .flag, "Do not colour the output (also NO_COLOR=1 or TERM=dumb)")
    static let verbose = OptionSpec(
        "verbose", .flag, "Log events on standard error: connection, statements, timings, retries, batches")
    static let logFormat = OptionSpec("log-format", .value("FORMAT"), "Event log lines as text (default) or json")
    static let retries = OptionSpec(
        "retries", .value("N"), "Retry transient database errors at most N times (default: for 2 minutes; 0: never)")
    static let auditLog = OptionSpec(
        "audit-log", .value("FILE"), "Append a JSON line per committed batch of changes to FILE (else HCCONNECT_AUDIT_LOG)")
    static let lockTimeout = OptionSpec(
        "lock-timeout", .value("DURATION"), "Give up waiting for a lock after DURATION (default 10s; 0: wait)")
    static let statementTimeout = OptionSpec(
        "statement-timeout", .value("DURATION"),
        "Cancel a statement after DURATION (default 5min for changes, none for reads; 0: none)")
    static let noPager = OptionSpec(
        "no-pager", .flag, "Do not page help and listings on a terminal (else HCCONNECT_PAGER, PAGER, less -FRX)")
    static let app = OptionSpec(
        "app", short: "a", .list("APP"),
        "Heroku app whose Connect connection to use (else HEROKU_APP): its database, schema and write mode")
    static let resource = OptionSpec(
        "resource", .value("NAME"), "Which of the app's Connect connections (its add-on resource name), when it has several")
    static let allSchemas = OptionSpec(
        "all-schemas", .flag,
        "Every Heroku Connect schema of the database, one after another (stats, check, errors, failed, tables, connection)")
    static let help = OptionSpec("help", short: "h", .flag, "Show help")
    static let version = OptionSpec("version", .flag, "Show hcconnect's version")

    /// The global options, in the order help lists them.
    static let specs: [OptionSpec] = [
        databaseURL, schema, app, resource, allSchemas, format, json, noColor, verbose, logFormat, retries,
        auditLog, lockTimeout, statementTimeout, noPager, help, version,
    ]

    /// Reads the options, falling back to `DATABASE_URL` and `HEROKU_CONNECT_SCHEMA`.
    ///
    /// - Throws: ``ArgumentError`` for a bad format or an empty schema name.
    init(_ arguments: ParsedArguments, environment: [String: String]) throws(ArgumentError) {
        // --database-url, then --app, then DATABASE_URL, then HEROKU_APP: what is typed wins
        // over the environment, and a database named outright over an app
        let given = arguments.value(Self.databaseURL)
        databaseURLGiven = !(given?.isEmpty ?? true)
        apps = try arguments.list(Self.app).map { name throws(ArgumentError) in try Self.appName(name) }
        let environmentURL = environment["DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
        if apps.isEmpty, !databaseURLGiven, environmentURL == nil, let name = environment["HEROKU_APP"], !name.isEmpty {
            apps = [try Self.appName(name, option: "HEROKU_APP")]
        }
        let url = given ?? (apps.isEmpty ? environmentURL : nil)
        databaseURL = (url?.isEmpty ?? true) ? nil : url
        allSchemas = arguments.flag(Self.allSchemas)
        if allSchemas, arguments.value(Self.schema) != nil {
            throw .conflictingOptions(Self.allSchemas.longForm, Self.schema.longForm)
        }
        if let name = arguments.value(Self.resource) {
            guard !name.isEmpty else { throw .invalidValue(option: Self.resource.longForm, value: name, reason: "is empty") }
            guard !apps.isEmpty else {
                throw .invalidCombination("\(Self.resource.longForm) chooses among an app's connections: use it with --app")
            }
            resource = name
        }
        if let url = databaseURL, let scheme = Self.foreignScheme(url) {
            // named without the rest, which may hold a password
            throw .invalidCombination(
                "\(arguments.value(Self.databaseURL) != nil ? Self.databaseURL.longForm : "DATABASE_URL") is not a PostgreSQL URL"
                    + " (its scheme is '\(ArgumentError.printable(scheme))'); use postgres://USER:PASSWORD@HOST:PORT/DATABASE")
        }
        if let schema = arguments.value(Self.schema) {
            guard !schema.isEmpty else {
                throw .invalidValue(option: Self.schema.longForm, value: schema, reason: "is empty; name a schema")
            }
            self.schema = schema
            schemaGiven = true
        } else if let schema = environment["HEROKU_CONNECT_SCHEMA"], !schema.isEmpty {
            self.schema = schema
        } else {
            schema = "salesforce"
        }
        if let name = arguments.value(Self.format) {
            guard let format = OutputFormat(rawValue: name.lowercased()) else {
                throw .invalidValue(
                    option: Self.format.longForm, value: name,
                    reason: "is not a format; use " + OutputFormat.allCases.map(\.rawValue).joined(separator: ", "))
            }
            if arguments.flag(Self.json), format != .json {
                throw .conflictingOptions(Self.json.longForm, "\(Self.format.longForm) \(name)")
            }
            self.format = format
        } else {
            format = arguments.flag(Self.json) ? .json : nil
        }
        noColor = arguments.flag(Self.noColor)
        noPager = arguments.flag(Self.noPager)
        verbose = arguments.flag(Self.verbose)
        if let name = arguments.value(Self.logFormat) {
            guard let format = EventLog.Format(rawValue: name.lowercased()) else {
                throw .invalidValue(option: Self.logFormat.longForm, value: name, reason: "is not a log format; use text or json")
            }
            logFormat = format
        } else {
            logFormat = .text
        }
        if let path = arguments.value(Self.auditLog) {
            guard !path.isEmpty else {
                throw .invalidValue(option: Self.auditLog.longForm, value: path, reason: "is empty; name a file")
            }
            auditLog = path
        } else if let path = environment["HCCONNECT_AUDIT_LOG"], !path.isEmpty {
            auditLog = path
        }
        retryPolicy = .standard
        if let text = arguments.value(Self.retries) {
            guard let retries = Int(text), retries >= 0, retries <= 100 else {
                throw .invalidValue(
                    option: Self.retries.longForm, value: text, reason: "is not a number of retries from 0 to 100")
            }
            retryPolicy = retryPolicy.limited(to: retries)
        }
        lockTimeout = nil
        statementTimeout = nil
        if let text = arguments.value(Self.lockTimeout) {
            lockTimeout = try Self.timeout(text, option: Self.lockTimeout.longForm)
        }
        if let text = arguments.value(Self.statementTimeout) {
            statementTimeout = try Self.timeout(text, option: Self.statementTimeout.longForm)
        }
    }

    /// A Heroku app name as the Platform API takes it: lower-case letters, digits and dashes,
    /// starting with a letter, 3 to 30 characters (an app's UUID is taken too).
    static func appName(_ text: String, option: String = "--app") throws(ArgumentError) -> String {
        let name = text.trimmingWhitespace()
        let scalars = Array(name.unicodeScalars)
        let isUUID = scalars.count == 36 && scalars.allSatisfy { ("0"..."9").contains($0) || ("a"..."f").contains($0) || $0 == "-" }
        guard isUUID || (scalars.count >= 3 && scalars.count <= 30 && ("a"..."z").contains(scalars[0])
            && scalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }))
        else {
            throw .invalidValue(
                option: option, value: text, reason: "is not a Heroku app name (lower-case letters, digits and dashes)")
        }
        return name
    }

    /// The scheme of a URL that is not PostgreSQL's (`http` in `http://host/db`); nil for a
    /// `postgres://` or `postgresql://` URL, a keyword string or a database name.
    static func foreignScheme(_ text: String) -> String? {
        // the scheme is what comes before the first ':', when '//' follows it
        let trimmed = text.trimmingWhitespace()
        guard let colon = trimmed.firstIndex(of: ":"), trimmed[colon...].hasPrefix("://") else { return nil }
        let scheme = trimmed[..<colon]
        guard let first = scheme.unicodeScalars.first, ("a"..."z").contains(first) || ("A"..."Z").contains(first),
            scheme.unicodeScalars.allSatisfy({
                ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || "+-.".unicodeScalars.contains($0)
            })
        else { return nil }
        return scheme == "postgres" || scheme == "postgresql" ? nil : String(scheme)
    }

    /// Parses a timeout: `0` (none, also `0s`...), or a whole number with a unit: `ms`, `s`
    /// (or `sec`), `min` (or `m`), `h` — `500ms`, `10s`, `5min`. A bare number is refused: PostgreSQL would read
    /// it as milliseconds, people as seconds.
    static func timeout(_ text: String, option: String) throws(ArgumentError) -> Duration {
        // (PostgreSQL's timeouts are whole milliseconds up to Int32.max)
        if text.trimmingWhitespace() == "0" { return .zero }
        guard let milliseconds = DurationText.timeouts.milliseconds(text, maximum: Int64(Int32.max)) else {
            throw .invalidValue(
                option: option, value: text, reason: "is not a timeout; use 0 or a number with ms, s, min or h (e.g. 10s)")
        }
        return .milliseconds(milliseconds)
    }
}
