import CLibPQ

/// Session parameters (`set_config(name, value, false)`): set at once, or deferred and sent
/// in the same round trip as the statement that follows them.
extension PostgresConnection {
    /// `set_config(name, value, false)` for each parameter, in one statement.
    func applySessionParameters(_ parameters: [(name: String, value: String)]) throws(PostgresError) {
        guard !parameters.isEmpty else { return }
        deferredParameters.removeAll { pending in parameters.contains { $0.name == pending.name } }
        let (sql, values) = Self.setConfigStatement(parameters)
        try execute(sql, values)
    }

    /// Sets server parameters for the session (`set_config(name, value, false)`, all in one
    /// round trip), and again whenever ``reset()`` opens a new session.
    ///
    /// - Throws: ``PostgresError`` when the server refuses a name or a value; then none is set.
    public func setSessionParameters(_ parameters: [(name: String, value: String)]) throws(PostgresError) {
        try applySessionParameters(parameters)
        for (name, value) in parameters {
            sessionParameters.removeAll { $0.name == name }
            sessionParameters.append((name, value))
        }
    }

    /// Sets server parameters for the session like ``setSessionParameters(_:)``, but sends
    /// them with the next statement, in the same round trip (libpq's pipeline mode): a
    /// command's first statement then costs no extra exchange with the server.
    ///
    /// For sessions that only read: a value the server refuses fails the next statement,
    /// but only after it ran (its result is dropped), and is sent again with the one after.
    public func deferSessionParameters(_ parameters: [(name: String, value: String)]) {
        for (name, value) in parameters {
            sessionParameters.removeAll { $0.name == name }
            sessionParameters.append((name, value))
            deferredParameters.removeAll { $0.name == name }
            deferredParameters.append((name, value))
        }
    }

    /// The `set_config` statement for parameters, and its parameter values.
    static func setConfigStatement(
        _ parameters: [(name: String, value: String)], local: Bool = false
    ) -> (String, [PostgresParameter]) {
        let calls = parameters.indices.map { "set_config($\($0 * 2 + 1), $\($0 * 2 + 2), \(local))" }
        return ("SELECT " + calls.joined(separator: ", "), parameters.flatMap { [.text($0.name), .text($0.value)] })
    }

    /// Sets one server parameter for the session; see ``setSessionParameters(_:)``.
    public func setSessionParameter(_ name: String, _ value: String) throws(PostgresError) {
        try setSessionParameters([(name, value)])
    }
}

/// Deferred session parameters: `set_config` sent in the same round trip as the statement
/// that follows it, in libpq's pipeline mode (`PQenterPipelineMode`, `PQpipelineSync`).
///
/// Each of the two is followed by a sync, so `set_config` commits on its own: a statement
/// that fails, or a transaction that the statement begins and that is later rolled back,
/// does not take the parameters with it. The results come in order: the `set_config` row,
/// a NULL, `PGRES_PIPELINE_SYNC`; the statement's results, a NULL, `PGRES_PIPELINE_SYNC`.
/// The statement runs even when the server refuses a parameter (its result is then
/// dropped and the refusal thrown), which is why only read-only work defers parameters.
extension PostgresConnection {
    /// Runs the statement after the deferred parameters and returns its (buffered) result,
    /// for ``query(_:_:)``.
    func queryAfterDeferredParameters(_ sql: String, _ parameters: [PostgresParameter]) throws(PostgresError) -> OpaquePointer? {
        let refusal = try sendAfterDeferredParameters(sql, parameters)
        let result = PQgetResult(handle)
        // the NULL that ends the statement's results
        while let extra = PQgetResult(handle) { PQclear(extra) }
        endPipeline()
        if let refusal {
            if let result { PQclear(result) }
            throw refusal
        }
        return result
    }

    /// Sends `set_config` for the deferred parameters and then the statement, each with its
    /// sync, and reads the `set_config` result; the statement's results are read next with
    /// `PQgetResult`, and ``endPipeline()`` ends the pipeline after them.
    ///
    /// - Returns: The server's refusal of a parameter, to be thrown once the statement's
    ///   results have been read; nil when the parameters are set.
    /// - Throws: ``PostgresError`` when sending fails; then the pipeline has been ended.
    func sendAfterDeferredParameters(_ sql: String, _ parameters: [PostgresParameter]) throws(PostgresError) -> PostgresError? {
        let settings = deferredParameters
        deferredParameters = []
        let (settingsSQL, settingsValues) = Self.setConfigStatement(settings)
        try sendPipelined([(settingsSQL, settingsValues, true), (sql, parameters, true)])
        let start = ContinuousClock.now
        var refusal: PostgresError?
        // the set_config row, the NULL that ends it, and its sync
        while let pointer = PQgetResult(handle) {
            if PQresultStatus(pointer) != PGRES_TUPLES_OK, refusal == nil { refusal = error(from: pointer) }
            PQclear(pointer)
        }
        if let sync = PQgetResult(handle) { PQclear(sync) }
        report(settingsSQL, since: start, rows: refusal == nil ? 1 : 0, failure: refusal)
        if refusal != nil {
            // set them again with the next statement
            deferredParameters = settings
        }
        return refusal
    }

    /// Reads what is left of the pipeline (the last sync) and leaves pipeline mode; on a
    /// broken connection it gives up, leaving the rest to ``reset()``.
    func endPipeline() {
        var nulls = 0
        while PQpipelineStatus(handle) != PQ_PIPELINE_OFF, nulls < 3 {
            guard let pointer = PQgetResult(handle) else {
                if PQexitPipelineMode(handle) == 1 { return }
                nulls += 1
                continue
            }
            nulls = 0
            PQclear(pointer)
        }
    }
}
