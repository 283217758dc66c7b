import HerokuConnect
import Postgres

/// The lock that keeps two cleanups of one schema from overlapping: a transaction-scoped
/// advisory lock (`pg_try_advisory_xact_lock`), held on a connection of its own in a
/// transaction that stays open for the whole run. It is released when the run ends, and by
/// the server when the process or its connection dies, so it can never be left behind.
final class CleanupLock {
    private let connection: PostgresConnection
    private let schema: String

    /// The lock's two keys: hcconnect's cleanup, and the schema's name.
    private static let keys = "hashtext('hcconnect cleanup'), hashtext($1)"

    private init(connection: PostgresConnection, schema: String) {
        self.connection = connection
        self.schema = schema
    }

    /// Takes the lock for `schema`.
    ///
    /// - Throws: ``CommandFailure`` with exit status 75 naming the session that holds it.
    static func acquire(_ context: CommandContext, schema: String) throws -> CleanupLock {
        let connection = try context.openConnection()
        // The transaction stays idle between batches on purpose; a server-wide idle timeout
        // must not end it (and with it the lock) in the middle of a run.
        try connection.setSessionParameter("idle_in_transaction_session_timeout", "0")
        let lock = CleanupLock(connection: connection, schema: schema)
        try lock.take(context)
        return lock
    }

    /// How many times the lock is tried when the look for its holder finds nobody.
    private static let attempts = 3

    /// Takes the lock in a new transaction. When it is held, the holder is looked up to be
    /// named; a holder that released the lock between the try and the look leaves it free,
    /// so it is tried again (up to ``attempts`` times) rather than reported held by nobody.
    private func take(_ context: CommandContext) throws {
        var attempt = 0
        var who = "another cleanup"
        while attempt < Self.attempts {
            attempt += 1
            try connection.execute("BEGIN")
            let taken = try connection.query("SELECT pg_try_advisory_xact_lock(\(Self.keys))", [.text(schema)])
            if try taken[0].bool(0) == true {
                context.events.record("lock", "holding the cleanup lock of schema \(schema)", ["schema": .string(schema)])
                return
            }
            let holder = try? connection.query(
                """
                SELECT a.pid, COALESCE(NULLIF(a.application_name, ''), 'a session'), a.client_addr::text,
                       to_char(a.xact_start, 'YYYY-MM-DD HH24:MI:SS TZ')
                  FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
                 WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
                   AND l.classid = hashtext('hcconnect cleanup')::oid AND l.objid = hashtext($1)::oid
                """, [.text(schema)]
            ).first
            _ = try? connection.execute("ROLLBACK")
            if let holder, let pid = try? holder.int(0) {
                who += " (\(holder.string(1) ?? "a session"), pid \(pid)"
                if let address = holder.string(2) { who += " from \(address)" }
                if let since = holder.string(3) { who += ", since \(since)" }
                who += ")"
                break
            }
        }
        throw CommandFailure(
            status: .temporaryFailure, message: "\(who) is running on schema \(schema); try again when it is done")
    }

    /// Checks, between batches, that the lock is still held: after a lost connection it is
    /// taken again, and when another cleanup took it meanwhile this one stops (exit 75).
    func confirm(_ context: CommandContext) throws {
        do throws(PostgresError) {
            try connection.execute("SELECT 1")
            return
        } catch {
            guard error.kind == .connectionLost || connection.isBroken else { throw error }
            context.events.record("lock", "the cleanup lock's connection was lost; taking the lock again")
        }
        try context.retrying("taking the cleanup lock again") {
            if connection.isBroken { try connection.reset() }
        }
        try take(context)
    }

    /// Ends the lock's transaction, which releases the lock.
    func release() {
        _ = try? connection.execute("ROLLBACK")
    }
}
