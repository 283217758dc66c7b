import Postgres

/// Follows a schema's live trigger log and reports entries as they reach the watched
/// states (by default: as they become FAILED), or as they are inserted.
///
/// Heroku Connect notifies `<schema>.hc_trigger_log` for every new live row, but not when a
/// row changes state, so the watcher listens and also looks every interval. A look is one
/// statement that returns only what changed, through the log's indexes:
/// - the *window*: rows with an id above the window's start. The start moves up only when
///   every transaction that could still commit a row below it has ended (judged from the
///   transaction snapshots of earlier looks), so rows committed out of id order are seen too;
/// - the *candidates* (rows that were NEW or PENDING at the last look, which may still fail)
///   whose state is another now, and which of them left the live log;
/// - rows NEW or PENDING now that are not candidates (Connect's partial index): a retry that
///   set a FAILED row back to NEW.
/// The candidates' ids go with every look, and the server compares the backlog with them
/// (hashed from PostgreSQL 14 on), so a look costs little with a backlog of thousands, but
/// grows with it.
///
/// An entry is reported when it is first seen in a watched state, or when it is seen in one
/// after having been in another state (so an entry retried and failing again is reported
/// again). A candidate that left the live log is looked up in the archive (by id, through
/// its `record_id` index); after a reconnection, when watching failures only, so are archived
/// FAILED entries above the window's start. Limits: a state held only between two looks is
/// not seen; rows committed by transactions already running when the watch started (or
/// running longer than ``maximumWindowWait``) with ids below the newest id then allocated
/// are taken as existing; the id sequence must not be cached (`CACHE 1`, Connect's setting).
public final class TriggerLogWatcher {
    /// What the watch reports.
    public enum Selection: Sendable, Equatable {
        /// Entries inserted in one of these states, or changing into one of them.
        case reaching(Set<TriggerLogState>)
        /// Every new entry, in the state it has when first seen.
        case inserted

        /// Entries that become FAILED: the default.
        public static let failures = Selection.reaching([.failed])
    }

    /// What happens during ``run(interval:until:backoff:shouldStop:_:)``.
    public enum Event: Sendable {
        /// An entry to report.
        case entry(TriggerLogEntry)
        /// The connection was lost; reconnecting after the delay.
        case connectionLost(PostgresError, retryingIn: Duration)
        /// A reconnection attempt failed; trying again after the delay.
        case reconnectFailed(PostgresError, retryingIn: Duration)
        /// Connected again and listening; the next look catches up.
        case reconnected
    }

    /// An entry that was NEW or PENDING at the last look.
    private struct Candidate {
        let state: TriggerLogState?
        let recordID: Int?
    }

    /// What a look knew of an entry before it.
    private enum Previous {
        /// New in the window: not seen before.
        case unseen
        case known(TriggerLogState?)
        /// Below the window and not a candidate: in a state other than NEW or PENDING.
        case elsewhere
    }

    /// The newest id allocated at one look, and the first transaction id not yet started then.
    private struct Horizon {
        let top: Int
        let xmax: Int
        let at: ContinuousClock.Instant
    }

    /// How long the window's start waits for transactions that may still commit rows below
    /// it, before moving on anyway (a forgotten prepared transaction would stall it forever).
    public static let maximumWindowWait: Duration = .seconds(300)
    /// The shortest time between two looks when notifications come in quick succession.
    public static let minimumLookGap: Duration = .milliseconds(200)

    /// The store whose connection the watch uses (and resets when it breaks).
    public let store: TriggerLogStore
    /// The filters entries must match (tables, actions, record ids, sfids, message); its
    /// source, states, order and limit are ignored.
    public let filter: TriggerLogQuery
    /// What is reported: entries reaching some states, or every new entry.
    public let selection: Selection
    /// Whether ``start()`` reports the live entries already in the watched states.
    public let includesExisting: Bool
    /// The channel Connect's trigger notifies: `<schema>.hc_trigger_log`.
    public var channel: String { store.schemaName.name + ".hc_trigger_log" }

