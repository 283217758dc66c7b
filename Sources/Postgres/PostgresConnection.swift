import CLibPQ

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A connection to a PostgreSQL server through libpq.
///
/// One connection serves one thread of work at a time. Every value reaches the server as a
/// parameter; every identifier that is put into SQL text must go through
/// ``quoteIdentifier(_:)``. The connection is closed (`PQfinish`) when the object goes away.
public final class PostgresConnection {
    /// The libpq connection; internal so that the extensions in other files of this module
    /// (notifications) reach it. Never public.
    let handle: OpaquePointer
    /// Masks the password in every text this connection produces.
    public let redactor: Redactor
    /// Called after each statement with its SQL text (never its parameter values, which
    /// may be secrets), its duration and its row count; for `--verbose` and event logs.
    public var statementObserver: ((StatementEvent) -> Void)?
    /// Called with each notice or warning the server or libpq sends (a `RAISE NOTICE`,
    /// "terminating connection due to administrator command"), redacted and trimmed;
    /// libpq would otherwise print them on standard error.
    public var noticeObserver: ((String) -> Void)?
    /// Session parameters set through ``setSessionParameters(_:)``, set again after
    /// ``reset()`` (PostgresConnection+SessionParameters.swift).
    var sessionParameters: [(name: String, value: String)] = []
    /// Session parameters to send ahead of the next statement (``deferSessionParameters(_:)``).
    var deferredParameters: [(name: String, value: String)] = []
    /// A transaction begun by ``withTransaction(_:)`` whose `BEGIN` goes out with its first
    /// statement, in the same round trip (PostgresConnection+Transactions.swift).
    var beginIsPending = false

    /// Connects (`PQconnectdbParams` with `expand_dbname`).
    ///
    /// The session is set up for hcconnect's decoding: `client_encoding` UTF8 and
    /// `DateStyle` ISO (set only when the server's default differs, to save a round trip).
    ///
    /// - Parameter settings: Where to connect.
    /// - Throws: ``PostgresError`` of kind `invalidConnectionString`, `connectionFailed` or
    ///   `authenticationFailed`, with libpq's message redacted.
    public init(settings: ConnectionSettings) throws(PostgresError) {
        let redactor = settings.redactor(parsed: try settings.explicitParameters())
        var parameters = settings.defaults
        if let connectionString = settings.connectionString {
            parameters.append(.init("dbname", connectionString))
        }
        parameters += settings.overrides
        parameters.append(.init("client_encoding", "UTF8"))
        for parameter in parameters where parameter.value.utf8.contains(0) || parameter.keyword.utf8.contains(0) {
            throw PostgresError(.invalidConnectionString, message: "connection parameter \(parameter.keyword) contains a NUL byte")
        }

        let connection = withCStringArray(parameters.map(\.keyword)) { keywords in
            withCStringArray(parameters.map(\.value)) { values in
                PQconnectdbParams(keywords, values, 1)
            }
        }
        guard let connection else {
            throw PostgresError(.connectionFailed, message: "out of memory while connecting")
        }
        guard PQstatus(connection) == CONNECTION_OK else {
            let text = String(cString: PQerrorMessage(connection))
            let needsPassword = PQconnectionNeedsPassword(connection) == 1
            PQfinish(connection)
            throw Self.connectionError(text, needsPassword: needsPassword, redactor: redactor)
        }
        self.handle = connection
        self.redactor = redactor
        // The processor stays with the connection through PQreset; it is given this object
        // unretained, and PQfinish in deinit ends its use.
        PQsetNoticeProcessor(connection, { context, message in
            guard let context, let message else { return }
            let connection = Unmanaged<PostgresConnection>.fromOpaque(context).takeUnretainedValue()
            connection.noticeObserver?(
                connection.redactor.redact(String(cString: message)).trimmingWhitespace())
        }, Unmanaged.passUnretained(self).toOpaque())
        try setUpSession()
    }

