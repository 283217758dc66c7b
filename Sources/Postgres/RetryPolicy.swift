#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// When a failed database operation is tried again, in the spirit of an HTTP client's retry
/// rules: per kind of transient error a maximum number of retries, a maximum for all kinds
/// together, a deadline, and exponential backoff with jitter between attempts.
///
/// Only errors that say "the same thing may work in a moment" are retried: a lost or
/// refused connection (SQLSTATE class `08`, `57P01`-`57P03`), a serialization failure
/// (`40001`), a deadlock (`40P01`) and, for bulk work, a lock timeout (`55P03`). A statement
/// timeout, a constraint violation or a syntax error is never retried.
public struct RetryPolicy: Sendable, Equatable {
    /// A kind of transient error, with its own maximum number of retries.
    public enum Rule: String, Sendable, CaseIterable {
        /// The connection was lost or could not be made; the server is restarting.
        case connection
        /// `40001`: the transaction could not be serialized.
        case serializationFailure = "serialization_failure"
        /// `40P01`: the server broke a deadlock by aborting this transaction.
        case deadlock
        /// `55P03`: a lock was not granted within `lock_timeout` (bulk work only).
        case lockTimeout = "lock_timeout"
    }

    /// Retries allowed per rule.
    public var maximum: [Rule: Int]
    /// Retries allowed in all, whatever the rules.
    public var totalMaximum: Int
    /// No retry starts later than this after the first failure.
    public var deadline: Duration
    /// The wait before the first retry; it doubles with each retry of the operation.
    public var baseDelay: Duration
    /// The longest wait between two attempts.
    public var maximumDelay: Duration

    /// The defaults: a lost or refused connection is retried until 2 minutes have passed
    /// since the first failure (24 retries, 250 ms doubling to 15 s with a random half taken
    /// off, wait at least 2 minutes in all, so the deadline ends them: a server restart or a
    /// failover of up to 2 minutes is ridden out); serialization failures, deadlocks and lock
    /// timeouts 3 times each; 24 retries in all per run.
    public static let standard = RetryPolicy(
        maximum: [.connection: 24, .serializationFailure: 3, .deadlock: 3, .lockTimeout: 3], totalMaximum: 24,
        deadline: .seconds(120), baseDelay: .milliseconds(250), maximumDelay: .seconds(15))

    /// No retries at all.
    public static let none = RetryPolicy.standard.limited(to: 0)

    public init(
        maximum: [Rule: Int], totalMaximum: Int, deadline: Duration, baseDelay: Duration, maximumDelay: Duration
    ) {
        self.maximum = maximum
        self.totalMaximum = totalMaximum
        self.deadline = deadline
        self.baseDelay = baseDelay
        self.maximumDelay = maximumDelay
    }

    /// The same policy with at most `retries` retries in all and per rule (`--retries N`).
    public func limited(to retries: Int) -> RetryPolicy {
        var copy = self
        copy.totalMaximum = max(retries, 0)
        for rule in Rule.allCases { copy.maximum[rule] = max(retries, 0) }
        return copy
    }

    /// The rule an error falls under, or nil when it must not be retried.
    ///
    /// - Parameters:
    ///   - error: What the attempt threw.
    ///   - safety: Whether the operation may be repeated after an unknown commit outcome.
    ///   - isBulk: Whether lock timeouts are retried (bulk work waits; a single change
    ///     reports the lock at once).
    public static func rule(for error: any Error, safety: RepeatSafety, isBulk: Bool) -> Rule? {
        guard let error = error as? PostgresError else { return nil }
        switch error.kind {
        case .connectionLost, .connectionFailed:
            // an unknown database (3D000) or host stays unknown however long one waits
            return error.sqlState == SQLState.invalidCatalogName || error.isPermanent ? nil : .connection
        case .commitOutcomeUnknown:
            return safety == .idempotent ? .connection : nil
        case .server:
            switch error.sqlState {
            case SQLState.serializationFailure: return .serializationFailure
            case SQLState.deadlockDetected: return .deadlock
            case SQLState.lockNotAvailable: return isBulk ? .lockTimeout : nil
            case SQLState.adminShutdown, SQLState.crashShutdown, SQLState.cannotConnectNow: return .connection
            default: return error.sqlStateClass == "08" ? .connection : nil
            }
        case .authenticationFailed, .invalidConnectionString, .invalidInput, .unexpectedResult:
            return nil
        }
    }

    /// The wait before retry number `retry` (1 for the first): `baseDelay` doubled for each
    /// earlier retry, capped at `maximumDelay`, of which a random half is taken off
    /// ("equal jitter"), so that several clients do not retry in step.
    public func delay(beforeRetry retry: Int, random: Double = Double.random(in: 0..<1)) -> Duration {
        let exponent = min(max(retry - 1, 0), 30)
        let full = min(baseDelay * (1 << exponent), maximumDelay)
        return full / 2 + full / 2 * random
    }
}

/// Whether an operation may be run again after it failed.
public enum RepeatSafety: Sendable, Equatable {
    /// Reads, and writes that surely did not commit when they failed: repeated unless the
    /// commit's outcome is unknown.
    case unlessCommitted
    /// Writes guarded so that doing them twice changes nothing more (a repair that changes
    /// only rows still FAILED): repeated even when the commit's outcome is unknown.
    case idempotent
}

