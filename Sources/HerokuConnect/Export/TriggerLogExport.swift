import Postgres

/// An export of trigger log entries, live and archived, in id order, that can be resumed
/// after the last id of an earlier export without losing an entry to transactions that
/// commit out of id order.
///
/// Ids come from the live log's sequence when a change is captured, but the capturing
/// transactions commit in any order: while a transaction holding id 100 is still open, id
/// 101 may already be committed and visible. An export that ran then and was resumed after
/// 101 would never see 100. So an export first fixes its *horizon*: the highest id visible
/// when it starts, once every transaction that was writing the live log at that moment has
/// ended (``settle(waitingAtMost:)``). Such a transaction is the only one that can hold an
/// id below the horizon and still commit: any later one takes a higher id from the
/// sequence. The export then reads `afterID < id <= horizon`, and the next one may start
/// after the horizon.
///
/// The entries are read in batches of consecutive ids, each one statement over both tables,
/// so neither the server nor the client holds more than a batch, and no snapshot is held
/// for the whole export. An entry moved from the live log to the archive between two
/// batches is read once, where it is when its batch is read.
///
/// Assumptions: the sequence hands out increasing ids (`CACHE 1`, as Heroku Connect creates
/// it), and rows are added to the live log only with ids from it.
public struct TriggerLogExport {
    /// The store the entries are read from.
    public let store: TriggerLogStore
    /// The selection: its source and filters apply; its order, limit and id bounds are the
    /// export's own.
    public let query: TriggerLogQuery
    /// Only entries with a greater id are exported.
    public let afterID: Int

    /// The entries read per statement.
    public static let defaultBatchSize = 10_000

    /// Prepares an export of the entries `query` selects with an id above `afterID`.
    public init(store: TriggerLogStore, query: TriggerLogQuery, afterID: Int = 0) {
        self.store = store
        self.query = query
        self.afterID = afterID
    }

    /// Fixes the export's horizon: the highest id in either table now, returned once every
    /// transaction writing the live log now has ended, so that no entry at or below it can
    /// still appear. Never less than ``afterID``.
    ///
    /// - Parameter timeout: How long to wait for those transactions; zero fails at once
    ///   when there are any.
    /// - Throws: ``TriggerLogWritersStillRunning`` when some are still open after
    ///   `timeout`, ``PostgresError``.
    public func settle(waitingAtMost timeout: Duration) throws -> Int {
        let start = ContinuousClock.now
        let (highestID, initialWriters) = try store.highestIDAndLogWriters()
        var writers = initialWriters
        var pause = Duration.milliseconds(50)
        while !writers.isEmpty {
            let waited = ContinuousClock.now - start
            guard waited < timeout else {
                throw TriggerLogWritersStillRunning(writers: try store.describe(writers), waited: waited)
            }
            try store.pause(min(pause, timeout - waited))
            pause = min(pause * 2, .seconds(1))
            writers = try store.runningTransactions(among: writers)
        }
        return max(highestID ?? afterID, afterID)
    }

    /// Lowers a horizon to just below the first live entry above ``afterID`` that Heroku
    /// Connect has not finished with (state NEW or PENDING), so that every entry up to it is
    /// exported in the state processing left it in. Entries that have waited longer than
    /// `stuckAfter` (or since no known time) count as stuck and hold nothing back; an entry
    /// waits since the later of `created_at` and `updated_at`, so a retried one is not stuck.
    ///
    /// Every live entry counts, whatever the query's filters, since a filter on the state
    /// would otherwise pass over an entry that fails later.
    ///
    /// - Returns: The lowered horizon (never below ``afterID``), and the id of that entry.
    /// - Throws: ``PostgresError``.
    public func processedHorizon(upTo horizon: Int, stuckAfter: Duration) throws -> (horizon: Int, unprocessedID: Int?) {
        let live = TriggerLogLocation.live.qualifiedName(in: store.schemaName)
        let sql = """
            SELECT min(id) FROM \(live)
            WHERE state IN ('NEW', 'PENDING') AND id > $1 AND id <= $2
              AND greatest(created_at, updated_at) >= statement_timestamp() - $3::interval
            """
        let seconds = String(stuckAfter.inWholeSeconds) + " seconds"
        let rows = try store.connection.query(sql, [.int(afterID), .int(horizon), .text(seconds)])
        guard let unprocessed = try rows.first?.int(0) else { return (horizon, nil) }
        return (max(unprocessed - 1, afterID), unprocessed)
    }

