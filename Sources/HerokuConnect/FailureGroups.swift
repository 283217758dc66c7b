import Postgres

/// Failed entries with one cause: the same Salesforce status code and masked message (see
/// ``SalesforceErrorMessage``), and with ``FailureGroups/splitsByTable`` the same table.
public struct FailureGroup: Sendable, Equatable {
    /// The code and masked message every entry of the group has.
    public var message: SalesforceErrorMessage
    /// The table of every entry, when groups are split by table; nil otherwise.
    public var table: String?
    /// One original `sf_message` of the group: the one of its newest entry.
    public var exampleMessage: String?
    /// How many entries the group holds.
    public var count: Int
    /// How many of them are in the live log.
    public var liveCount: Int
    /// How many of them are in the archive.
    public var archiveCount: Int
    /// The entries per table, most first (ties by name; entries without a table last).
    public var tableCounts: [TableCount]
    /// When the first of them failed: `processed_at` (when Connect gave up on it), or
    /// `created_at` for entries Connect left no time on. Nil when no entry has either.
    public var firstSeen: PostgresTimestamp?
    /// When the last of them failed, in the same sense as ``firstSeen``.
    public var lastSeen: PostgresTimestamp?
    /// The ids of the newest entries (by the same time, then id), newest first.
    public var exampleIDs: [Int]

    /// The number of entries of one table in a group.
    public struct TableCount: Sendable, Equatable {
        /// The table; nil for entries without a `table_name`.
        public var table: String?
        public var count: Int

        public init(table: String?, count: Int) {
            self.table = table
            self.count = count
        }
    }
}

/// Groups failed entries by cause as they stream past, in memory that grows with the
/// number of groups, not entries.
///
/// ``TriggerLogStore/failureGroups(matching:examplesPerGroup:splittingByTable:)`` feeds it
/// from the database; ``add(message:original:table:isArchived:count:firstSeen:lastSeen:newest:)``
/// takes entries (or bunches of entries already counted) from anywhere.
public struct FailureGroups: Sendable {
    /// How many example ids each group keeps.
    public let examplesPerGroup: Int
    /// Whether a cause seen on two tables makes two groups.
    public let splitsByTable: Bool

    private struct Key: Hashable {
        var message: SalesforceErrorMessage
        var table: String??
    }

    private struct Accumulator {
        var group: FailureGroup
        var tableCounts: [String?: Int] = [:]
        /// The newest entries, newest first, at most `examplesPerGroup`.
        var newest: [Example] = []

        mutating func add(
            original: String?, isArchived: Bool, table: String?, count: Int, firstSeen: PostgresTimestamp?,
            lastSeen: PostgresTimestamp?, newest more: ArraySlice<Example>, limit: Int
        ) {
            let isNewest = group.count == 0 || lastSeen.map { latest in group.lastSeen.map { latest > $0 } ?? true } == true
            if isNewest { group.exampleMessage = original }
            group.count += count
            if isArchived { group.archiveCount += count } else { group.liveCount += count }
            tableCounts[table, default: 0] += count
            if let firstSeen, group.firstSeen.map({ firstSeen < $0 }) ?? true { group.firstSeen = firstSeen }
            if let lastSeen, group.lastSeen.map({ lastSeen > $0 }) ?? true { group.lastSeen = lastSeen }
            newest = FailureGroups.merged(newest, more, limit: limit)
        }
    }

    /// One entry's id and the time it failed.
    public struct Example: Sendable, Equatable {
        public var id: Int
        public var seen: PostgresTimestamp?

        public init(id: Int, seen: PostgresTimestamp?) {
            self.id = id
            self.seen = seen
        }

        /// Newer first: later time, no time last, then higher id.
        static func isNewer(_ lhs: Example, than rhs: Example) -> Bool {
            switch (lhs.seen, rhs.seen) {
            case (let left?, let right?) where left != right: return left > right
            case (.some, nil): return true
            case (nil, .some): return false
            default: return lhs.id > rhs.id
            }
        }
    }

    private var indexes: [Key: Int] = [:]
    private var accumulators: [Accumulator] = []

    /// No groups yet.
    ///
    /// - Parameters:
    ///   - examplesPerGroup: How many of the newest ids each group keeps (0 for none).
    ///   - splitsByTable: Whether the same cause on two tables makes two groups.
    public init(examplesPerGroup: Int = 3, splitsByTable: Bool = false) {
        self.examplesPerGroup = max(0, examplesPerGroup)
        self.splitsByTable = splitsByTable
    }

    /// The number of entries added so far.
    public private(set) var entryCount = 0

