import CLibPQ

extension PostgresConnection {
    /// Runs a statement and calls `body` with each row as it arrives, in libpq's single-row
    /// mode (`PQsendQueryParams`, `PQsetSingleRowMode`), so memory does not grow with the
    /// number of rows.
    ///
    /// When `body` throws, the statement is cancelled (`PQcancel`), the rest of the result is
    /// discarded, and the error is rethrown; the connection stays usable.
    ///
    /// - Parameters:
    ///   - sql: One statement, with `$1`, `$2`, ... for the parameters.
    ///   - parameters: The values, in text format.
    ///   - body: Called once per row.
    /// - Throws: ``PostgresError``, or what `body` throws.
    public func forEachRow(
        _ sql: String, _ parameters: [PostgresParameter] = [], _ body: (PostgresRow) throws -> Void
    ) throws {
        try sendPendingBegin()
        let start = ContinuousClock.now
        var rowCount = 0
        var failure: (any Error)?
        defer { report(sql, since: start, rows: rowCount, failure: failure) }
        let isPipelined = !deferredParameters.isEmpty
        if isPipelined {
            do throws(PostgresError) {
                // a refused parameter fails the statement: its rows are read, not given to body
                failure = try sendAfterDeferredParameters(sql, parameters)
            } catch {
                failure = error
                throw error
            }
        } else {
            let sent = try withParameters(sql, parameters) { sqlPointer, count, values in
                PQsendQueryParams(handle, sqlPointer, count, nil, values, nil, nil, 0)
            }
            guard sent == 1 else {
                failure = lastConnectionError()
                throw failure!
            }
        }
        defer { if isPipelined { endPipeline() } }
        if PQsetSingleRowMode(handle) != 1 {
            failure = PostgresError(.unexpectedResult, message: "libpq refused single-row mode")
        }
        while let pointer = PQgetResult(handle) {
            let result = ResultHandle(pointer)
            switch PQresultStatus(pointer) {
            case PGRES_SINGLE_TUPLE:
                guard failure == nil else { continue }
                rowCount += 1
                do {
                    try body(PostgresRow(result: result, row: 0))
                } catch {
                    failure = error
                    cancel()
                }
            case PGRES_TUPLES_OK, PGRES_COMMAND_OK:
                break
            default:
                if failure == nil { failure = error(from: pointer) }
            }
        }
        if let failure { throw failure }
    }
}
