#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import Postgres

extension TriggerLogWatcher {
    /// Listens on ``channel`` and reports what ``start()`` and then ``look()`` find, looking
    /// when a notification comes (at most every ``minimumLookGap``) and at least every
    /// `interval`, until `shouldStop` returns true or `deadline` passes.
    ///
    /// When the connection is lost, it reconnects (``PostgresConnection/reset()``) with the
    /// delays of `backoff`, listens again and catches up with one look, so that what changed
    /// meanwhile is reported. `shouldStop` is called at every wake-up, including after a
    /// signal interrupted a wait, and before each entry is handed over.
    ///
    /// - Parameters:
    ///   - interval: The longest time between two looks: state changes are not notified.
    ///   - deadline: When to stop; nil for never.
    ///   - backoff: The delays between reconnection attempts.
    ///   - shouldStop: Asked whether to stop.
    ///   - handle: Called with each event; what it throws stops the watch.
    /// - Throws: What `handle` throws; ``PostgresError`` other than a lost connection
    ///   (including refused credentials when reconnecting); ``HerokuConnectError``.
    public func run(
        interval: Duration = .seconds(2), until deadline: ContinuousClock.Instant? = nil,
        backoff: ReconnectBackoff = ReconnectBackoff(), shouldStop: () -> Bool = { false },
        _ handle: (Event) throws -> Void
    ) throws {
        var backoff = backoff
        func stop() -> Bool { shouldStop() || deadline.map { ContinuousClock.now >= $0 } ?? false }
        let connection = store.connection
        var due = ContinuousClock.now
        var lastLook = due - interval
        var notified = false
        var listening = false
        while !stop() {
            do {
                if !listening {
                    try connection.listen(channel)
                    listening = true
                }
                let now = ContinuousClock.now
                if now >= due || (notified && now >= lastLook + Self.minimumLookGap) {
                    notified = false
                    lastLook = now
                    due = now + interval
                    for entry in try look() {
                        if stop() { return }
                        try handle(.entry(entry))
                    }
                    continue
                }
                var wakeAt = notified ? lastLook + Self.minimumLookGap : due
                if let deadline { wakeAt = min(wakeAt, deadline) }
                if !(try connection.waitForNotifications(timeout: wakeAt - now)).isEmpty { notified = true }
            } catch let error as PostgresError where error.kind == .connectionLost || connection.isBroken {
                guard try reconnect(after: error, backoff: &backoff, stop: stop, handle) else { return }
                listening = true
                searchesArchivedFailures = true
                due = ContinuousClock.now
            }
        }
    }

    /// Resets the connection until it works and listens again; false when told to stop first.
    private func reconnect(
        after error: PostgresError, backoff: inout ReconnectBackoff, stop: () -> Bool, _ handle: (Event) throws -> Void
    ) throws -> Bool {
        var delay = backoff.nextDelay()
        try handle(.connectionLost(error, retryingIn: delay))
        while true {
            guard Self.pause(delay, stop: stop) else { return false }
            do {
                try store.connection.reset()
                try store.connection.listen(channel)
                backoff.reset()
                try handle(.reconnected)
                return true
            } catch let failure as PostgresError
                where failure.kind == .connectionFailed || failure.kind == .connectionLost || store.connection.isBroken
            {
                delay = backoff.nextDelay()
                try handle(.reconnectFailed(failure, retryingIn: delay))
            }
        }
    }

    /// Sleeps for `duration` in short steps (`nanosleep`), asking `stop` after each; false
    /// when it said to stop.
    private static func pause(_ duration: Duration, stop: () -> Bool) -> Bool {
        let end = ContinuousClock.now + duration
        while !stop() {
            let remaining = end - ContinuousClock.now
            guard remaining > .zero else { return true }
            min(remaining, .milliseconds(100)).sleep()
        }
        return false
    }
}

/// The delays between reconnection attempts: doubling from `initial` up to `maximum`, each
/// varied by up to a fifth either way, so that many watchers do not reconnect in step.
public struct ReconnectBackoff: Sendable {
    /// The first delay.
    public var initial: Duration
    /// The longest delay.
    public var maximum: Duration
    private var attempts = 0

    /// Creates a backoff: 0.5 s doubling to 30 s unless told otherwise.
    public init(initial: Duration = .milliseconds(500), maximum: Duration = .seconds(30)) {
        self.initial = initial
        self.maximum = maximum
    }

    /// The delay before the next attempt.
    public mutating func nextDelay() -> Duration {
        let base = min(initial * (1 << min(attempts, 20)), maximum)
        attempts += 1
        return base * Double.random(in: 0.8...1.2)
    }

    /// Starts again from the first delay, after a success.
    public mutating func reset() {
        attempts = 0
    }
}
