import Foundation

/// An emulation of the Heroku Platform API, the Heroku Connect discovery service and the
/// Heroku Connect API v3, for tests: a request handler, independent of any socket, that a
/// local HTTP server (`LocalHTTPServer`) calls for each request.
///
/// One stand-in answers all three services on one port: hcconnect's
/// `HCCONNECT_HEROKU_API_URL` and `HCCONNECT_CONNECT_API_URL` both point at the server, and the
/// `region_url` and `detail_url` discovery answers point back at ``baseURL``. The routes, their
/// answers and the sources of each shape are listed in `HerokuAPIStandIn+Bodies.swift` and
/// `HerokuAPIStandIn+Routes.swift`.
///
/// Tests script faults (``failNext(_:status:pathPrefix:retryAfter:)``, ``delay(_:pathPrefix:)``,
/// ``stopAnswering(pathPrefix:)``) and read what happened (``requests``, ``actions``,
/// ``connection(_:)``). Thread-safe: every method takes one lock, because the server calls
/// ``handle(_:)`` from several threads.
public final class HerokuAPIStandIn: @unchecked Sendable {
    let lock = NSLock()
    var tokens: Set<String>
    var apps: [App] = []
    var base = "http://127.0.0.1"
    var failures: [Failure] = []
    var delays: [(prefix: String?, duration: Duration)] = []
    var seen: [StandInRequest] = []
    var actionLog: [String] = []
    /// `RateLimit-Remaining` of the Platform API's answers, one fewer per request.
    var rateLimitRemaining = 4500

    /// A scripted failure: the next `remaining` requests under `prefix` answer `status`.
    struct Failure {
        var prefix: String?
        var remaining: Int
        var status: Int
        var retryAfter: Int?
    }

    /// A stand-in that accepts the bearer tokens `tokens` and knows no app yet.
    public init(tokens: Set<String>) {
        self.tokens = tokens
    }

    /// Adds `app` (an app of the same name is replaced).
    public func add(_ app: App) {
        withLock {
            apps.removeAll { $0.name == app.name }
            apps.append(app)
        }
    }

    /// The server's URL (`http://127.0.0.1:PORT`), which `region_url` and `detail_url` are built
    /// from. The test sets it once the server has a port; a trailing `/` is dropped.
    public var baseURL: String {
        get { withLock { base } }
        set { withLock { base = newValue.hasSuffix("/") ? String(newValue.dropLast()) : newValue } }
    }

    /// The bearer tokens accepted; the others get 401.
    public var validTokens: Set<String> {
        get { withLock { tokens } }
        set { withLock { tokens = newValue } }
    }

    // MARK: Faults

    /// The next `count` requests whose path starts with `pathPrefix` (any request when nil) answer
    /// `status` instead: 429 with the Platform API's `rate_limit` body, `RateLimit-Remaining: 0`
    /// and, when `retryAfter` is not nil, `Retry-After` (seconds; Heroku documents no
    /// `Retry-After`, so a client must cope without it too: pass nil); 500 and 503 with an
    /// `internal_server_error` or `unavailable` body. Scripts are used in the order added.
    public func failNext(_ count: Int, status: Int, pathPrefix: String? = nil, retryAfter: Int? = 1) {
        withLock { failures.append(Failure(prefix: pathPrefix, remaining: count, status: status, retryAfter: retryAfter)) }
    }

    /// Every answer to a path starting with `pathPrefix` (any path when nil) carries `delay`,
    /// which the server waits before answering: a client with a shorter timeout gives up.
    /// The first delay added that matches applies.
    public func delay(_ duration: Duration, pathPrefix: String? = nil) {
        withLock { delays.append((pathPrefix, duration)) }
    }

    /// The paths starting with `pathPrefix` stop answering: their answers wait an hour.
    public func stopAnswering(pathPrefix: String? = nil) {
        delay(.seconds(3600), pathPrefix: pathPrefix)
    }

    /// Removes every scripted failure and delay.
    public func clearFaults() {
        withLock {
            failures.removeAll()
            delays.removeAll()
        }
    }

    // MARK: What happened

