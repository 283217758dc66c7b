import Foundation
import Postgres
import TestSupport
import Testing

extension IntegrationSuites {
    /// LISTEN and the wait for notifications: what arrives, when the wait returns without any,
    /// channel names, and a connection that is lost and reset.
    @Suite(.tags(.database)) struct NotificationTests {
        /// A channel name no other test uses, with a dot like Connect's.
        private func uniqueChannel(_ prefix: String = "hc") -> String {
            prefix + "_" + String(UInt64.random(in: 0..<(1 << 48)), radix: 16) + ".hc_trigger_log"
        }

        private func backendPID(_ connection: PostgresConnection) throws -> Int {
            try connection.query("SELECT pg_backend_pid()")[0].int(0)!
        }

        /// Collects notifications until `count` have come or `limit` has passed.
        private func collect(_ connection: PostgresConnection, count: Int, limit: Duration = .seconds(10)) throws
            -> [PostgresNotification]
        {
            let deadline = ContinuousClock.now + limit
            var received: [PostgresNotification] = []
            while received.count < count, ContinuousClock.now < deadline {
                received += try connection.waitForNotifications(timeout: deadline - ContinuousClock.now)
            }
            return received
        }

        @Test func aNotificationFromAnotherSessionArrivesWithItsChannelPayloadAndSender() throws {
            let listener = try TestDatabase.plainConnection()
            let sender = try TestDatabase.plainConnection()
            let channel = uniqueChannel()
            try listener.listen(channel)
            try sender.execute("SELECT pg_notify($1, 'ping')", [.text(channel)])
            let start = ContinuousClock.now
            let received = try listener.waitForNotifications(timeout: .seconds(10))
            #expect(ContinuousClock.now - start < .seconds(5), "the wait returned when the notification came")
            #expect(received == [PostgresNotification(channel: channel, payload: "ping", senderProcessID: Int32(try backendPID(sender)))])
            // Nothing more is waiting.
            #expect(try listener.waitForNotifications(timeout: .zero).isEmpty)
        }

        @Test func theWaitReturnsNothingWhenTheTimeoutPasses() throws {
            let listener = try TestDatabase.plainConnection()
            try listener.listen(uniqueChannel())
            let start = ContinuousClock.now
            #expect(try listener.waitForNotifications(timeout: .milliseconds(300)).isEmpty)
            let waited = ContinuousClock.now - start
            #expect(waited >= .milliseconds(300))
            #expect(waited < .seconds(3))
            // A zero timeout only collects what is there.
            let again = ContinuousClock.now
            #expect(try listener.waitForNotifications(timeout: .zero).isEmpty)
            #expect(ContinuousClock.now - again < .milliseconds(200))
            // The connection is still usable.
            #expect(try listener.query("SELECT 1")[0].int(0) == 1)
        }

        @Test func channelNamesAreOneIdentifierExactlyAsGiven() throws {
            let listener = try TestDatabase.plainConnection()
            let sender = try TestDatabase.plainConnection()
            let suffix = String(UInt64.random(in: 0..<(1 << 40)), radix: 16)
            let names = [
                "salesforce_\(suffix).hc_trigger_log", "Mixed.Case_\(suffix)", "we\"ird 'name_\(suffix)",
                "Ünïcödé.x_\(suffix)", "a;LISTEN b_\(suffix)",
            ]
            for name in names { try listener.listen(name) }
            let listening = try listener.query("SELECT pg_listening_channels()").compactMap { $0.string(0) }
            #expect(Set(listening) == Set(names))
            // Lower case is another channel: not heard.
            try sender.execute("SELECT pg_notify($1, 'other')", [.text("mixed.case_\(suffix)")])
            for (index, name) in names.enumerated() {
                try sender.execute("SELECT pg_notify($1, $2)", [.text(name), .text("n\(index)")])
            }
            let received = try collect(listener, count: names.count)
            #expect(received.map(\.channel) == names)
            #expect(received.map(\.payload) == names.indices.map { "n\($0)" })
            #expect(try listener.waitForNotifications(timeout: .milliseconds(200)).isEmpty, "nothing for the lower-case name")
        }

        @Test func aChannelNameLongerThanPostgresAcceptsIsRefused() throws {
            let listener = try TestDatabase.plainConnection()
            let sender = try TestDatabase.plainConnection()
            let longest = String(repeating: "x", count: 51) + String(UInt64.random(in: 0..<(1 << 44)), radix: 16).padding(
                toLength: 12, withPad: "0", startingAt: 0)
            #expect(longest.utf8.count == 63)
            #expect(throws: PostgresError.self) { try listener.listen(longest + "y") }
            do {
                try listener.listen(longest + "y")
            } catch {
                #expect(error.kind == .invalidInput)
                #expect(error.message.contains("longer than 63 bytes"))
            }
            #expect(throws: PostgresError.self) { try listener.listen("") }
            #expect(throws: PostgresError.self) { try listener.listen("a\u{0}b") }
            try listener.listen(longest)
            try sender.execute("SELECT pg_notify($1, 'edge')", [.text(longest)])
            #expect(try collect(listener, count: 1).map(\.payload) == ["edge"])
        }

        @Test func severalNotificationsOfOneTransactionArriveInOrder() throws {
            let listener = try TestDatabase.plainConnection()
            let sender = try TestDatabase.plainConnection()
            let channel = uniqueChannel()
            try listener.listen(channel)
            try sender.withTransaction {
                for payload in ["one", "two", "three"] {
                    try sender.execute("SELECT pg_notify($1, $2)", [.text(channel), .text(payload)])
                }
            }
            #expect(try collect(listener, count: 3).map(\.payload) == ["one", "two", "three"])
        }

        @Test func notificationsThatCameWithAnEarlierResultAreReturnedAtOnce() throws {
            let listener = try TestDatabase.plainConnection()
            let sender = try TestDatabase.plainConnection()
            let channel = uniqueChannel()
            try listener.listen(channel)
            try sender.execute("SELECT pg_notify($1, 'early')", [.text(channel)])
            // The server sends it after the next statement's result, which libpq reads with it.
            try sender.execute("SELECT pg_sleep(0.1)")
            try listener.execute("SELECT pg_sleep(0.2)")
            #expect(try listener.waitForNotifications(timeout: .zero).map(\.payload) == ["early"])
        }

        @Test func aTerminatedSessionIsALostConnectionAndResetThenListenWorksAgain() throws {
            let listener = try TestDatabase.plainConnection()
            let other = try TestDatabase.plainConnection()
            let channel = uniqueChannel()
            try listener.listen(channel)
            let pid = try backendPID(listener)
            try other.execute("SELECT pg_terminate_backend($1)", [.int(pid)])
            let start = ContinuousClock.now
            do {
                _ = try listener.waitForNotifications(timeout: .seconds(10))
                Issue.record("the wait did not notice the lost connection")
            } catch {
                #expect(error.kind == .connectionLost)
                #expect(!error.message.isEmpty)
            }
            #expect(ContinuousClock.now - start < .seconds(5), "noticed at once, not at the timeout")
            #expect(listener.isBroken)
            #expect(throws: PostgresError.self) { try listener.waitForNotifications(timeout: .zero) }

            try listener.reset()
            #expect(!listener.isBroken)
            #expect(try backendPID(listener) != pid)
            #expect(try listener.query("SELECT count(*) FROM pg_listening_channels()")[0].int(0) == 0, "LISTEN ends with the session")
            try other.execute("SELECT pg_notify($1, 'lost')", [.text(channel)])
            #expect(try listener.waitForNotifications(timeout: .milliseconds(200)).isEmpty)
            try listener.listen(channel)
            try other.execute("SELECT pg_notify($1, 'heard')", [.text(channel)])
            #expect(try collect(listener, count: 1).map(\.payload) == ["heard"])
        }

        @Test func aSignalEndsTheWaitEarlyWithNothing() throws {
            signal(SIGUSR2) { _ in }
            let listener = try TestDatabase.plainConnection()
            try listener.listen(uniqueChannel())
            final class Shared: @unchecked Sendable {
                let lock = NSLock()
                var thread: pthread_t?
                var result: Result<[PostgresNotification], PostgresError>?
                var elapsed: Duration?
            }
            let shared = Shared()
            nonisolated(unsafe) let connection = listener
            let thread = Thread {
                // Foundation's threads start with signals blocked; this one takes SIGUSR2.
                var signals = sigset_t()
                sigemptyset(&signals)
                sigaddset(&signals, SIGUSR2)
                pthread_sigmask(SIG_UNBLOCK, &signals, nil)
                shared.lock.withLock { shared.thread = pthread_self() }
                let start = ContinuousClock.now
                let result = Result { () throws(PostgresError) in try connection.waitForNotifications(timeout: .seconds(20)) }
                shared.lock.withLock {
                    shared.result = result
                    shared.elapsed = ContinuousClock.now - start
                }
            }
            thread.start()
            // Signal until the wait has returned: a signal that comes before poll() starts is
            // simply handled, and the next one interrupts it.
            let deadline = ContinuousClock.now + .seconds(30)
            while shared.lock.withLock({ shared.result == nil }), ContinuousClock.now < deadline {
                Thread.sleep(forTimeInterval: 0.05)
                if let target = shared.lock.withLock({ shared.thread }) { pthread_kill(target, SIGUSR2) }
            }
            let (result, elapsed) = shared.lock.withLock { (shared.result, shared.elapsed) }
            #expect(try result?.get() == [])
            #expect(elapsed.map { $0 < .seconds(10) } == true, "returned at the signal, not at the timeout")
            #expect(try listener.query("SELECT 1")[0].int(0) == 1)
        }
    }
}
