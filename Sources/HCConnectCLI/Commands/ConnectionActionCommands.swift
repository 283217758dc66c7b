import HerokuAPI

/// `hcconnect pause`, `resume`, `restart`: asks the Connect API to act on the app's connection.
enum PauseCommand: Command {
    static let help = ConnectionAction.help(
        .pause, summary: "Pause the app's Heroku Connect connection (only from IDLE)",
        description: """
            Pauses the connection of --app (or HEROKU_APP): Heroku Connect stops syncing; the \
            trigger log keeps capturing changes, which it writes when resumed. The Connect API \
            pauses only a connection that is IDLE.
            """)
    static let options = ConnectionAction.specs
    static let formats: [OutputFormat] = [.table, .json]
    static var changesData: Bool { true }
    static func run(_ context: CommandContext) throws -> ExitStatus { try ConnectionAction.run(context, .pause) }
}

enum ResumeCommand: Command {
    static let help = ConnectionAction.help(
        .resume, summary: "Resume the app's paused Heroku Connect connection",
        description: "Resumes the paused connection of --app (or HEROKU_APP); it writes what the log captured meanwhile.")
    static let options = ConnectionAction.specs
    static let formats: [OutputFormat] = [.table, .json]
    static var changesData: Bool { true }
    static func run(_ context: CommandContext) throws -> ExitStatus { try ConnectionAction.run(context, .resume) }
}

enum RestartCommand: Command {
    static let help = ConnectionAction.help(
        .restart, summary: "Restart the app's Heroku Connect connection (after an error)",
        description: """
            Restarts the connection of --app (or HEROKU_APP), as the Heroku CLI's connect:restart \
            (connect:recover) does: a connection in SYSTEM_ERROR or DB_UNAVAILABLE starts again.
            """)
    static let options = ConnectionAction.specs
    static let formats: [OutputFormat] = [.table, .json]
    static var changesData: Bool { true }
    static func run(_ context: CommandContext) throws -> ExitStatus { try ConnectionAction.run(context, .restart) }
}

/// `hcconnect reload MAPPING`: reloads one mapping's data from Salesforce.
enum ReloadCommand: Command {
    static let help = CommandHelp(
        name: "reload",
        summary: "Reload a mapping of the app's connection from Salesforce",
        usage: [Usage(.argument("MAPPING"), .optionals([RepairRequest.yes, RepairRequest.dryRun]))],
        description: """
            Asks the Connect API to reload the mapping of MAPPING (the Salesforce object, \
            Account, or its table, account; any case) in the connection of --app (or \
            HEROKU_APP): its table is truncated and filled again from Salesforce, as the Heroku \
            CLI's connect:mapping:reload does. Asks for confirmation on a terminal and needs \
            --yes otherwise; --dry-run says what would be reloaded. Exit 3 for an unknown \
            mapping (the mappings are listed), 1 when the API refuses.
            """,
        examples: [
            ("hcconnect reload Account -a myapp", "reload the Account mapping, after confirming"),
            ("hcconnect reload contact -a myapp --yes", "from a script"),
        ])
    static let options = ConnectionAction.specs
    static let formats: [OutputFormat] = [.table, .json]
    static var changesData: Bool { true }

    static func run(_ context: CommandContext) throws -> ExitStatus {
        guard let name = context.arguments.positionals.first else {
            throw ArgumentError.missingArgument("MAPPING (the Salesforce object, as hcconnect connection lists it)")
        }
        if let extra = context.arguments.positionals.dropFirst().first { throw ArgumentError.unexpectedArgument(extra) }
        try ConnectionAction.refuseWithoutTerminal(context, "reload")
        let (app, connection) = try ConnectionAction.target(context)
        let wanted = name.lowercased()
        guard let mapping = connection.mappings.first(where: { $0.objectName.lowercased() == wanted }) else {
            throw HerokuAPIError.unknownMapping(name: name, available: connection.mappings.map(\.objectName))
        }
        let what = "reload the mapping \(mapping.objectName) (\(mapping.state)) of connection \(connection.resourceName) of \(app)"
        return try ConnectionAction.confirmAndDo(context, what: what, action: "reload", app: app, connection: connection) {
            try context.herokuClient().reload(mapping, of: connection)
        }
    }
}

