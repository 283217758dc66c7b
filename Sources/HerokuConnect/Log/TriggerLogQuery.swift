import Postgres

/// A selection of trigger log entries: which tables to read (live, archive or both),
/// filters, order and limit. A value type; each method returns a refined copy:
///
/// ```swift
/// let query = TriggerLogQuery.failed().tables(["account"]).since(.ago(seconds: 86_400)).limit(50)
/// ```
///
/// Every filter value becomes a statement parameter. The filters are written so that the
/// log's indexes serve them: `state` and `table_name` match the partial indexes, time
/// bounds and ordering use `created_at`, and a limit is pushed into each table's branch.
public struct TriggerLogQuery: Sendable, Equatable {
    /// Which of the two tables to read.
    public enum Source: String, Sendable, CaseIterable {
        case live, archive, all

        /// The tables this source covers.
        public var locations: [TriggerLogLocation] {
            switch self {
            case .live: [.live]
            case .archive: [.archive]
            case .all: [.live, .archive]
            }
        }
    }

    /// The order of the entries.
    public enum Order: Sendable, Equatable {
        /// By `created_at`, newest first (ties by id, highest first).
        case newestFirst
        /// By `created_at`, oldest first: a record's history (ties by id).
        case oldestFirst
        /// By id, lowest first.
        case idAscending
    }

    /// An entry's place in the time orders: its `created_at` (nil when it has none) and id.
    /// A page of entries ends at one; the next page is the entries ``after(_:)`` it.
    public struct Position: Sendable, Equatable {
        public var createdAt: PostgresTimestamp?
        public var id: Int

        public init(createdAt: PostgresTimestamp?, id: Int) {
            self.createdAt = createdAt
            self.id = id
        }

        /// The place of `entry`.
        public init(_ entry: TriggerLogEntry) {
            self.init(createdAt: entry.createdAt, id: entry.id)
        }
    }

    /// A mapped record: table name and record id.
    public typealias RecordKey = HerokuConnect.RecordKey

    public var source: Source = .all
    /// Entries in any of these states; empty means any state.
    public var states: [TriggerLogState] = []
    /// Entries of any of these tables; empty means any table.
    public var tables: [String] = []
    /// Entries with any of these actions; empty means any action.
    public var actions: [TriggerLogAction] = []
    /// Entries created at or after this time.
    public var createdSince: TimeBound?
    /// Entries created before this time.
    public var createdUntil: TimeBound?
    /// Entries whose `sf_message` contains this text, ignoring case.
    public var messageContains: String?
    /// Entries whose `sf_message` matches one of these PostgreSQL regular expressions (`~`).
    public var messagePatterns: [String] = []
    /// Entries whose error code (``SalesforceErrorMessage/code``, as `errors` groups them)
    /// is one of these.
    public var codes: [String] = []
    /// Read each entry's ``TriggerLogEntry/attempts`` too (two index lookups per entry).
    public var withAttempts = false
    /// Entries for any of these record ids.
    public var recordIDs: [Int] = []
    /// Entries with any of these sfids.
    public var sfids: [SalesforceID] = []
    /// Entries with any of these log ids.
    public var ids: [Int] = []
    /// Entries for this record (same `table_name` and `record_id`).
    public var record: RecordKey?
    /// Entries whose id is not among these.
    public var excludedIDs: [Int] = []
    /// Entries with an id greater than this.
    public var afterID: Int?
    /// Entries with an id at most this.
    public var throughID: Int?
    public var order: Order = .newestFirst
    /// Only entries that come after this place in ``order``: the next keyset page.
    public var after: Position?
    /// At most this many entries.
    public var limit: Int?

    /// All entries of both tables, newest first.
    public init() {}

    /// FAILED entries, live and archive, newest first.
    public static func failed() -> TriggerLogQuery {
        TriggerLogQuery().states([.failed])
    }

    /// Every entry for the same record as `entry` (same `table_name` and `record_id`), live
    /// and archive, oldest first: the record's sync history, `entry` included. An entry
    /// without a table or record id is related only to itself.
    public static func relatedTo(_ entry: TriggerLogEntry) -> TriggerLogQuery {
        var query = TriggerLogQuery()
        query.order = .oldestFirst
        if let tableName = entry.tableName, let recordID = entry.recordID {
            query.record = RecordKey(tableName: tableName, recordID: recordID)
        } else {
            query.ids = [entry.id]
        }
        return query
    }

    /// The history of one record, oldest first, live and archive.
    public static func history(table: String, recordID: Int) -> TriggerLogQuery {
        var query = TriggerLogQuery()
        query.order = .oldestFirst
        query.record = RecordKey(tableName: table, recordID: recordID)
        return query
    }

    // MARK: - Refinements

