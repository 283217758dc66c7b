import HerokuAPI
import HerokuConnect

/// `hcconnect check`: compares the figures of `stats` with limits, for monitors and cron.
enum CheckCommand: Command {
    static let help = CommandHelp(
        name: "check",
        summary: "Check the backlog and the failures against limits: exit 0 when healthy, 1 when not",
        usage: [
            Usage(
                .optionals(options),
                .optional(GlobalOptions.format.shown(as: formats.map(\.rawValue).joined(separator: "|"))))
        ],
        description: """
            For monitors and cron. Loads the figures of 'hcconnect stats --brief' (in total, \
            or for the tables given with --table) and compares them with the limits given. \
            It reads only the backlog, the FAILED entries and the newest entries of each \
            log table, through the indexes every connection has: it costs the same on an \
            archive of 20 million entries as on one of 200,000, so it can run every minute. A figure \
            above its limit is a finding; a figure equal to its limit is healthy, so \
            --max-failed 0 allows no FAILED entry at all. Exits 0 when healthy and 1 when a \
            limit is crossed, writing one line per finding to standard output and nothing \
            else, so cron mails only when something is wrong; on a terminal the figures \
            follow on standard error. A backlog that is old rather than large is the sign \
            of a stuck sync: --max-backlog-age catches it (an entry waits since the later of \
            its created_at and updated_at, so an entry retried a minute ago has waited a \
            minute, whenever it was captured). Durations are a number and a \
            unit: 30s, 15m, 1h, 2d, 1w, or combined like 1h30m. Without any limit nothing \
            is checked and the exit status is 0: limits depend on each connection's \
            traffic, and no default would suit all, so none is guessed. That form is meant \
            for exporting the figures (--format prometheus or json); with the table format \
            it says on standard error that nothing was checked. --format json writes one \
            object (healthy, findings, figures, thresholds; ages in seconds); --format \
            prometheus writes the figures per table as gauges (the entries of the live log \
            in NEW, PENDING, REQUEUE and FAILED and of the archive in FAILED, the backlog, \
            the failures, their ages, the time since the last processing), and the check's \
            outcome, for node-exporter's textfile collector. With --app, the connection \
            itself is checked too, through the Connect API: a state of trouble \
            (SYSTEM_ERROR, DB_UNAVAILABLE, TOO_MANY_ROWS, UNAUTHORIZED, and PAUSED unless \
            --allow-paused) and more mappings in an error state than \
            --max-mappings-in-error (default 0) are findings, with the same exit status, \
            JSON (connection) and Prometheus gauges (hcconnect_connection_*).
            """,
        examples: [
            ("hcconnect check --max-failed 0 --max-backlog-age 15m",
             "any failure, or a backlog older than 15 minutes, exits 1"),
            ("hcconnect check --max-backlog 1000 --max-failed-age 1d || notify-team",
             "from cron: prints and exits 1 only when a limit is crossed"),
            ("hcconnect check --max-failed 100 --format prometheus > hc.prom.tmp; [ $? -le 1 ] && mv hc.prom.tmp hc.prom",
             "for node-exporter's textfile collector: exit 1 (a limit crossed) still wrote every metric"),
            ("hcconnect check --json --max-backlog-age 30m", "the outcome and the figures as one JSON object"),
            ("hcconnect check -a myapp --max-failed 0", "the log and the connection's state and mappings"),
        ])

    static let maxFailed = OptionSpec("max-failed", .value("N"), "At most N FAILED entries, live and archived")
    static let maxFailedAge = OptionSpec(
        "max-failed-age", .value("DUR"), "The oldest FAILED entry at most DUR old (30m, 6h, 2d, 1w)")
    static let maxBacklog = OptionSpec("max-backlog", .value("N"), "At most N entries waiting for Connect (the live log's NEW, PENDING and REQUEUE)")
    static let maxBacklogAge = OptionSpec(
        "max-backlog-age", .value("DUR"), "No backlog entry waiting longer than DUR (since capture or retry): catches a stuck sync")
    static let maxMappingsInError = OptionSpec(
        "max-mappings-in-error", .value("N"),
        "With --app: at most N of the connection's mappings in an error state (default 0)")
    static let allowPaused = OptionSpec(
        "allow-paused", .flag, "With --app: a PAUSED connection is not a finding")
    static let options: [OptionSpec] = [
        maxFailed, maxFailedAge, maxBacklog, maxBacklogAge, StatsCommand.table, maxMappingsInError, allowPaused,
    ]

