import Postgres

/// Retries and ignores FAILED trigger log entries, the way Heroku Connect's recovery
/// procedures say, in batches that each commit on their own — and only where a careful
/// operator would: never on a read-only or unmapped table, never for a record whose row is
/// gone, never a change a later one made obsolete, and each record's change once.
///
/// A batch is two statements, whatever its size: the first locks the batch's entries that
/// are still FAILED and still match the selection's filters, and reads the facts each
/// decision needs (the record's row, the record's later SUCCESS entries); ``RepairDecision``
/// and ``RepairPlan`` decide, in Swift; the second carries the plan out. A dry run reads the
/// same facts without locking and reports the same plan. An interrupted run leaves every
/// batch done or untouched; running it again selects what is still FAILED, so nothing is
/// done twice.
///
/// ```swift
/// let repair = TriggerLogRepair(store: store)
/// let candidates = try repair.candidates(for: .failed(TriggerLogQuery.failed().tables(["account"])))
/// let summary = try repair.run(.retry(.merged, viaConnect: false), on: candidates)
/// ```
public final class TriggerLogRepair {
    /// What to change.
    public enum Selection: Sendable, Equatable {
        /// These entries, in whatever state they are (those not FAILED are reported).
        case ids([Int])
        /// The FAILED entries a query selects (its states are replaced by FAILED).
        case failed(TriggerLogQuery)
    }

    /// One entry to change: the id and the table it is in.
    public struct Target: Sendable, Hashable {
        public let id: Int
        public let location: TriggerLogLocation

        public init(id: Int, location: TriggerLogLocation) {
            self.id = id
            self.location = location
        }
    }

    /// An entry a selection named, with its record (which keeps a record's entries in one
    /// batch).
    public struct Candidate: Sendable, Equatable {
        public let target: Target
        public let tableName: String?
        public let recordID: Int?

        public init(target: Target, tableName: String?, recordID: Int?) {
            self.target = target
            self.tableName = tableName
            self.recordID = recordID
        }
    }

    /// The entries a selection named when it was resolved, in id order.
    public struct Candidates: Sendable, Equatable {
        /// The entries found (an id in both tables is two entries).
        public var entries: [Candidate]
        /// Explicit ids found in neither table.
        public var notFound: [Int]
        /// True when the selection was a list of ids rather than a query.
        public var isExplicit: Bool
        /// The filters an entry must still match when it is changed (any of them); empty:
        /// FAILED is enough.
        public var recheck: [TriggerLogQuery]

        public init(entries: [Candidate], notFound: [Int], isExplicit: Bool, recheck: [TriggerLogQuery] = []) {
            self.entries = entries
            self.notFound = notFound
            self.isExplicit = isExplicit
            self.recheck = recheck
        }

        /// The entries' ids and tables.
        public var targets: [Target] { entries.map(\.target) }
        /// Entries asked for, found or not.
        public var requested: Int { entries.count + notFound.count }
    }

    /// Called after each batch with the summary so far and the batch's outcomes; in a dry
    /// run also with the batch's entries as they are now.
    public typealias BatchObserver = (_ summary: RepairSummary, _ outcomes: [RepairOutcome], _ entries: [TriggerLogEntry]) throws -> Void

    /// The default number of entries per batch (and transaction).
    public static let defaultBatchSize = 1000

    public let store: TriggerLogStore
    /// What the current (or last) ``run(_:on:batchSize:dryRun:includeSuperseded:readingEntries:observer:)``
    /// has done so far; after a failure, what its committed batches did. An observer that
    /// keeps its own copy of each batch's summary makes the next batch copy the whole
    /// summary to add to it: read this instead.
    public private(set) var summarySoFar: RepairSummary?
    var connection: PostgresConnection { store.connection }
    private var liveSequence: String?

    public init(store: TriggerLogStore) {
        self.store = store
    }

    // MARK: - Changing

