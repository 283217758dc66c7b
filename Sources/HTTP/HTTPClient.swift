import CLibCurl

/// Sends HTTP requests with libcurl, one at a time, over connections it keeps open between
/// them (keep-alive).
///
/// It owns one curl easy handle (`curl_easy_init`, freed by `curl_easy_cleanup` in
/// `deinit`), reset before and after each request (`curl_easy_reset`, which keeps the open
/// connections). It is not thread-safe: use one client per thread. Redirects are not
/// followed; only `http` and `https` URLs are accepted; `SIGALRM` is never used
/// (`CURLOPT_NOSIGNAL`).
///
/// ```swift
/// let client = try HTTPClient(userAgent: "hcconnect/0.1.0")
/// let response = try client.send(HTTPRequest(url: "https://api.heroku.com/apps",
///                                            headers: [("Accept", "application/vnd.heroku+json; version=3")]))
/// if response.status == 429, let wait = response.header("Retry-After") { … }
/// ```
public final class HTTPClient {
    /// The `User-Agent` sent unless a request names its own.
    public let userAgent: String
    private let curl: CurlEasyHandle

    /// A client sending `User-Agent: hcconnect`.
    ///
    /// - Throws: ``HTTPError/Kind/other`` when curl cannot be initialised
    ///   (`curl_global_init`, `curl_easy_init`).
    public convenience init() throws(HTTPError) {
        try self.init(userAgent: "hcconnect")
    }

    /// A client sending the `User-Agent` given (`hcconnect/<version>`), unless a request names its own.
    ///
    /// The version lives in the CLI, which this module must not depend on: the CLI passes it.
    ///
    /// - Parameter userAgent: the value of the `User-Agent` header.
    /// - Throws: ``HTTPError/Kind/other`` when curl cannot be initialised
    ///   (`curl_global_init`, `curl_easy_init`).
    public init(userAgent: String) throws(HTTPError) {
        self.userAgent = userAgent
        curl = try CurlEasyHandle()
    }

    /// Sends a request and waits for the whole response (`curl_easy_perform`).
    ///
    /// Any status is a response, 4xx and 5xx included; only a request that got no response
    /// throws.
    ///
    /// - Parameter request: what to send.
    /// - Returns: the status, the final response's headers and the body.
    /// - Throws: ``HTTPError``: ``HTTPError/Kind/invalidURL`` for a malformed URL or one that
    ///   is not `http` or `https`; ``HTTPError/Kind/couldNotResolve``,
    ///   ``HTTPError/Kind/couldNotConnect``, ``HTTPError/Kind/timedOut``,
    ///   ``HTTPError/Kind/tls``; ``HTTPError/Kind/other`` for the rest, a method or header
    ///   that cannot be sent (not a token, a line break in a value) among them. Its message
    ///   never holds a header's value or the body.
    public func send(_ request: HTTPRequest) throws(HTTPError) -> HTTPResponse {
        try Self.validate(request)
        let headerList = try Self.headerList(for: request)
        curl.reset()
        defer {
            // Nothing in the handle may point at this call's list or collector afterwards.
            curl.reset()
            hc_curl_slist_free_all(headerList)
        }
        do throws(HTTPError) {
            try configure(for: request, headers: headerList)
            let collector = ResponseCollector()
            let context = Unmanaged.passUnretained(collector).toOpaque()
            try curl.set(CURLOPT_WRITEFUNCTION, function: collectBody)
            try curl.set(CURLOPT_WRITEDATA, pointer: context)
            try curl.set(CURLOPT_HEADERFUNCTION, function: collectHeaderLine)
            try curl.set(CURLOPT_HEADERDATA, pointer: context)
            let status: Int = try withExtendedLifetime(collector) { () throws(HTTPError) -> Int in
                try curl.perform()
                return try curl.info(CURLINFO_RESPONSE_CODE)
            }
            return HTTPResponse(status: status, headers: collector.headers, body: collector.body)
        } catch {
            throw HTTPError(kind: error.kind, message: Self.redacting(request, from: error.message))
        }
    }