    private var started = false
    /// Entries with higher ids are in the window (read by every look).
    private(set) var windowStart = 0
    private var seen: [Int: TriggerLogState?] = [:]
    private var candidates: [Int: Candidate] = [:]
    private var horizons: [Horizon] = []
    /// Set after a reconnection: the next look also searches the archive for failures.
    var searchesArchivedFailures = false

    /// Creates a watcher; nothing is read before ``start()`` or ``run(interval:until:backoff:shouldStop:_:)``.
    public init(store: TriggerLogStore, filter: TriggerLogQuery = TriggerLogQuery(), selection: Selection = .failures,
                includingExisting: Bool = false) {
        self.store = store
        self.filter = filter
        self.selection = selection
        self.includesExisting = includingExisting
    }

    // MARK: - Looking

    /// The first look: notes the newest id allocated and the NEW and PENDING entries, and
    /// returns the live entries already in the watched states when ``includesExisting``
    /// (else none).
    public func start() throws -> [TriggerLogEntry] {
        // The candidates first: an entry that fails between the two statements is then
        // either a candidate or taken as existing, never lost between the two.
        let candidates = selection == .inserted ? [:] : try readCandidates()
        let look = try readLive { parameters in
            guard includesExisting, case .reaching(let states) = selection else { return [] }
            return ["state = ANY(\(parameters.bind(.array(states.map(\.rawValue).sorted())))::text[])"]
        }
        var top = look.top
        if top == nil {
            let sql = "SELECT max(id) FROM " + TriggerLogLocation.archive.qualifiedName(in: store.schemaName)
            top = try store.connection.query(sql)[0].int(0)
        }
        self.candidates = candidates
        windowStart = top ?? 0
        horizons = [Horizon(top: windowStart, xmax: look.xmax, at: .now)]
        seen = [:]
        started = true
        return look.rows.filter(\.matches).map(\.entry)
    }

    /// Looks again (starting first when needed) and returns the entries to report, by id.
    public func look() throws -> [TriggerLogEntry] {
        guard started else { return try start() }
        let windowStart = self.windowStart
        let waiting = candidates.filter { $0.value.state == .new }.keys.sorted()
        let pending = candidates.filter { $0.value.state != .new }.keys.sorted()
        let tracksCandidates = selection != .inserted
        let look = try readLive(vanishedAmong: tracksCandidates ? waiting + pending : nil) { parameters in
            var arms = ["id > " + parameters.bind(.int(windowStart))]
            guard tracksCandidates else { return arms }
            let newIDs = parameters.bind(.array(waiting))
            let pendingIDs = parameters.bind(.array(pending))
            // Candidates whose state changed, and entries that became NEW or PENDING since
            // (a retry): only what changed comes back, whatever the size of the backlog.
            arms.append("(id = ANY(\(newIDs)::int[]) AND state IS DISTINCT FROM 'NEW')")
            arms.append("(id = ANY(\(pendingIDs)::int[]) AND state IS DISTINCT FROM 'PENDING')")
            arms.append("(\(Self.unsettled) AND NOT (id = ANY(\(newIDs)::int[]) OR id = ANY(\(pendingIDs)::int[])))")
            return arms
        }
        let vanished = candidates.filter { look.vanished.contains($0.key) }
        let archived = try readArchive(vanished: vanished).filter { row in
            !look.rows.contains { $0.entry.id == row.entry.id }
        }
        var reported: [TriggerLogEntry] = []
        var nextCandidates = candidates
        for (entry, matches) in look.rows + archived {
            if matches, isReported(entry, previous(of: entry.id)) { reported.append(entry) }
            let isUnsettled = !entry.isArchived && (entry.state == .new || entry.state == .pending)
            if tracksCandidates {
                nextCandidates[entry.id] = isUnsettled ? Candidate(state: entry.state, recordID: entry.recordID) : nil
            }
        }
        for id in look.vanished { nextCandidates[id] = nil }
        for (entry, _) in look.rows + archived where entry.id > windowStart { seen[entry.id] = entry.state }
        candidates = nextCandidates
        searchesArchivedFailures = false
        advanceWindow(Horizon(top: look.top ?? windowStart, xmax: look.xmax, at: .now), xmin: look.xmin)
        return reported.sorted { $0.id < $1.id }
    }

