import Postgres

/// The lock that keeps two cleanups of one schema from overlapping: a transaction-scoped
/// advisory lock (`pg_try_advisory_xact_lock`), held on a connection of its own in a
/// transaction that stays open for the whole run. It is released when the run ends, and by
/// the server when the process or its connection dies, so it can never be left behind.
public final class CleanupLock {
    /// The lock's own connection (to be reset by its owner when it is lost).
    public let connection: PostgresConnection
    public let schema: String

    /// The lock's two keys: hcconnect's cleanup, and the schema's name.
    private static let keys = "hashtext('hcconnect cleanup'), hashtext($1)"

    /// A lock for `schema` on `connection`, which it keeps to itself; not taken yet.
    public init(connection: PostgresConnection, schema: String) throws(PostgresError) {
        self.connection = connection
        self.schema = schema
        // The transaction stays idle between batches on purpose; a server-wide idle timeout
        // must not end it (and with it the lock) in the middle of a run.
        try connection.setSessionParameter("idle_in_transaction_session_timeout", "0")
    }

    /// How many times the lock is tried when the look for its holder finds nobody.
    private static let attempts = 3

    /// Takes the lock in a new transaction. When it is held, the holder is looked up to be
    /// named; a holder that released the lock between the try and the look leaves it free,
    /// so it is tried again (up to ``attempts`` times) rather than reported held by nobody.
    ///
    /// - Throws: ``HerokuConnectError/cleanupRunning(schema:holder:)`` when another session
    ///   holds it; ``PostgresError``.
    public func take() throws {
        var attempt = 0
        var holderDescription: String?
        while attempt < Self.attempts {
            attempt += 1
            try connection.execute("BEGIN")
            let taken = try connection.query("SELECT pg_try_advisory_xact_lock(\(Self.keys))", [.text(schema)])
            if try taken[0].bool(0) == true { return }
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
                var text = "\(holder.string(1) ?? "a session"), pid \(pid)"
                if let address = holder.string(2) { text += " from \(address)" }
                if let since = holder.string(3) { text += ", since \(since)" }
                holderDescription = text
                break
            }
        }
        throw HerokuConnectError.cleanupRunning(schema: schema, holder: holderDescription)
    }

    /// Whether the lock's connection is still there (and with it the lock); false when it
    /// was lost, and the lock with it.
    ///
    /// - Throws: ``PostgresError`` for any other failure.
    public func isStillHeld() throws(PostgresError) -> Bool {
        do throws(PostgresError) {
            try connection.execute("SELECT 1")
            return true
        } catch {
            guard error.kind == .connectionLost || connection.isBroken else { throw error }
            return false
        }
    }

    /// Ends the lock's transaction, which releases the lock.
    public func release() {
        _ = try? connection.execute("ROLLBACK")
    }
}