    /// Calls `body` with each selected entry with `afterID < id <= horizon`, in id order
    /// (when one id is in both tables, the live entry first), reading a batch at a time.
    ///
    /// - Parameters:
    ///   - horizon: The highest id to export, from ``settle(waitingAtMost:)``.
    ///   - limit: At most this many entries.
    ///   - batchSize: Entries per statement (at least 3, as one id can be in both tables);
    ///     nil reads batches of ``defaultBatchSize`` when both tables have an index on `id`
    ///     (Heroku Connect creates primary keys on both) and everything in one statement
    ///     when not, as each batch would then read a whole table.
    /// - Returns: What was exported, and the id the next export should start after.
    /// - Throws: ``PostgresError``, or what `body` throws (which ends the export).
    @discardableResult
    public func forEachEntry(
        through horizon: Int, limit: Int? = nil, batchSize: Int? = nil,
        _ body: (TriggerLogEntry) throws -> Void
    ) throws -> TriggerLogExportResult {
        try forEachRow(through: horizon, limit: limit, batchSize: batchSize) { row in try body(row.entry) }
    }

    /// Calls `body` with each selected row, as ``forEachEntry(through:limit:batchSize:_:)``
    /// does with the entries, the rows' text left as bytes (for output written straight
    /// from them).
    @discardableResult
    public func forEachRow(
        through horizon: Int, limit: Int? = nil, batchSize: Int? = nil,
        _ body: (TriggerLogRow) throws -> Void
    ) throws -> TriggerLogExportResult {
        precondition((batchSize ?? 3) >= 3, "a batch must hold more than one id")
        let batchSize = try batchSize ?? (store.logTablesHaveIDIndexes() ? Self.defaultBatchSize : nil)
        var result = TriggerLogExportResult(resumeAfter: max(horizon, afterID))
        /// Writes the entries of one id; false when the limit stopped it.
        func emit(_ group: [TriggerLogRow]) throws -> Bool {
            for entry in group.count == 1 ? group : group.sorted(by: { !$0.isArchived && $1.isArchived }) {
                if let limit, result.count == limit {
                    // Resume so that the rest of this id is read again.
                    result.resumeAfter = result.lastID == entry.id ? entry.id - 1 : result.lastID ?? afterID
                    return false
                }
                try body(entry)
                result.count += 1
                result.firstID = result.firstID ?? entry.id
                result.lastID = entry.id
            }
            return true
        }
        var after = afterID
        while after < horizon {
            // With a limit, read little more than is still wanted.
            let wanted = limit.map { max(3, $0 - result.count + 2) }
            let size = [batchSize, wanted].compactMap { $0 }.min()
            let batch = query.ordered(.idAscending).ids(after: after, through: horizon).limit(size)
            var read = 0
            var group: [TriggerLogRow] = []
            var stopped = false
            try store.forEachRow(matching: batch) { entry in
                guard !stopped else { return }
                read += 1
                if let first = group.first, first.id != entry.id {
                    stopped = try !emit(group)
                    group.removeAll(keepingCapacity: true)
                }
                group.append(entry)
            }
            if stopped { return result }
            guard let size, read == size, let lastID = group.first?.id else {
                // The last batch: everything up to the horizon has been read.
                if try !emit(group) { return result }
                break
            }
            // A full batch: the highest id may have a second entry past the limit; it is read
            // again with the next batch.
            after = lastID - 1
        }
        if let limit, result.count == limit, let lastID = result.lastID, lastID < horizon {
            // Stopped exactly at the limit: what lies beyond is for the next export.
            result.resumeAfter = lastID
        }
        return result
    }
}

/// What an export wrote.
public struct TriggerLogExportResult: Sendable, Equatable {
    /// The entries written.
    public var count = 0
    /// The id of the first entry written.
    public var firstID: Int?
    /// The id of the last entry written.
    public var lastID: Int?
    /// The next export starts after this id: the horizon when everything up to it was
    /// written, less when a limit stopped the export.
    public var resumeAfter: Int

    public init(count: Int = 0, firstID: Int? = nil, lastID: Int? = nil, resumeAfter: Int) {
        self.count = count
        self.firstID = firstID
        self.lastID = lastID
        self.resumeAfter = resumeAfter
    }
}

