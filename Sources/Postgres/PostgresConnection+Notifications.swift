import CLibPQ

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A message sent with `NOTIFY` or `pg_notify` on a channel the connection listens to.
public struct PostgresNotification: Sendable, Equatable {
    /// The channel, as the sender named it.
    public let channel: String
    /// The payload; empty when none was sent.
    public let payload: String
    /// The process id of the server process of the sending session.
    public let senderProcessID: Int32

    /// Creates a notification.
    public init(channel: String, payload: String, senderProcessID: Int32) {
        self.channel = channel
        self.payload = payload
        self.senderProcessID = senderProcessID
    }
}

extension PostgresConnection {
    /// The longest channel name PostgreSQL accepts, in bytes (`NAMEDATALEN - 1`).
    public static let maximumChannelLength = 63

    /// Starts listening on a channel (`LISTEN`), so that ``waitForNotifications(timeout:)``
    /// returns what is sent on it.
    ///
    /// The name is sent as one quoted identifier, exactly as given: dots, quotes and upper
    /// case letters are part of it, so `listen("salesforce.hc_trigger_log")` hears
    /// `pg_notify('salesforce.hc_trigger_log', ...)`. Listening ends with the session: after
    /// ``reset()``, listen again.
    ///
    /// - Parameter channel: The channel's name.
    /// - Throws: ``PostgresError`` of kind `invalidInput` for an empty name, one with a NUL
    ///   byte, or one longer than 63 bytes (the server would cut it, while `pg_notify`
    ///   refuses such names, so nothing would ever be heard); errors of the statement.
    public func listen(_ channel: String) throws(PostgresError) {
        guard channel.utf8.count <= Self.maximumChannelLength else {
            throw PostgresError(
                .invalidInput,
                message: "the channel name \"\(channel)\" is longer than \(Self.maximumChannelLength) bytes")
        }
        try execute("LISTEN " + SQLIdentifier(channel).quoted)
    }

    /// Waits until notifications arrive on the channels this connection listens to, and
    /// returns them (`PQsocket`, `poll`, `PQconsumeInput`, `PQnotifies`).
    ///
    /// Returns as soon as at least one is there (all that have arrived, in order), and also
    /// returns early, with none, when the timeout passes or when a signal interrupts the wait
    /// (`EINTR`), so the caller can check whether it should stop. Notifications that came in
    /// with the results of earlier statements are returned at once.
    ///
    /// - Parameter timeout: The longest wait; zero only collects what has already arrived.
    /// - Returns: The notifications, possibly none.
    /// - Throws: ``PostgresError`` of kind `connectionLost` when the connection is gone (the
    ///   server ended the session, or the network failed); ``reset()`` can reconnect.
    public func waitForNotifications(timeout: Duration) throws(PostgresError) -> [PostgresNotification] {
        let deadline = ContinuousClock.now + timeout
        while true {
            try consumeInput()
            let notifications = receivedNotifications()
            if !notifications.isEmpty { return notifications }
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero else { return [] }
            switch try waitForInput(remaining) {
            case .readable: continue
            case .timedOut, .interrupted: return []
            }
        }
    }

    /// The connection's socket (`PQsocket`), for a caller that waits on it together with
    /// other descriptors (the console polls it with the keyboard); nil when there is none.
    /// After it is readable, ``waitForNotifications(timeout:)`` with a zero timeout takes
    /// what arrived.
    public var socketDescriptor: Int32? {
        let socket = PQsocket(handle)
        return socket >= 0 ? socket : nil
    }

    // MARK: - The choke point

    /// What waiting for the server's socket ended with.
    private enum InputWait {
        case readable, timedOut, interrupted
    }

    /// Reads what the server has sent, without blocking (`PQconsumeInput`).
    private func consumeInput() throws(PostgresError) {
        guard PQconsumeInput(handle) == 1, PQstatus(handle) != CONNECTION_BAD else {
            throw connectionLostError()
        }
    }

    /// Takes the notifications libpq has parsed, freeing each (`PQnotifies`, `PQfreemem`).
    private func receivedNotifications() -> [PostgresNotification] {
        var notifications: [PostgresNotification] = []
        while let notify = PQnotifies(handle) {
            defer { PQfreemem(notify) }
            notifications.append(
                PostgresNotification(
                    channel: notify.pointee.relname.map { String(cString: $0) } ?? "",
                    payload: notify.pointee.extra.map { String(cString: $0) } ?? "",
                    senderProcessID: notify.pointee.be_pid))
        }
        return notifications
    }

    /// Waits until the connection's socket has something to read (`PQsocket`, `poll`).
    private func waitForInput(_ timeout: Duration) throws(PostgresError) -> InputWait {
        let socket = PQsocket(handle)
        guard socket >= 0 else { throw connectionLostError() }
        var descriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
        let ready = poll(&descriptor, 1, Self.pollMilliseconds(timeout))
        if ready > 0 { return .readable }
        if ready == 0 { return .timedOut }
        let number = errno
        if number == EINTR { return .interrupted }
        throw PostgresError(.unexpectedResult, message: "poll() failed: " + String(cString: strerror(number)))
    }

    /// The connection is gone: libpq's message (`PQerrorMessage`), as `connectionLost`.
    private func connectionLostError() -> PostgresError {
        let text = String(cString: PQerrorMessage(handle))
        return PostgresError.fromLibpqMessage(
            text.isEmpty ? "the connection to the server was lost" : text, kind: .connectionLost, redactor: redactor)
    }

    /// A timeout in whole milliseconds for `poll`, rounded up (so a wait never spins on a
    /// remainder below a millisecond) and capped at `Int32.max`.
    static func pollMilliseconds(_ timeout: Duration) -> Int32 {
        timeout.inWholeMillisecondsRoundedUp(cappedAt: Int32.max)
    }
}