    /// Adds `count` entries that share one original message, table and log table.
    ///
    /// - Parameters:
    ///   - message: The masked message (parse the original with ``SalesforceErrorMessage``).
    ///   - original: The original `sf_message`, kept as the group's example when these are
    ///     its newest entries.
    ///   - firstSeen, lastSeen: The earliest and latest failure time among them.
    ///   - newest: Their newest entries, newest first (more than ``examplesPerGroup`` are ignored).
    public mutating func add(
        message: SalesforceErrorMessage, original: String?, table: String?, isArchived: Bool, count: Int = 1,
        firstSeen: PostgresTimestamp?, lastSeen: PostgresTimestamp?, newest: [Example]
    ) {
        let key = Key(message: message, table: splitsByTable ? .some(table) : .none)
        let index: Int
        if let known = indexes[key] {
            index = known
        } else {
            index = accumulators.count
            indexes[key] = index
            accumulators.append(Accumulator(group: FailureGroup(
                message: message, table: splitsByTable ? table : nil, exampleMessage: nil, count: 0, liveCount: 0,
                archiveCount: 0, tableCounts: [], firstSeen: nil, lastSeen: nil, exampleIDs: [])))
        }
        entryCount += count
        accumulators[index].add(
            original: original, isArchived: isArchived, table: table, count: count, firstSeen: firstSeen,
            lastSeen: lastSeen, newest: newest.prefix(examplesPerGroup), limit: examplesPerGroup)
    }

    /// The two lists, each newest first, merged and cut to `limit`.
    fileprivate static func merged(_ first: [Example], _ second: ArraySlice<Example>, limit: Int) -> [Example] {
        guard !second.isEmpty else { return first }
        var result: [Example] = []
        result.reserveCapacity(limit)
        var left = first[...]
        var right = second
        while result.count < limit, let next = pick(&left, &right) { result.append(next) }
        return result
    }

    private static func pick(_ left: inout ArraySlice<Example>, _ right: inout ArraySlice<Example>) -> Example? {
        switch (left.first, right.first) {
        case (let l?, let r?): Example.isNewer(r, than: l) ? right.popFirst() : left.popFirst()
        case (.some, nil): left.popFirst()
        case (nil, .some): right.popFirst()
        case (nil, nil): nil
        }
    }

    /// The groups, largest first; ties by the latest failure (newest first), then by
    /// code, message and table.
    public var groups: [FailureGroup] {
        accumulators.map { accumulator in
            var group = accumulator.group
            group.tableCounts = accumulator.tableCounts.map { FailureGroup.TableCount(table: $0.key, count: $0.value) }
                .sorted { lhs, rhs in
                    if lhs.count != rhs.count { return lhs.count > rhs.count }
                    guard let left = lhs.table else { return false }
                    guard let right = rhs.table else { return true }
                    return left < right
                }
            group.exampleIDs = accumulator.newest.map(\.id)
            return group
        }.sorted { lhs, rhs in
            if lhs.count != rhs.count { return lhs.count > rhs.count }
            if lhs.lastSeen != rhs.lastSeen {
                guard let left = lhs.lastSeen else { return false }
                guard let right = rhs.lastSeen else { return true }
                return left > right
            }
            if lhs.message.code != rhs.message.code { return (lhs.message.code ?? "") < (rhs.message.code ?? "") }
            if lhs.message.maskedText != rhs.message.maskedText { return lhs.message.maskedText < rhs.message.maskedText }
            return (lhs.table ?? "") < (rhs.table ?? "")
        }
    }
}

extension TriggerLogStore {
    /// The selected entries grouped by cause (``FailureGroups``); give it
    /// `TriggerLogQuery.failed()` with the filters for failures. The query's order and
    /// limit are ignored.
    ///
    /// The server counts the entries per exact `sf_message`, table and log table and keeps
    /// the newest ids of each; only those counts travel, and are masked and merged here, so
    /// neither side holds the entries.
    ///
    /// - Parameters:
    ///   - examplesPerGroup: How many of the newest ids each group keeps.
    ///   - splittingByTable: Whether the same cause on two tables makes two groups.
    /// - Throws: ``PostgresError``.
    public func failureGroups(
        matching query: TriggerLogQuery, examplesPerGroup: Int = 3, splittingByTable: Bool = false
    ) throws -> FailureGroups {
        var groups = FailureGroups(examplesPerGroup: examplesPerGroup, splitsByTable: splittingByTable)
        let selection = query.limit(nil).selectStatement(
            schema: schema.name, columns: "id, table_name, sf_message, coalesce(processed_at, created_at) AS seen",
            ordered: false)
        let parameters = selection.parameters + [.int(groups.examplesPerGroup)]
        func newest(_ column: String) -> String {
            "(array_agg(\(column) ORDER BY seen DESC NULLS LAST, id DESC))[1:$\(parameters.count)]"
        }
        let sql = """
            SELECT sf_message, table_name, archived, count(*), min(seen), max(seen), \(newest("id")), \(newest("seen"))
            FROM (\(selection.sql)) AS failed
            GROUP BY sf_message, table_name, archived
            """
        try connection.forEachRow(sql, parameters) { row in
            let message = row.withBytes(0) { bytes in
                bytes.map(SalesforceErrorMessage.init(utf8:)) ?? SalesforceErrorMessage(nil)
            }
            let ids = try row.stringArray(6) ?? []
            let times = try row.stringArray(7) ?? []
            let newest = zip(ids, times).compactMap { id, time in
                id.flatMap { Int($0) }.map { Example(id: $0, seen: time.flatMap(PostgresTimestamp.init)) }
            }
            groups.add(
                message: message, original: row.string(0), table: row.string(1), isArchived: try row.bool(2) == true,
                count: try row.int(3) ?? 0, firstSeen: try row.timestamp(4), lastSeen: try row.timestamp(5),
                newest: newest)
        }
        return groups
    }

    private typealias Example = FailureGroups.Example
}