    /// Sets what hcconnect's decoding needs, and the session parameters asked for.
    private func setUpSession() throws(PostgresError) {
        if !(parameterStatus("DateStyle")?.hasPrefix("ISO") ?? false) {
            try execute("SET DateStyle TO ISO")
        }
        try applySessionParameters(sessionParameters)
    }

    /// True when the connection is broken and only ``reset()`` can make it usable
    /// (`PQstatus` is `CONNECTION_BAD`).
    public var isBroken: Bool { PQstatus(handle) == CONNECTION_BAD }

    /// Closes the connection and opens a new one with the same settings (`PQreset`), then
    /// sets up the session again (``setSessionParameters(_:)``). Anything the old session
    /// held (transaction, locks, LISTEN) is gone.
    ///
    /// - Throws: ``PostgresError`` of kind `connectionFailed` (or `authenticationFailed`)
    ///   when the server cannot be reached; the connection stays broken and `reset()` may be
    ///   called again.
    public func reset() throws(PostgresError) {
        deferredParameters = []
        beginIsPending = false
        PQreset(handle)
        guard PQstatus(handle) == CONNECTION_OK else {
            throw Self.connectionError(
                String(cString: PQerrorMessage(handle)), needsPassword: PQconnectionNeedsPassword(handle) == 1,
                redactor: redactor)
        }
        try setUpSession()
    }

    deinit {
        PQfinish(handle)
    }

    /// Classifies a failed connection attempt. libpq gives no SQLSTATE for these, so the
    /// server's (English) messages for refused credentials are recognised by their words.
    static func connectionError(_ text: String, needsPassword: Bool, redactor: Redactor) -> PostgresError {
        let lowered = text.lowercased()
        let authenticationMarkers = [
            "password authentication failed", "authentication failed", "no password supplied",
            "pg_hba.conf", "is not permitted to log in", "permission denied for database",
            "role \"",
        ]
        let isAuthentication =
            needsPassword
            || authenticationMarkers.contains { marker in
                lowered.containsUTF8(marker) && (marker != "role \"" || lowered.containsUTF8("does not exist"))
            }
        let error = PostgresError.fromLibpqMessage(
            text, kind: isAuthentication ? .authenticationFailed : .connectionFailed, redactor: redactor)
        guard !isAuthentication else { return error }
        // A database that does not exist will not appear by waiting: SQLSTATE 3D000 tells
        // the retry policy so.
        if lowered.containsUTF8("database \""), lowered.containsUTF8("does not exist") {
            return PostgresError(
                .connectionFailed, message: error.message, sqlState: SQLState.invalidCatalogName, hint: error.hint,
                isPermanent: true)
        }
        // Nor will a host name resolve, or SSL appear on a server without it, or a
        // certificate start to verify (libpq's own wording: it sends no SQLSTATE for these).
        let permanentMarkers = [
            "could not translate host name", "server does not support ssl", "certificate verify failed",
            "root certificate file", "server certificate for", "does not match host name",
        ]
        guard permanentMarkers.contains(where: { lowered.containsUTF8($0) }) else { return error }
        return PostgresError(.connectionFailed, message: error.message, hint: error.hint, isPermanent: true)
    }

    // MARK: - Session facts

    /// A server parameter reported at connection start or since (`PQparameterStatus`).
    public func parameterStatus(_ name: String) -> String? {
        PQparameterStatus(handle, name).map { String(cString: $0) }
    }

    /// The server version as an integer, e.g. 150018 (`PQserverVersion`).
    public var serverVersion: Int { Int(PQserverVersion(handle)) }

    /// A description of the endpoint without secrets: `user@host:port/database`.
    public var endpointDescription: String {
        let user = PQuser(handle).map { String(cString: $0) } ?? "?"
        let host = PQhost(handle).map { String(cString: $0) } ?? "?"
        let port = PQport(handle).map { String(cString: $0) } ?? "?"
        let database = PQdb(handle).map { String(cString: $0) } ?? "?"
        return "\(user)@\(host):\(port)/\(database)"
    }

