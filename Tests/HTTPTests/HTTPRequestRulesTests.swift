@testable import HTTP
import Testing

/// What `HTTPClient` decides before curl sends anything, and the values it returns: no
/// server, no network.
@Suite(.tags(.unit)) struct HTTPRequestRulesTests {
    @Test(arguments: ["http://exa mple.com/", "http://[::1/", "example.com/apps", "", "file:///etc/passwd", "ftp://127.0.0.1/", "gopher://x/"])
    func malformedAndNonHTTPURLsAreInvalid(_ url: String) throws {
        let error = #expect(throws: HTTPError.self) { try HTTPClient().send(HTTPRequest(url: url)) }
        #expect(error?.kind == .invalidURL)
        #expect(error?.description.hasPrefix("invalid URL: ") == true)
    }

    @Test func fileURLsAreRefusedByCurlsProtocolList() throws {
        let error = #expect(throws: HTTPError.self) { try HTTPClient().send(HTTPRequest(url: "file:///etc/passwd")) }
        #expect(error?.message.contains("file") == true)
    }

    @Test(arguments: ["token\r\nX-Injected: 1", "a\nb", "nul\0byte"])
    func aHeaderValueWithALineBreakIsRefusedUnshown(_ value: String) throws {
        let error = #expect(throws: HTTPError.self) {
            try HTTPClient().send(HTTPRequest(url: "http://127.0.0.1:9/", headers: [("Authorization", value)]))
        }
        #expect(error?.kind == .other)
        #expect(error?.message.contains("Authorization") == true)
        #expect(error?.message.contains(value) == false)
    }

    @Test(arguments: ["", "GET /x", "G\r\nET"])
    func aMethodMustBeAToken(_ method: String) throws {
        let error = #expect(throws: HTTPError.self) { try HTTPClient().send(HTTPRequest(method: method, url: "http://127.0.0.1:9/")) }
        #expect(error?.kind == .other)
    }

    @Test func aHeaderNameMustBeAToken() throws {
        let error = #expect(throws: HTTPError.self) {
            try HTTPClient().send(HTTPRequest(url: "http://127.0.0.1:9/", headers: [("Bad Name", "v")]))
        }
        #expect(error?.message == "the name of header 1 is not a token")
    }

    @Test func bodiesForMethods() {
        #expect(HTTPClient.body(of: HTTPRequest(method: "POST", url: "http://h/")) == [])
        #expect(HTTPClient.body(of: HTTPRequest(method: "PUT", url: "http://h/")) == [])
        #expect(HTTPClient.body(of: HTTPRequest(method: "PATCH", url: "http://h/")) == [])
        #expect(HTTPClient.body(of: HTTPRequest(method: "GET", url: "http://h/")) == nil)
        #expect(HTTPClient.body(of: HTTPRequest(method: "DELETE", url: "http://h/")) == nil)
        #expect(HTTPClient.body(of: HTTPRequest(method: "DELETE", url: "http://h/", body: [1])) == [1])
    }

    @Test(arguments: [
        (Duration.seconds(30), 30_000), (.milliseconds(1500), 1500), (.microseconds(1001), 2), (.zero, 1),
        (.milliseconds(-5), 1), (.nanoseconds(1), 1),
    ])
    func timeLimitsInWholeMillisecondsRoundedUp(_ duration: Duration, _ expected: Int) {
        #expect(HTTPClient.milliseconds(duration) == expected)
    }

    @Test func messagesAreRedactedOfHeaderValues() {
        let request = HTTPRequest(url: "http://h/", headers: [("Authorization", "Bearer abc123secret"), ("X-Short", "ab")])
        #expect(HTTPClient.redacting(request, from: "failed near Bearer abc123secret, ab") == "failed near ***, ab")
    }

    @Test func requestDefaults() {
        let request = HTTPRequest(url: "https://api.heroku.com/apps")
        #expect(request.method == "GET")
        #expect(request.headers.isEmpty)
        #expect(request.body == nil)
        #expect(request.timeout == .seconds(30))
        #expect(request.connectTimeout == .seconds(10))
    }

    @Test func responseHeadersAreFoundWithoutCase() {
        let response = HTTPResponse(
            status: 429, headers: [("Retry-After", "120"), ("retry-after", "5"), ("Content-Type", "application/json")],
            body: Array("caf\u{e9}".utf8) + [0xFF])
        #expect(response.header("retry-after") == "120")
        #expect(response.header("RETRY-AFTER") == "120")
        #expect(response.header("x-none") == nil)
        #expect(response.headers.map(\.name) == ["retry-after", "retry-after", "content-type"])
        #expect(response.text == "caf\u{e9}\u{FFFD}")
    }

    @Test func errorDescriptionsNameTheKind() {
        #expect("\(HTTPError(kind: .timedOut, message: "Operation timed out after 500 milliseconds"))"
            == "timed out: Operation timed out after 500 milliseconds")
        #expect(HTTPError(kind: .tls, message: "x") == HTTPError(kind: .tls, message: "x"))
        #expect(HTTPError(kind: .tls, message: "x") != HTTPError(kind: .other, message: "x"))
    }
}

/// How the header lines curl hands over become a response's headers.
@Suite(.tags(.unit)) struct ResponseCollectorTests {
    private func collect(_ lines: [String]) -> [String] {
        let collector = ResponseCollector()
        for line in lines {
            Array(line.utf8).withUnsafeBytes { collector.receiveHeaderLine($0) }
        }
        return collector.headers.map { "\($0.name)=\($0.value)" }
    }

    @Test func onlyTheLastResponsesHeadersStay() {
        let lines = [
            "HTTP/1.1 100 Continue\r\n", "X-Interim: 1\r\n", "\r\n",
            "HTTP/1.1 200 OK\r\n", "Content-Type:  application/json \r\n", "X-Folded: a\r\n", "\t b\r\n", "\r\n",
        ]
        #expect(collect(lines) == ["content-type=application/json", "x-folded=a b"])
    }

    @Test func http2StatusLinesStartAResponseToo() {
        #expect(collect(["HTTP/2 302\r\n", "location: /x\r\n", "\r\n", "HTTP/2 200\r\n", "x-a: 1\r\n", "\r\n"]) == ["x-a=1"])
    }
}
