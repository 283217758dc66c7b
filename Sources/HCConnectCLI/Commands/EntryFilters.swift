import HerokuConnect
import Postgres

/// The filter options shared by the listing commands, checked before anything connects.
struct EntryFilters {
    var source: TriggerLogQuery.Source = .all
    var states: [TriggerLogState] = []
    var tables: [String] = []
    var actions: [TriggerLogAction] = []
    var since: TimeBound?
    var until: TimeBound?
    var message: String?
    var codes: [String] = []
    var recordIDs: [Int] = []
    var sfids: [SalesforceID] = []
    var limit: Int?
    var all = false

    static let table = OptionSpec("table", .list("TABLE"), "Only entries of these mapped tables", usageValue: "T")
    static let source = OptionSpec(
        "in", .value("WHERE"), "live, archive or all (default all)",
        usageValue: TriggerLogQuery.Source.allCases.map(\.rawValue).joined(separator: "|"))
    static let state = OptionSpec("state", .list("STATE"), "Only entries in these states (NEW, FAILED, ...)", usageValue: "S")
    static let action = OptionSpec("action", .list("ACTION"), "Only INSERT, UPDATE or DELETE entries", usageValue: "A")
    static let since = OptionSpec("since", .value("TIME"), "Created at or after TIME: ISO 8601, or an age like 30m, 6h, 2d")
    static let until = OptionSpec("until", .value("TIME"), "Created before TIME: ISO 8601, or an age like 30m, 6h, 2d")
    static let message = OptionSpec("message", .value("TEXT"), "sf_message contains TEXT (ignoring case)")
    static let code = OptionSpec("code", .list("CODE"), "Only entries with these error codes, as errors shows them")
    static let recordID = OptionSpec(
        "record-id", .list("ID"), "Only entries for these record ids (the mapped table's id)", usageValue: "N")
    static let sfid = OptionSpec(
        "sfid", .list("SFID"), "Only entries with these Salesforce ids (15 or 18 characters)", usageValue: "ID")
    static let limit = OptionSpec("limit", .value("N"), "At most N entries")
    static let all = OptionSpec("all", .flag, "No limit, even on a terminal (which shows 100 by default)")

    /// The filters that choose entries: those of `failed` without its limits, and those a
    /// `--failed` selection of `retry` and `ignore` takes.
    static let selectionSpecs: [OptionSpec] = [table, source, action, since, until, message, code, recordID, sfid]
    /// The filters of `failed`.
    static let specs: [OptionSpec] = selectionSpecs + [limit, all]

    /// Reads and checks the filter options present in `arguments`.
    ///
    /// Options are read by name: a command's own `--limit`, `--all` or `--state` (errors',
    /// watch's) is read here as these are.
    ///
    /// - Throws: ``ArgumentError`` naming the option and value at fault.
    init(_ arguments: ParsedArguments) throws(ArgumentError) {
        if let location = arguments.value(Self.source) {
            guard let source = TriggerLogQuery.Source(rawValue: location.lowercased()) else {
                throw .invalidValue(option: Self.source.longForm, value: location, reason: "is not live, archive or all")
            }
            self.source = source
        }
        states = try arguments.list(Self.state).map { name throws(ArgumentError) in
            guard let state = TriggerLogState(userInput: name) else {
                let names = TriggerLogState.documented.map(\.rawValue)
                let close = closestMatches(to: name, among: names, limit: 1)
                throw .invalidValue(
                    option: Self.state.longForm, value: name,
                    reason: "is not a trigger log state" + didYouMean(Array(close.prefix(1)), quote: "'")
                        + " (states: " + names.joined(separator: ", ") + ")")
            }
            return state
        }
        tables = arguments.list(Self.table)
        actions = try arguments.list(Self.action).map { name throws(ArgumentError) in
            guard let action = TriggerLogAction(userInput: name) else {
                throw .invalidValue(option: Self.action.longForm, value: name, reason: "is not INSERT, UPDATE or DELETE")
            }
            return action
        }
        since = try Self.time(arguments, Self.since)
        until = try Self.time(arguments, Self.until)
        if case .ago(let start)? = since, case .ago(let end)? = until, start <= end {
            throw .invalidCombination(
                "\(Self.since.longForm) (\(arguments.value(Self.since)!)) is not before "
                    + "\(Self.until.longForm) (\(arguments.value(Self.until)!))")
        }
        if let message = arguments.value(Self.message) {
            guard !message.isEmpty else {
                throw .invalidValue(option: Self.message.longForm, value: message, reason: "is empty")
            }
            self.message = message
        }
        codes = try arguments.list(Self.code).map { text throws(ArgumentError) in try Self.errorCode(text) }
        recordIDs = try arguments.list(Self.recordID).map { text throws(ArgumentError) in
            try Self.positiveInteger(text, option: Self.recordID.longForm, noun: "record id")
        }
        sfids = try arguments.list(Self.sfid).map { text throws(ArgumentError) in try Self.salesforceID(text) }
        if let limit = arguments.value(Self.limit) {
            self.limit = try Self.positiveInteger(limit, option: Self.limit.longForm, noun: "limit")
        }
        all = arguments.flag(Self.all)
        if all, limit != nil { throw .conflictingOptions(Self.all.longForm, Self.limit.longForm) }
    }