    /// True while a transaction block is open (`PQtransactionStatus`).
    public var isInTransaction: Bool {
        if beginIsPending { return true }
        let status = PQtransactionStatus(handle)
        return status == PQTRANS_INTRANS || status == PQTRANS_INERROR
    }

    // MARK: - Statements

    /// Runs a statement and returns all of its rows, buffered (`PQexecParams`).
    ///
    /// Use it for results of bounded size; stream large ones with ``forEachRow(_:_:_:)``.
    ///
    /// - Parameters:
    ///   - sql: One statement, with `$1`, `$2`, ... for the parameters.
    ///   - parameters: The values, in text format.
    /// - Returns: The rows.
    /// - Throws: ``PostgresError``.
    @discardableResult
    public func query(_ sql: String, _ parameters: [PostgresParameter] = []) throws(PostgresError) -> PostgresRows {
        let start = ContinuousClock.now
        if beginIsPending, deferredParameters.isEmpty {
            return try queryAfterBegin(sql, parameters)
        }
        try sendPendingBegin()
        let result: OpaquePointer?
        if deferredParameters.isEmpty {
            result = try withParameters(sql, parameters) { sqlPointer, count, values in
                PQexecParams(handle, sqlPointer, count, nil, values, nil, nil, 0)
            }
        } else {
            result = try queryAfterDeferredParameters(sql, parameters)
        }
        return try rows(of: result, sql: sql, since: start)
    }

    /// The rows of a statement's result, reported to the statement observer with the time
    /// since `start`, or its error, reported and thrown.
    func rows(of result: OpaquePointer?, sql: String, since start: ContinuousClock.Instant) throws(PostgresError) -> PostgresRows {
        do {
            let rows = PostgresRows(result: try check(result))
            report(sql, since: start, rows: rows.count)
            return rows
        } catch {
            report(sql, since: start, rows: 0, failure: error)
            throw error
        }
    }

    /// Enters pipeline mode and sends the statements in order, each followed by a sync
    /// when its `sync` says so (a sync ends an implicit transaction, and an error skips the
    /// statements up to the next sync); on failure, ends the pipeline and throws.
    func sendPipelined(
        _ statements: [(sql: String, parameters: [PostgresParameter], sync: Bool)]
    ) throws(PostgresError) {
        guard PQenterPipelineMode(handle) == 1 else { throw lastConnectionError() }
        for statement in statements {
            let sent = try withParameters(statement.sql, statement.parameters) { sqlPointer, count, values in
                PQsendQueryParams(handle, sqlPointer, count, nil, values, nil, nil, 0)
            } == 1 && (!statement.sync || PQpipelineSync(handle) == 1)
            guard sent else {
                let failure = lastConnectionError()
                endPipeline()
                throw failure
            }
        }
    }

    func report(
        _ sql: String, since start: ContinuousClock.Instant, until end: ContinuousClock.Instant? = nil, rows: Int,
        failure: (any Error)? = nil
    ) {
        guard let statementObserver else { return }
        statementObserver(
            StatementEvent(
                sql: sql, duration: (end ?? ContinuousClock.now) - start, rowCount: rows, failed: failure != nil,
                sqlState: (failure as? PostgresError)?.sqlState))
    }

    /// Runs a statement and returns the number of rows it affected (`PQcmdTuples`).
    @discardableResult
    public func execute(_ sql: String, _ parameters: [PostgresParameter] = []) throws(PostgresError) -> Int {
        let rows = try query(sql, parameters)
        return Int(String(cString: PQcmdTuples(rows.result.pointer))) ?? 0
    }

    /// Runs SQL text that may hold several statements and no parameters (`PQexec`).
    ///
    /// For trusted scripts only (test fixtures, the emulation); never pass it user input.
    public func executeUnsafeScript(_ sql: String) throws(PostgresError) {
        guard !sql.utf8.contains(0) else {
            throw PostgresError(.invalidInput, message: "the script contains a NUL byte")
        }
        try applySessionParameters(deferredParameters)
        try sendPendingBegin()
        _ = try check(PQexec(handle, sql))
    }

