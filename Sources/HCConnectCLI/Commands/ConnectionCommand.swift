import HerokuAPI

/// `hcconnect connection`: the app's Heroku Connect connection as the Connect API reports it.
enum ConnectionCommand: Command {
    static let help = CommandHelp(
        name: "connection",
        summary: "Show the app's Heroku Connect connection: state, write mode, mappings, notifications",
        usage: [Usage(.optionals([GlobalOptions.app, GlobalOptions.resource]))],
        description: """
            Asks the Heroku Connect API (with --app or HEROKU_APP, and a token in \
            HEROKU_API_KEY or ~/.netrc) for the app's connection: its state (IDLE, \
            POLLING_DB_CHANGES, PAUSED, SYSTEM_ERROR, DB_UNAVAILABLE, ...), schema, the config \
            var that holds its database, its write mode (ordered when its features say \
            poll_db_no_merge), each mapping's state, counts (rows in the database and in \
            Salesforce, changes pending, errors) and last poll and write times, and the \
            notifications nobody acknowledged, and the writes that failed in the last 24 \
            hours (each names its trigger log entry, for show). An app with several connections needs \
            --resource NAME. With --format json one object; with csv one line per mapping. \
            Reads only: the database is not opened.
            """,
        examples: [
            ("hcconnect connection -a myapp", "the connection of myapp, its mappings and notifications"),
            ("hcconnect connection -a myapp --resource herokuconnect-shape-12345", "one of several connections"),
            ("hcconnect connection -a myapp --json | jq .state", "just the state, for a script"),
        ])

    static let options: [OptionSpec] = []
    static let formats: [OutputFormat] = [.table, .json, .csv]

    static func run(_ context: CommandContext) throws -> ExitStatus {
        try context.expectNoPositionals()
        guard let app = context.herokuApp else {
            throw ArgumentError.missingArgument("--app APP (or HEROKU_APP): the app whose connection to show")
        }
        let client = try context.herokuClient()
        guard let connection = try context.herokuConnection() else { return .success }
        let notifications = try client.notifications(connection)
        let writeErrors = context.format == .csv ? [] : try client.writeErrors(connection)
        switch context.format {
        case .json:
            var object = json(connection, app: app, notifications: notifications)
            object.add("write_errors", raw: RepairReport.array(writeErrors.map { error in
                var item = JSONObjectWriter()
                item.add("id", error.id)
                item.add("table_name", error.tableName)
                item.add("record_id", error.recordID)
                item.add("message", error.message)
                item.add("created_at", error.createdAt)
                return item.finished()
            }))
            context.output.line(object.text)
        case .csv:
            context.output.write(bytes: CSVWriter.line(csvHeader))
            for mapping in connection.mappings { context.output.write(bytes: CSVWriter.line(csvFields(connection, mapping, app: app))) }
        default:
            context.output.write(
                text(connection, app: app, notifications: notifications, style: context.style, width: context.output.tableWidth))
            context.output.write(writeErrorsText(writeErrors, style: context.style))
        }
        return .success
    }

    /// The write mode the connection's features say.
    static func writeMode(_ connection: HerokuConnection) -> String {
        connection.orderedWrites == true ? "ordered" : "merged"
    }

    static func text(
        _ connection: HerokuConnection, app: String, notifications: [HerokuNotification], style: TextStyle, width: Int?
    ) -> String {
        let state = connection.state ?? "unknown"
        let stateText = HerokuConnection.troubledStates.contains(state) ? style.red(state) : state == "PAUSED" ? style.yellow(state) : style.green(state)
        var text = style.bold("Connection \(connection.resourceName)") + (connection.name.map { " (\($0))" } ?? "") + " of \(app)\n"
        text += "  state       \(stateText)\n"
        text += "  schema      \(connection.schemaName ?? "-")    database in \(connection.dbKey ?? "-")\n"
        text += "  write mode  \(writeMode(connection))" + style.dim("  (features.poll_db_no_merge \(connection.orderedWrites == true))") + "\n"
        text += "  id          \(connection.id)\n\n"
        if connection.mappings.isEmpty {
            text += style.dim("  No mappings.") + "\n"
        } else {
            var table = TextTable(
                columns: [
                    .init(title: "MAPPING"), .init(title: "STATE"), .init(title: "DB", alignRight: true),
                    .init(title: "SF", alignRight: true), .init(title: "PENDING", alignRight: true),
                    .init(title: "ERRORS", alignRight: true), .init(title: "SF POLL"), .init(title: "SF WRITE"),
                ],
                fitSteps: [.drop("SF POLL"), .drop("SF WRITE")], lastMinimum: 8)
            for mapping in connection.mappings {
                let count = { (value: Int?) in value.map { ReadableFigure.count($0) } ?? "-" }
                table.append([
                    TextTable.Cell(mapping.objectName),
                    TextTable.Cell(mapping.state, style: { mapping.isInError ? style.red($0) : $0 }),
                    TextTable.Cell(count(mapping.counts.database)), TextTable.Cell(count(mapping.counts.salesforce)),
                    TextTable.Cell(count(mapping.counts.pending)),
                    TextTable.Cell(count(mapping.counts.errors), style: { (mapping.counts.errors ?? 0) > 0 ? style.red($0) : $0 }),
                    TextTable.Cell(shortTime(mapping.times.salesforcePoll)), TextTable.Cell(shortTime(mapping.times.salesforceWrite)),
                ])
            }
            text += table.render(header: true, maxWidth: width, style: style)
        }
        if notifications.isEmpty {
            text += "\n" + style.dim("No unacknowledged notifications.") + "\n"
        } else {
            text += "\n" + style.bold("\(notifications.count) unacknowledged notification\(notifications.count == 1 ? "" : "s")") + "\n"
            for notification in notifications {
                text += "  \(shortTime(notification.createdAt))  \(notification.eventType)  "
                    + DisplayText.sanitized(notification.message) + "\n"
            }
        }
        return text
    }