    /// What `check --app` found wrong with the connection itself (the Connect API's view).
    struct ConnectionFinding: Equatable {
        /// `connection_state` or `max_mappings_in_error`.
        let check: String
        let message: String
    }

    /// The connection's state and its mappings in error, against the limits; nil without --app.
    static func connectionFindings(
        _ context: CommandContext
    ) throws -> (connection: HerokuConnection, app: String, findings: [ConnectionFinding])? {
        let limitText = context.arguments.value(maxMappingsInError)
        guard let app = context.herokuApp else {
            if limitText != nil || context.arguments.flag(allowPaused) {
                throw ArgumentError.invalidCombination(
                    "\(limitText != nil ? maxMappingsInError.longForm : allowPaused.longForm) checks a Heroku Connect connection: use it with --app")
            }
            return nil
        }
        var limit = 0
        if let limitText {
            guard let count = Int(limitText.trimmingWhitespace()), count >= 0 else {
                throw ArgumentError.invalidValue(
                    option: maxMappingsInError.longForm, value: limitText, reason: "is not a number of mappings (0 or more)")
            }
            limit = count
        }
        guard let connection = try context.herokuConnection() else { return nil }
        var findings: [ConnectionFinding] = []
        let state = connection.state ?? "unknown"
        if HerokuConnection.troubledStates.contains(state) || (state == "PAUSED" && !context.arguments.flag(allowPaused)) {
            findings.append(.init(check: "connection_state", message: "connection \(connection.resourceName) of \(app) is \(state)"))
        }
        let inError = connection.mappings.filter(\.isInError)
        if inError.count > limit {
            findings.append(
                .init(
                    check: "max_mappings_in_error",
                    message: "\(inError.count) mapping\(inError.count == 1 ? "" : "s") in error (limit \(limit)): "
                        + inError.map { "\($0.objectName) \($0.state)" }.joined(separator: ", ")))
        }
        return (connection, app, findings)
    }
    static let formats: [OutputFormat] = [.table, .json, .prometheus]

    /// The threshold each option sets.
    static let thresholdOptions: [(HealthThreshold, OptionSpec)] = [
        (.maxFailed, maxFailed), (.maxFailedAge, maxFailedAge), (.maxBacklog, maxBacklog),
        (.maxBacklogAge, maxBacklogAge),
    ]

    static func run(_ context: CommandContext) throws -> ExitStatus {
        try context.expectNoPositionals()
        let limits = try limits(context.arguments)
        let tables = context.arguments.list(StatsCommand.table)
        let store = try context.triggerLog()
        let start = ContinuousClock.now
        let statistics = try StatsCommand.actionableFigures(context, tables: tables)
        let duration = ContinuousClock.now - start
        let check = HealthCheck(figures: statistics.totals, limits: limits)
        let connection = try connectionFindings(context)
        let healthy = check.isHealthy && (connection?.findings.isEmpty ?? true)
        switch context.format {
        case .json:
            var object = json(check, statistics: statistics, schema: store.schemaName.name)
            if let connection {
                object.add("healthy_connection", connection.findings.isEmpty)
                var item = JSONObjectWriter()
                item.add("app", connection.app)
                item.add("resource_name", connection.connection.resourceName)
                item.add("state", connection.connection.state)
                item.add("mappings_in_error", connection.connection.mappings.filter(\.isInError).count)
                item.add("findings", raw: RepairReport.array(connection.findings.map { finding in
                    var entry = JSONObjectWriter()
                    entry.add("check", finding.check)
                    entry.add("message", finding.message)
                    return entry.finished()
                }))
                object.add("connection", raw: item.finished())
            }
            context.output.line(object.text)
        case .prometheus:
            context.output.write(
                prometheus(check, statistics: statistics, schema: store.schemaName.name, duration: duration))
            if let connection {
                var writer = PrometheusWriter()
                let labels = [("schema", store.schemaName.name), ("app", connection.app), ("resource", connection.connection.resourceName)]
                writer.gauge(
                    "hcconnect_connection_state", help: "1 for the state the Connect API reports for the connection.",
                    [.init(labels + [("state", connection.connection.state ?? "unknown")], 1)])
                writer.gauge(
                    "hcconnect_connection_mappings_in_error", help: "The connection's mappings in an error state.",
                    [.init(labels, Double(connection.connection.mappings.filter(\.isInError).count))])
                writer.gauge(
                    "hcconnect_connection_healthy", help: "1 when the connection's state and mappings pass the check, else 0.",
                    [.init(labels, connection.findings.isEmpty ? 1 : 0)])
                context.output.write(writer.text)
            }
        case .table, .csv, .ids:
            for finding in check.findings { context.output.line(CheckReport.message(finding)) }
            for finding in connection?.findings ?? [] { context.output.line(finding.message) }
            if limits.isEmpty, connection == nil {
                context.note(
                    "No limit given, so nothing was checked (use --max-failed, --max-failed-age, --max-backlog"
                        + " or --max-backlog-age); " + StatisticsReport.headline(statistics.totals))
            } else if context.errors.isTerminal {
                context.note((healthy ? "healthy: " : "") + StatisticsReport.headline(statistics.totals))
            }
        }
        return healthy ? .success : .negative
    }

