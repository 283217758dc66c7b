import HTTP
import Postgres

/// The Heroku Platform API and the Heroku Connect API, as the Heroku CLI's connect plugin
/// calls them (src/lib/clients/discovery.ts, connect.ts, src/lib/connect/api.ts):
///
/// - the Platform API (`https://api.heroku.com`) for an app's config vars;
/// - Connect's discovery service (`https://hc-central.heroku.com`) for an app's connections,
///   whose answers name each connection's region API and detail URL;
/// - the region's API (`<region_url>/api/v3`) for a connection's detail, notifications and
///   actions.
///
/// Every request carries `Authorization: Bearer <token>`; the token appears nowhere else
/// (``observer`` sees method, URL, status and time). 429 and 5xx answers, and a server that
/// could not be reached, are retried under the retry policy (a POST only when the server
/// cannot have acted on it: 429, or no connection made), honouring `Retry-After`.
public final class HerokuAPIClient {
    /// Where the APIs are; tests point them at a stand-in (`HCCONNECT_HEROKU_API_URL`,
    /// `HCCONNECT_CONNECT_API_URL`).
    public struct Endpoints: Sendable, Equatable {
        public var platform: String
        public var discovery: String

        public static let heroku = Endpoints(platform: "https://api.heroku.com", discovery: "https://hc-central.heroku.com")

        public init(platform: String, discovery: String) {
            self.platform = platform
            self.discovery = discovery
        }
    }

    /// One request as `--verbose` tells it.
    public struct Exchange: Sendable {
        public let method: String
        public let url: String
        /// nil when no answer came.
        public let status: Int?
        public let duration: Duration
        /// Set when it will be tried again: the wait before that.
        public let retryIn: Duration?
    }

    public let credentials: HerokuCredentials
    public let endpoints: Endpoints
    public let policy: RetryPolicy
    /// Told of each request (for `--verbose`).
    public var observer: ((Exchange) -> Void)?
    /// Waits between retries (tests shorten it).
    public var sleep: (Duration) -> Void = { $0.sleep() }
    /// Asked before each retry: true stops retrying (Ctrl-C).
    public var shouldStop: () -> Bool = { false }
    /// The longest a request may take.
    public var timeout: Duration = .seconds(30)
    private let http: HTTPClient
    private let userAgent: String

    public init(credentials: HerokuCredentials, endpoints: Endpoints = .heroku, policy: RetryPolicy, userAgent: String) throws(HerokuAPIError) {
        self.credentials = credentials
        self.endpoints = endpoints
        self.policy = policy
        self.userAgent = userAgent
        do {
            http = try HTTPClient(userAgent: userAgent)
        } catch {
            throw .network(endpoint: "libcurl", error: error)
        }
    }

    // MARK: - Platform API

    /// The app's config vars (`GET /apps/{app}/config-vars`).
    ///
    /// - Throws: ``HerokuAPIError/unknownApp(app:message:)`` for a 404, and the errors of
    ///   every request.
    public func configVars(app: String) throws(HerokuAPIError) -> [String: String] {
        let url = endpoints.platform + "/apps/" + Self.pathComponent(app) + "/config-vars"
        let (status, body) = try request("GET", url, accept: "application/vnd.heroku+json; version=3")
        if status == 404 { throw .unknownApp(app: app, message: Self.message(body) ?? "not found") }
        try Self.requireSuccess(status, body, url: url)
        guard let members = body?.members else { throw .unexpectedResponse(endpoint: url, detail: "not a JSON object") }
        var vars: [String: String] = [:]
        for (name, value) in members { vars[name] = value.string }
        return vars
    }

    // MARK: - Connect API

    /// The app's connections, as discovery lists them (`GET /connections?app=APP`), with
    /// `resource_name` when a resource is named. Like the plugin, when the search finds none it
    /// asks for access to the app's connections (`POST /auth/APP`) and searches again.
    public func connections(app: String, resource: String? = nil) throws(HerokuAPIError) -> [HerokuConnection] {
        var url = endpoints.discovery + "/connections?app=" + Self.queryValue(app)
        if let resource { url += "&resource_name=" + Self.queryValue(resource) }
        var found = try search(url)
        if found.isEmpty {
            let auth = endpoints.discovery + "/auth/" + Self.pathComponent(app)
            let (status, body) = try request("POST", auth)
            if status == 404 { throw .unknownApp(app: app, message: Self.message(body) ?? "not found") }
            try Self.requireSuccess(status, body, url: auth)
            found = try search(url)
        }
        return found
    }

    private func search(_ url: String) throws(HerokuAPIError) -> [HerokuConnection] {
        let (status, body) = try request("GET", url)
        try Self.requireSuccess(status, body, url: url)
        guard let results = body?["results"]?.array else { throw .unexpectedResponse(endpoint: url, detail: "no results list") }
        return results.compactMap(HerokuConnection.init(summary:))
    }

