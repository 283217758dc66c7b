import Foundation
import HTTP
import TestSupport
import Testing

extension IntegrationSuites {
    /// `HTTPClient` against a real HTTP server on 127.0.0.1 (`LocalHTTPServer`): what goes
    /// out, what comes back, and how failures are told apart.
    @Suite(.tags(.process)) struct HTTPClientTests {
        /// Answers with the request's body, and with `X-Method` and `X-Length` naming what came.
        static func echo(_ request: StandInRequest) -> StandInResponse {
            StandInResponse(
                status: 200, headers: ["X-Method": request.method, "X-Length": "\(request.body.count)"], body: request.body)
        }

        @Test func getSendsPathQueryAndHeaders() throws {
            let server = try LocalHTTPServer { _ in .json(200, #"{"ok":true}"#) }
            defer { server.stop() }
            let client = try HTTPClient()
            let response = try client.send(
                HTTPRequest(
                    url: server.baseURL + "/apps/demo/connections?a=1&b=x%20y&c=%C3%A9t%C3%A9+fin&d",
                    headers: [("Accept", "application/vnd.heroku+json; version=3"), ("X-Empty", "")]))

            #expect(response.status == 200)
            #expect(response.text == #"{"ok":true}"#)
            #expect(response.header("Content-Type") == "application/json")
            let request = try #require(server.requests.first)
            #expect(server.requests.count == 1)
            #expect(request.method == "GET")
            #expect(request.path == "/apps/demo/connections")
            #expect(request.query == ["a": "1", "b": "x y", "c": "été fin", "d": ""])
            #expect(request.headers["accept"] == "application/vnd.heroku+json; version=3")
            #expect(request.headers["x-empty"] == "")
            #expect(request.headers["user-agent"] == "hcconnect")
            #expect(request.headers["content-length"] == nil)
            #expect(request.body.isEmpty)
        }

        @Test func postSendsTheBodyBytesExactly() throws {
            let server = try LocalHTTPServer(handler: Self.echo)
            defer { server.stop() }
            let body = Array("{\"name\":\"Zoë — 東京\"}".utf8) + [0, 0xFF, 0xFE, 0x0D, 0x0A]
            let response = try HTTPClient().send(
                HTTPRequest(method: "POST", url: server.baseURL + "/echo", headers: [("Content-Type", "application/json")], body: body))

            #expect(response.status == 200)
            #expect(response.body == body)
            let request = try #require(server.requests.first)
            #expect(request.method == "POST")
            #expect(request.body == body)
            #expect(request.headers["content-length"] == "\(body.count)")
            #expect(request.headers["content-type"] == "application/json")
            #expect(request.headers["expect"] == nil)
        }

        @Test(arguments: [nil, [UInt8]()])
        func postWithoutBodySendsContentLengthZero(_ body: [UInt8]?) throws {
            let server = try LocalHTTPServer(handler: Self.echo)
            defer { server.stop() }
            let response = try HTTPClient().send(HTTPRequest(method: "POST", url: server.baseURL + "/empty", body: body))

            #expect(response.status == 200)
            #expect(response.header("x-method") == "POST")
            #expect(response.body.isEmpty)
            let request = try #require(server.requests.first)
            #expect(request.headers["content-length"] == "0")
            // curl's own form content type is not sent for a body the caller did not type.
            #expect(request.headers["content-type"] == nil)
        }

        @Test(arguments: ["PUT", "PATCH", "DELETE"])
        func otherMethodsAreSentAsGiven(_ method: String) throws {
            let server = try LocalHTTPServer(handler: Self.echo)
            defer { server.stop() }
            let client = try HTTPClient()
            let withBody = try client.send(HTTPRequest(method: method, url: server.baseURL + "/x", body: Array("b=1".utf8)))
            let withoutBody = try client.send(HTTPRequest(method: method, url: server.baseURL + "/y"))

            #expect(withBody.header("x-method") == method)
            #expect(withBody.text == "b=1")
            #expect(withoutBody.header("x-method") == method)
            #expect(server.requests.map(\.method) == [method, method])
            #expect(server.requests.map(\.body) == [Array("b=1".utf8), []])
            // PUT and PATCH always carry a length (an empty body); DELETE without a body none.
            #expect(server.requests[1].headers["content-length"] == (method == "DELETE" ? nil : "0"))
        }

        @Test func headGetsTheHeadersAndNoBody() throws {
            let server = try LocalHTTPServer { _ in StandInResponse(status: 200, headers: ["ETag": "\"v1\""], body: Array("unseen".utf8)) }
            defer { server.stop() }
            let response = try HTTPClient().send(HTTPRequest(method: "HEAD", url: server.baseURL + "/"))

            #expect(response.status == 200)
            #expect(response.header("etag") == "\"v1\"")
            #expect(response.header("content-length") == "6")
            #expect(response.body.isEmpty)
            #expect(server.requests.first?.method == "HEAD")
        }

        @Test(arguments: [200, 201, 204, 404, 429, 500, 503])
        func everyStatusIsAResponse(_ status: Int) throws {
            let server = try LocalHTTPServer { _ in
                StandInResponse(status: status, headers: ["Retry-After": "120"], body: status == 204 ? [] : Array("status \(status)".utf8))
            }
            defer { server.stop() }
            let response = try HTTPClient().send(HTTPRequest(url: server.baseURL + "/status"))

            #expect(response.status == status)
            #expect(response.header("Retry-After") == "120")
            #expect(response.header("retry-after") == "120")
            #expect(response.text == (status == 204 ? "" : "status \(status)"))
        }

        @Test func responseHeadersKeepTheirOrderAndLowerCasedNames() throws {
            // The server sends the handler's headers sorted by name, then its own.
            let server = try LocalHTTPServer { _ in StandInResponse(status: 200, headers: ["X-B": "2", "X-A": "1", "RateLimit-Remaining": "4499"]) }
            defer { server.stop() }
            let response = try HTTPClient().send(HTTPRequest(url: server.baseURL))

            #expect(response.headers.map(\.name) == ["ratelimit-remaining", "x-a", "x-b", "content-length", "connection"])
            #expect(response.headers.map(\.value) == ["4499", "1", "2", "0", "keep-alive"])
            #expect(response.header("X-A") == "1")
            #expect(response.header("x-missing") == nil)
        }

        @Test func userAgentIsTheClientsUnlessTheRequestGivesOne() throws {
            let server = try LocalHTTPServer(handler: Self.echo)
            defer { server.stop() }
            let client = try HTTPClient(userAgent: "hcconnect/9.9.9")
            _ = try client.send(HTTPRequest(url: server.baseURL))
            _ = try client.send(HTTPRequest(url: server.baseURL, headers: [("user-agent", "custom/1")]))

            #expect(server.requests.map { $0.headers["user-agent"] } == ["hcconnect/9.9.9", "custom/1"])
        }

        @Test func redirectsAreNotFollowed() throws {
            let server = try LocalHTTPServer { request in
                request.path == "/old" ? StandInResponse(status: 302, headers: ["Location": "/new"]) : .json(200, "{}")
            }
            defer { server.stop() }
            let response = try HTTPClient().send(HTTPRequest(url: server.baseURL + "/old"))

            #expect(response.status == 302)
            #expect(response.header("location") == "/new")
            #expect(server.requests.map(\.path) == ["/old"])
        }

        @Test func aSlowAnswerTimesOutAfterTheTimeout() throws {
            let server = try LocalHTTPServer { _ in StandInResponse(status: 200, delay: .seconds(5)) }
            defer { server.stop() }
            let clock = ContinuousClock()
            let start = clock.now
            let error = #expect(throws: HTTPError.self) {
                try HTTPClient().send(HTTPRequest(url: server.baseURL + "/slow", timeout: .milliseconds(600)))
            }
            let elapsed = clock.now - start

            #expect(error?.kind == .timedOut)
            #expect(elapsed >= .milliseconds(550))
            #expect(elapsed < .seconds(3))
            #expect(server.requests.count == 1)
        }

        @Test func theServerSurvivesAClientThatGaveUp() throws {
            let server = try LocalHTTPServer { request in
                StandInResponse(status: 200, body: Array(request.path.utf8), delay: request.path == "/slow" ? .milliseconds(400) : nil)
            }
            defer { server.stop() }
            let client = try HTTPClient()
            #expect(throws: HTTPError.self) {
                try client.send(HTTPRequest(url: server.baseURL + "/slow", timeout: .milliseconds(100)))
            }
            // The answer to /slow goes to a closed connection (no SIGPIPE) while this one is served.
            let response = try client.send(HTTPRequest(url: server.baseURL + "/fast"))
            #expect(response.text == "/fast")
            Thread.sleep(forTimeInterval: 0.5)
            #expect(try client.send(HTTPRequest(url: server.baseURL + "/after")).text == "/after")
        }

        @Test func aClosedPortCannotBeConnectedTo() throws {
            let server = try LocalHTTPServer(handler: Self.echo)
            let url = server.baseURL + "/"
            server.stop()
            let error = #expect(throws: HTTPError.self) { try HTTPClient().send(HTTPRequest(url: url)) }

            #expect(error?.kind == .couldNotConnect)
            #expect(error?.description.hasPrefix("could not connect: ") == true)
        }

        @Test func anUnresolvableHostIsToldApart() throws {
            // .invalid never resolves (RFC 6761): no network is needed to be refused.
            let error = #expect(throws: HTTPError.self) {
                try HTTPClient().send(HTTPRequest(url: "http://nonexistent.invalid/", connectTimeout: .seconds(5)))
            }
            #expect(error?.kind == .couldNotResolve)
            #expect(error?.message.contains("nonexistent.invalid") == true)
        }