    /// Sets the method, URL, protocols, headers, body and time limits on the reset handle.
    private func configure(for request: HTTPRequest, headers: UnsafeMutablePointer<curl_slist>?) throws(HTTPError) {
        try curl.set(CURLOPT_URL, request.url)
        try curl.set(CURLOPT_PROTOCOLS_STR, "http,https")
        try curl.set(CURLOPT_REDIR_PROTOCOLS_STR, "http,https")
        try curl.set(CURLOPT_FOLLOWLOCATION, 0)
        try curl.set(CURLOPT_NOSIGNAL, 1)
        try curl.set(CURLOPT_TIMEOUT_MS, Self.milliseconds(request.timeout))
        try curl.set(CURLOPT_CONNECTTIMEOUT_MS, Self.milliseconds(request.connectTimeout))
        if !request.hasHeader("user-agent") {
            try curl.set(CURLOPT_USERAGENT, userAgent)
        }
        try curl.set(CURLOPT_HTTPHEADER, list: headers)

        let method = request.method
        if method == "HEAD" {
            try curl.set(CURLOPT_NOBODY, 1)
        } else if let body = Self.body(of: request) {
            // POSTFIELDS makes a POST; another method with a body is a custom one.
            try curl.set(CURLOPT_POSTFIELDSIZE_LARGE, offset: Int64(body.count))
            try curl.setCopiedPostFields(body)
            if method != "POST" {
                try curl.set(CURLOPT_CUSTOMREQUEST, method)
            }
        } else if method != "GET" {
            try curl.set(CURLOPT_CUSTOMREQUEST, method)
        }
    }

    /// The body to send: the request's, or an empty one for a `POST`, `PUT` or `PATCH`
    /// without, so that it carries `Content-Length: 0`.
    static func body(of request: HTTPRequest) -> [UInt8]? {
        if let body = request.body { return body }
        return ["POST", "PUT", "PATCH"].contains(request.method) ? [] : nil
    }

    /// The header lines for `CURLOPT_HTTPHEADER` (`curl_slist_append`), for the caller to
    /// free (`curl_slist_free_all`). With a body, curl's own `Content-Type:
    /// application/x-www-form-urlencoded` and `Expect: 100-continue` are removed unless the
    /// request names them.
    private static func headerList(for request: HTTPRequest) throws(HTTPError) -> UnsafeMutablePointer<curl_slist>? {
        var lines = request.headers.map { header in
            // "Name;" is curl's way of sending a header with an empty value.
            header.value.isEmpty ? "\(header.name);" : "\(header.name): \(header.value)"
        }
        if body(of: request) != nil {
            if !request.hasHeader("content-type") { lines.append("Content-Type:") }
            if !request.hasHeader("expect") { lines.append("Expect:") }
        }
        var list: UnsafeMutablePointer<curl_slist>? = nil
        for line in lines {
            guard let longer = hc_curl_slist_append(list, line) else {
                hc_curl_slist_free_all(list)
                throw HTTPError(kind: .other, message: "curl_slist_append failed")
            }
            list = longer
        }
        return list
    }

    /// Refuses what curl would guess at or send garbled: a URL without a scheme (curl would
    /// assume `http`), a NUL anywhere, a method or header name that is not a token, a line
    /// break in a header's value (a second header smuggled in).
    static func validate(_ request: HTTPRequest) throws(HTTPError) {
        guard request.url.contains("://"), !request.url.utf8.contains(0) else {
            throw HTTPError(kind: .invalidURL, message: "the URL needs a scheme, http:// or https://")
        }
        guard isToken(request.method) else {
            throw HTTPError(kind: .other, message: "the method is not a token")
        }
        for (index, header) in request.headers.enumerated() {
            guard isToken(header.name) else {
                throw HTTPError(kind: .other, message: "the name of header \(index + 1) is not a token")
            }
            guard !header.value.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0 }) else {
                throw HTTPError(kind: .other, message: "the value of header \(header.name) holds a line break or NUL")
            }
        }
    }

    /// Whether `text` is an HTTP token (RFC 9110: letters, digits and ``!#$%&'*+-.^_`|~``).
    private static func isToken(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"):
                true
            default:
                "!#$%&'*+-.^_`|~".utf8.contains(byte)
            }
        }
    }

    /// The message with every header value of eight characters or more masked, should
    /// curl ever quote one: no header is known to be safe to show (tokens travel in
    /// `Authorization` and in headers of any name).
    static func redacting(_ request: HTTPRequest, from message: String) -> String {
        var masked = message
        for header in request.headers where header.value.count >= 8 {
            masked = masked.replacing(header.value, with: "***")
        }
        return masked
    }

    /// A time limit in whole milliseconds for curl, rounded up and at least 1 (curl reads 0
    /// as no limit).
    static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0, seconds < Int64(Int.max / 1000) - 1 else { return seconds < 0 ? 1 : Int.max }
        let milliseconds = Int(seconds) * 1000 + Int((attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000)
        return max(milliseconds, 1)
    }
}
