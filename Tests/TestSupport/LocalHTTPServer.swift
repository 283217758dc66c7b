import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A real HTTP/1.1 server on 127.0.0.1, standing in for the Heroku APIs in tests: each
/// request goes to the handler, and is recorded (``requests``).
///
/// It binds a free port, accepts on a thread of its own and serves each connection on
/// another (keep-alive: several requests per connection); a body must come with
/// `Content-Length` (chunked ones get 411), `Expect: 100-continue` is answered. A client
/// that goes away ends its connection quietly (no `SIGPIPE`: `MSG_NOSIGNAL`).
///
/// ```swift
/// let server = try LocalHTTPServer { request in
///     request.path == "/apps" ? .json(200, #"[{"name":"demo"}]"#) : StandInResponse(status: 404)
/// }
/// defer { server.stop() }
/// … send requests to server.baseURL …
/// #expect(server.requests.map(\.path) == ["/apps"])
/// ```
public final class LocalHTTPServer: @unchecked Sendable {
    /// The port it listens on, on 127.0.0.1.
    public let port: Int
    private let core: LocalHTTPServerCore

    /// Binds 127.0.0.1 on a free port and starts accepting.
    ///
    /// - Parameter handler: answers each request; called on the connection's thread, so
    ///   possibly on several threads at once.
    /// - Throws: ``TestSetupError`` when the socket cannot be made, bound or listened on.
    public init(handler: @escaping @Sendable (StandInRequest) -> StandInResponse) throws {
        core = try LocalHTTPServerCore(handler: handler)
        port = core.port
        try core.start()
    }

    /// Stops it (below).
    deinit {
        core.stop()
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    public var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Every request received, in the order received (each recorded before its handler runs).
    public var requests: [StandInRequest] { core.recordedRequests }

    /// How many connections it has accepted: fewer than requests when clients keep them alive.
    public var connectionCount: Int { core.connectionCount }

    /// Stops accepting, ends every connection (a delayed answer is not sent), waits for its
    /// threads and closes its sockets. A second call does nothing.
    public func stop() {
        core.stop()
    }
}

/// The sockets, threads and records of a ``LocalHTTPServer``: its threads keep this alive,
/// not the server, so that dropping the server stops them.
final class LocalHTTPServerCore: @unchecked Sendable {
    let port: Int
    let handler: @Sendable (StandInRequest) -> StandInResponse
    private let listener: Int32
    /// Readable once ``stop()`` wrote to it (never drained): every wait polls it too.
    let stopSignal: Int32
    private let stopTrigger: Int32
    private let lock = NSLock()
    private var requests: [StandInRequest] = []
    private var acceptor: pthread_t?
    private var connections: [pthread_t] = []
    private var stopped = false