    /// Reads the limits given on the command line.
    ///
    /// - Throws: ``ArgumentError`` naming the option whose value is not a count (0 or
    ///   more) or a duration above zero.
    static func limits(_ arguments: ParsedArguments) throws(ArgumentError) -> [HealthThreshold: Int] {
        var limits: [HealthThreshold: Int] = [:]
        for (threshold, option) in thresholdOptions {
            guard let text = arguments.value(option) else { continue }
            if threshold.isAge {
                guard let seconds = TimeBound.parseDuration(text.trimmingWhitespace()) else {
                    throw .invalidValue(
                        option: option.longForm, value: text,
                        reason: "is not a duration above zero;"
                            + " use a number and a unit: 30s, 15m, 6h, 2d, 1w (or 1h30m)")
                }
                limits[threshold] = seconds
            } else {
                guard let count = Int(text.trimmingWhitespace()), count >= 0 else {
                    throw .invalidValue(
                        option: option.longForm, value: text,
                        reason: "is not a number of entries (a whole number, 0 or more)")
                }
                limits[threshold] = count
            }
        }
        return limits
    }

    /// The outcome as one JSON object: schema, healthy, the findings, the total figures and
    /// the limits (null when not set; ages in seconds).
    static func json(_ check: HealthCheck, statistics: TriggerLogStatistics, schema: String) -> JSONObjectWriter {
        var object = JSONObjectWriter()
        object.add("schema", schema)
        object.add("measured_at", statistics.measuredAt)
        object.add("healthy", check.isHealthy)
        object.add("findings", raw: RepairReport.array(check.findings.map { finding in
            var item = JSONObjectWriter()
            item.add("check", finding.threshold.rawValue)
            item.add("figure", raw: Array(StatisticsReport.seconds(finding.figure).utf8))
            item.add("limit", finding.limit)
            item.add("message", CheckReport.message(finding))
            return item.finished()
        }))
        var figures = JSONObjectWriter()
        StatisticsReport.addFigures(check.figures, counts: false, to: &figures)
        object.add("figures", raw: figures.finished())
        var thresholds = JSONObjectWriter()
        for threshold in HealthThreshold.allCases { thresholds.add(threshold.rawValue, check.limits[threshold]) }
        object.add("thresholds", raw: thresholds.finished())
        return object
    }

    /// The figures per table, then the check's outcome, in the Prometheus text format.
    static func prometheus(
        _ check: HealthCheck, statistics: TriggerLogStatistics, schema: String, duration: Duration
    ) -> String {
        var writer = PrometheusWriter()
        StatisticsReport.writeMetrics(statistics, schema: schema, to: &writer)
        let given = HealthThreshold.allCases.filter { check.limits[$0] != nil }
        let crossed = Set(check.findings.map(\.threshold))
        func samples(_ value: (HealthThreshold) -> Double?) -> [PrometheusWriter.Sample] {
            given.compactMap { threshold in
                value(threshold).map { .init([("schema", schema), ("check", threshold.rawValue)], $0) }
            }
        }
        writer.gauge(
            "hcconnect_check_threshold", help: "The limit set for a check (entries, or seconds for ages).",
            samples { check.limits[$0].map(Double.init) })
        writer.gauge(
            "hcconnect_check_figure",
            help: "The figure a check compared with its limit (entries, or seconds for ages).",
            samples { $0.figure(of: check.figures) })
        writer.gauge(
            "hcconnect_check_threshold_crossed", help: "1 when the figure is above the limit, else 0.",
            samples { crossed.contains($0) ? 1 : 0 })
        writer.gauge(
            "hcconnect_check_healthy", help: "1 when no limit is crossed, else 0.",
            [.init([("schema", schema)], check.isHealthy ? 1 : 0)])
        writer.gauge(
            "hcconnect_check_duration_seconds", help: "Time taken to load the figures from the database.",
            [.init([("schema", schema)], duration.inSeconds)])
        return writer.text
    }
}
