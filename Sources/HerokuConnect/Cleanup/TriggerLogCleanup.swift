import Postgres

/// A cleanup policy for unattended runs: which FAILED entries to retry and which to ignore.
///
/// Retry rules come first: an entry whose message matches a retry pattern is retried while
/// its record has had fewer than `maxAttempts` earlier retries of the same action. An entry
/// that reached the limit, or matched no retry pattern, is ignored when it is older than
/// `ignoreOlderThan` or matches an ignore pattern; otherwise it is left alone.
public struct CleanupPolicy: Sendable, Equatable {
    /// A message pattern: a Salesforce error code, or a regular expression.
    public struct Pattern: Sendable, Equatable {
        /// As the user wrote it.
        public let text: String
        /// The PostgreSQL regular expression it stands for.
        public let regex: String
        /// True when it was read as a Salesforce error code.
        public let isCode: Bool

        /// A word in capitals, digits and underscores (`UNABLE_TO_LOCK_ROW`) is a Salesforce
        /// error code, matched as a whole word anywhere in the message; anything else is a
        /// PostgreSQL regular expression (`~`, case-sensitive; `(?i)` at its start for any case).
        public init(_ text: String) {
            self.text = text
            isCode = Self.isErrorCode(text)
            regex = isCode ? "\\m" + text + "\\M" : text
        }

        static func isErrorCode(_ text: String) -> Bool {
            guard let first = text.unicodeScalars.first, ("A"..."Z").contains(first), text.unicodeScalars.count >= 3
            else { return false }
            return text.unicodeScalars.allSatisfy { ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
        }
    }

    /// Messages of entries to retry.
    public var retryPatterns: [Pattern]
    /// Retries allowed per record and action, counting the earlier ones in the log.
    public var maxAttempts: Int
    /// Ignore entries captured longer ago than this many seconds.
    public var ignoreOlderThan: Int?
    /// Messages of entries to ignore.
    public var ignorePatterns: [Pattern]
    /// The entries the policy looks at: `failed`'s filters (tables, live/archive, ...).
    public var scope: TriggerLogQuery

    /// The default for ``maxAttempts``.
    public static let defaultMaxAttempts = 3

    public init(
        retryPatterns: [Pattern] = [], maxAttempts: Int = defaultMaxAttempts, ignoreOlderThan: Int? = nil,
        ignorePatterns: [Pattern] = [], scope: TriggerLogQuery = .failed()
    ) {
        self.retryPatterns = retryPatterns
        self.maxAttempts = maxAttempts
        self.ignoreOlderThan = ignoreOlderThan
        self.ignorePatterns = ignorePatterns
        self.scope = scope
    }

    /// True when the policy would do nothing at all.
    public var isEmpty: Bool { retryPatterns.isEmpty && ignoreOlderThan == nil && ignorePatterns.isEmpty }
}

/// What a cleanup run will do: the entries to retry, those left alone because their record
/// ran out of attempts, and the entries to ignore, each with the rule that chose it.
public struct CleanupPlan: Sendable, Equatable {
    /// Why an entry was chosen.
    public enum Reason: Sendable, Hashable {
        /// Retry pattern number n (from 0).
        case retryPattern(Int)
        /// Captured longer ago than the policy's limit.
        case olderThan
        /// Ignore pattern number n (from 0).
        case ignorePattern(Int)
    }

    /// An entry the policy chose.
    public struct Choice: Sendable, Equatable {
        public let candidate: TriggerLogRepair.Candidate
        public let reason: Reason
        /// Earlier retries of its record and action (retry choices only).
        public let attempts: Int

        public var target: TriggerLogRepair.Target { candidate.target }
    }

    /// Entries to retry, in id order.
    public var retry: [Choice] = []
    /// Entries that matched a retry pattern but reached the attempts limit (and no ignore rule).
    public var exhausted: [Choice] = []
    /// Entries to ignore, in id order.
    public var ignore: [Choice] = []
    /// What a retried entry must still match when it is changed: the scope and a retry
    /// pattern.
    public var retryRecheck: [TriggerLogQuery] = []
    /// What an ignored entry must still match when it is changed: the scope and the age
    /// limit, or the scope and an ignore pattern.
    public var ignoreRecheck: [TriggerLogQuery] = []