    /// The app's one connection (or the one `resource` names), with its detail and mappings.
    ///
    /// - Throws: ``HerokuAPIError/multipleConnections(app:resources:)`` when there are
    ///   several and no resource was named, ``HerokuAPIError/noConnection(app:resource:available:)``.
    public func connection(app: String, resource: String? = nil) throws(HerokuAPIError) -> HerokuConnection {
        let all = try connections(app: app)
        let chosen: [HerokuConnection]
        if let resource {
            chosen = all.filter { $0.resourceName == resource || $0.id == resource }
        } else {
            chosen = all
        }
        guard let first = chosen.first else {
            throw .noConnection(app: app, resource: resource, available: all.map(\.resourceName))
        }
        guard chosen.count == 1 else { throw .multipleConnections(app: app, resources: chosen.map(\.resourceName)) }
        return try detail(first)
    }

    /// The connection with its detail and mappings (`GET <detail_url>?deep=true`).
    public func detail(_ connection: HerokuConnection) throws(HerokuAPIError) -> HerokuConnection {
        let url = absolute(connection.detailURL, in: connection) + "?deep=true"
        let (status, body) = try request("GET", url)
        try Self.requireSuccess(status, body, url: url)
        guard let body, body.members != nil else { throw .unexpectedResponse(endpoint: url, detail: "not a JSON object") }
        return connection.merged(detail: body)
    }

    /// The notifications nobody acknowledged (`GET /api/v3/connections/{id}/notifications`).
    public func notifications(_ connection: HerokuConnection) throws(HerokuAPIError) -> [HerokuNotification] {
        let url = regionAPI(connection) + "/connections/" + Self.pathComponent(connection.id) + "/notifications"
        let (status, body) = try request("GET", url)
        try Self.requireSuccess(status, body, url: url)
        return (body?["results"]?.array ?? []).map { item in
            HerokuNotification(
                id: item["id"]?.string ?? item["id"]?.int.map(String.init) ?? "", eventType: item["event_type"]?.string ?? "",
                message: item["message"]?.string ?? "", createdAt: item["created_at"]?.string ?? "")
        }
    }

    /// The connection's failed writes of the last 24 hours (`GET /api/v3/connections/{id}/errors`).
    public func writeErrors(_ connection: HerokuConnection) throws(HerokuAPIError) -> [HerokuWriteError] {
        let url = regionAPI(connection) + "/connections/" + Self.pathComponent(connection.id) + "/errors"
        let (status, body) = try request("GET", url)
        try Self.requireSuccess(status, body, url: url)
        return (body?["results"]?.array ?? []).map(HerokuWriteError.init(json:))
    }

    /// What can be done to a connection (`POST /api/v3/connections/{id}/actions/NAME`).
    public enum Action: String, Sendable, CaseIterable {
        case pause, resume, restart
    }

    /// Pauses, resumes or restarts the connection.
    ///
    /// - Throws: ``HerokuAPIError/refused(endpoint:status:message:)`` when the API refuses
    ///   (a pause outside IDLE, ...).
    public func perform(_ action: Action, on connection: HerokuConnection) throws(HerokuAPIError) {
        let url = regionAPI(connection) + "/connections/" + Self.pathComponent(connection.id) + "/actions/" + action.rawValue
        let (status, body) = try request("POST", url)
        try Self.requireAccepted(status, body, url: url)
    }

    /// Reloads a mapping's data from Salesforce (`POST /api/v3/mappings/{id}/actions/reload`).
    public func reload(_ mapping: HerokuMapping, of connection: HerokuConnection) throws(HerokuAPIError) {
        let url = regionAPI(connection) + "/mappings/" + Self.pathComponent(mapping.id) + "/actions/reload"
        let (status, body) = try request("POST", url)
        try Self.requireAccepted(status, body, url: url)
    }

    // MARK: - Requests

    /// The region's `/api/v3`.
    private func regionAPI(_ connection: HerokuConnection) -> String {
        var base = connection.regionURL
        while base.hasSuffix("/") { base.removeLast() }
        return base + "/api/v3"
    }

    /// A URL the API gave: absolute as it is, relative under the region.
    private func absolute(_ url: String, in connection: HerokuConnection) -> String {
        if url.hasPrefix("http://") || url.hasPrefix("https://") { return url }
        var base = connection.regionURL
        while base.hasSuffix("/") { base.removeLast() }
        return base + (url.hasPrefix("/") ? url : "/" + url)
    }

