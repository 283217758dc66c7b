// The request and answer types a local HTTP server exchanges with a stand-in handler
// (``HerokuAPIStandIn``). `LocalHTTPServer` (TestSupport) declares the same two types with the
// same interface: when both files are in the target, delete this one.

/// One HTTP request as the local test server read it.
public struct StandInRequest: Sendable {
    /// `GET`, `POST`, …
    public let method: String
    /// The path without the query string, e.g. `/apps/demo-app/config-vars`.
    public let path: String
    /// The query parameters, decoded.
    public let query: [String: String]
    /// The headers, with lower-cased names.
    public let headers: [String: String]
    /// The request body.
    public let body: [UInt8]

    /// A request (tests build them to call a handler directly).
    public init(method: String, path: String, query: [String: String] = [:], headers: [String: String] = [:], body: [UInt8] = []) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
    }
}

/// The answer a handler gives the local test server.
public struct StandInResponse: Sendable {
    /// The HTTP status code.
    public var status: Int
    /// Response headers.
    public var headers: [String: String]
    /// The response body.
    public var body: [UInt8]
    /// How long the server waits before it answers (to make a client time out), or nil.
    public var delay: Duration?

    /// An answer.
    public init(status: Int, headers: [String: String] = [:], body: [UInt8] = [], delay: Duration? = nil) {
        self.status = status
        self.headers = headers
        self.body = body
        self.delay = delay
    }

    /// An answer whose body is the JSON text `text`, with `Content-Type: application/json`.
    public static func json(_ status: Int, _ text: String) -> StandInResponse {
        StandInResponse(status: status, headers: ["Content-Type": "application/json"], body: Array(text.utf8))
    }
}