    /// Changes the candidates, batch by batch, each batch in its own transaction.
    ///
    /// A single explicit entry that another session holds is an error
    /// (``HerokuConnectError/entryLocked(id:)``); in bulk, locked entries are skipped and
    /// counted.
    ///
    /// - Parameters:
    ///   - action: Retry (in a write mode) or ignore.
    ///   - candidates: What ``candidates(for:max:)`` resolved.
    ///   - batchSize: Entries per batch.
    ///   - dryRun: Only work out what would change, with read-only statements.
    ///   - includeSuperseded: Retry superseded entries too (``RepairDecision``).
    ///   - readingEntries: In a dry run, read each batch's entries for `observer` (not
    ///     needed for counts alone).
    ///   - observer: Called after each batch.
    /// - Returns: What was done.
    /// - Throws: ``HerokuConnectError``, ``PostgresError``, or what `observer` throws; the
    ///   batches committed before stay committed, and the summary so far went to `observer`
    ///   (and is ``summarySoFar``).
    public func run(
        _ action: RepairAction, on candidates: Candidates, batchSize: Int = defaultBatchSize, dryRun: Bool = false,
        includeSuperseded: Bool = false, readingEntries: Bool = true, observer: BatchObserver? = nil
    ) throws -> RepairSummary {
        summarySoFar = nil
        if case .retry(.ordered, _) = action, !candidates.entries.isEmpty, !dryRun {
            let schema = try store.schema
            try schema.requireProcedure(.insert)
            try schema.requireProcedure(.update)
        }
        summarySoFar = RepairSummary(action: action, isDryRun: dryRun)
        summarySoFar!.requested = candidates.requested
        summarySoFar!.notFound = candidates.notFound
        let locking: RepairStatements.Locking =
            candidates.isExplicit && candidates.entries.count == 1 ? .noWait : .skipLocked
        let statements = RepairStatements(schemaName: store.schemaName, locking: locking)
        var rule = Rule(action: action, recheck: candidates.recheck, includeSuperseded: includeSuperseded)
        if rule.isRetry, !candidates.entries.isEmpty {
            rule.start = try store.executor.run("reading the records' later entries", isBulk: true) {
                try self.laterSuccesses(of: candidates.entries, statements)
            }
        }
        // ignore needs no record together: plain batches
        let batches =
            rule.isRetry
            ? Self.batches(candidates.entries, size: batchSize)
            : stride(from: 0, to: candidates.entries.count, by: max(batchSize, 1)).map {
                Array(candidates.entries[$0..<min($0 + max(batchSize, 1), candidates.entries.count)])
            }
        for batch in batches {
            let targets = batch.map(\.target)
            var entries: [TriggerLogEntry] = []
            var outcomes: [RepairOutcome]
            // A batch is repeated after a transient error even when its commit's outcome is
            // unknown: its statements change only entries still FAILED, so a batch that did
            // commit changes nothing the second time (its entries are reported as not FAILED).
            let operation = "batch \(summarySoFar!.batches + 1)"
            if dryRun {
                (outcomes, entries) = try store.executor.run(operation, isBulk: true) {
                    let plan = try self.plan(rule, batch, statements, hold: false)
                    guard readingEntries else { return (plan.outcomes, []) }
                    let wanted = Set(targets)
                    let entries = try self.store.entries(
                        matching: TriggerLogQuery().ids(targets.map(\.id).uniqued()).ordered(.idAscending)
                    ).filter { wanted.contains(Target(id: $0.id, location: $0.location)) }
                    return (plan.outcomes, entries)
                }
            } else {
                outcomes = try store.executor.run(operation, safety: .idempotent, isBulk: true) {
                    try self.change(rule, batch, statements)
                }
            }
            // recorded in place: the summary grows by a batch without being copied
            for outcome in outcomes { summarySoFar!.record(outcome) }
            summarySoFar!.batches += 1
            try observer?(summarySoFar!, outcomes, entries)
        }
        return summarySoFar!
    }

    /// How many of `targets` there are per table and error code (``SalesforceErrorMessage``'s
    /// code, nil for a message without one), most first: what a confirmation shows.
    public func countsByTableAndCode(_ targets: [Target]) throws -> [(table: String?, code: String?, count: Int)] {
        guard !targets.isEmpty else { return [] }
        var statement = SQLStatement()
        let code = SalesforceErrorMessage.codeExpression(
            "sf_message", patternPlaceholder: statement.bind(.text(SalesforceErrorMessage.codePattern)))
        let parts = TriggerLogLocation.allCases.compactMap { location -> String? in
            let ids = targets.filter { $0.location == location }.map(\.id)
            guard !ids.isEmpty else { return nil }
            return "SELECT table_name, \(code) AS code FROM \(location.qualifiedName(in: store.schemaName))"
                + " WHERE id = ANY(\(statement.bind(.array(ids)))::int[])"
        }
        statement.append(
            "SELECT table_name, code, count(*) FROM (" + parts.joined(separator: " UNION ALL ")
                + ") AS chosen GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2")
        return try store.executor.run("counting the entries by table and error code") {
            try connection.query(statement.sql, statement.parameters).map { row in
                (row.string(0), row.string(1), try row.int(2) ?? 0)
            }
        }
    }