    public func source(_ source: Source) -> Self { with { $0.source = source } }
    public func states(_ states: [TriggerLogState]) -> Self { with { $0.states = states } }
    public func tables(_ tables: [String]) -> Self { with { $0.tables = tables } }
    public func actions(_ actions: [TriggerLogAction]) -> Self { with { $0.actions = actions } }
    public func since(_ bound: TimeBound?) -> Self { with { $0.createdSince = bound } }
    public func until(_ bound: TimeBound?) -> Self { with { $0.createdUntil = bound } }
    public func message(containing text: String?) -> Self { with { $0.messageContains = text } }
    public func message(matchingAnyOf patterns: [String]) -> Self { with { $0.messagePatterns = patterns } }
    public func codes(_ codes: [String]) -> Self { with { $0.codes = codes } }
    public func attempts(_ read: Bool = true) -> Self { with { $0.withAttempts = read } }
    public func recordIDs(_ ids: [Int]) -> Self { with { $0.recordIDs = ids } }
    public func sfids(_ sfids: [SalesforceID]) -> Self { with { $0.sfids = sfids } }
    public func ids(_ ids: [Int]) -> Self { with { $0.ids = ids } }
    public func excluding(ids: [Int]) -> Self { with { $0.excludedIDs = ids } }
    /// Entries with `after < id <= through` (either bound may be nil).
    public func ids(after: Int?, through: Int?) -> Self {
        with {
            $0.afterID = after
            $0.throughID = through
        }
    }
    public func ordered(_ order: Order) -> Self { with { $0.order = order } }
    /// The entries after `position` in the query's order (keyset paging: each page costs
    /// what it reads, however deep it is).
    public func after(_ position: Position?) -> Self { with { $0.after = position } }
    public func limit(_ limit: Int?) -> Self { with { $0.limit = limit } }

    private func with(_ change: (inout Self) -> Void) -> Self {
        var copy = self
        change(&copy)
        return copy
    }

    // MARK: - SQL

    /// The statement that selects the entries, with its parameters.
    ///
    /// With both tables, one statement: a `UNION ALL` of the two branches, each filtered
    /// (and, with a limit, ordered and limited) on its own so both use their indexes.
    ///
    /// - Parameters:
    ///   - columns: The select list of each branch (the `archived` flag follows it).
    ///   - leadingParameters: Values that `columns` refers to as `$1`, `$2`, ...; the
    ///     filters' values follow them.
    ///   - ordered: False when the rows' order does not matter (an aggregate reads them),
    ///     which spares the server the sort.
    func selectStatement(
        schema: SQLIdentifier, columns: String = TriggerLogEntry.selectList, leadingParameters: [PostgresParameter] = [],
        ordered: Bool = true
    ) -> (sql: String, parameters: [PostgresParameter]) {
        var statement = SQLStatement(parameters: leadingParameters)
        let conditions = condition(&statement)
        let orderBy = ordered ? " ORDER BY " + orderByClause : ""
        let limitText = limit.map { " LIMIT " + statement.bind(.int($0)) } ?? ""
        let branches = source.locations.map { location -> String in
            let table = location.qualifiedName(in: schema)
            var branch = "SELECT \(columns), \(location == .archive) AS archived FROM \(table)"
            if !conditions.isEmpty { branch += " WHERE " + conditions }
            if source.locations.count > 1, !limitText.isEmpty {
                branch = "(" + branch + orderBy + limitText + ")"
            }
            return branch
        }
        if withAttempts {
            // one pass over each table's failures, counted per change with a window, joined
            // to the entries by id: no lookup per entry
            statement.append(
                "WITH counted AS (SELECT id, archived, count(*) OVER (PARTITION BY table_name, record_id, action ORDER BY id)"
                    + " AS attempts FROM (" + Self.failuresOfChanges(schema) + ") AS failures)"
                    + " SELECT entries.*, counted.attempts FROM (" + branches.joined(separator: " UNION ALL ")
                    + ") AS entries LEFT JOIN counted USING (id, archived)" + orderBy + limitText)
        } else if branches.count == 1 {
            statement.append(branches[0] + orderBy + limitText)
        } else {
            statement.append(
                "SELECT * FROM (" + branches.joined(separator: " UNION ALL ") + ") AS entries" + orderBy + limitText)
        }
        return (statement.sql, statement.parameters)
    }

    /// The entries of both tables that are failures of a change (``TriggerLogEntry/attempts``):
    /// FAILED, REQUEUE, REQUEUED or IGNORED.
    static func failuresOfChanges(_ schema: SQLIdentifier) -> String {
        TriggerLogLocation.allCases.map { location in
            "SELECT id, \(location == .archive) AS archived, table_name, record_id, action FROM "
                + location.qualifiedName(in: schema) + " WHERE state IN ('FAILED', 'REQUEUE', 'REQUEUED', 'IGNORED')"
        }.joined(separator: " UNION ALL ")
    }

    /// The statement that counts the entries (ignoring order and limit).
    func countStatement(schema: SQLIdentifier) -> (sql: String, parameters: [PostgresParameter]) {
        var statement = SQLStatement()
        let conditions = condition(&statement)
        let counts = source.locations.map { location -> String in
            let table = location.qualifiedName(in: schema)
            return "(SELECT count(*) FROM \(table)" + (conditions.isEmpty ? "" : " WHERE " + conditions) + ")"
        }
        statement.append("SELECT " + counts.joined(separator: " + "))
        return (statement.sql, statement.parameters)
    }

