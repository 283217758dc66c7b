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
/// from the database; ``add(message:original:table:isArchived:id:seen:)`` takes entries
/// from anywhere.
public struct FailureGroups: Sendable {
    /// How many example ids each group keeps.
    public let examplesPerGroup: Int
    /// Whether a cause seen on two tables makes two groups.
    public let splitsByTable: Bool
    /// The number of entries added so far.
    public private(set) var entryCount = 0

    private struct Key: Hashable {
        var message: SalesforceErrorMessage
        var table: String??
    }

    private struct Accumulator {
        var group: FailureGroup
        var tableCounts: [String?: Int] = [:]
        /// The newest entry, whose message is the group's example.
        var newestEntry: Example?
        /// The newest entries, newest first, at most `examplesPerGroup`.
        var newest: [Example] = []

        mutating func add(_ entry: Example, original: () -> String?, table: String?, isArchived: Bool, limit: Int) {
            group.count += 1
            if isArchived { group.archiveCount += 1 } else { group.liveCount += 1 }
            tableCounts[table, default: 0] += 1
            if let seen = entry.seen {
                if group.firstSeen.map({ seen < $0 }) ?? true { group.firstSeen = seen }
                if group.lastSeen.map({ seen > $0 }) ?? true { group.lastSeen = seen }
            }
            if newestEntry.map({ entry.isNewer(than: $0) }) ?? true {
                newestEntry = entry
                group.exampleMessage = original()
            }
            // Most entries are older than the examples kept: one comparison.
            guard newest.count < limit || newest.last.map({ entry.isNewer(than: $0) }) == true else { return }
            let position = newest.firstIndex { entry.isNewer(than: $0) } ?? newest.endIndex
            newest.insert(entry, at: position)
            if newest.count > limit { newest.removeLast() }
        }
    }

    /// One entry's id and the time it failed.
    private struct Example {
        var id: Int
        var seen: PostgresTimestamp?

        /// Newer: a later time, any time rather than none, then a higher id.
        func isNewer(than other: Example) -> Bool {
            switch (seen, other.seen) {
            case (let mine?, let theirs?) where mine != theirs: mine > theirs
            case (.some, nil): true
            case (nil, .some): false
            default: id > other.id
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

    /// Adds one entry to its group.
    ///
    /// - Parameters:
    ///   - message: Its masked message (``SalesforceErrorMessage`` of its `sf_message`).
    ///   - original: Its `sf_message`, read only when it becomes the group's example (the
    ///     message of the group's newest entry).
    ///   - table: Its `table_name`.
    ///   - isArchived: Whether it is in the archive.
    ///   - id: Its log id.
    ///   - seen: When it failed: `processed_at`, else `created_at`.
    public mutating func add(
        message: SalesforceErrorMessage, original: @autoclosure () -> String?, table: String?, isArchived: Bool,
        id: Int, seen: PostgresTimestamp?
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
        entryCount += 1
        accumulators[index].add(
            Example(id: id, seen: seen), original: original, table: table, isArchived: isArchived, limit: examplesPerGroup)
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
    /// The entries stream past unordered, reading only the five columns needed; neither
    /// side holds them, and the server does no sorting. (Counting per exact message on the
    /// server was tried: no faster when messages repeat, three times slower when each names
    /// its record, as lock and duplicate errors do, and it sorted to disk.)
    ///
    /// - Parameters:
    ///   - examplesPerGroup: How many of the newest ids each group keeps.
    ///   - splittingByTable: Whether the same cause on two tables makes two groups.
    ///   - each: Called with every entry's cause, time and id as it streams past (the
    ///     console draws each cause's recent hours from them, and lists a cause's entries
    ///     by their ids).
    /// - Throws: ``PostgresError``.
    public func failureGroups(
        matching query: TriggerLogQuery, examplesPerGroup: Int = 3, splittingByTable: Bool = false,
        each: ((SalesforceErrorMessage, PostgresTimestamp?, Int) -> Void)? = nil
    ) throws -> FailureGroups {
        var groups = FailureGroups(examplesPerGroup: examplesPerGroup, splitsByTable: splittingByTable)
        let selection = query.limit(nil).selectStatement(
            schema: schemaName, columns: "id, table_name, sf_message, coalesce(processed_at, created_at)",
            ordered: false)
        try connection.forEachRow(selection.sql, selection.parameters) { row in
            guard let id = try row.int(0) else { return }
            let message = row.withBytes(2) { bytes in
                bytes.map(SalesforceErrorMessage.init(utf8:)) ?? SalesforceErrorMessage(nil)
            }
            let seen = try row.timestamp(3)
            groups.add(
                message: message, original: row.string(2), table: row.string(1), isArchived: try row.bool(4) == true,
                id: id, seen: seen)
            each?(message, seen, id)
        }
        return groups
    }
}