    /// Asks the server to cancel the running statement (`PQgetCancel`, `PQcancel`). Safe to
    /// call when nothing runs.
    public func cancel() {
        guard let cancel = PQgetCancel(handle) else { return }
        defer { PQfreeCancel(cancel) }
        var buffer = [CChar](repeating: 0, count: 256)
        _ = PQcancel(cancel, &buffer, Int32(buffer.count))
    }

    // MARK: - The choke point

    /// Turns a `PGresult` into a result handle, or into an error when its status says so.
    func check(_ pointer: OpaquePointer?) throws(PostgresError) -> ResultHandle {
        guard let pointer else { throw lastConnectionError() }
        let result = ResultHandle(pointer)
        switch PQresultStatus(pointer) {
        case PGRES_TUPLES_OK, PGRES_COMMAND_OK, PGRES_EMPTY_QUERY, PGRES_SINGLE_TUPLE:
            return result
        default:
            throw error(from: pointer)
        }
    }

    /// The error a failed result describes, with its diagnostic fields.
    func error(from result: OpaquePointer) -> PostgresError {
        func field(_ code: Int32) -> String? {
            PQresultErrorField(result, code).map { redactor.redact(String(cString: $0)) }
        }
        let sqlState = field(HC_PG_DIAG_SQLSTATE)
        if sqlState == nil, PQstatus(handle) == CONNECTION_BAD {
            let text = String(cString: PQresultErrorMessage(result))
            return PostgresError.fromLibpqMessage(
                text.isEmpty ? "the connection to the server was lost" : text, kind: .connectionLost,
                redactor: redactor)
        }
        guard let message = field(HC_PG_DIAG_MESSAGE_PRIMARY) else {
            return PostgresError.fromLibpqMessage(
                String(cString: PQresultErrorMessage(result)), kind: .server, redactor: redactor)
        }
        return PostgresError(
            .server, message: message, sqlState: sqlState, detail: field(HC_PG_DIAG_MESSAGE_DETAIL),
            hint: field(HC_PG_DIAG_MESSAGE_HINT))
    }

    /// The error libpq holds for the connection (`PQerrorMessage`).
    func lastConnectionError() -> PostgresError {
        let text = String(cString: PQerrorMessage(handle))
        let kind: PostgresError.Kind = PQstatus(handle) == CONNECTION_BAD ? .connectionLost : .unexpectedResult
        return PostgresError.fromLibpqMessage(
            text.isEmpty ? "libpq reported an error without a message" : text, kind: kind, redactor: redactor)
    }

    /// True when `text` holds a NUL byte, which a C string cannot carry (`memchr`: a bulk
    /// repair's parameters run to a megabyte).
    static func containsNUL(_ text: String) -> Bool {
        text.utf8.withContiguousStorageIfAvailable { bytes in
            guard let base = bytes.baseAddress, !bytes.isEmpty else { return false }
            return memchr(base, 0, bytes.count) != nil
        } ?? text.utf8.contains(0)
    }

    /// Calls `body` with the statement text and the parameters as C strings, valid only
    /// inside `body`.
    func withParameters<T>(
        _ sql: String, _ parameters: [PostgresParameter],
        _ body: (UnsafePointer<CChar>, Int32, UnsafePointer<UnsafePointer<CChar>?>?) -> T
    ) throws(PostgresError) -> T {
        guard !Self.containsNUL(sql) else {
            throw PostgresError(.invalidInput, message: "the statement contains a NUL byte")
        }
        for (index, parameter) in parameters.enumerated() where parameter.textValue.map(Self.containsNUL) ?? false {
            throw PostgresError(.invalidInput, message: "parameter $\(index + 1) contains a NUL byte")
        }
        return sql.withCString { sqlPointer in
            withOptionalCStringArray(parameters.map(\.textValue)) { values in
                body(sqlPointer, Int32(parameters.count), values)
            }
        }
    }
}