/// One retry, as reported to ``RetryingExecutor/observer``.
public struct RetryEvent: Sendable {
    /// What was being done ("batch 3", "selecting entries").
    public let operation: String
    /// The rule the error fell under.
    public let rule: RetryPolicy.Rule
    /// The error that caused the retry.
    public let error: PostgresError
    /// The number of this retry: 1 for the first.
    public let retry: Int
    /// The wait before it.
    public let delay: Duration
}

/// The retries ran out (or the deadline passed) and the operation still failed.
public struct RetriesExhausted: Error, Sendable, CustomStringConvertible {
    /// What was being done.
    public let operation: String
    /// The last error.
    public let lastError: PostgresError
    /// The retries made in the whole run.
    public let retries: Int
    /// The retries made of this operation (fewer when earlier ones used up the run's).
    public let retriesOfThis: Int
    /// From the first failure to giving up.
    public let elapsed: Duration

    public init(operation: String, lastError: PostgresError, retries: Int, retriesOfThis: Int? = nil, elapsed: Duration) {
        self.operation = operation
        self.lastError = lastError
        self.retries = retries
        self.retriesOfThis = retriesOfThis ?? retries
        self.elapsed = elapsed
    }

    public var description: String { "\(summary): \(lastError.description)" }

    /// `gave up connecting after 5 retries in 6 s`; `gave up batch 7: the run's 5 retries
    /// are used up`; `gave up batch 7 after 1 retry (5 in the run) in 2 s`.
    public var summary: String {
        func count(_ number: Int) -> String { "\(number) \(number == 1 ? "retry" : "retries")" }
        let seconds = elapsed.inSeconds
        if retriesOfThis == 0 { return "gave up \(operation): the run's \(count(retries)) are used up" }
        let inRun = retriesOfThis == retries ? "" : " (\(retries) in the run)"
        return "gave up \(operation) after \(count(retriesOfThis))\(inRun) in \(Int(seconds.rounded())) s"
    }
}

/// Runs database operations under a ``RetryPolicy``, reconnecting (``PostgresConnection/reset()``)
/// when the connection was lost.
public final class RetryingExecutor {
    /// The connection to reset after it was lost; nil until connected (a failed connection
    /// attempt is retried under the `connection` rule too).
    public var connection: PostgresConnection?
    public var policy: RetryPolicy
    /// Called before each retry.
    public var observer: ((RetryEvent) -> Void)?
    /// Checked before each wait and retry; when it says true, the last error is thrown at
    /// once (an interrupted run does not retry).
    ///
    /// The deadline counts from the first failure of an operation; a success starts it anew.
    public var shouldStop: () -> Bool = { false }
    /// Retries per rule so far, over the executor's life: the policy's maxima count for a
    /// whole run, not per operation.
    private var used: [RetryPolicy.Rule: Int] = [:]
    private var usedInAll = 0
    private var firstFailure: ContinuousClock.Instant?

    public init(connection: PostgresConnection?, policy: RetryPolicy) {
        self.connection = connection
        self.policy = policy
    }

    /// The retries made so far.
    public var retries: Int { usedInAll }

    /// Runs `body`, and again after a transient error while the policy allows.
    ///
    /// Before a retry after a lost connection, the connection is reset; a failed reset counts
    /// as a failed attempt under the `connection` rule.
    ///
    /// - Parameters:
    ///   - operation: What `body` does, for events and the final error ("batch 4").
    ///   - safety: Whether `body` may be repeated after an unknown commit outcome.
    ///   - isBulk: Whether lock timeouts are retried.
    ///   - body: The work; it must be complete in itself (its own transaction).
    /// - Throws: What `body` threw when it is not retryable, or ``RetriesExhausted``.
    public func run<T>(
        _ operation: String, safety: RepeatSafety = .unlessCommitted, isBulk: Bool = false, _ body: () throws -> T
    ) throws -> T {
        var attemptsOfThis = 0
        while true {
            do {
                if let connection, connection.isBroken { try connection.reset() }
                let value = try body()
                firstFailure = nil
                return value
            } catch {
                guard let rule = RetryPolicy.rule(for: error, safety: safety, isBulk: isBulk),
                    let postgresError = error as? PostgresError
                else { throw error }
                let start = firstFailure ?? ContinuousClock.now
                firstFailure = start
                let elapsed = ContinuousClock.now - start
                let allowed = policy.maximum[rule] ?? 0
                guard !shouldStop(), usedInAll < policy.totalMaximum, used[rule, default: 0] < allowed,
                    elapsed < policy.deadline
                else {
                    if usedInAll == 0 || shouldStop() { throw error }
                    throw RetriesExhausted(
                        operation: operation, lastError: postgresError, retries: usedInAll,
                        retriesOfThis: attemptsOfThis, elapsed: elapsed)
                }
                attemptsOfThis += 1
                used[rule, default: 0] += 1
                usedInAll += 1
                let delay = min(policy.delay(beforeRetry: attemptsOfThis), policy.deadline - elapsed)
                observer?(RetryEvent(operation: operation, rule: rule, error: postgresError, retry: usedInAll, delay: delay))
                Self.sleep(delay)
            }
        }
    }

    /// Sleeps (`nanosleep`), returning early when a signal arrives so that Ctrl-C is seen.
    static func sleep(_ duration: Duration) {
        duration.sleep()
    }
}
