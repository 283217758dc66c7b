import Postgres

/// Resolving a selection to the entries it names, and cutting them into batches.
extension TriggerLogRepair {
    /// Resolves a selection to the entries it names now, in id order. A query's relative
    /// times (`--since 2d`) are fixed to the server's time now, so the batches re-check the
    /// same bounds.
    ///
    /// - Parameters:
    ///   - max: At most this many entries (ids beyond it are dropped).
    ///   - records: Read each entry's table and record, which a retry needs to keep a
    ///     record's entries in one batch; an ignore does not.
    /// - Throws: ``PostgresError``.
    public func candidates(for selection: Selection, max: Int? = nil, records: Bool = true) throws -> Candidates {
        switch selection {
        case .ids(let ids):
            var unique = Array(Set(ids)).sorted()
            if let max, unique.count > max { unique = Array(unique.prefix(max)) }
            guard !unique.isEmpty else { return Candidates(entries: [], notFound: [], isExplicit: true) }
            // Selecting is part of the bulk work: it waits out a lock (a migration, VACUUM
            // FULL) like the batches do; for a single entry the lock is reported at once.
            let selected = try store.executor.run("selecting entries", isBulk: unique.count > 1) {
                try self.entries(matching: TriggerLogQuery().ids(unique).ordered(.idAscending), records: records)
            }
            let found = Set(selected.map(\.target.id))
            return Candidates(entries: selected, notFound: unique.filter { !found.contains($0) }, isExplicit: true)
        case .failed(let query):
            let (selected, pinned) = try store.executor.run("selecting entries", isBulk: true) {
                let pinned = try self.pinned(query.states([.failed]))
                return (try self.entries(matching: pinned.ordered(.idAscending).limit(max), records: records), pinned)
            }
            return Candidates(entries: selected, notFound: [], isExplicit: false, recheck: [pinned.limit(nil)])
        }
    }

    /// The query with its relative time bounds replaced by the times they stand for now, on
    /// the server's clock; the query itself when it has none.
    public func pinned(_ query: TriggerLogQuery) throws -> TriggerLogQuery {
        let since = if case .ago(let seconds)? = query.createdSince { seconds } else { Int?.none }
        let until = if case .ago(let seconds)? = query.createdUntil { seconds } else { Int?.none }
        guard since != nil || until != nil else { return query }
        let row = try connection.query(
            "SELECT (statement_timestamp() - $1::interval)::text, (statement_timestamp() - $2::interval)::text",
            [.text("\(since ?? 0) seconds"), .text("\(until ?? 0) seconds")])[0]
        var pinned = query
        if since != nil, let text = row.string(0) { pinned.createdSince = .absolute(text) }
        if until != nil, let text = row.string(1) { pinned.createdUntil = .absolute(text) }
        return pinned
    }

    /// The entries `query` selects, in id order (live before archive for an id in both).
    /// Without a limit the server does not sort them (ids sort here, far cheaper than the
    /// server's sort of a large selection, which spills to disk).
    ///
    /// Read through a cursor, a chunk of rows at a time: memory does not grow with a
    /// result held whole, and the rows do not come one result each (libpq's single-row
    /// mode cost a quarter of a bulk ignore's client time).
    private func entries(matching query: TriggerLogQuery, records: Bool) throws -> [Candidate] {
        let statement = query.selectStatement(
            schema: store.schemaName, columns: records ? "id, table_name, record_id" : "id", ordered: query.limit != nil)
        var entries: [Candidate] = []
        try connection.withTransaction {
            try connection.execute(
                "DECLARE hcconnect_selection NO SCROLL CURSOR FOR " + statement.sql, statement.parameters)
            while true {
                let rows = try connection.query("FETCH \(Self.selectionChunk) FROM hcconnect_selection")
                // (the select list's own columns first, then the flag selectStatement adds)
                let archived = try rows.column("archived")
                for row in rows {
                    guard let id = try row.int(0) else { continue }
                    let target = Target(id: id, location: try row.bool(archived) == true ? .archive : .live)
                    guard records else {
                        entries.append(Candidate(target: target, tableName: nil, recordID: nil))
                        continue
                    }
                    entries.append(Candidate(target: target, tableName: row.string(1), recordID: try row.int(2)))
                }
                if rows.count < Self.selectionChunk { break }
            }
        }
        entries.sort { RepairPlan.entryOrder($0.target, $1.target) }
        return entries
    }

    /// The selection's rows fetched at a time.
    private static let selectionChunk = 20_000

    /// The candidates in batches of about `size` entries, in id order, each record's entries
    /// (same table and record id; an id in both tables) in one batch, so the run changes
    /// each record once. A record with more entries than `size` makes a larger batch.
    public static func batches(_ entries: [Candidate], size: Int) -> [[Candidate]] {
        // Each entry's group: the first entry of its record (or of its id), by position.
        var first: [GroupKey: Int] = [:]
        // (sized up front: growing a dictionary of a hundred thousand keys rehashes them all
        // at every doubling, which was a tenth of a bulk retry's client time)
        first.reserveCapacity(entries.count)
        var groupOf: [Int] = []
        groupOf.reserveCapacity(entries.count)
        for (index, entry) in entries.enumerated() {
            let key =
                if let table = entry.tableName, let record = entry.recordID {
                    GroupKey.record(RecordKey(tableName: table, recordID: record))
                } else { GroupKey.entry(entry.target.id) }
            if let group = first[key] { groupOf.append(group) } else {
                first[key] = index
                groupOf.append(index)
            }
        }
        var members: [Int: [Int]] = [:]
        for (index, group) in groupOf.enumerated() where group != index { members[group, default: []].append(index) }
        var batches: [[Candidate]] = []
        var batch: [Candidate] = []
        for (index, group) in groupOf.enumerated() where group == index {
            batch.append(entries[index])
            for member in members[index] ?? [] { batch.append(entries[member]) }
            if batch.count >= max(size, 1) {
                batches.append(batch)
                batch = []
            }
        }
        if !batch.isEmpty { batches.append(batch) }
        return batches
    }

    /// What keeps entries in one batch: their record, or (without one) their id.
    private enum GroupKey: Hashable {
        case record(RecordKey)
        case entry(Int)
    }
}