    /// What a run decides with, besides each batch's facts.
    private struct Rule {
        let action: RepairAction
        let recheck: [TriggerLogQuery]
        let includeSuperseded: Bool
        /// The later entries of the run's records when it started (retries).
        var start = LaterSuccesses()

        init(action: RepairAction, recheck: [TriggerLogQuery], includeSuperseded: Bool) {
            self.action = action
            self.recheck = recheck
            self.includeSuperseded = includeSuperseded
        }

        var isRetry: Bool {
            if case .retry = action { return true }
            return false
        }
    }

    /// Reads a batch's facts (locking its entries when `hold`), decides for each entry and
    /// plans the batch; entries no longer in their table are `.gone`.
    private func plan(
        _ rule: Rule, _ batch: [Candidate], _ statements: RepairStatements, hold: Bool
    ) throws -> RepairPlan {
        let schema = rule.isRetry ? try store.schema : nil
        let tables = schema?.mappedTables.filter { $0.repairability == .readWrite } ?? []
        let statement = try statements.facts(batch, recheck: rule.recheck, hold: hold, tables: tables, start: rule.start)
        var facts = try BatchFacts(try connection.query(statement.sql, statement.parameters))
        if hold, facts.entries.count < batch.count {
            // held by another session (or gone): read as they are, to say which
            let read = Set(facts.entries.map(\.target))
            let unheld = statements.unheld(batch.map(\.target).filter { !read.contains($0) }, recheck: rule.recheck)
            facts.entries += try BatchFacts(try connection.query(unheld.sql, unheld.parameters)).entries
        }
        let decided = facts.entries.map { entry in
            let mapping = schema?.mappingStatus(ofLogTable: entry.tableName) ?? .readWrite
            let decision = RepairDecision.decide(
                rule.action, entry, mapping: mapping, record: facts.record(of: entry),
                later: facts.later(for: entry, atStart: rule.start.later), includeSuperseded: rule.includeSuperseded)
            return (entry, decision)
        }
        var plan = RepairPlan(rule.action, decided)
        let found = Set(facts.entries.map(\.target))
        plan.appendGone(batch.map(\.target).filter { !found.contains($0) })
        return plan
    }

    /// One batch, in one transaction: facts (locking), decisions, the plan carried out; for
    /// ignore, one statement that is its own transaction.
    private func change(_ rule: Rule, _ batch: [Candidate], _ statements: RepairStatements) throws -> [RepairOutcome] {
        do {
            if !rule.isRetry { return try ignore(rule, batch, statements) }
            return try connection.withTransaction {
                let plan = try self.plan(rule, batch, statements, hold: true)
                guard !plan.isEmpty else { return plan.outcomes }
                let schema = try store.schema
                let captured = Set(plan.captures.map(\.tableName))
                let statement = try statements.change(
                    plan, sequence: plan.copies.isEmpty ? "" : try sequence(statements),
                    tables: schema.mappedTables.filter { captured.contains($0.name) }, hstoreSchema: schema.hstoreSchema)
                let rows = try connection.query(statement.sql, statement.parameters)
                return try plan.carriedOut(ChangeRows(rows))
            }
        } catch let error as PostgresError
            where error.sqlState == SQLState.lockNotAvailable && statements.locking == .noWait
        {
            throw HerokuConnectError.entryLocked(id: batch[0].target.id)
        }
    }