    /// How many chosen entries a rule accounts for.
    public func count(_ reason: Reason, in choices: [Choice]) -> Int { choices.filter { $0.reason == reason }.count }

    /// The entries to retry, for ``TriggerLogRepair/run(_:on:batchSize:dryRun:includeSuperseded:observer:)``.
    public var retryCandidates: TriggerLogRepair.Candidates {
        .init(entries: retry.map(\.candidate), notFound: [], isExplicit: false, recheck: retryRecheck)
    }

    /// The entries to ignore.
    public var ignoreCandidates: TriggerLogRepair.Candidates {
        .init(entries: ignore.map(\.candidate), notFound: [], isExplicit: false, recheck: ignoreRecheck)
    }

    /// The plan without the entries `confirmed` lacks in the same role: what a person
    /// confirmed from an earlier plan bounds a plan made again under the lock (a failure
    /// that came meanwhile waits for the next run).
    public func limited(to confirmed: CleanupPlan) -> CleanupPlan {
        var plan = self
        let retrying = Set(confirmed.retry.map(\.target))
        let ignoring = Set(confirmed.ignore.map(\.target))
        plan.retry = retry.filter { retrying.contains($0.target) }
        plan.ignore = ignore.filter { ignoring.contains($0.target) }
        return plan
    }
}

/// Plans and runs a ``CleanupPolicy`` with ``TriggerLogRepair``'s retry and ignore.
public struct TriggerLogCleanup {
    public let store: TriggerLogStore
    public let policy: CleanupPolicy

    public init(store: TriggerLogStore, policy: CleanupPolicy) {
        self.store = store
        self.policy = policy
    }

    /// Checks that every pattern is a regular expression PostgreSQL accepts.
    ///
    /// - Returns: The first pattern the server refuses, with its message; nil when all are good.
    public func invalidPattern() throws -> (pattern: CleanupPolicy.Pattern, message: String)? {
        for pattern in policy.retryPatterns + policy.ignorePatterns {
            do throws(PostgresError) {
                try store.connection.query("SELECT '' ~ $1", [.text(pattern.regex)])
            } catch {
                guard error.sqlState == SQLState.invalidRegularExpression else { throw error }
                return (pattern, error.message)
            }
        }
        return nil
    }

    /// Works out which entries the policy retries and ignores now.
    ///
    /// - Throws: ``PostgresError``.
    public func plan() throws -> CleanupPlan {
        try store.executor.run("planning the cleanup", isBulk: true) { try makePlan() }
    }

    private func makePlan() throws -> CleanupPlan {
        var plan = CleanupPlan()
        var chosen = Set<TriggerLogRepair.Target>()
        // relative times fixed once, so the batches re-check the bounds that chose
        let repair = TriggerLogRepair(store: store)
        let scope = try repair.pinned(policy.scope.states([.failed]))
        let olderThan = try policy.ignoreOlderThan.map { seconds in
            try repair.pinned(scope.until(.ago(seconds: seconds)))
        }
        if !policy.retryPatterns.isEmpty {
            let query = scope.message(matchingAnyOf: policy.retryPatterns.map(\.regex))
            plan.retryRecheck = [query]
            let matches = try select(query, policy.retryPatterns)
            let attempts = try earlierRetries(of: matches)
            for match in matches {
                let choice = CleanupPlan.Choice(
                    candidate: match.candidate, reason: .retryPattern(match.rule), attempts: attempts[match.target] ?? 0)
                if choice.attempts < policy.maxAttempts {
                    plan.retry.append(choice)
                    chosen.insert(match.target)
                } else {
                    plan.exhausted.append(choice)
                }
            }
        }
        var ignore: [CleanupPlan.Choice] = []
        if let olderThan {
            plan.ignoreRecheck.append(olderThan)
            for match in try select(olderThan, []) where !chosen.contains(match.target) {
                ignore.append(CleanupPlan.Choice(candidate: match.candidate, reason: .olderThan, attempts: 0))
                chosen.insert(match.target)
            }
        }
        if !policy.ignorePatterns.isEmpty {
            let query = scope.message(matchingAnyOf: policy.ignorePatterns.map(\.regex))
            plan.ignoreRecheck.append(query)
            for match in try select(query, policy.ignorePatterns) where !chosen.contains(match.target) {
                ignore.append(CleanupPlan.Choice(candidate: match.candidate, reason: .ignorePattern(match.rule), attempts: 0))
                chosen.insert(match.target)
            }
        }
        plan.exhausted.removeAll { chosen.contains($0.target) }
        plan.ignore = ignore.sorted { ($0.target.id, $0.target.location.rawValue) < ($1.target.id, $1.target.location.rawValue) }
        return plan
    }

