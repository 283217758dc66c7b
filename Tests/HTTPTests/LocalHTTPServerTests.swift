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

        @Test func clientsOnSeveralThreadsAreServedAtOnce() throws {
            // Each client's first request waits in the handler until all four are there:
            // a server answering one at a time would keep them waiting until the deadline.
            let meeting = Meeting(parties: 4)
            let server = try LocalHTTPServer { request in
                let id = request.query["id"] ?? ""
                let met = id.hasSuffix("-0") ? meeting.arriveAndWait(until: Date(timeIntervalSinceNow: 10)) : true
                return StandInResponse(status: met ? 200 : 504, body: Array(id.utf8))
            }
            defer { server.stop() }
            let baseURL = server.baseURL
            let answers = Answers()
            for thread in 0..<4 {
                Thread { Self.sendTen(from: thread, to: baseURL, into: answers) }.start()
            }
            #expect(answers.waitForFinished(4, until: Date(timeIntervalSinceNow: 60)))

            var expected: Set<String> = []
            for thread in 0..<4 {
                for n in 0..<10 { expected.insert("200 \(thread)-\(n)") }
            }
            #expect(Set(answers.all) == expected)
            #expect(answers.all.count == 40)
            #expect(server.requests.count == 40)
            #expect(server.connectionCount == 4)
        }

        /// Ten requests on one client, their answers (`"STATUS BODY"`) added to `answers`.
        private static func sendTen(from thread: Int, to baseURL: String, into answers: Answers) {
            defer { answers.finish() }
            guard let client = try? HTTPClient() else { return }
            for n in 0..<10 {
                if let response = try? client.send(HTTPRequest(url: "\(baseURL)/?id=\(thread)-\(n)")) {
                    answers.add("\(response.status) \(response.text)")
                }
            }
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

/// Threads that wait for each other: each arrives, and waits until all have.
private final class Meeting: @unchecked Sendable {
    private let condition = NSCondition()
    private let parties: Int
    private var arrived = 0

    init(parties: Int) { self.parties = parties }

    /// Arrives and waits for the others; false when the deadline passed first.
    func arriveAndWait(until deadline: Date) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        arrived += 1
        condition.broadcast()
        while arrived < parties {
            guard condition.wait(until: deadline) else { return arrived >= parties }
        }
        return true
    }
}

/// What several client threads got, and how many have finished.
private final class Answers: @unchecked Sendable {
    private let condition = NSCondition()
    private var answers: [String] = []
    private var finished = 0

    func add(_ answer: String) {
        condition.withLock { answers.append(answer) }
    }

    func finish() {
        condition.withLock {
            finished += 1
            condition.broadcast()
        }
    }

    /// Waits until `count` threads have finished; false when the deadline passed first.
    func waitForFinished(_ count: Int, until deadline: Date) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while finished < count {
            guard condition.wait(until: deadline) else { return finished >= count }
        }
        return true
    }

    var all: [String] { condition.withLock { answers } }
}