    /// Ignore's batch: one statement sets what it can to IGNORED, re-checking each entry; the
    /// entries it did not change (usually none) are then read and decided as a dry run
    /// would, not held.
    ///
    /// The statement is first a plain `UPDATE`, in a transaction whose lock timeout is a
    /// millisecond: no entry is held by another session (the usual case), and each is found
    /// and changed in one look-up. When one is held, that transaction fails at once and the
    /// batch runs again as a statement that locks first, skipping the held entries (or, for
    /// a single explicit entry, failing on it), its own transaction under the session's lock
    /// timeout.
    private func ignore(_ rule: Rule, _ batch: [Candidate], _ statements: RepairStatements) throws -> [RepairOutcome] {
        let targets = batch.map(\.target)
        let live = targets.filter { $0.location == .live }.map(\.id)
        let archive = targets.filter { $0.location == .archive }.map(\.id)
        var outcomes: [RepairOutcome] = []
        let rows = try ignoring(live: live, archive: archive, recheck: rule.recheck, statements)
        outcomes.reserveCapacity(rows.count)
        let (idColumn, archived) = (try rows.column("id"), try rows.column("archived"))
        let (tableName, recordID) = (try rows.column("table_name"), try rows.column("record_id"))
        for row in rows {
            guard let id = try row.int(idColumn) else { continue }
            outcomes.append(
                RepairOutcome(
                    id: id, location: try row.bool(archived) == true ? .archive : .live, tableName: row.string(tableName),
                    recordID: try row.int(recordID), result: .changed(.ignored, newID: nil)))
        }
        // (each entry is changed once: when every one was, there is no rest to look for)
        let ignored = outcomes.count == batch.count ? [] : Set(outcomes.map { Target(id: $0.id, location: $0.location) })
        let rest = outcomes.count == batch.count ? [] : batch.filter { !ignored.contains($0.target) }
        if !rest.isEmpty {
            // Not changed: not FAILED, no longer matching, or held by another session (not
            // held here, so a FAILED and matching one is reported as locked).
            let plan = try self.plan(rule, rest, statements, hold: false)
            outcomes += plan.outcomes.map { outcome in
                guard outcome.result.isChange else { return outcome }
                return RepairOutcome(
                    id: outcome.id, location: outcome.location, tableName: outcome.tableName, recordID: outcome.recordID,
                    result: .locked)
            }
        }
        return outcomes.sorted { RepairPlan.entryOrder(.init(id: $0.id, location: $0.location), .init(id: $1.id, location: $1.location)) }
    }

    /// The rows of ignore's batch statement: the plain form under a lock timeout of a
    /// millisecond, else (an entry or the table held) the form that locks first.
    private func ignoring(
        live: [Int], archive: [Int], recheck: [TriggerLogQuery], _ statements: RepairStatements
    ) throws(PostgresError) -> PostgresRows {
        let plain = statements.ignore(live: live, archive: archive, recheck: recheck, lockingFirst: false)
        do {
            return try connection.queryInOwnTransaction(plain.sql, plain.parameters, settings: [("lock_timeout", "1ms")])
        } catch where error.sqlState == SQLState.lockNotAvailable {
            let locking = statements.ignore(live: live, archive: archive, recheck: recheck, lockingFirst: true)
            return try connection.query(locking.sql, locking.parameters)
        }
    }

    /// The later entries of the candidates' records when the run starts (see
    /// ``LaterSuccesses``).
    private func laterSuccesses(of entries: [Candidate], _ statements: RepairStatements) throws -> LaterSuccesses {
        // each record with its first entry (the candidates are in id order)
        var first: [RecordKey: Int] = [:]
        first.reserveCapacity(entries.count)
        for entry in entries {
            guard let table = entry.tableName, let record = entry.recordID else { continue }
            let key = RecordKey(tableName: table, recordID: record)
            if first[key] == nil { first[key] = entry.target.id }
        }
        let statement = statements.laterSuccesses(first.map { (key: $0.key, first: $0.value) })
        return try LaterSuccesses(try connection.query(statement.sql, statement.parameters))
    }

    /// The live log's sequence, looked up once.
    private func sequence(_ statements: RepairStatements) throws -> String {
        if let liveSequence { return liveSequence }
        let statement = statements.liveSequence()
        guard let name = try connection.query(statement.sql, statement.parameters).first?.string(0) else {
            throw PostgresError(.unexpectedResult, message: "the live trigger log has no id sequence")
        }
        liveSequence = name
        return name
    }
}

extension ConnectSchema {
    /// Whether the entries of the log's `table_name` can be repaired: the mapping of the
    /// table with exactly this name.
    public func mappingStatus(ofLogTable tableName: String?) -> MappingStatus {
        guard let tableName, let table = mappedTables.first(where: { $0.name == tableName }) else { return .notMapped }
        return table.repairability
    }
}