/// An open transaction that has written to the live trigger log.
public struct TriggerLogWriter: Sendable, Equatable {
    /// Its virtual transaction id (`pg_locks.virtualtransaction`), unique while it runs.
    public let virtualTransaction: String
    /// The server process running it; nil for a prepared transaction.
    public let pid: Int?
    /// When it began, when the server shows it (`pg_stat_activity` shows only sessions of
    /// the same role unless the role may read all statistics).
    public let transactionStart: PostgresTimestamp?
    /// What the session is doing (`active`, `idle in transaction`), when shown.
    public let sessionState: String?

    public init(virtualTransaction: String, pid: Int?, transactionStart: PostgresTimestamp? = nil, sessionState: String? = nil) {
        self.virtualTransaction = virtualTransaction
        self.pid = pid
        self.transactionStart = transactionStart
        self.sessionState = sessionState
    }
}

/// Transactions that were writing the live log when an export began were still open when
/// it gave up waiting for them: the export could not know which ids they hold.
public struct TriggerLogWritersStillRunning: Error, Sendable, Equatable, CustomStringConvertible {
    /// The transactions still open.
    public let writers: [TriggerLogWriter]
    /// How long the export waited.
    public let waited: Duration

    public var description: String {
        let seconds = waited.inWholeSeconds
        let list = writers.prefix(3).map { writer in
            var text = writer.pid.map { "pid \($0)" } ?? "prepared transaction \(writer.virtualTransaction)"
            if let state = writer.sessionState { text += ", \(state)" }
            if let start = writer.transactionStart { text += ", since \(start.shortDescription)" }
            return text
        }.joined(separator: "; ")
        return "\(writers.count) transaction(s) writing the trigger log were still open after \(seconds) s (\(list))"
            + (writers.count > 3 ? "; …" : "")
    }
}

extension TriggerLogStore {
    /// The highest id in either log table, and the other transactions holding a write
    /// lock on the live log, in one statement: the ids are read in the statement's
    /// snapshot, the locks after it was taken.
    func highestIDAndLogWriters() throws -> (Int?, [TriggerLogWriter]) {
        let live = TriggerLogLocation.live.qualifiedName(in: schemaName)
        let archive = TriggerLogLocation.archive.qualifiedName(in: schemaName)
        let sql = """
            SELECT greatest((SELECT max(id) FROM \(live)), (SELECT max(id) FROM \(archive))),
                   l.virtualtransaction, l.pid
            FROM (SELECT 1) AS one
            LEFT JOIN (
                SELECT DISTINCT virtualtransaction, pid FROM pg_catalog.pg_locks
                WHERE locktype = 'relation' AND granted AND mode = 'RowExclusiveLock'
                  AND database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())
                  AND relation = $1::regclass AND pid IS DISTINCT FROM pg_backend_pid()
            ) AS l ON true
            """
        let rows = try connection.query(sql, [.text(live)])
        let highest = try rows.first?.int(0)
        let writers = try rows.compactMap { row -> TriggerLogWriter? in
            guard let transaction = row.string(1) else { return nil }
            return TriggerLogWriter(virtualTransaction: transaction, pid: try row.int(2))
        }
        return (highest, writers)
    }

    /// True when both log tables have an index whose first column is `id`, so that a
    /// batch of the lowest ids above a bound reads only that batch.
    func logTablesHaveIDIndexes() throws -> Bool {
        let sql = """
            SELECT count(DISTINCT i.indrelid) FROM pg_catalog.pg_index i
            JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
            WHERE i.indrelid IN ($1::regclass, $2::regclass) AND a.attname = 'id' AND i.indpred IS NULL AND i.indisvalid
            """
        let tables = TriggerLogLocation.allCases.map { PostgresParameter.text($0.qualifiedName(in: schemaName)) }
        return try connection.query(sql, tables)[0].int(0) == 2
    }

    /// Those of `transactions` still running (a running transaction holds at least the
    /// lock on its own virtual transaction id).
    func runningTransactions(among transactions: [TriggerLogWriter]) throws -> [TriggerLogWriter] {
        let sql = """
            SELECT DISTINCT virtualtransaction FROM pg_catalog.pg_locks WHERE virtualtransaction = ANY($1::text[])
            """
        let running = Set(try connection.query(sql, [.array(transactions.map(\.virtualTransaction))]).compactMap { $0.string(0) })
        return transactions.filter { running.contains($0.virtualTransaction) }
    }

