import Foundation
import HTTP
import TestSupport
import Testing

extension IntegrationSuites {
    /// `LocalHTTPServer` itself, through `HTTPClient`: what it answers to what clients may
    /// send besides a plain request.
    @Suite(.tags(.process)) struct LocalHTTPServerTests {
        @Test func expectContinueIsAnsweredAndOnlyTheFinalHeadersKept() throws {
            let server = try LocalHTTPServer { request in
                StandInResponse(status: 201, headers: ["X-Got": "\(request.body.count)"])
            }
            defer { server.stop() }
            let response = try HTTPClient().send(
                HTTPRequest(method: "POST", url: server.baseURL + "/continue", headers: [("Expect", "100-continue")], body: Array(repeating: 7, count: 5000)))

            #expect(response.status == 201)
            #expect(response.header("x-got") == "5000")
            #expect(!response.headers.contains { $0.value.contains("Continue") })
            #expect(response.headers.map(\.name) == ["x-got", "content-length", "connection"])
            #expect(server.requests.first?.headers["expect"] == "100-continue")
        }

        @Test func aChunkedBodyIsRefusedWith411() throws {
            let server = try LocalHTTPServer { _ in StandInResponse(status: 200) }
            defer { server.stop() }
            let response = try HTTPClient().send(
                HTTPRequest(method: "POST", url: server.baseURL + "/chunked", headers: [("Transfer-Encoding", "chunked")], body: Array("abc".utf8)))

            #expect(response.status == 411)
            #expect(server.requests.isEmpty)
        }

        @Test func theHandlersFramingHeadersAreReplaced() throws {
            let server = try LocalHTTPServer { _ in
                StandInResponse(status: 200, headers: ["Content-Length": "999", "Connection": "close", "X-Kept": "1"], body: Array("four".utf8))
            }
            defer { server.stop() }
            let client = try HTTPClient()
            for _ in 0..<3 {
                let response = try client.send(HTTPRequest(url: server.baseURL))
                #expect(response.text == "four")
                #expect(response.header("content-length") == "4")
                #expect(response.header("connection") == "keep-alive")
                #expect(response.header("x-kept") == "1")
            }
            #expect(server.connectionCount == 1)
        }

        @Test func clientsOnSeveralThreadsAreServedAtOnce() async throws {
            let server = try LocalHTTPServer { request in
                StandInResponse(status: 200, body: Array((request.query["id"] ?? "").utf8), delay: .milliseconds(20))
            }
            defer { server.stop() }
            let baseURL = server.baseURL
            let clock = ContinuousClock()
            let start = clock.now
            let answers = try await withThrowingTaskGroup(of: [String].self) { group in
                for thread in 0..<4 {
                    group.addTask {
                        let client = try HTTPClient()
                        return try (0..<10).map { n in
                            try client.send(HTTPRequest(url: "\(baseURL)/?id=\(thread)-\(n)")).text
                        }
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            #expect(Set(answers) == Set((0..<4).flatMap { thread in (0..<10).map { "\(thread)-\($0)" } }))
            #expect(server.requests.count == 40)
            #expect(server.connectionCount == 4)
            // 40 answers each delayed 20 ms, four at a time: well under the 800 ms of one at a time.
            #expect(clock.now - start < .milliseconds(700))
        }

        @Test func stopEndsADelayedAnswerAndIsIdempotent() throws {
            let server = try LocalHTTPServer { _ in StandInResponse(status: 200, delay: .seconds(30)) }
            let baseURL = server.baseURL
            let failed = Thread {
                _ = try? HTTPClient().send(HTTPRequest(url: baseURL, timeout: .seconds(20)))
            }
            failed.start()
            let deadline = ContinuousClock.now + .seconds(5)
            while server.requests.isEmpty, ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.01) }
            #expect(server.requests.count == 1)

            let clock = ContinuousClock()
            let start = clock.now
            server.stop()
            server.stop()
            #expect(clock.now - start < .seconds(2))
            let error = #expect(throws: HTTPError.self) { try HTTPClient().send(HTTPRequest(url: baseURL)) }
            #expect(error?.kind == .couldNotConnect)
        }
    }
}
