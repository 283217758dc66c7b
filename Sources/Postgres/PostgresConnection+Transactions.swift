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

    /// Runs one statement in a transaction of its own, with `settings` in force for that
    /// transaction only (`set_config(..., true)`, as `SET LOCAL`), in one round trip:
    /// `BEGIN`, the settings, the statement and `COMMIT`, pipelined up to one sync. When the
    /// statement fails, the server skips the `COMMIT`, the transaction is rolled back and
    /// the statement's error thrown: nothing of it stays.
    ///
    /// Not inside ``withTransaction(_:)``.
    ///
    /// - Throws: ``PostgresError``; a connection lost before every answer came is
    ///   ``PostgresError/Kind/commitOutcomeUnknown`` (the `COMMIT` was sent with the rest).
    public func queryInOwnTransaction(
        _ sql: String, _ parameters: [PostgresParameter] = [], settings: [(name: String, value: String)]
    ) throws(PostgresError) -> PostgresRows {
        precondition(!isInTransaction && !beginIsPending, "queryInOwnTransaction inside a transaction")
        try applySessionParameters(deferredParameters)
        let start = ContinuousClock.now
        let (settingSQL, settingValues) = Self.setConfigStatement(settings, local: true)
        var statements: [(sql: String, parameters: [PostgresParameter], sync: Bool)] = [("BEGIN", [], false)]
        if !settings.isEmpty { statements.append((settingSQL, settingValues, false)) }
        let index = statements.count
        statements.append((sql, parameters, false))
        statements.append(("COMMIT", [], true))
        try sendPipelined(statements)
        // each statement's result (an aborted one's too) and the NULL that ends it
        var results: [OpaquePointer?] = []
        for _ in statements {
            results.append(PQgetResult(handle))
            while let extra = PQgetResult(handle) { PQclear(extra) }
        }
        endPipeline()
        var failure: PostgresError?
        var rows: PostgresRows?
        for (position, result) in results.enumerated() {
            guard failure == nil else {
                if let result { PQclear(result) }
                continue
            }
            do throws(PostgresError) {
                if position == index {
                    rows = try self.rows(of: result, sql: sql, since: start)
                } else {
                    let handle = try check(result)
                    if position == results.count - 1, String(cString: PQcmdStatus(handle.pointer)) != "COMMIT" {
                        throw PostgresError(.server, message: "the transaction was rolled back instead of committed")
                    }
                    // (their results come with the statement's, which has the time)
                    let now = ContinuousClock.now
                    report(statements[position].sql, since: now, until: now, rows: 0)
                }
            } catch {
                // COMMIT went out with the rest: once the connection is lost, the server may
                // have committed whatever answer did not come back
                failure =
                    error.kind == .connectionLost
                    ? PostgresError(
                        .commitOutcomeUnknown, message: "the connection was lost while committing: " + error.message,
                        hint: error.hint)
                    : error
            }
        }
        if let failure {
            if PQtransactionStatus(handle) == PQTRANS_INERROR || PQtransactionStatus(handle) == PQTRANS_INTRANS {
                _ = try? execute("ROLLBACK")
            }
            throw failure
        }
        return rows!
    }
}

extension PostgresConnection {
    /// Runs `body` in a transaction: `COMMIT` when it returns, `ROLLBACK` when it throws.
    /// Inside an open transaction it uses a savepoint instead, so calls nest.
    ///
    /// `BEGIN` goes out with the transaction's first statement, in the same round trip
    /// (libpq's pipeline mode): a transaction of two statements costs three exchanges with
    /// the server, not four. A transaction that sent no statement sends nothing.
    ///
    /// - Throws: What `body` throws, or a ``PostgresError`` from `BEGIN`/`COMMIT` (a
    ///   commit that the server turns into a rollback is an error too).
    public func withTransaction<T>(_ body: () throws -> T) throws -> T {
        let nested = isInTransaction
        if nested { try execute("SAVEPOINT hcconnect_nested") } else { beginIsPending = true }
        let value: T
        do {
            value = try body()
        } catch {
            if beginIsPending, !nested {
                beginIsPending = false
            } else {
                _ = try? execute(nested ? "ROLLBACK TO SAVEPOINT hcconnect_nested" : "ROLLBACK")
            }
            throw error
        }
        if !nested, beginIsPending {
            beginIsPending = false
            return value
        }
        if nested {
            try execute("RELEASE SAVEPOINT hcconnect_nested")
        } else {
            let rows = try commit()
            let status = String(cString: PQcmdStatus(rows.result.pointer))
            guard status == "COMMIT" else {
                throw PostgresError(.server, message: "the transaction was rolled back instead of committed")
            }
        }
        return value
    }

    /// Sends `COMMIT`; a connection lost on the way is ``PostgresError/Kind/commitOutcomeUnknown``.
    private func commit() throws(PostgresError) -> PostgresRows {
        let result: Result<PostgresRows, PostgresError>
        do throws(PostgresError) {
            result = .success(try query("COMMIT"))
        } catch {
            result = .failure(error)
        }
        switch result {
        case .success(let rows):
            return rows
        case .failure(let error) where error.kind == .connectionLost:
            throw PostgresError(
                .commitOutcomeUnknown, message: "the connection was lost while committing: " + error.message,
                hint: error.hint)
        case .failure(let error):
            throw error
        }
    }
}
