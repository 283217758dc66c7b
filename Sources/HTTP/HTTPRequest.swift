/// A request for ``HTTPClient/send(_:)``: method, URL, headers, body and time limits.
public struct HTTPRequest: Sendable {
    /// The method, `"GET"`, `"POST"`, `"PUT"`, `"PATCH"`, `"DELETE"`, `"HEAD"`, ….
    public var method: String
    /// The absolute URL, `http://` or `https://` (any other scheme is refused as
    /// ``HTTPError/Kind/invalidURL``).
    public var url: String
    /// The headers to send, in order. One named `User-Agent`, `Content-Type`, `Accept` or
    /// `Expect` replaces the client's own; an empty value sends the header empty.
    public var headers: [(name: String, value: String)]
    /// The body; `nil` sends none, except that `POST`, `PUT` and `PATCH` then send an empty
    /// one (`Content-Length: 0`).
    public var body: [UInt8]?
    /// The limit for the whole request, from connecting to the last byte of the response
    /// (`CURLOPT_TIMEOUT_MS`); ``HTTPError/Kind/timedOut`` when it passes.
    public var timeout: Duration
    /// The limit for connecting, resolution and TLS included (`CURLOPT_CONNECTTIMEOUT_MS`).
    public var connectTimeout: Duration

    /// A request.
    ///
    /// - Parameters:
    ///   - method: the method, `"GET"` by default.
    ///   - url: the absolute `http://` or `https://` URL.
    ///   - headers: the headers to send, in order.
    ///   - body: the body, or `nil` for none.
    ///   - timeout: the limit for the whole request, 30 s by default.
    ///   - connectTimeout: the limit for connecting, 10 s by default.
    public init(
        method: String = "GET", url: String, headers: [(name: String, value: String)] = [], body: [UInt8]? = nil,
        timeout: Duration = .seconds(30), connectTimeout: Duration = .seconds(10)
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
        self.connectTimeout = connectTimeout
    }

    /// Whether a header is named `name` (lower-case), compared without case.
    func hasHeader(_ name: String) -> Bool {
        headers.contains { $0.name.lowercased() == name }
    }
}
