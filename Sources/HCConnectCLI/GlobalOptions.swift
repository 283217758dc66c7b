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

    static let specs: [OptionSpec] = [
        OptionSpec("database-url", .value("URL"), "Database to connect to (else DATABASE_URL, else libpq's PG* variables)"),
        OptionSpec("schema", .value("NAME"), "Heroku Connect schema (else HEROKU_CONNECT_SCHEMA, else salesforce)"),
        OptionSpec("format", .value("FORMAT"), "Output format: table, json, csv, ids or prometheus (check)"),
        OptionSpec("json", .flag, "Same as --format json"),
        OptionSpec("no-color", .flag, "Do not colour the output (also NO_COLOR=1 or TERM=dumb)"),
        OptionSpec("verbose", .flag, "Say what is happening on standard error: connection, statements, timings"),
        OptionSpec("help", short: "h", .flag, "Show help"),
        OptionSpec("version", .flag, "Show hcconnect's version"),
    ]

    /// Reads the options, falling back to `DATABASE_URL` and `HEROKU_CONNECT_SCHEMA`.
    ///
    /// - Throws: ``ArgumentError`` for a bad format or an empty schema name.
    init(_ arguments: ParsedArguments, environment: [String: String]) throws(ArgumentError) {
        let url = arguments.value("database-url") ?? environment["DATABASE_URL"]
        databaseURL = (url?.isEmpty ?? true) ? nil : url
        if let schema = arguments.value("schema") {
            guard !schema.isEmpty else {
                throw .invalidValue(option: "--schema", value: schema, reason: "is empty; name a schema")
            }
            self.schema = schema
        } else if let schema = environment["HEROKU_CONNECT_SCHEMA"], !schema.isEmpty {
            self.schema = schema
        } else {
            schema = "salesforce"
        }
        if let name = arguments.value("format") {
            guard let format = OutputFormat(rawValue: name.lowercased()) else {
                throw .invalidValue(
                    option: "--format", value: name,
                    reason: "is not a format; use " + OutputFormat.allCases.map(\.rawValue).joined(separator: ", "))
            }
            if arguments.flag("json"), format != .json { throw .conflictingOptions("--json", "--format \(name)") }
            self.format = format
        } else {
            format = arguments.flag("json") ? .json : nil
        }
        noColor = arguments.flag("no-color")
        verbose = arguments.flag("verbose")
    }
}