    /// Entries that are NEW or PENDING, written as Connect's partial index is defined, so the
    /// planner can use it (constants, not parameters).
    private static let unsettled = "state IN ('NEW', 'PENDING')"

    private func previous(of id: Int) -> Previous {
        if let candidate = candidates[id] { return .known(candidate.state) }
        if id > windowStart { return seen[id].map { .known($0) } ?? .unseen }
        return .elsewhere
    }

    private func isReported(_ entry: TriggerLogEntry, _ previous: Previous) -> Bool {
        switch selection {
        case .inserted:
            if case .unseen = previous { return true }
            return false
        case .reaching(let states):
            guard let state = entry.state, states.contains(state) else { return false }
            if case .known(let before) = previous { return before != state }
            return true
        }
    }

    /// Moves the window's start to the newest id of the latest earlier look after which every
    /// transaction has ended, as the current snapshot's `xmin` shows. The look after it is
    /// needed as a witness: a transaction that took an id just before a look but had no
    /// transaction id yet is sure to have one by the next look.
    private func advanceWindow(_ horizon: Horizon, xmin: Int) {
        horizons.append(horizon)
        var settled: Int?
        for index in horizons.indices.dropFirst()
        where horizons[index].xmax <= xmin || horizons[index].at + Self.maximumWindowWait <= horizon.at {
            settled = index - 1
        }
        guard let settled else { return }
        windowStart = max(windowStart, horizons[settled].top)
        horizons.removeFirst(settled)
        seen = seen.filter { $0.key > windowStart }
    }

    // MARK: - Statements

    /// A row read by a look: the entry, and whether it matches the message filter.
    private typealias Row = (entry: TriggerLogEntry, matches: Bool)

    /// One look at the live log: the filtered rows matching any of the conditions `arms`
    /// writes, by id; the horizon; and which of `vanishedAmong` are no longer in the live log
    /// (whatever the filters), all from the same snapshot.
    private func readLive(vanishedAmong ids: [Int]? = nil, _ arms: (inout SQLStatement) -> [String]) throws -> (
        rows: [Row], top: Int?, xmin: Int, xmax: Int, vanished: Set<Int>
    ) {
        var parameters = SQLStatement()
        let selected = filteredSelect(.live, &parameters, arms)
        let live = TriggerLogLocation.live.qualifiedName(in: store.schemaName)
        let table = parameters.bind(.text(live))
        var vanished = "NULL::int[]"
        if let ids {
            vanished = "ARRAY(SELECT k FROM unnest(\(parameters.bind(.array(ids)))::int[]) AS k"
                + " WHERE NOT EXISTS (SELECT FROM \(live) AS l WHERE l.id = k))"
        }
        // The newest id allocated: the sequence's last value (when it may be read), or the
        // highest id in the live log, whichever is higher.
        let sql = """
            SELECT e.*, h.xmin, h.xmax, h.top, h.vanished
            FROM (SELECT txid_snapshot_xmin(s) AS xmin, txid_snapshot_xmax(s) AS xmax,
                         GREATEST((SELECT CASE WHEN has_sequence_privilege(q.seq, 'SELECT, USAGE')
                                               THEN pg_sequence_last_value(q.seq) END
                                   FROM (SELECT pg_get_serial_sequence(\(table), 'id')::regclass AS seq) AS q),
                                  (SELECT max(id) FROM \(live))) AS top,
                         \(vanished) AS vanished
                  FROM txid_current_snapshot() AS s) AS h
            LEFT JOIN (\(selected)) AS e ON true
            ORDER BY e.id
            """
        let result = try store.connection.query(sql, parameters.parameters)
        let id = try result.column("id"), matches = try result.column("matches")
        guard let first = result.first, let xmin = try first.int(try result.column("xmin")),
            let xmax = try first.int(try result.column("xmax"))
        else {
            throw PostgresError(.unexpectedResult, message: "the server did not report its transaction snapshot")
        }
        var rows: [Row] = []
        for row in result {
            guard try row.int(id) != nil else { continue }
            rows.append((try TriggerLogEntry(row: row), try row.bool(matches) ?? false))
        }
        let vanishedIDs = try first.stringArray(try result.column("vanished"))?.compactMap { $0.flatMap { Int($0) } } ?? []
        return (rows, try first.int(try result.column("top")), xmin, xmax, Set(vanishedIDs))
    }