        @Test func tlsWithAPlainHTTPServerIsATLSError() throws {
            let server = try LocalHTTPServer(handler: Self.echo)
            defer { server.stop() }
            let error = #expect(throws: HTTPError.self) {
                try HTTPClient().send(HTTPRequest(url: "https://127.0.0.1:\(server.port)/", timeout: .seconds(5)))
            }
            #expect(error?.kind == .tls)
        }

        @Test func aMegabyteBodyArrivesIntactBothWays() throws {
            let server = try LocalHTTPServer(handler: Self.echo)
            defer { server.stop() }
            let seed = SeededRandom.seed(from: "HCCONNECT_HTTP_SEED")
            print("HTTP body seed: \(seed) (HCCONNECT_HTTP_SEED replays it)")
            var random = SeededRandom(seed: seed)
            let body = (0..<1_048_576).map { _ in UInt8.random(in: .min ... .max, using: &random) }
            let response = try HTTPClient().send(
                HTTPRequest(method: "POST", url: server.baseURL + "/large", headers: [("Content-Type", "application/octet-stream")], body: body))

            #expect(response.status == 200)
            #expect(response.header("x-length") == "1048576")
            #expect(response.body == body)
            #expect(server.requests.first?.body == body)
        }

        @Test func oneClientSendsManyRequestsOverOneConnection() throws {
            let server = try LocalHTTPServer { request in .json(200, #"{"n":\#(request.query["n"] ?? "?")}"#) }
            defer { server.stop() }
            let client = try HTTPClient()
            for n in 0..<200 {
                let method = n.isMultiple(of: 2) ? "GET" : "POST"
                let response = try client.send(
                    HTTPRequest(method: method, url: server.baseURL + "/count?n=\(n)", body: method == "POST" ? Array("\(n)".utf8) : nil))
                #expect(response.status == 200)
                #expect(response.text == #"{"n":\#(n)}"#)
            }
            #expect(server.requests.count == 200)
            #expect(server.requests.map { $0.query["n"] } == (0..<200).map { "\($0)" })
            #expect(server.connectionCount == 1)
        }

        @Test func anErrorNeverShowsAHeadersValue() throws {
            let secret = "Bearer hc-secret-token-\(UInt32.random(in: 1...UInt32.max))"
            let server = try LocalHTTPServer { _ in StandInResponse(status: 200, delay: .seconds(5)) }
            let closed = try LocalHTTPServer(handler: Self.echo)
            closed.stop()
            defer { server.stop() }
            let urls = [
                (server.baseURL + "/slow", HTTPError.Kind.timedOut), (closed.baseURL, .couldNotConnect),
                ("http://nonexistent.invalid/", .couldNotResolve), ("http://exa mple.com/", .invalidURL),
                ("file:///etc/passwd", .invalidURL), ("https://127.0.0.1:\(server.port)/", .tls),
            ]
            for (url, kind) in urls {
                let error = #expect(throws: HTTPError.self) {
                    try HTTPClient().send(
                        HTTPRequest(method: "POST", url: url, headers: [("Authorization", secret)], body: Array(secret.utf8), timeout: .milliseconds(500)))
                }
                #expect(error?.kind == kind, "\(url)")
                #expect(error?.description.contains("hc-secret-token") == false, "\(url)")
                #expect(error.map { "\($0)" }?.contains("hc-secret-token") == false, "\(url)")
            }
        }
    }
}