    private var orderByClause: String {
        switch order {
        case .newestFirst: "created_at DESC, id DESC"
        case .oldestFirst: "created_at, id"
        case .idAscending: "id"
        }
    }

    /// The filter conditions joined by AND (empty when there are none), their values bound
    /// in `statement`. The columns are unqualified: the statement reads one log table.
    func condition(_ statement: inout SQLStatement) -> String {
        var conditions: [String] = []
        func placeholder(_ value: PostgresParameter) -> String { statement.bind(value) }
        /// `column = $n` for one value (so partial index predicates can be proved), `= ANY`
        /// for several.
        func oneOf(_ column: String, _ values: [String], type: String) {
            guard !values.isEmpty else { return }
            let unique = values.uniqued()
            if unique.count == 1 {
                conditions.append("\(column) = \(placeholder(.text(unique[0])))")
            } else {
                conditions.append("\(column) = ANY(\(placeholder(.array(unique)))::\(type)[])")
            }
        }
        oneOf("state", states.map(\.rawValue), type: "text")
        oneOf("table_name", tables, type: "text")
        oneOf("action", actions.map(\.rawValue), type: "text")
        if let record {
            conditions.append("table_name = \(placeholder(.text(record.tableName)))")
            conditions.append("record_id = \(placeholder(.int(record.recordID)))")
        }
        oneOf("record_id", recordIDs.map(String.init), type: "int")
        oneOf("sfid", sfids.flatMap(\.storedForms), type: "text")
        oneOf("id", ids.map(String.init), type: "int")
        if !excludedIDs.isEmpty {
            conditions.append("id <> ALL(\(placeholder(.array(excludedIDs)))::int[])")
        }
        if let afterID { conditions.append("id > \(placeholder(.int(afterID)))") }
        if let throughID { conditions.append("id <= \(placeholder(.int(throughID)))") }
        if let after { conditions.append(keysetCondition(after, placeholder)) }
        if let createdSince {
            conditions.append("created_at >= " + timeExpression(createdSince, placeholder))
        }
        if let createdUntil {
            conditions.append("created_at < " + timeExpression(createdUntil, placeholder))
        }
        if let messageContains {
            conditions.append("sf_message ILIKE \(placeholder(.text("%" + Self.escapeLike(messageContains) + "%")))")
        }
        if !messagePatterns.isEmpty {
            conditions.append("sf_message ~ ANY(\(placeholder(.array(messagePatterns.map { Optional($0) })))::text[])")
        }
        if !codes.isEmpty {
            let code = SalesforceErrorMessage.codeExpression(
                "sf_message", patternPlaceholder: placeholder(.text(SalesforceErrorMessage.codePattern)))
            oneOf(code, codes, type: "text")
        }
        return conditions.joined(separator: " AND ")
    }

    /// The entries after `position` in ``order``. Newest first is `created_at DESC NULLS
    /// FIRST, id DESC` (PostgreSQL's default for DESC), oldest first its reverse; the bound on
    /// `created_at` alone comes first so the `(created_at)` index can serve it. The time is
    /// bound as text, which the server reads as the column's own type.
    private func keysetCondition(_ position: Position, _ placeholder: (PostgresParameter) -> String) -> String {
        let id = placeholder(.int(position.id))
        switch (order, position.createdAt) {
        case (.idAscending, _):
            return "id > \(id)"
        case (.newestFirst, let time?):
            let time = placeholder(.text(time.iso8601))
            return "created_at <= \(time) AND (created_at < \(time) OR id < \(id))"
        case (.newestFirst, nil):
            return "(created_at IS NOT NULL OR id < \(id))"
        case (.oldestFirst, let time?):
            let time = placeholder(.text(time.iso8601))
            return "(created_at IS NULL OR created_at > \(time) OR (created_at = \(time) AND id > \(id)))"
        case (.oldestFirst, nil):
            return "created_at IS NULL AND id > \(id)"
        }
    }

    private func timeExpression(_ bound: TimeBound, _ placeholder: (PostgresParameter) -> String) -> String {
        switch bound {
        case .absolute(let text): "\(placeholder(.text(text)))::timestamptz"
        case .ago(let seconds): "statement_timestamp() - \(placeholder(.text("\(seconds) seconds")))::interval"
        }
    }

    /// Escapes `\`, `%` and `_` so the text matches itself literally in a LIKE pattern.
    /// Scalar by scalar, as the server reads the pattern: a `%` that a combining mark
    /// follows is one character to Swift but still a wildcard to LIKE.
    static func escapeLike(_ text: String) -> String {
        var escaped = ""
        for scalar in text.unicodeScalars {
            if scalar == "\\" || scalar == "%" || scalar == "_" { escaped.unicodeScalars.append("\\") }
            escaped.unicodeScalars.append(scalar)
        }
        return escaped
    }
}

extension Array where Element: Hashable {
    /// The elements without repetitions, in first-seen order.
    public func uniqued() -> [Element] {
        var seen = Set<Element>()
        return filter { seen.insert($0).inserted }
    }
}
