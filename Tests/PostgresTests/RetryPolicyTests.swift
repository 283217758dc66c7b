import Foundation
import Postgres
import TestSupport
import Testing

extension IntegrationSuites {
    /// The retry policy's rules and arithmetic, and the executor that applies them to real
    /// statements on a real connection.
    @Suite(.tags(.database)) struct RetryPolicyTests {
        // MARK: - Which errors are retried

        /// One classification: an error, how it is run, and the rule it must fall under.
        struct Classification: Sendable, CustomTestStringConvertible {
            let error: PostgresError
            let safety: RepeatSafety
            let isBulk: Bool
            let rule: RetryPolicy.Rule?

            var testDescription: String {
                "\(error.kind) \(error.sqlState ?? "-") \(safety) bulk=\(isBulk) → \(rule?.rawValue ?? "not retried")"
            }
        }

        private static func server(_ sqlState: String?) -> PostgresError {
            PostgresError(.server, message: "server says no", sqlState: sqlState)
        }

        private static func kind(_ kind: PostgresError.Kind) -> PostgresError {
            PostgresError(kind, message: "libpq says no")
        }

        /// Every kind and the SQLSTATEs that matter, each under both safeties and both kinds of
        /// work: only a lock timeout depends on bulk, only an unknown commit on safety.
        static let classifications: [Classification] = {
            let cases: [(PostgresError, (RepeatSafety, Bool) -> RetryPolicy.Rule?)] = [
                (kind(.connectionLost), { _, _ in .connection }),
                (kind(.connectionFailed), { _, _ in .connection }),
                (kind(.commitOutcomeUnknown), { safety, _ in safety == .idempotent ? .connection : nil }),
                (kind(.authenticationFailed), { _, _ in nil }),
                (kind(.invalidConnectionString), { _, _ in nil }),
                (kind(.invalidInput), { _, _ in nil }),
                (kind(.unexpectedResult), { _, _ in nil }),
                (server("40001"), { _, _ in .serializationFailure }),
                (server("40P01"), { _, _ in .deadlock }),
                (server("55P03"), { _, bulk in bulk ? .lockTimeout : nil }),
                (server("57P01"), { _, _ in .connection }),
                (server("57P02"), { _, _ in .connection }),
                (server("57P03"), { _, _ in .connection }),
                (server("08000"), { _, _ in .connection }),
                (server("08006"), { _, _ in .connection }),
                (server("08P01"), { _, _ in .connection }),
                // A statement timeout, a cancel, constraint and syntax errors are never retried.
                (server("57014"), { _, _ in nil }),
                (server("57000"), { _, _ in nil }),
                (server("40002"), { _, _ in nil }),
                (server("23505"), { _, _ in nil }),
                (server("42601"), { _, _ in nil }),
                (server("55006"), { _, _ in nil }),
                (server("53300"), { _, _ in nil }),
                (server(nil), { _, _ in nil }),
                // Not a five-character SQLSTATE: no class to read.
                (server("08"), { _, _ in nil }),
            ]
            return cases.flatMap { error, expected in
                [RepeatSafety.unlessCommitted, .idempotent].flatMap { safety in
                    [false, true].map { bulk in
                        Classification(error: error, safety: safety, isBulk: bulk, rule: expected(safety, bulk))
                    }
                }
            }
        }()

        @Test(arguments: classifications)
        func errorsFallUnderTheirRule(_ case_: Classification) {
            #expect(RetryPolicy.rule(for: case_.error, safety: case_.safety, isBulk: case_.isBulk) == case_.rule)
        }

        @Test func errorsFromOutsidePostgresAreNeverRetried() {
            struct SomethingElse: Error {}
            for error: any Error in [SomethingElse(), CancellationError(), CocoaError(.fileNoSuchFile)] {
                #expect(RetryPolicy.rule(for: error, safety: .idempotent, isBulk: true) == nil)
            }
        }

        // MARK: - Backoff

        @Test func theDelayDoublesFromTheBaseAndIsCapped() {
            let policy = RetryPolicy.standard
            #expect(policy.baseDelay == .milliseconds(250))
            #expect(policy.maximumDelay == .seconds(15))
            // random 0 takes half off, random → 1 takes nothing off.
            let lowest = (1...9).map { policy.delay(beforeRetry: $0, random: 0) }
            #expect(
                lowest == [
                    .milliseconds(125), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2), .seconds(4),
                    .milliseconds(7500), .milliseconds(7500), .milliseconds(7500),
                ])
            #expect(policy.delay(beforeRetry: 1, random: 0.5) == .microseconds(187_500))
            #expect(policy.delay(beforeRetry: 3, random: 1) == .seconds(1))
            #expect(policy.delay(beforeRetry: 6, random: 1) == .seconds(8))
            #expect(policy.delay(beforeRetry: 7, random: 1) == .seconds(15), "16 s is capped at 15 s")
        }

        @Test func oddRetryNumbersNeitherShrinkNorOverflowTheDelay() {
            let policy = RetryPolicy.standard
            #expect(policy.delay(beforeRetry: 0, random: 0) == .milliseconds(125))
            #expect(policy.delay(beforeRetry: -5, random: 0) == .milliseconds(125))
            #expect(policy.delay(beforeRetry: 64, random: 0) == .milliseconds(7500))
            #expect(policy.delay(beforeRetry: .max, random: 0.999) <= .seconds(15))
            // A policy without a cap worth the name still does not overflow at the largest exponent.
            let uncapped = RetryPolicy(
                maximum: [:], totalMaximum: 0, deadline: .seconds(1), baseDelay: .seconds(1), maximumDelay: .seconds(1 << 40))
            #expect(uncapped.delay(beforeRetry: 1000, random: 0) == .seconds(1 << 29))
        }

        /// Equal jitter: each delay lies in [half the full delay, the full delay), and the draws
        /// differ, so that clients do not retry in step.
        @Test func jitterStaysWithinHalfTheFullDelay() {
            let policy = RetryPolicy.standard
            for retry in 1...10 {
                let full = min(policy.baseDelay * (1 << (retry - 1)), policy.maximumDelay)
                var seen: Set<Duration> = []
                for _ in 0..<200 {
                    let delay = policy.delay(beforeRetry: retry)
                    #expect(delay >= full / 2 && delay < full, "retry \(retry): \(delay) outside [\(full / 2), \(full))")
                    seen.insert(delay)
                }
                #expect(seen.count > 100, "retry \(retry): the jitter is random")
            }
        }

        // MARK: - Limits

        @Test func theStandardPolicyAndNone() {
            let standard = RetryPolicy.standard
            #expect(standard.maximum == [.connection: 24, .serializationFailure: 3, .deadlock: 3, .lockTimeout: 3])
            #expect(standard.totalMaximum == 24)
            #expect(standard.deadline == .seconds(120))
            // The README promises riding out a restart of up to 2 minutes: even with the
            // shortest jitter, the connection's retries wait longer than the deadline, which
            // ends them.
            let shortest = (1...24).reduce(Duration.zero) { $0 + standard.delay(beforeRetry: $1, random: 0) }
            #expect(shortest >= standard.deadline, "\(shortest)")
            #expect(RetryPolicy.none.totalMaximum == 0)
            #expect(RetryPolicy.Rule.allCases.allSatisfy { RetryPolicy.none.maximum[$0] == 0 })
            #expect(RetryPolicy.Rule.allCases.map(\.rawValue) == ["connection", "serialization_failure", "deadlock", "lock_timeout"])
        }

        @Test func limitedSetsEveryMaximumAndTheTotalAndNothingElse() {
            for retries in [0, 1, 7, 100] {
                let limited = RetryPolicy.standard.limited(to: retries)
                #expect(limited.totalMaximum == retries)
                #expect(RetryPolicy.Rule.allCases.allSatisfy { limited.maximum[$0] == retries })
                #expect(limited.deadline == RetryPolicy.standard.deadline)
                #expect(limited.baseDelay == RetryPolicy.standard.baseDelay)
                #expect(limited.maximumDelay == RetryPolicy.standard.maximumDelay)
            }
            #expect(RetryPolicy.standard.limited(to: -3) == RetryPolicy.none)
            // A rule missing from a hand-made policy gets its maximum too.
            let sparse = RetryPolicy(
                maximum: [:], totalMaximum: 0, deadline: .seconds(1), baseDelay: .milliseconds(1), maximumDelay: .milliseconds(2))
            #expect(sparse.limited(to: 2).maximum.count == RetryPolicy.Rule.allCases.count)
        }

        // MARK: - The executor on a real connection

        /// Retries quickly: 1 ms doubling to 4 ms.
        private static func fast(
            connection: Int = 5, serialization: Int = 5, deadlock: Int = 5, lockTimeout: Int = 5, total: Int = 10,
            deadline: Duration = .seconds(30)
        ) -> RetryPolicy {
            RetryPolicy(
                maximum: [
                    .connection: connection, .serializationFailure: serialization, .deadlock: deadlock,
                    .lockTimeout: lockTimeout,
                ],
                totalMaximum: total, deadline: deadline, baseDelay: .milliseconds(1), maximumDelay: .milliseconds(4))
        }

        /// Makes the server raise an error with this SQLSTATE.
        private static func raise(_ sqlState: String, on connection: PostgresConnection) throws {
            try connection.execute(
                "DO $$ BEGIN RAISE EXCEPTION 'raised for the test' USING ERRCODE = '\(sqlState)'; END $$")
        }

        @Test func aBodyThatFailsTwiceIsRunThreeTimesAndSucceeds() throws {
            let connection = try TestDatabase.plainConnection()
            let executor = RetryingExecutor(connection: connection, policy: Self.fast())
            var events: [RetryEvent] = []
            executor.observer = { events.append($0) }
            var attempts = 0
            let value = try executor.run("counting") { () throws -> Int in
                attempts += 1
                if attempts <= 2 { try Self.raise("40001", on: connection) }
                return try connection.query("SELECT 42")[0].int(0)!
            }
            #expect(value == 42)
            #expect(attempts == 3)
            #expect(executor.retries == 2)
            #expect(events.map(\.retry) == [1, 2])
            #expect(events.allSatisfy { $0.rule == .serializationFailure && $0.operation == "counting" })
            #expect(events.allSatisfy { $0.error.sqlState == "40001" && $0.error.message == "raised for the test" })
            // 1 ms then 2 ms, each with up to half taken off.
            #expect(events.count == 2 && events[0].delay >= .microseconds(500) && events[0].delay < .milliseconds(1))
            #expect(events.count == 2 && events[1].delay >= .milliseconds(1) && events[1].delay < .milliseconds(2))
        }

        @Test(arguments: ["23505", "42601", "57014", "22023", "55P03"])
        func aNonRetryableErrorIsThrownAtOnce(_ sqlState: String) throws {
            let connection = try TestDatabase.plainConnection()
            let executor = RetryingExecutor(connection: connection, policy: Self.fast())
            var events: [RetryEvent] = []
            executor.observer = { events.append($0) }
            var attempts = 0
            do {
                try executor.run("failing", isBulk: false) {
                    attempts += 1
                    try Self.raise(sqlState, on: connection)
                }
                Issue.record("the body should have failed")
            } catch let error as PostgresError {
                #expect(error.sqlState == sqlState)
            }
            #expect(attempts == 1)
            #expect(events.isEmpty)
            #expect(executor.retries == 0)
            #expect(try connection.query("SELECT 1")[0].int(0) == 1, "the connection is still usable")
        }

        @Test func aRealStatementTimeoutIsNotRetried() throws {
            let connection = try TestDatabase.plainConnection()
            try connection.setSessionParameter("statement_timeout", "50ms")
            let executor = RetryingExecutor(connection: connection, policy: Self.fast())
            var attempts = 0
            let error = #expect(throws: PostgresError.self) {
                try executor.run("sleeping", safety: .idempotent, isBulk: true) {
                    attempts += 1
                    try connection.execute("SELECT pg_sleep(5)")
                }
            }
            #expect(error?.sqlState == "57014")
            #expect(attempts == 1)
        }

        /// A lock timeout is retried in bulk work: here the lock is released while the executor
        /// waits before its first retry, and the second attempt gets it.
        @Test func aRealLockTimeoutIsRetriedInBulkWorkOnly() throws {
            let holder = try TestDatabase.plainConnection()
            let waiter = try TestDatabase.plainConnection()
            let table = "\"\(TestDatabase.uniqueSchemaName(prefix: "retry_lock_"))\""
            try holder.execute("CREATE TABLE \(table) (id int)")
            defer { _ = try? holder.execute("DROP TABLE IF EXISTS \(table)") }
            try waiter.setSessionParameter("lock_timeout", "50ms")

            func lockTable() throws { _ = try waiter.withTransaction { try waiter.execute("LOCK TABLE \(table)") } }

            try holder.execute("BEGIN")
            try holder.execute("LOCK TABLE \(table) IN ACCESS EXCLUSIVE MODE")
            let single = RetryingExecutor(connection: waiter, policy: Self.fast())
            let error = #expect(throws: PostgresError.self) { try single.run("one change", isBulk: false) { try lockTable() } }
            #expect(error?.sqlState == "55P03")
            #expect(single.retries == 0)

            let bulk = RetryingExecutor(connection: waiter, policy: Self.fast())
            var events: [RetryEvent] = []
            bulk.observer = { event in
                events.append(event)
                _ = try? holder.execute("COMMIT")
            }
            var attempts = 0
            try bulk.run("batch 1", safety: .idempotent, isBulk: true) {
                attempts += 1
                try lockTable()
            }
            #expect(attempts == 2)
            #expect(events.map(\.rule) == [.lockTimeout])
            #expect(events.first?.error.sqlState == "55P03")
        }

        @Test func perRuleMaximaCountOverTheExecutorsWholeLife() throws {
            let connection = try TestDatabase.plainConnection()
            let executor = RetryingExecutor(connection: connection, policy: Self.fast(serialization: 2, deadlock: 3, total: 10))
            var attempts = 0

            let first = try #require(throws: RetriesExhausted.self) {
                try executor.run("batch 1") {
                    attempts += 1
                    try Self.raise("40001", on: connection)
                }
            }
            #expect(attempts == 3, "the first attempt and two retries")
            #expect(first.retries == 2)
            #expect(first.operation == "batch 1")
            #expect(first.lastError.sqlState == "40001")
            #expect(first.summary.hasPrefix("gave up batch 1 after 2 retries in "))
            #expect(first.description.hasSuffix(": raised for the test (SQLSTATE 40001)"))

            // Another rule has its own maximum; the count of all retries goes on.
            attempts = 0
            let second = try #require(throws: RetriesExhausted.self) {
                try executor.run("batch 2") {
                    attempts += 1
                    try Self.raise("40P01", on: connection)
                }
            }
            #expect(attempts == 4)
            #expect(second.retries == 5, "retries made over the executor's life")
            #expect(second.lastError.sqlState == "40P01")

            // The serialization rule's two retries are spent: the next one is not retried at all.
            attempts = 0
            let third = try #require(throws: RetriesExhausted.self) {
                try executor.run("batch 3") {
                    attempts += 1
                    try Self.raise("40001", on: connection)
                }
            }
            #expect(attempts == 1)
            #expect(third.retries == 5)
            #expect(executor.retries == 5)
        }

        @Test func theTotalMaximumStopsRetriesOfAllRules() throws {
            let connection = try TestDatabase.plainConnection()
            let executor = RetryingExecutor(connection: connection, policy: Self.fast(total: 3))
            var events: [RetryEvent] = []
            executor.observer = { events.append($0) }
            var attempts = 0
            let exhausted = try #require(throws: RetriesExhausted.self) {
                try executor.run("alternating") {
                    attempts += 1
                    try Self.raise(attempts % 2 == 1 ? "40001" : "40P01", on: connection)
                }
            }
            #expect(attempts == 4)
            #expect(events.map(\.rule) == [.serializationFailure, .deadlock, .serializationFailure])
            #expect(exhausted.retries == 3)
            #expect(exhausted.lastError.sqlState == "40P01")

            // Once the total is spent, even a rule with retries left is not retried.
            attempts = 0
            #expect(throws: RetriesExhausted.self) {
                try executor.run("more") {
                    attempts += 1
                    try Self.raise("40P01", on: connection)
                }
            }
            #expect(attempts == 1)
        }

        @Test func aPolicyWithoutRetriesThrowsTheErrorItself() throws {
            let connection = try TestDatabase.plainConnection()
            let executor = RetryingExecutor(connection: connection, policy: .none)
            var attempts = 0
            let error = #expect(throws: PostgresError.self) {
                try executor.run("once") {
                    attempts += 1
                    try Self.raise("40001", on: connection)
                }
            }
            #expect(error?.sqlState == "40001")
            #expect(attempts == 1)
        }

        @Test func theDeadlineStopsRetriesAndCapsTheLastWait() throws {
            let policy = RetryPolicy(
                maximum: [.serializationFailure: 1000], totalMaximum: 1000, deadline: .milliseconds(150),
                baseDelay: .milliseconds(20), maximumDelay: .milliseconds(60))
            let executor = RetryingExecutor(connection: nil, policy: policy)
            var events: [RetryEvent] = []
            executor.observer = { events.append($0) }
            let start = ContinuousClock.now
            let exhausted = try #require(throws: RetriesExhausted.self) {
                try executor.run("until the deadline") {
                    throw PostgresError(.server, message: "busy", sqlState: "40001")
                }
            }
            let took = ContinuousClock.now - start
            #expect(exhausted.elapsed >= .milliseconds(150))
            #expect(took < .seconds(2))
            #expect(exhausted.retries == events.count)
            #expect(events.count >= 3 && events.count < 20, "\(events.count) retries in 150 ms of 10-60 ms waits")
            let waited = events.reduce(Duration.zero) { $0 + $1.delay }
            #expect(waited <= .milliseconds(150), "no wait goes past the deadline (\(waited))")
            #expect(exhausted.summary == "gave up until the deadline after \(events.count) retries in 0 s")
        }

        /// A success starts the deadline anew: two operations, each failing for most of the
        /// deadline, both succeed.
        @Test func aSuccessStartsTheDeadlineAnew() throws {
            let policy = RetryPolicy(
                maximum: [.serializationFailure: 100], totalMaximum: 100, deadline: .milliseconds(300),
                baseDelay: .milliseconds(10), maximumDelay: .milliseconds(10))
            let executor = RetryingExecutor(connection: nil, policy: policy)
            for operation in ["first", "second"] {
                let start = ContinuousClock.now
                try executor.run(operation) {
                    if ContinuousClock.now - start < .milliseconds(200) {
                        throw PostgresError(.server, message: "busy", sqlState: "40001")
                    }
                }
            }
        }

        @Test func aKilledConnectionIsResetWithItsSessionParametersAndTheWorkSucceeds() throws {
            let connection = try TestDatabase.plainConnection()
            try connection.setSessionParameter("lock_timeout", "1234ms")
            try connection.setSessionParameter("application_name", "retry-policy-test")
            let killer = try TestDatabase.plainConnection()
            let pid = try #require(try connection.query("SELECT pg_backend_pid()")[0].int(0))
            try killer.execute("SELECT pg_terminate_backend($1, 5000)", [.int(pid)])

            let executor = RetryingExecutor(connection: connection, policy: Self.fast())
            var events: [RetryEvent] = []
            executor.observer = { events.append($0) }
            var attempts = 0
            let row = try executor.run("reading", isBulk: false) { () throws -> PostgresRow in
                attempts += 1
                return try connection.query(
                    "SELECT pg_backend_pid(), current_setting('lock_timeout'), current_setting('application_name')")[0]
            }
            #expect(try row.int(0) != pid, "a new backend")
            #expect(row.string(1) == "1234ms")
            #expect(row.string(2) == "retry-policy-test")
            #expect(attempts == 2)
            #expect(events.map(\.rule) == [.connection])
            #expect(events.first.map { $0.error.kind == .connectionLost || $0.error.sqlState == "57P01" } == true)
            #expect(!connection.isBroken)
        }

        /// A connection that cannot be made is retried under the connection rule, and the
        /// executor gives up with the connection error.
        @Test func aConnectionThatCannotBeMadeIsRetriedThenGivenUp() throws {
            let executor = RetryingExecutor(connection: nil, policy: Self.fast(connection: 2))
            var events: [RetryEvent] = []
            executor.observer = { events.append($0) }
            var attempts = 0
            let exhausted = try #require(throws: RetriesExhausted.self) {
                try executor.run("connecting") {
                    attempts += 1
                    // Port 1 on the loopback: nothing listens there, the refusal is immediate.
                    _ = try PostgresConnection(
                        settings: ConnectionSettings(connectionString: "postgresql://nobody@127.0.0.1:1/none?connect_timeout=2"))
                }
            }
            #expect(attempts == 3)
            #expect(events.map(\.rule) == [.connection, .connection])
            #expect(exhausted.lastError.kind == .connectionFailed)
            #expect(exhausted.summary.hasPrefix("gave up connecting after 2 retries in "))
        }

        @Test func refusedCredentialsAreNotRetried() throws {
            let url = try TestDatabase.url
            let executor = RetryingExecutor(connection: nil, policy: Self.fast())
            var attempts = 0
            let error = #expect(throws: PostgresError.self) {
                try executor.run("connecting") {
                    attempts += 1
                    _ = try PostgresConnection(
                        settings: ConnectionSettings(connectionString: url, overrides: [.init("user", "no_such_role_for_retry_tests")]))
                }
            }
            #expect(error?.kind == .authenticationFailed)
            #expect(attempts == 1)
        }

        /// An unknown commit outcome is repeated only for work that is safe to repeat; a
        /// connection that is not broken is not reset.
        @Test func anUnknownCommitIsRepeatedOnlyWhenIdempotent() throws {
            let connection = try TestDatabase.plainConnection()
            let pid = try connection.query("SELECT pg_backend_pid()")[0].int(0)
            let unknown = PostgresError(.commitOutcomeUnknown, message: "the connection was lost while committing")

            let careful = RetryingExecutor(connection: connection, policy: Self.fast())
            var attempts = 0
            let error = #expect(throws: PostgresError.self) {
                try careful.run("capture batch 1", safety: .unlessCommitted, isBulk: true) {
                    attempts += 1
                    throw unknown
                }
            }
            #expect(error == unknown)
            #expect(attempts == 1)
            #expect(careful.retries == 0)

            let repeating = RetryingExecutor(connection: connection, policy: Self.fast())
            var events: [RetryEvent] = []
            repeating.observer = { events.append($0) }
            attempts = 0
            try repeating.run("repair batch 1", safety: .idempotent, isBulk: true) {
                attempts += 1
                if attempts == 1 { throw unknown }
            }
            #expect(attempts == 2)
            #expect(events.map(\.rule) == [.connection])
            #expect(events.first?.error == unknown)
            #expect(try connection.query("SELECT pg_backend_pid()")[0].int(0) == pid, "no reset of a working connection")
        }

        @Test func shouldStopEndsRetryingWithTheErrorItself() throws {
            let connection = try TestDatabase.plainConnection()
            let stopped = RetryingExecutor(connection: connection, policy: Self.fast())
            stopped.shouldStop = { true }
            var attempts = 0
            let error = #expect(throws: PostgresError.self) {
                try stopped.run("batch 1", isBulk: true) {
                    attempts += 1
                    try Self.raise("40P01", on: connection)
                }
            }
            #expect(error?.sqlState == "40P01")
            #expect(attempts == 1)
            #expect(stopped.retries == 0)

            // Asked to stop after one retry: the error, not RetriesExhausted, and no third attempt.
            let later = RetryingExecutor(connection: connection, policy: Self.fast())
            attempts = 0
            later.shouldStop = { attempts >= 2 }
            let second = #expect(throws: PostgresError.self) {
                try later.run("batch 2", isBulk: true) {
                    attempts += 1
                    try Self.raise("40P01", on: connection)
                }
            }
            #expect(second?.sqlState == "40P01")
            #expect(attempts == 2)
            #expect(later.retries == 1)
        }

        @Test func theGiveUpMessageSaysWhoseRetriesRanOut() {
            let error = PostgresError(.server, message: "canceling statement due to lock timeout", sqlState: "55P03")
            #expect(
                RetriesExhausted(operation: "batch 7", lastError: error, retries: 5, retriesOfThis: 0, elapsed: .zero).summary
                    == "gave up batch 7: the run's 5 retries are used up")
            #expect(
                RetriesExhausted(operation: "batch 7", lastError: error, retries: 5, retriesOfThis: 1, elapsed: .seconds(2)).summary
                    == "gave up batch 7 after 1 retry (5 in the run) in 2 s")
            #expect(
                RetriesExhausted(operation: "connecting", lastError: error, retries: 3, elapsed: .seconds(6)).summary
                    == "gave up connecting after 3 retries in 6 s")
        }
    }
}

extension IntegrationSuites {
    @Suite(.tags(.database)) struct UnknownDatabaseTests {
        /// A database that does not exist is not waited for: waiting will not create it.
        @Test func anUnknownDatabaseIsNotRetried() throws {
            let url = try TestDatabase.databaseURL("hcconnect_no_such_database")
            do throws(PostgresError) {
                _ = try PostgresConnection(settings: ConnectionSettings(connectionString: url))
                Issue.record("connected to a database that does not exist")
            } catch {
                #expect(error.kind == .connectionFailed)
                #expect(error.sqlState == "3D000")
                #expect(error.message.contains("hcconnect_no_such_database"))
                #expect(RetryPolicy.rule(for: error, safety: .idempotent, isBulk: true) == nil)
            }
        }
    }
}