    /// The filters applied to `query`, with table names resolved: mapped tables of the
    /// store's schema, or tables that have entries though they are not mapped (read only
    /// when --table names some).
    ///
    /// - Throws: ``HerokuConnectError/tableNotFound(table:schema:suggestions:)``.
    func applied(to query: TriggerLogQuery, store: TriggerLogStore) throws -> TriggerLogQuery {
        // a listing needs the tables' names only: the light catalog read
        try applied(to: query) { name, failedOnly in try store.loggedTableName(named: name, failedOnly: failedOnly) }
    }

    /// ``applied(to:store:)``, and the tables --table named with their mappings.
    func appliedWithTables(to query: TriggerLogQuery, store: TriggerLogStore) throws -> (query: TriggerLogQuery, tables: [LoggedTable]) {
        var named: [LoggedTable] = []
        let query = try applied(to: query) { name, failedOnly in
            let table = try store.loggedTable(named: name, failedOnly: failedOnly)
            named.append(table)
            return table.name
        }
        return (query, named)
    }

    /// The filters applied to `query`, each --table name resolved by `table` (given whether
    /// the query reads FAILED entries only).
    private func applied(
        to query: TriggerLogQuery, table: (String, Bool) throws -> String
    ) throws -> TriggerLogQuery {
        var query = query
        query.source = source
        if !states.isEmpty { query.states = states }
        if !tables.isEmpty {
            let failedOnly = query.states == [.failed]
            query.tables = try tables.map { try table($0, failedOnly) }
        }
        query.actions = actions
        query.createdSince = since
        query.createdUntil = until
        query.messageContains = message
        query.codes = codes
        query.recordIDs = recordIDs
        query.sfids = sfids
        return query
    }

    /// An error code as `errors` shows it (`DUPLICATE_VALUE`); typed in lower case, it is
    /// read in capitals, as Salesforce writes every code.
    static func errorCode(_ text: String) throws(ArgumentError) -> String {
        let code = text.uppercased()
        let scalars = Array(code.unicodeScalars)
        guard scalars.count >= 2, ("A"..."Z").contains(scalars[0]),
            scalars.allSatisfy({ ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_" })
        else {
            throw .invalidValue(
                option: Self.code.longForm, value: text,
                reason: "is not an error code (capitals, digits and _, as hcconnect errors shows them: DUPLICATE_VALUE)")
        }
        return code
    }

    private static func time(_ arguments: ParsedArguments, _ option: OptionSpec) throws(ArgumentError) -> TimeBound? {
        guard let text = arguments.value(option) else { return nil }
        guard let bound = TimeBound(parsing: text) else {
            throw .invalidValue(
                option: option.longForm, value: text,
                reason: "is not a time; use ISO 8601 (2026-11-24, 2026-11-24T10:00:00Z) or an age (30m, 6h, 2d, 1w)")
        }
        return bound
    }

    /// Parses a Salesforce id given to `--sfid` (15 or 18 characters, any case).
    static func salesforceID(_ text: String) throws(ArgumentError) -> SalesforceID {
        guard let sfid = SalesforceID(text) else {
            throw .invalidValue(
                option: Self.sfid.longForm, value: text, reason: "is not a Salesforce id (15 or 18 letters and digits)")
        }
        return sfid
    }

    /// Parses a positive integer that fits PostgreSQL's `integer`.
    static func positiveInteger(_ text: String, option: String, noun: String) throws(ArgumentError) -> Int {
        guard let value = Int(text), value > 0 else {
            throw .invalidValue(option: option, value: text, reason: "is not a \(noun) (a whole number above 0)")
        }
        guard value <= Int(Int32.max) else {
            throw .invalidValue(option: option, value: text, reason: "is too large for a \(noun) (at most \(Int32.max))")
        }
        return value
    }
}