    /// Sends a request, retrying what may be retried, and returns the status and the body as
    /// JSON (nil when empty).
    private func request(_ method: String, _ url: String, accept: String = "application/json") throws(HerokuAPIError) -> (Int, JSONValue?) {
        let request = HTTPRequest(
            method: method, url: url,
            headers: [
                (name: "Authorization", value: "Bearer " + credentials.token), (name: "Accept", value: accept),
                (name: "User-Agent", value: userAgent),
            ],
            body: method == "GET" ? nil : [], timeout: timeout, connectTimeout: min(timeout, .seconds(10)))
        let start = ContinuousClock.now
        var retries = 0
        while true {
            let attempt = ContinuousClock.now
            let delay: Duration
            do {
                let response = try http.send(request)
                let status = response.status
                let transient = status == 429 || (status >= 500 && method == "GET")
                let wait = transient ? retryDelay(retries, retryAfter: response.header("retry-after"), since: start) : nil
                observer?(Exchange(method: method, url: url, status: status, duration: .now - attempt, retryIn: wait))
                guard let wait else {
                    if transient {
                        let body = try? JSONValue(parsing: response.body)
                        throw HerokuAPIError.unavailable(
                            endpoint: url, status: status, message: Self.message(body) ?? "", retries: retries)
                    }
                    if response.body.isEmpty { return (status, nil) }
                    do {
                        return (status, try JSONValue(parsing: response.body))
                    } catch {
                        if (200..<300).contains(status) {
                            throw HerokuAPIError.unexpectedResponse(endpoint: url, detail: error.description)
                        }
                        return (status, .string(String(decoding: response.body.prefix(200), as: UTF8.self)))
                    }
                }
                delay = wait
            } catch let error as HTTPError {
                // a request that never reached the server can be sent again, whatever it is
                let unsent = error.kind == .couldNotConnect || (error.kind == .timedOut && method == "GET")
                let wait = unsent ? retryDelay(retries, retryAfter: nil, since: start) : nil
                observer?(Exchange(method: method, url: url, status: nil, duration: .now - attempt, retryIn: wait))
                guard let wait else { throw .network(endpoint: url, error: error) }
                delay = wait
            } catch let error as HerokuAPIError {
                throw error
            } catch {
                throw .unexpectedResponse(endpoint: url, detail: "\(error)")
            }
            retries += 1
            sleep(delay)
            if shouldStop() { throw .network(endpoint: url, error: HTTPError(kind: .other, message: "interrupted")) }
        }
    }

    /// The wait before the next retry, or nil when the policy allows none: its delay, or the
    /// server's `Retry-After` (seconds) when longer, never past the policy's deadline.
    private func retryDelay(_ retries: Int, retryAfter: String?, since start: ContinuousClock.Instant) -> Duration? {
        guard retries < policy.totalMaximum, retries < (policy.maximum[.connection] ?? 0) else { return nil }
        var delay = policy.delay(beforeRetry: retries + 1)
        if let text = retryAfter, let seconds = Int(text.trimmingWhitespace()), seconds >= 0 {
            delay = max(delay, .seconds(min(seconds, 300)))
        }
        guard ContinuousClock.now + delay - start <= policy.deadline else { return nil }
        return delay
    }

    private static func requireSuccess(_ status: Int, _ body: JSONValue?, url: String) throws(HerokuAPIError) {
        switch status {
        case 200..<300: return
        case 401, 403: throw .unauthorized(status: status, message: message(body) ?? "")
        case 404: throw .unexpectedResponse(endpoint: url, detail: "404 " + (message(body) ?? "not found"))
        default: throw .refused(endpoint: url, status: status, message: message(body) ?? "")
        }
    }

    private static func requireAccepted(_ status: Int, _ body: JSONValue?, url: String) throws(HerokuAPIError) {
        switch status {
        case 200..<300: return
        case 401, 403: throw .unauthorized(status: status, message: message(body) ?? "")
        default: throw .refused(endpoint: url, status: status, message: message(body) ?? "")
        }
    }

    /// The `message` of an error body (both APIs use it), or its text.
    static func message(_ body: JSONValue?) -> String? {
        if let message = body?["message"]?.string { return message }
        return body?.string
    }

    /// A path segment, percent-encoded (app names are `[a-z0-9-]`, but a typo must not
    /// change the path).
    static func pathComponent(_ text: String) -> String {
        percentEncoded(text)
    }

    static func queryValue(_ text: String) -> String {
        percentEncoded(text)
    }

    private static func percentEncoded(_ text: String) -> String {
        var result = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                result.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".unicodeScalars)
                result.unicodeScalars.append("%")
                result.unicodeScalars.append(hex[Int(byte >> 4)])
                result.unicodeScalars.append(hex[Int(byte & 0xF)])
            }
        }
        return result
    }
}
