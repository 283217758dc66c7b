import Postgres

/// Retries and ignores FAILED trigger log entries, the way Heroku Connect's recovery
/// procedures say, in batches that each commit on their own.
///
/// Only entries that are FAILED at the moment of the change are changed: each batch's
/// statements lock the entries and re-check the state in the change itself, so an entry that
/// Heroku Connect's worker or another hcconnect holds or has changed is left alone and
/// reported. A batch is a handful of statements for all of its entries, never one per entry.
/// An interrupted run leaves every batch done or untouched; running it again selects what is
/// still FAILED, so nothing is done twice.
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

    /// The entries a selection named when it was resolved, in id order.
    public struct Candidates: Sendable, Equatable {
        /// The entries found (an id in both tables is two targets).
        public var targets: [Target]
        /// Explicit ids found in neither table.
        public var notFound: [Int]
        /// True when the selection was a list of ids rather than a query.
        public var isExplicit: Bool

        public init(targets: [Target], notFound: [Int], isExplicit: Bool) {
            self.targets = targets
            self.notFound = notFound
            self.isExplicit = isExplicit
        }

        /// Entries asked for, found or not.
        public var requested: Int { targets.count + notFound.count }
    }

    /// Called after each batch with the summary so far and the batch's outcomes; in a dry
    /// run also with the batch's entries as they are now.
    public typealias BatchObserver = (_ summary: RepairSummary, _ outcomes: [RepairOutcome], _ entries: [TriggerLogEntry]) throws -> Void

    /// The default number of entries per batch (and transaction).
    public static let defaultBatchSize = 1000

    public let store: TriggerLogStore
    private var connection: PostgresConnection { store.connection }
    private var schema: ConnectSchema { get throws { try store.schema } }
    private var liveSequence: String?

    public init(store: TriggerLogStore) {
        self.store = store
    }

    // MARK: - Selecting

    /// Resolves a selection to the entries it names now, in id order.
    ///
    /// - Parameter max: At most this many entries (ids beyond it are dropped).
    /// - Throws: ``PostgresError``.
    public func candidates(for selection: Selection, max: Int? = nil) throws -> Candidates {
        switch selection {
        case .ids(let ids):
            var unique = Array(Set(ids)).sorted()
            if let max, unique.count > max { unique = Array(unique.prefix(max)) }
            guard !unique.isEmpty else { return Candidates(targets: [], notFound: [], isExplicit: true) }
            // Selecting is part of the bulk work: it waits out a lock (a migration, VACUUM
            // FULL) like the batches do; for a single entry the lock is reported at once.
            let selected = try store.executor.run("selecting entries", isBulk: unique.count > 1) {
                try self.targets(matching: TriggerLogQuery().ids(unique).ordered(.idAscending))
            }
            let found = Set(selected.map(\.id))
            return Candidates(targets: selected, notFound: unique.filter { !found.contains($0) }, isExplicit: true)
        case .failed(let query):
            let query = query.states([.failed]).ordered(.idAscending).limit(max)
            let selected = try store.executor.run("selecting entries", isBulk: true) { try self.targets(matching: query) }
            return Candidates(targets: selected, notFound: [], isExplicit: false)
        }
    }

    /// The entries `query` selects, in id order (live before archive for an id in both).
    /// Without a limit the server does not sort them (ids sort here, far cheaper than the
    /// server's sort of a large selection, which spills to disk).
    private func targets(matching query: TriggerLogQuery) throws -> [Target] {
        let statement = query.selectStatement(schema: store.schemaName, columns: "id", ordered: query.limit != nil)
        var targets: [Target] = []
        try connection.forEachRow(statement.sql, statement.parameters) { row in
            guard let id = try row.int(0) else { return }
            targets.append(Target(id: id, location: try row.bool(1) == true ? .archive : .live))
        }
        targets.sort { ($0.id, $0.location == .archive ? 1 : 0) < ($1.id, $1.location == .archive ? 1 : 0) }
        return targets
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
    ///   - observer: Called after each batch.
    /// - Returns: What was done.
    /// - Throws: ``HerokuConnectError``, ``PostgresError``, or what `observer` throws; the
    ///   batches committed before stay committed, and the summary so far went to `observer`.
    public func run(
        _ action: RepairAction, on candidates: Candidates, batchSize: Int = defaultBatchSize, dryRun: Bool = false,
        observer: BatchObserver? = nil
    ) throws -> RepairSummary {
        if case .retry(.ordered, _) = action, !candidates.targets.isEmpty, !dryRun {
            try schema.requireProcedure(.insert)
            try schema.requireProcedure(.update)
        }
        var summary = RepairSummary(action: action, isDryRun: dryRun)
        summary.requested = candidates.requested
        summary.notFound = candidates.notFound
        let locking: RepairStatements.Locking =
            candidates.isExplicit && candidates.targets.count == 1 ? .noWait : .skipLocked
        let statements = RepairStatements(schemaName: store.schemaName, locking: locking)
        var start = 0
        while start < candidates.targets.count {
            let batch = Array(candidates.targets[start..<min(start + max(batchSize, 1), candidates.targets.count)])
            start += batch.count
            var entries: [TriggerLogEntry] = []
            var outcomes: [RepairOutcome]
            // A batch is repeated after a transient error even when its commit's outcome is
            // unknown: its statements change only entries still FAILED, so a batch that did
            // commit changes nothing the second time (its entries are reported as not FAILED).
            let operation = "batch \(summary.batches + 1)"
            if dryRun {
                (outcomes, entries) = try store.executor.run(operation, isBulk: true) { try plan(action, batch) }
                outcomes = Self.completed(outcomes, for: batch)
            } else {
                outcomes = try store.executor.run(operation, safety: .idempotent, isBulk: true) {
                    try change(action, batch, statements)
                }
            }
            for outcome in outcomes { summary.record(outcome) }
            summary.batches += 1
            try observer?(summary, outcomes, entries)
        }
        return summary
    }

    /// One batch, in one transaction.
    private func change(
        _ action: RepairAction, _ batch: [Target], _ statements: RepairStatements
    ) throws -> [RepairOutcome] {
        do {
            return try connection.withTransaction {
                if case .retry(.ordered, let viaConnect) = action {
                    return Self.completed(try recapture(batch, viaConnect: viaConnect, statements), for: batch)
                }
                var outcomes: [RepairOutcome] = []
                for location in TriggerLogLocation.allCases {
                    let ids = batch.filter { $0.location == location }.map(\.id)
                    guard !ids.isEmpty else { continue }
                    switch action {
                    case .ignore:
                        outcomes += try setState(.ignored, step: .ignored, ids, location, statements)
                    case .retry(_, let viaConnect):
                        outcomes += try requeue(ids, location, viaConnect: viaConnect, statements)
                    }
                }
                return Self.completed(outcomes, for: batch)
            }
        } catch let error as PostgresError where error.sqlState == "55P03" && statements.locking == .noWait {
            throw HerokuConnectError.entryLocked(id: batch[0].id)
        }
    }

    /// The outcomes in id order, with `.gone` for each target the statements no longer
    /// found in its table.
    private static func completed(_ outcomes: [RepairOutcome], for batch: [Target]) -> [RepairOutcome] {
        let answered = Set(outcomes.map { Target(id: $0.id, location: $0.location) })
        let gone = batch.filter { !answered.contains($0) }.map { target in
            RepairOutcome(id: target.id, location: target.location, tableName: nil, recordID: nil, result: .gone)
        }
        return (outcomes + gone).sorted { ($0.id, $0.location == .archive ? 1 : 0) < ($1.id, $1.location == .archive ? 1 : 0) }
    }

    /// Merged writes: live entries back to NEW; archived ones copied back (or set to REQUEUE).
    private func requeue(
        _ ids: [Int], _ location: TriggerLogLocation, viaConnect: Bool, _ statements: RepairStatements
    ) throws -> [RepairOutcome] {
        switch (location, viaConnect) {
        case (.live, _):
            return try setState(.new, step: .requeuedInPlace, ids, location, statements)
        case (.archive, true):
            return try setState(.requeue, step: .markedRequeue, ids, location, statements)
        case (.archive, false):
            let rows = try connection.query(
                statements.copyArchivedToLive(), [.array(ids), .text(try sequence(statements))])
            return try outcomes(rows, location) { _ in .copiedToLive }
                + unchangedOutcomes(ids, answered: rows, location, statements)
        }
    }

    /// Ordered writes: INSERT and UPDATE entries re-captured from their record's current
    /// state in one statement for all tables and both log tables, in entry order; the rest
    /// (DELETE) re-queued as under merged writes.
    private func recapture(_ batch: [Target], viaConnect: Bool, _ statements: RepairStatements) throws -> [RepairOutcome] {
        let ids = { (location: TriggerLogLocation) in batch.filter { $0.location == location }.map(\.id) }
        let live = TriggerLogLocation.live.qualifiedName(in: store.schemaName)
        let archive = TriggerLogLocation.archive.qualifiedName(in: store.schemaName)
        let rows = try connection.query(
            """
            SELECT id, state, table_name, record_id, action, "values", false FROM \(live) WHERE id = ANY($1::int[])
            UNION ALL
            SELECT id, state, table_name, record_id, action, "values", true FROM \(archive) WHERE id = ANY($2::int[])
            """,
            [.array(ids(.live)), .array(ids(.archive))])
        var outcomes: [RepairOutcome] = []
        var captures: [TriggerLogLocation: [Int]] = [:]
        var tables: [MappedTable] = []
        var keys: [String?] = []
        var columns: [String?] = []
        var requeued: [TriggerLogLocation: [Int]] = [:]
        for row in rows {
            guard let id = try row.int(0) else { continue }
            let location: TriggerLogLocation = try row.bool(6) == true ? .archive : .live
            let state = row.string(1).map(TriggerLogState.init(rawValue:))
            let tableName = row.string(2)
            let action = row.string(4).map(TriggerLogAction.init(rawValue:))
            let recordID = try row.int(3)
            let outcome = { (result: RepairOutcome.Result) in
                RepairOutcome(id: id, location: location, tableName: tableName, recordID: recordID, result: result)
            }
            guard state == .failed else {
                outcomes.append(outcome(.notFailed(state)))
                continue
            }
            guard action == .insert || action == .update else {
                requeued[location, default: []].append(id)
                continue
            }
            guard let table = try schema.mappedTables.first(where: { $0.name == tableName }) else {
                outcomes.append(outcome(.tableNotMapped))
                continue
            }
            if action == .update, let text = row.string(5) {
                // The entry's columns, read with hcconnect's own parser: an unreadable
                // `values` is reported instead of failing the whole batch in the server.
                let values = HStore(text: text)
                guard values.isWellFormed else {
                    outcomes.append(outcome(.valuesUnreadable))
                    continue
                }
                for key in values.keys {
                    keys.append(RepairStatements.columnKey(id, location))
                    columns.append(key)
                }
            }
            captures[location, default: []].append(id)
            if !tables.contains(table) { tables.append(table) }
        }
        if !tables.isEmpty {
            let rows = try connection.query(
                try statements.captureCurrentState(tables: tables, hstoreSchema: try schema.hstoreSchema),
                [.array(captures[.live] ?? []), .array(captures[.archive] ?? []), .array(keys), .array(columns)]
                    + tables.map { .text($0.name) })
            outcomes += try self.outcomes(rows, nil) { action in action == .insert ? .capturedInsert : .capturedUpdate }
        }
        for (location, ids) in requeued.sorted(by: { $0.key == .live && $1.key == .archive }) {
            outcomes += try requeue(ids, location, viaConnect: viaConnect, statements)
        }
        return outcomes
    }

    private func setState(
        _ state: TriggerLogState, step: RepairStep, _ ids: [Int], _ location: TriggerLogLocation,
        _ statements: RepairStatements
    ) throws -> [RepairOutcome] {
        let rows = try connection.query(statements.setState(in: location), [.array(ids), .text(state.rawValue)])
        return try outcomes(rows, location) { _ in step } + unchangedOutcomes(ids, answered: rows, location, statements)
    }

    /// The outcomes of the ids a merged-writes statement did not change (none, usually):
    /// read as they are now, in the batch's transaction.
    private func unchangedOutcomes(
        _ ids: [Int], answered rows: PostgresRows, _ location: TriggerLogLocation, _ statements: RepairStatements
    ) throws -> [RepairOutcome] {
        guard rows.count < ids.count else { return [] }
        let changed = Set(try rows.compactMap { try $0.int(0) })
        let rest = ids.filter { !changed.contains($0) }
        let unchanged = try connection.query(statements.unchanged(in: location), [.array(rest)])
        return try outcomes(unchanged, location, step: nil)
    }

    /// Reads a repair statement's answer (see ``RepairStatements``).
    ///
    /// - Parameters:
    ///   - location: The log table, or nil when the rows say (a ninth column, `archived`).
    ///   - step: What a changed entry went through, by its action; nil for a statement that
    ///     changes nothing (``RepairStatements/unchanged(in:)``).
    private func outcomes(
        _ rows: PostgresRows, _ location: TriggerLogLocation?, step: ((TriggerLogAction?) -> RepairStep)?
    ) throws -> [RepairOutcome] {
        try rows.map { row in
            guard let id = try row.int(0) else {
                throw PostgresError(.unexpectedResult, message: "a repair statement answered a row without id")
            }
            let state = row.string(1).map(TriggerLogState.init(rawValue:))
            let action = row.string(4).map(TriggerLogAction.init(rawValue:))
            let result: RepairOutcome.Result
            if try row.bool(5) == true {
                guard let step else {
                    throw PostgresError(.unexpectedResult, message: "a statement that changes nothing answered a changed row")
                }
                result = .changed(step(action), newID: try row.int(6))
            } else if state != .failed {
                result = .notFailed(state)
            } else if try row.bool(7) == false {
                result = .recordMissing
            } else {
                result = .locked
            }
            let rowLocation = try location ?? (row.bool(8) == true ? .archive : .live)
            return RepairOutcome(
                id: id, location: rowLocation, tableName: row.string(2), recordID: try row.int(3), result: result)
        }
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

    // MARK: - Dry run

    /// What a batch would do, worked out with read-only statements, and its entries.
    private func plan(_ action: RepairAction, _ batch: [Target]) throws -> ([RepairOutcome], [TriggerLogEntry]) {
        let wanted = Set(batch)
        let entries = try store.entries(matching: TriggerLogQuery().ids(batch.map(\.id).uniqued()).ordered(.idAscending))
            .filter { wanted.contains(Target(id: $0.id, location: $0.location)) }
        var existing: Set<RecordKey> = []
        if case .retry(.ordered, _) = action {
            existing = try existingRecords(for: entries.filter { $0.state == .failed && ($0.action == .insert || $0.action == .update) })
        }
        let mapped = Set(try schema.mappedTables.map(\.name))
        let outcomes = entries.map { entry in
            RepairOutcome(
                id: entry.id, location: entry.location, tableName: entry.tableName, recordID: entry.recordID,
                result: plannedResult(action, entry, existing, mapped: mapped))
        }
        return (outcomes, entries)
    }

    private func plannedResult(
        _ action: RepairAction, _ entry: TriggerLogEntry, _ existing: Set<RecordKey>, mapped: Set<String>
    ) -> RepairOutcome.Result {
        guard entry.state == .failed else { return .notFailed(entry.state) }
        let merged: RepairStep =
            switch (entry.location, action) {
            case (.live, _): .requeuedInPlace
            case (.archive, .retry(_, viaConnect: true)): .markedRequeue
            case (.archive, _): .copiedToLive
            }
        switch action {
        case .ignore:
            return .changed(.ignored, newID: nil)
        case .retry(.merged, _):
            return .changed(merged, newID: nil)
        case .retry(.ordered, _):
            guard entry.action == .insert || entry.action == .update else { return .changed(merged, newID: nil) }
            guard let tableName = entry.tableName, mapped.contains(tableName) else {
                return .tableNotMapped
            }
            if entry.action == .update, entry.values?.isWellFormed == false { return .valuesUnreadable }
            guard let recordID = entry.recordID, existing.contains(RecordKey(table: tableName, id: recordID)) else {
                return .recordMissing
            }
            return .changed(entry.action == .insert ? .capturedInsert : .capturedUpdate, newID: nil)
        }
    }

    private struct RecordKey: Hashable {
        let table: String
        let id: Int
    }

    /// The records among the entries' that exist, one statement per mapped table.
    private func existingRecords(for entries: [TriggerLogEntry]) throws -> Set<RecordKey> {
        var byTable: [String: [Int]] = [:]
        for entry in entries {
            guard let table = entry.tableName, let id = entry.recordID else { continue }
            byTable[table, default: []].append(id)
        }
        var existing: Set<RecordKey> = []
        for (table, ids) in byTable {
            guard let mapped = try schema.mappedTables.first(where: { $0.name == table }) else { continue }
            let records = SQLIdentifier.qualified(store.schemaName, try SQLIdentifier(mapped.name))
            for row in try connection.query("SELECT id FROM \(records) WHERE id = ANY($1::int[])", [.array(ids.uniqued())]) {
                if let id = try row.int(0) { existing.insert(RecordKey(table: table, id: id)) }
            }
        }
        return existing
    }
}