/// What the connection's actions share: the target, the one confirmation rule, the report.
enum ConnectionAction {
    static let specs = [RepairRequest.yes, RepairRequest.dryRun]

    static func help(_ action: HerokuAPIClient.Action, summary: String, description: String) -> CommandHelp {
        CommandHelp(
            name: action.rawValue, summary: summary, usage: [Usage(.optionals(specs))],
            description: description
                + " Asks for confirmation on a terminal and needs --yes otherwise; --dry-run says what it would do."
                + " Exit 1 when the API refuses (its message is shown), 77 without a valid Heroku API token.",
            examples: [
                ("hcconnect \(action.rawValue) -a myapp", "\(action.rawValue) the connection of myapp, after confirming"),
                ("hcconnect \(action.rawValue) -a myapp --yes", "from a script"),
            ])
    }

    /// The app and its connection (exactly one).
    static func target(_ context: CommandContext) throws -> (app: String, connection: HerokuConnection) {
        guard let app = context.herokuApp else {
            throw ArgumentError.missingArgument("--app APP (or HEROKU_APP): the app whose connection to act on")
        }
        guard let connection = try context.herokuConnection() else { throw HerokuAPIError.noConnection(app: app, resource: nil, available: []) }
        return (app, connection)
    }

    static func run(_ context: CommandContext, _ action: HerokuAPIClient.Action) throws -> ExitStatus {
        try context.expectNoPositionals()
        try refuseWithoutTerminal(context, action.rawValue)
        let (app, connection) = try target(context)
        let what = "\(action.rawValue) connection \(connection.resourceName) of \(app) (now \(connection.state ?? "in an unknown state"))"
        return try confirmAndDo(context, what: what, action: action.rawValue, app: app, connection: connection) {
            try context.herokuClient().perform(action, on: connection)
        }
    }

    /// Without a terminal to ask at and without --yes, the refusal comes before anything is
    /// asked of the API.
    static func refuseWithoutTerminal(_ context: CommandContext, _ action: String) throws {
        let dryRun = context.arguments.flag(RepairRequest.dryRun)
        let decision = Confirmation.decision(context, isSelection: true, dryRun: dryRun, yes: context.arguments.flag(RepairRequest.yes))
        if decision == .refuse {
            throw Confirmation.refusal("\(action) -a \(context.herokuApp ?? "APP")", changes: "the Heroku Connect connection")
        }
    }

    /// The one rule for commands that change things (``Confirmation``): ask on a terminal,
    /// refuse without one unless --yes; --dry-run only says.
    static func confirmAndDo(
        _ context: CommandContext, what: String, action: String, app: String, connection: HerokuConnection,
        _ body: () throws -> Void
    ) throws -> ExitStatus {
        let dryRun = context.arguments.flag(RepairRequest.dryRun)
        let decision = Confirmation.decision(context, isSelection: true, dryRun: dryRun, yes: context.arguments.flag(RepairRequest.yes))
        if decision == .refuse { throw Confirmation.refusal("\(action) -a \(app)", changes: "the Heroku Connect connection") }
        if dryRun {
            report(context, done: false, text: "would " + what, action: action, app: app, connection: connection)
            return .success
        }
        if decision == .ask {
            try Confirmation.ask(context, lines: ["hcconnect: about to " + what + "."], question: "Go ahead?")
        }
        try body()
        report(context, done: true, text: "asked the Connect API to " + what, action: action, app: app, connection: connection)
        return .success
    }

    private static func report(
        _ context: CommandContext, done: Bool, text: String, action: String, app: String, connection: HerokuConnection
    ) {
        if context.format == .json {
            var object = JSONObjectWriter()
            object.add("command", action)
            object.add("app", app)
            object.add("resource_name", connection.resourceName)
            object.add("state_before", connection.state)
            object.add("dry_run", !done)
            object.add("completed", done)
            context.output.line(object.text)
        } else {
            context.note(text + (done ? "; hcconnect connection shows its state" : " (dry run: nothing asked)"))
        }
    }
}