    /// Every request handled, in order.
    public var requests: [StandInRequest] { withLock { seen } }

    /// The actions received, in order: `pause ID`, `resume ID`, `restart ID` (connection ids),
    /// `reload ID` (a mapping id), `acknowledge ID` (a connection id), `validate ID`; an action the
    /// state refused ends with ` refused`.
    public var actions: [String] { withLock { actionLog } }

    /// The connection with id or resource name `key`, as it is now (its state after actions).
    public func connection(_ key: String) -> Connection? {
        withLock { locate(connection: key).map { apps[$0.app].connections[$0.connection] } }
    }

    /// Changes the connection with id or resource name `key` (a test moving it to another state).
    /// `change` runs holding the lock: it must not call the stand-in.
    public func update(connection key: String, _ change: (inout Connection) -> Void) {
        withLock {
            guard let at = locate(connection: key) else { return }
            change(&apps[at.app].connections[at.connection])
        }
    }

    /// The app named `name`, as it is now.
    public func app(_ name: String) -> App? {
        withLock { apps.first { $0.name == name } }
    }

    // MARK: Handling

    /// The answer to `request`: a scripted failure if one matches, else the route's answer,
    /// with the scripted delay.
    public func handle(_ request: StandInRequest) -> StandInResponse {
        withLock {
            seen.append(request)
            var response = scriptedFailure(for: request.path) ?? route(request)
            if response.delay == nil {
                response.delay = delays.first { Self.path(request.path, isUnder: $0.prefix) }?.duration
            }
            return response
        }
    }

    func scriptedFailure(for path: String) -> StandInResponse? {
        guard let index = failures.firstIndex(where: { $0.remaining > 0 && Self.path(path, isUnder: $0.prefix) })
        else { return nil }
        failures[index].remaining -= 1
        let failure = failures[index]
        switch failure.status {
        case 429:
            // [platform-errors] 429 rate_limit, "wait for rate limits to reset and try again"; the
            // body and the RateLimit-Remaining header as in
            // https://raw.githubusercontent.com/api-evangelist/style-guides/refs/heads/main/examples/heroku-rate-limiting.json
            // (after https://devcenter.heroku.com/articles/platform-api-reference#rate-limits).
            // Neither source shows Retry-After: it is the stand-in's, and optional.
            // The Connect services' 429 and 500 bodies are not shown anywhere: they get these too.
            var headers = ["RateLimit-Remaining": "0"]
            if let seconds = failure.retryAfter { headers["Retry-After"] = String(seconds) }
            return Self.json(429, Self.platformError("rate_limit", "Your account reached the API rate limit"), headers: headers)
        case 503:
            return Self.json(503, Self.platformError("unavailable", "Service unavailable."))
        default:
            return Self.json(failure.status, Self.platformError("internal_server_error", "Internal server error."))
        }
    }

    static func path(_ path: String, isUnder prefix: String?) -> Bool {
        prefix.map { path.hasPrefix($0) } ?? true
    }

    /// Runs `body` holding the lock.
    func withLock<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    /// Where the connection with id or resource name `key` is.
    func locate(connection key: String) -> (app: Int, connection: Int)? {
        for (a, app) in apps.enumerated() {
            if let c = app.connections.firstIndex(where: { $0.id == key || $0.resourceName == key }) { return (a, c) }
        }
        return nil
    }

    /// Where the mapping with id `id` is.
    func locate(mapping id: String) -> (app: Int, connection: Int, mapping: Int)? {
        for (a, app) in apps.enumerated() {
            for (c, connection) in app.connections.enumerated() {
                if let m = connection.mappings.firstIndex(where: { $0.id == id }) { return (a, c, m) }
            }
        }
        return nil
    }

    /// A JSON answer with `object` (sorted keys, slashes not escaped).
    static func json(_ status: Int, _ object: Any, headers: [String: String] = [:]) -> StandInResponse {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
            ?? Data("{}".utf8)
        var all = ["Content-Type": "application/json"]
        all.merge(headers) { $1 }
        return StandInResponse(status: status, headers: all, body: [UInt8](data))
    }
}