    private struct Match {
        let candidate: TriggerLogRepair.Candidate
        let action: String?
        /// The first pattern that matched its message.
        let rule: Int

        var target: TriggerLogRepair.Target { candidate.target }
        var tableName: String? { candidate.tableName }
        var recordID: Int? { candidate.recordID }
    }

    /// The FAILED entries a query selects, with the first of `patterns` each matches.
    private func select(_ query: TriggerLogQuery, _ patterns: [CleanupPolicy.Pattern]) throws -> [Match] {
        let rule =
            "(SELECT min(p.i)::int - 1 FROM unnest($1::text[]) WITH ORDINALITY AS p(re, i) WHERE sf_message ~ p.re)"
        let statement = query.states([.failed]).ordered(.idAscending).limit(nil).selectStatement(
            schema: store.schemaName, columns: "id, table_name, record_id, action, \(rule) AS rule",
            leadingParameters: [.array(patterns.map { Optional($0.regex) })])
        var matches: [Match] = []
        try store.connection.forEachRow(statement.sql, statement.parameters) { row in
            guard let id = try row.int(0) else { return }
            matches.append(
                Match(
                    candidate: .init(
                        target: .init(id: id, location: try row.bool(5) == true ? .archive : .live), tableName: row.string(1),
                        recordID: try row.int(2)),
                    action: row.string(3), rule: try row.int(4) ?? 0))
        }
        return matches
    }

    /// Earlier retries of each entry's record and action: entries of the same table, record
    /// and action with a smaller id that were retried (REQUEUED or REQUEUE), in either log
    /// table, counted once per retry: the entries one retry set to REQUEUED together
    /// (several failures of a record coalesced into one capture) share its time in
    /// `updated_at`. One statement for all entries.
    private func earlierRetries(of matches: [Match]) throws -> [TriggerLogRepair.Target: Int] {
        let keyed = matches.filter { $0.tableName != nil && $0.recordID != nil && $0.action != nil }
        guard !keyed.isEmpty else { return [:] }
        let live = TriggerLogLocation.live.qualifiedName(in: store.schemaName)
        let archive = TriggerLogLocation.archive.qualifiedName(in: store.schemaName)
        let retried = "state IN ('REQUEUED', 'REQUEUE') AND record_id = ANY($4::int[])"
        let rows = try store.connection.query(
            """
            SELECT k.id, k.archived, count(DISTINCT COALESCE(r.updated_at::text, 'id ' || r.id))::int
              FROM unnest($1::int[], $2::bool[], $3::text[], $4::int[], $5::text[])
                   AS k(id, archived, table_name, record_id, action)
              LEFT JOIN (SELECT id, table_name, record_id, action, updated_at FROM \(live) WHERE \(retried)
                         UNION ALL
                         SELECT id, table_name, record_id, action, updated_at FROM \(archive) WHERE \(retried)) AS r
                ON r.table_name = k.table_name AND r.record_id = k.record_id AND r.action = k.action AND r.id < k.id
             GROUP BY k.id, k.archived
            """,
            [
                .array(keyed.map(\.target.id)), .array(keyed.map { Optional($0.target.location == .archive ? "true" : "false") }),
                .array(keyed.map(\.tableName)), .array(keyed.map { $0.recordID! }), .array(keyed.map(\.action)),
            ])
        var attempts: [TriggerLogRepair.Target: Int] = [:]
        for row in rows {
            guard let id = try row.int(0) else { continue }
            attempts[.init(id: id, location: try row.bool(1) == true ? .archive : .live)] = try row.int(2) ?? 0
        }
        return attempts
    }
}