    /// The ids, states and record ids of the live entries that are NEW or PENDING and match
    /// the filters (but the message), through Connect's partial index; only these columns,
    /// however long the backlog.
    private func readCandidates() throws -> [Int: Candidate] {
        let statement = trackedQuery(.live).selectStatement(schema: store.schemaName, columns: "id, state, record_id")
        let sql = "SELECT id, state, record_id FROM (\(statement.sql)) AS f WHERE \(Self.unsettled)"
        var candidates: [Int: Candidate] = [:]
        for row in try store.connection.query(sql, statement.parameters) {
            guard let id = try row.int(0) else { continue }
            candidates[id] = Candidate(state: row.string(1).map(TriggerLogState.init(rawValue:)), recordID: try row.int(2))
        }
        return candidates
    }

    /// The archived rows of candidates that left the live log (through the archive's
    /// `record_id` index) and, after a reconnection when watching failures only, archived
    /// FAILED rows above the window's start (through its FAILED index). None when neither.
    private func readArchive(vanished: [Int: Candidate]) throws -> [Row] {
        let traceable = vanished.filter { $0.value.recordID != nil }
        let searchesFailures = searchesArchivedFailures && selection == .failures
        guard !traceable.isEmpty || searchesFailures else { return [] }
        var parameters = SQLStatement()
        let windowStart = self.windowStart
        let sql = filteredSelect(.archive, &parameters) { parameters in
            var arms: [String] = []
            if !traceable.isEmpty {
                let ids = parameters.bind(.array(traceable.keys.sorted()))
                let records = parameters.bind(.array(Set(traceable.values.compactMap(\.recordID)).sorted()))
                arms.append("(id = ANY(\(ids)::int[]) AND record_id = ANY(\(records)::int[]))")
            }
            if searchesFailures {
                arms.append("(state = 'FAILED' AND id > \(parameters.bind(.int(windowStart))))")
            }
            return arms
        }
        let result = try store.connection.query(sql + " ORDER BY id", parameters.parameters)
        let matches = try result.column("matches")
        return try result.map { row in (try TriggerLogEntry(row: row), try row.bool(matches) ?? false) }
    }

    /// The filter as the watch applies it to one table: without states, which the watch
    /// decides, and without the message, which changes when an entry fails.
    private func trackedQuery(_ location: TriggerLogLocation) -> TriggerLogQuery {
        var tracked = filter
        tracked.source = location == .live ? .live : .archive
        tracked.states = []
        tracked.messageContains = nil
        tracked.order = .idAscending
        tracked.limit = nil
        return tracked
    }

    /// `SELECT entry columns, archived, matches` from one table: the filter's conditions
    /// (but the message) and any of the conditions `arms` writes. `matches` says whether the
    /// row matches the message filter, which is left out of the conditions because a row's
    /// message changes when it fails.
    private func filteredSelect(
        _ location: TriggerLogLocation, _ parameters: inout SQLStatement, _ arms: (inout SQLStatement) -> [String]
    ) -> String {
        let inner = trackedQuery(location).selectStatement(schema: store.schemaName)
        parameters = SQLStatement(parameters: inner.parameters)
        let conditions = arms(&parameters)
        var matches = "true"
        if let message = filter.messageContains {
            let pattern = parameters.bind(.text("%" + TriggerLogQuery.escapeLike(message) + "%"))
            matches = "COALESCE(f.sf_message ILIKE \(pattern), false)"
        }
        let condition = conditions.isEmpty ? "false" : conditions.joined(separator: " OR ")
        return "SELECT f.*, \(matches) AS matches FROM (\(inner.sql)) AS f WHERE \(condition)"
    }
}
