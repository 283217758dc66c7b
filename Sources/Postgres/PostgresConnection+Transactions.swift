import CLibPQ

/// A transaction's `BEGIN` sent with its first statement, in one round trip: libpq's
/// pipeline mode (`PQenterPipelineMode`), `BEGIN` and the statement, then one sync
/// (`PQpipelineSync`). When `BEGIN` fails the statement is not run; when the statement
/// fails, the transaction is open and failed, as after a `BEGIN` of its own, and
/// ``PostgresConnection/withTransaction(_:)`` rolls it back.
extension PostgresConnection {
    /// Runs the statement after the pending `BEGIN` and returns its (buffered) rows, for
    /// ``query(_:_:)``.
    func queryAfterBegin(_ sql: String, _ parameters: [PostgresParameter]) throws(PostgresError) -> PostgresRows {
        beginIsPending = false
        let start = ContinuousClock.now
        try sendPipelined([("BEGIN", [], false), (sql, parameters, true)])
        // BEGIN's result and the NULL that ends it, then the statement's
        let begin = PQgetResult(handle)
        while let extra = PQgetResult(handle) { PQclear(extra) }
        let begun = ContinuousClock.now
        let result = PQgetResult(handle)
        while let extra = PQgetResult(handle) { PQclear(extra) }
        endPipeline()
        do throws(PostgresError) {
            _ = try check(begin)
        } catch {
            if let result { PQclear(result) }
            report("BEGIN", since: start, rows: 0, failure: error)
            throw error
        }
        // (BEGIN's result comes when the statement's does: the statement has the time)
        report("BEGIN", since: begun, until: begun, rows: 0)
        return try rows(of: result, sql: sql, since: start)
    }

    /// Sends a pending `BEGIN` on its own, for statements that do not go out through
    /// ``queryAfterBegin(_:_:)`` (streamed ones, scripts, and those after deferred session
    /// parameters).
    func sendPendingBegin() throws(PostgresError) {
        guard beginIsPending else { return }
        beginIsPending = false
        try execute("BEGIN")
    }
}