    /// The failed writes of the last 24 hours, the newest 5 listed: each names the trigger
    /// log entry (`hcconnect show ID`).
    static func writeErrorsText(_ errors: [HerokuWriteError], style: TextStyle) -> String {
        guard !errors.isEmpty else { return style.dim("No write errors in the last 24 hours.") + "\n" }
        var text = style.bold("\(errors.count) write error\(errors.count == 1 ? "" : "s") in the last 24 hours")
            + style.dim("  (hcconnect show ID)") + "\n"
        for error in errors.prefix(5) {
            text += "  \(shortTime(error.createdAt))  \(DisplayText.sanitized(error.id))  "
                + DisplayText.sanitized(error.tableName) + " " + DisplayText.sanitized(error.recordID) + "  "
                + DisplayText.sanitized(error.message) + "\n"
        }
        if errors.count > 5 { text += style.dim("  … and \(errors.count - 5) more (--json lists them all)") + "\n" }
        return text
    }

    /// `2025-07-16 20:12` from Connect's times (ISO 8601, `T` or a space between).
    static func shortTime(_ text: String?) -> String {
        guard let text, text.count >= 16 else { return text ?? "-" }
        return String(text.prefix(10)) + " " + String(text.dropFirst(11).prefix(5))
    }

    static func json(_ connection: HerokuConnection, app: String, notifications: [HerokuNotification]) -> JSONObjectWriter {
        var object = JSONObjectWriter()
        object.add("app", app)
        object.add("id", connection.id)
        object.add("resource_name", connection.resourceName)
        object.add("name", connection.name)
        object.add("state", connection.state)
        object.add("schema", connection.schemaName)
        object.add("db_key", connection.dbKey)
        object.add("write_mode", writeMode(connection))
        object.add("mappings", raw: RepairReport.array(connection.mappings.map { mapping in
            var item = JSONObjectWriter()
            item.add("id", mapping.id)
            item.add("object_name", mapping.objectName)
            item.add("state", mapping.state)
            item.add("db", mapping.counts.database)
            item.add("sf", mapping.counts.salesforce)
            item.add("pending", mapping.counts.pending)
            item.add("errors", mapping.counts.errors)
            item.add("sf_poll", mapping.times.salesforcePoll)
            item.add("sf_write", mapping.times.salesforceWrite)
            item.add("db_poll", mapping.times.databasePoll)
            item.add("db_write", mapping.times.databaseWrite)
            item.add("actively_writing", mapping.activelyWriting)
            return item.finished()
        }))
        object.add("notifications", raw: RepairReport.array(notifications.map { notification in
            var item = JSONObjectWriter()
            item.add("id", notification.id)
            item.add("event_type", notification.eventType)
            item.add("message", notification.message)
            item.add("created_at", notification.createdAt)
            return item.finished()
        }))
        return object
    }

    static let csvHeader: [String?] = [
        "app", "resource_name", "connection_state", "write_mode", "mapping", "state", "db", "sf", "pending", "errors",
        "sf_poll", "sf_write", "db_poll", "db_write",
    ]

    static func csvFields(_ connection: HerokuConnection, _ mapping: HerokuMapping, app: String) -> [String?] {
        [
            app, connection.resourceName, connection.state, writeMode(connection), mapping.objectName, mapping.state,
            mapping.counts.database.map(String.init), mapping.counts.salesforce.map(String.init),
            mapping.counts.pending.map(String.init), mapping.counts.errors.map(String.init), mapping.times.salesforcePoll,
            mapping.times.salesforceWrite, mapping.times.databasePoll, mapping.times.databaseWrite,
        ]
    }
}