    init(handler: @escaping @Sendable (StandInRequest) -> StandInResponse) throws {
        self.handler = handler
        var pipeEnds: [Int32] = [0, 0]
        // pipe2 and accept4 are not in Glibc's module: FD_CLOEXEC is set afterwards.
        guard pipe(&pipeEnds) == 0 else { throw Self.failure("pipe") }
        for end in pipeEnds { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        stopSignal = pipeEnds[0]
        stopTrigger = pipeEnds[1]
        do {
            (listener, port) = try Self.listenOnLoopback()
        } catch {
            close(stopSignal)
            close(stopTrigger)
            throw error
        }
    }

    /// A socket listening on 127.0.0.1 and a port the system chose, and that port.
    private static func listenOnLoopback() throws -> (descriptor: Int32, port: Int) {
        let socketType = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        let descriptor = socket(AF_INET, socketType, 0)
        guard descriptor >= 0 else { throw failure("socket") }
        var yes: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let failed: String? =
            if bound != 0 { "bind 127.0.0.1" }
            else if listen(descriptor, 64) != 0 { "listen" }
            else if withUnsafeMutablePointer(to: &address, {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
            }) != 0 { "getsockname" }
            else { nil }
        if let failed {
            let error = failure(failed)
            close(descriptor)
            throw error
        }
        return (descriptor, Int(UInt16(bigEndian: address.sin_port)))
    }

    /// Starts the accepting thread.
    func start() throws {
        let thread = try Self.startThread { self.acceptConnections() }
        lock.withLock { acceptor = thread }
    }

    var recordedRequests: [StandInRequest] {
        lock.withLock { requests }
    }

    var connectionCount: Int {
        lock.withLock { connections.count }
    }

    func record(_ request: StandInRequest) {
        lock.withLock { requests.append(request) }
    }

    func stop() {
        let (wasStopped, thread): (Bool, pthread_t?) = lock.withLock {
            defer { stopped = true }
            return (stopped, acceptor)
        }
        guard !wasStopped else { return }
        var byte: UInt8 = 1
        _ = write(stopTrigger, &byte, 1)
        if let thread { pthread_join(thread, nil) }
        // The acceptor has ended: no connection thread starts any more.
        for connection in lock.withLock({ connections }) {
            pthread_join(connection, nil)
        }
        close(listener)
        close(stopSignal)
        close(stopTrigger)
    }

    private func acceptConnections() {
        while true {
            guard wait(for: listener, timeout: -1) else { return }
            let client = accept(listener, nil, nil)
            if client < 0 {
                if errno == EMFILE || errno == ENFILE { usleep(10_000) }
                continue
            }
            _ = fcntl(client, F_SETFD, FD_CLOEXEC)
            lock.lock()
            defer { lock.unlock() }
            guard !stopped, let thread = try? Self.startThread({ self.serve(client) }) else {
                close(client)
                continue
            }
            connections.append(thread)
        }
    }

    /// Waits until `descriptor` is readable (true), or until the server stops or the
    /// timeout (milliseconds, -1 for none) passes (false).
    func wait(for descriptor: Int32, timeout: Int32) -> Bool {
        var descriptors = [
            pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0),
            pollfd(fd: stopSignal, events: Int16(POLLIN), revents: 0),
        ]
        while true {
            let ready = poll(&descriptors, 2, timeout)
            if ready < 0, errno == EINTR { continue }
            return ready > 0 && descriptors[1].revents == 0
        }
    }

    /// Sleeps for `duration`, or until the server stops (false).
    func sleep(_ duration: Duration) -> Bool {
        var descriptor = pollfd(fd: stopSignal, events: Int16(POLLIN), revents: 0)
        let deadline = ContinuousClock.now + duration
        while case let remaining = deadline - ContinuousClock.now, remaining > .zero {
            let (seconds, attoseconds) = remaining.components
            let milliseconds = min(seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 1, Int64(Int32.max))
            let ready = poll(&descriptor, 1, Int32(milliseconds))
            if ready > 0 || (ready < 0 && errno != EINTR) { return false }
        }
        return true
    }

    private static func startThread(_ body: @escaping @Sendable () -> Void) throws -> pthread_t {
        let context = Unmanaged.passRetained(ThreadBody(body)).toOpaque()
        var thread = pthread_t()
        let created = pthread_create(
            &thread, nil,
            { context in
                Unmanaged<ThreadBody>.fromOpaque(context!).takeRetainedValue().run()
                return nil
            }, context)
        guard created == 0 else {
            Unmanaged<ThreadBody>.fromOpaque(context).release()
            throw TestSetupError("pthread_create: \(String(cString: strerror(created)))")
        }
        return thread
    }

    private static func failure(_ call: String) -> TestSetupError {
        TestSetupError("LocalHTTPServer: \(call): \(String(cString: strerror(errno)))")
    }
}

/// A thread's work, passed through `pthread_create`'s context pointer.
private final class ThreadBody {
    let run: @Sendable () -> Void
    init(_ run: @escaping @Sendable () -> Void) { self.run = run }
}
