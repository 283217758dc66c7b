import HerokuConnect
import Postgres

/// The cleanup lock as a command holds it: on a connection of its own, with its events,
/// retried like the rest of the command's work.
extension CleanupLock {
    /// Takes the lock for `schema` on a new connection.
    ///
    /// - Throws: ``HerokuConnectError/cleanupRunning(schema:holder:)`` (exit 75) naming the
    ///   session that holds it.
    static func acquire(_ context: CommandContext, schema: String) throws -> CleanupLock {
        let lock = try CleanupLock(connection: try context.openConnection(), schema: schema)
        try lock.take(context)
        return lock
    }

    private func take(_ context: CommandContext) throws {
        try take()
        context.events.record("lock", "holding the cleanup lock of schema \(schema)", ["schema": .string(schema)])
    }

    /// Checks, between batches, that the lock is still held: after a lost connection it is
    /// taken again, and when another cleanup took it meanwhile this one stops (exit 75).
    func confirm(_ context: CommandContext) throws {
        if try isStillHeld() { return }
        context.events.record("lock", "the cleanup lock's connection was lost; taking the lock again")
        try context.retrying("taking the cleanup lock again") {
            if connection.isBroken { try connection.reset() }
        }
        try take(context)
    }
}