    /// The transactions with what `pg_stat_activity` shows of their sessions.
    func describe(_ transactions: [TriggerLogWriter]) throws -> [TriggerLogWriter] {
        let pids = transactions.compactMap(\.pid)
        guard !pids.isEmpty else { return transactions }
        let sql = "SELECT pid, xact_start, state FROM pg_catalog.pg_stat_activity WHERE pid = ANY($1::int[])"
        var sessions: [Int: (PostgresTimestamp?, String?)] = [:]
        for row in try connection.query(sql, [.array(pids)]) {
            if let pid = try row.int(0) { sessions[pid] = (try row.timestamp(1), row.string(2)) }
        }
        return transactions.map { writer in
            guard let pid = writer.pid, let (start, state) = sessions[pid] else { return writer }
            return TriggerLogWriter(virtualTransaction: writer.virtualTransaction, pid: pid, transactionStart: start, sessionState: state)
        }
    }

    /// Waits on the server (`pg_sleep`), so no thread of this process is involved.
    func pause(_ duration: Duration) throws {
        let text = String(duration.inSeconds)
        _ = try connection.query("SELECT pg_sleep($1::float8)", [.text(text)])
    }
}

extension HStore {
    /// True when ``text`` is exactly what hstore's output function writes for ``pairs``:
    /// keys in hstore's order (shorter first, then by bytes; so no key twice),
    /// `"key"=>"value"` pairs joined by `, `, keys and values quoted with only `"` and `\`
    /// escaped, NULL written `NULL`. Then the pairs alone (a JSON object, in any order)
    /// rebuild the text byte for byte, as `hstore(keys, values)::text` does; otherwise only
    /// the text itself keeps everything.
    public var isInOutputForm: Bool {
        guard isWellFormed else { return false }
        let pairs = self.pairs  // decoded once
        for index in pairs.indices.dropFirst() where !Self.precedes(pairs[index - 1].key, pairs[index].key) {
            return false
        }
        var text = self.text
        return text.withUTF8 { bytes in
            var matcher = OutputFormMatcher(bytes: bytes)
            for (position, pair) in pairs.enumerated() {
                if position > 0 {
                    guard matcher.expect(UInt8(ascii: ",")), matcher.expect(UInt8(ascii: " ")) else { return false }
                }
                guard matcher.expectQuoted(pair.key), matcher.expect(UInt8(ascii: "=")), matcher.expect(UInt8(ascii: ">"))
                else { return false }
                if let value = pair.value {
                    guard matcher.expectQuoted(value) else { return false }
                } else {
                    var null = "NULL"
                    guard null.withUTF8({ matcher.expect($0) }) else { return false }
                }
            }
            return matcher.index == bytes.count
        }
    }

    /// hstore's key order: the shorter key (in bytes) first, keys of one length by their bytes.
    static func precedes(_ first: String, _ second: String) -> Bool {
        let (a, b) = (first.utf8, second.utf8)
        if a.count != b.count { return a.count < b.count }
        return a.lexicographicallyPrecedes(b)
    }
}

/// Matches hstore's output form against text, byte by byte from the start.
private struct OutputFormMatcher {
    let bytes: UnsafeBufferPointer<UInt8>
    /// How far the text has matched.
    var index = 0

    /// Matches one byte.
    mutating func expect(_ byte: UInt8) -> Bool {
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    /// Matches a run of bytes.
    mutating func expect(_ run: UnsafeBufferPointer<UInt8>) -> Bool {
        guard run.count <= bytes.count - index else { return false }
        for offset in 0..<run.count where bytes[index + offset] != run[offset] { return false }
        index += run.count
        return true
    }

    /// Matches `value` quoted, with `"` and `\` escaped by a backslash.
    mutating func expectQuoted(_ value: String) -> Bool {
        guard expect(UInt8(ascii: "\"")) else { return false }
        var value = value
        let matched = value.withUTF8 { utf8 in
            var start = 0
            for position in 0..<utf8.count where utf8[position] == UInt8(ascii: "\"") || utf8[position] == UInt8(ascii: "\\") {
                guard expect(UnsafeBufferPointer(rebasing: utf8[start..<position])), expect(UInt8(ascii: "\\")) else {
                    return false
                }
                start = position
            }
            return expect(UnsafeBufferPointer(rebasing: utf8[start..<utf8.count]))
        }
        return matched && expect(UInt8(ascii: "\""))
    }
}
