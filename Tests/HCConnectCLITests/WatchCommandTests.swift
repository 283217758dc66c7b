import Foundation
import Postgres
import TestSupport
import Testing

extension IntegrationSuites {
    /// `watch` as a running process, against the emulation: it is started, the test waits until
    /// it listens, writes to the log as users and Connect would, and reads what it wrote.
    @Suite(.tags(.process)) struct WatchCommandTests {
        /// Starts `hcconnect watch ...` on `schema`, with an application name of its own so
        /// that its session can be found in `pg_stat_activity`.
        private func startWatch(_ schema: ConnectTestSchema, _ arguments: [String]) throws -> WatchProcess {
            let url = try TestDatabase.url
            let applicationName = "watch_" + schema.name
            let separator = url.contains("?") ? "&" : "?"
            return try WatchProcess(
                ["watch"] + arguments, applicationName: applicationName,
                environment: [
                    "DATABASE_URL": url + separator + "application_name=" + applicationName,
                    "HEROKU_CONNECT_SCHEMA": schema.name,
                ])
        }

        /// The server process of the watch's session.
        private func backendPID(_ schema: ConnectTestSchema, _ watch: WatchProcess) throws -> Int? {
            try schema.connection.query(
                "SELECT pid FROM pg_stat_activity WHERE application_name = $1", [.text(watch.applicationName)]
            ).first?.int(0)
        }

        /// Waits until the watch is idle after a look that started after `time` (or any), so it
        /// listens and has seen what was written before `time`.
        private func waitUntilLooked(_ schema: ConnectTestSchema, _ watch: WatchProcess, after time: String? = nil) throws {
            let deadline = ContinuousClock.now + .seconds(30)
            while ContinuousClock.now < deadline, watch.isRunning {
                let rows = try schema.connection.query("""
                    SELECT count(*) FROM pg_stat_activity
                    WHERE application_name = $1 AND state = 'idle' AND query LIKE '%txid_current_snapshot%'
                      AND ($2::timestamptz IS NULL OR query_start > $2::timestamptz)
                    """, [.text(watch.applicationName), .optional(time)])
                if try rows[0].int(0) == 1 { return }
                Thread.sleep(forTimeInterval: 0.02)
            }
            Issue.record("the watch never looked at the log; stderr: \(watch.stderr)")
        }

        private func now(_ schema: ConnectTestSchema) throws -> String {
            try schema.connection.query("SELECT clock_timestamp()::text")[0].string(0)!
        }

        /// Writes a record as a user would; the logger adds a NEW entry and notifies. Returns its id.
        private func capture(_ schema: ConnectTestSchema, table: String = "account") throws -> Int {
            let column = table == "contact" ? "lastname" : "name"
            let record = try schema.connection.query(
                "INSERT INTO \(schema.quoted).\(table) (\(column)) VALUES ('Acme') RETURNING id")[0].int(0)!
            return try schema.connection.query(
                "SELECT max(id) FROM \(schema.quoted)._trigger_log WHERE table_name = $1 AND record_id = $2",
                [.text(table), .int(record)])[0].int(0)!
        }

        /// Sets an entry's state as Connect's worker would: no notification.
        private func fail(_ schema: ConnectTestSchema, _ id: Int, message: String, state: String = "FAILED") throws {
            try schema.connection.execute(
                "UPDATE \(schema.quoted)._trigger_log SET state = $2, sf_message = $3, processed_at = now() WHERE id = $1",
                [.int(id), .text(state), .text(message)])
        }

        @Test func anEntryThatBecomesFailedIsWrittenAsJSONAndCountStops() throws {
            try TestDatabase.withConnectSchema { schema in
                let watch = try startWatch(schema, ["--count", "1", "--json", "--timeout", "60s", "--interval", "500ms"])
                try waitUntilLooked(schema, watch)
                let id = try capture(schema)
                try waitUntilLooked(schema, watch, after: try now(schema))
                try fail(schema, id, message: "UNABLE_TO_LOCK_ROW: unable to obtain exclusive access")
                let result = try watch.wait()
                #expect(result.status == 0, "\(result.stderr)")
                let objects = try jsonLines(result.stdout)
                #expect(objects.count == 1)
                #expect(objects.first?["id"] as? Int == id)
                #expect(objects.first?["state"] as? String == "FAILED")
                #expect(objects.first?["sf_message"] as? String == "UNABLE_TO_LOCK_ROW: unable to obtain exclusive access")
                #expect(objects.first?["archived"] as? Bool == false)
                #expect(result.stderr.isEmpty, "no start note when standard error is not a terminal")
            }
        }

        @Test func afterItsSessionIsKilledItReconnectsSaysSoAndReportsWhatFailedMeanwhile() throws {
            try TestDatabase.withConnectSchema { schema in
                let watch = try startWatch(schema, ["--count", "2", "--format", "ids", "--timeout", "60s"])
                try waitUntilLooked(schema, watch)
                let first = try capture(schema)
                let second = try capture(schema)
                try fail(schema, first, message: "first")
                try watch.waitForOutput { $0 == "\(first)\n" }
                let pid = try #require(try backendPID(schema, watch))
                try schema.connection.execute("SELECT pg_terminate_backend($1)", [.int(pid)])
                try fail(schema, second, message: "while it was away")
                let result = try watch.wait()
                #expect(result.status == 0, "\(result.stderr)")
                #expect(result.stdout == "\(first)\n\(second)\n")
                // Nothing else: libpq's own "FATAL: terminating connection" notice goes to the event log.
                let notes = result.stderr.split(separator: "\n").map(String.init)
                #expect(notes.count == 2, "\(notes)")
                #expect(notes.first?.hasPrefix("hcconnect: connection lost (") == true)
                #expect(notes.first?.range(of: #"; reconnecting in 0\.[4-6] s$"#, options: .regularExpression) != nil)
                #expect(notes.last == "hcconnect: reconnected")
                #expect(try backendPID(schema, watch) == nil, "the process is gone, and its new session with it")
            }
        }

        @Test func onlyFailuresOfTheChosenTableAreWrittenAndDirectlyInsertedOnesCount() throws {
            try TestDatabase.withConnectSchema { schema in
                let watch = try startWatch(schema, ["--table", "account", "--count", "1", "--format", "ids", "--timeout", "60s"])
                try waitUntilLooked(schema, watch)
                let contact = try capture(schema, table: "contact")
                let succeeding = try capture(schema)
                try waitUntilLooked(schema, watch, after: try now(schema))
                try fail(schema, contact, message: "a contact failure")
                try fail(schema, succeeding, message: "", state: "SUCCESS")
                // A FAILED row inserted as it is, with no state change, is a new failure too.
                let direct = try schema.insertEntry(state: "FAILED", table: "account", message: "direct", createdAgo: "0 seconds")
                let result = try watch.wait()
                #expect(result.status == 0, "\(result.stderr)")
                #expect(result.stdout == "\(direct)\n")
            }
        }

        @Test func tableRowsAreWrittenOneLineAtATime() throws {
            try TestDatabase.withConnectSchema { schema in
                let watch = try startWatch(schema, ["--count", "2", "--timeout", "60s"])
                try waitUntilLooked(schema, watch)
                let first = try schema.insertEntry(state: "FAILED", message: "first failure", createdAgo: "0 seconds")
                try watch.waitForOutput { $0.split(separator: "\n").count == 2 }
                let early = watch.stdout.split(separator: "\n").map(String.init)
                #expect(early.first?.hasPrefix("ID") == true)
                #expect(early.last?.contains("first failure") == true, "written before the second came")
                let second = try schema.insertEntry(state: "FAILED", message: "second failure", createdAgo: "0 seconds")
                let result = try watch.wait()
                #expect(result.status == 0, "\(result.stderr)")
                let lines = result.stdout.split(separator: "\n").map(String.init)
                #expect(lines.count == 3)
                #expect(lines[1].hasPrefix("\(first) ") || lines[1].contains(" \(first) "))
                #expect(lines[2].contains("\(second)") && lines[2].contains("FAILED") && lines[2].hasSuffix("second failure"))
            }
        }

        @Test func existingFailuresComeFirstOnlyWhenAsked() throws {
            try TestDatabase.withConnectSchema { schema in
                let existing = try schema.insertEntry(state: "FAILED", message: "before")
                let result = try hcconnectProcess(
                    ["watch", "--existing", "--count", "1", "--format", "ids", "--timeout", "30s"],
                    environment: ["DATABASE_URL": try TestDatabase.url, "HEROKU_CONNECT_SCHEMA": schema.name])
                #expect(result.status == 0, "\(result.stderr)")
                #expect(result.stdout == "\(existing)\n")
            }
        }

        @Test func everyNewEntryIsWrittenWithAll() throws {
            try TestDatabase.withConnectSchema { schema in
                let watch = try startWatch(schema, ["--all", "--count", "2", "--format", "ids", "--timeout", "60s"])
                try waitUntilLooked(schema, watch)
                let first = try capture(schema)
                let second = try capture(schema, table: "contact")
                let result = try watch.wait()
                #expect(result.status == 0, "\(result.stderr)")
                #expect(result.stdout == "\(first)\n\(second)\n")
            }
        }

        @Test func aTimeoutWithNothingWrittenExitsOne() throws {
            try TestDatabase.withConnectSchema { schema in
                try schema.insertEntry(state: "FAILED", message: "existing, not written")
                let start = Date()
                let result = try hcconnectProcess(
                    ["watch", "--format", "csv", "--timeout", "1s"],
                    environment: ["DATABASE_URL": try TestDatabase.url, "HEROKU_CONNECT_SCHEMA": schema.name])
                #expect(result.status == 1, "\(result.stderr)")
                #expect(result.stdout.hasPrefix("id,txid,created_at"))
                #expect(result.stdout.split(separator: "\r\n").count == 1, "the header only")
                #expect(Date().timeIntervalSince(start) < 10)
            }
        }

        @Test func aPersonIsToldWhatIsWatched() throws {
            try TestDatabase.withConnectSchema { schema in
                let result = try hcconnect(
                    ["watch", "--table", "account", "--timeout", "1s"], schema: schema.name, terminal: true, columns: 120)
                #expect(result.status == 1)
                #expect(result.stdout.isEmpty)
                #expect(result.stderr == "watching \(schema.name) for entries of account that become FAILED; Ctrl-C to stop\n")
                let states = try hcconnect(
                    ["watch", "--state", "success,failed", "--timeout", "500ms"], schema: schema.name, terminal: true)
                #expect(states.stderr.hasPrefix("watching \(schema.name) for entries that become FAILED or SUCCESS;"))
            }
        }

        @Test(arguments: [
            (["watch", "--interval", "soon"], "hcconnect: --interval: 'soon' is not a duration (e.g. 500ms, 30s, 10m, 1h)"),
            (["watch", "--interval", "50ms"], "hcconnect: --interval: '50ms' is not between 100ms and 1h"),
            (["watch", "--interval", "2h"], "hcconnect: --interval: '2h' is not between 100ms and 1h"),
            (["watch", "--interval", "0s"], "hcconnect: --interval: '0s' is not a duration (e.g. 500ms, 30s, 10m, 1h)"),
            (["watch", "--count", "0"], "hcconnect: --count: '0' is not a count (a whole number above 0)"),
            (["watch", "--count", "many"], "hcconnect: --count: 'many' is not a count (a whole number above 0)"),
            (["watch", "--timeout", "-1s"], "hcconnect: --timeout: '-1s' is not a duration (e.g. 500ms, 30s, 10m, 1h)"),
            (["watch", "--all", "--state", "NEW"], "hcconnect: --all and --state cannot be used together"),
            (["watch", "--all", "--existing"], "hcconnect: --all and --existing cannot be used together"),
            (["watch", "--state", "FIALED"],
             "hcconnect: --state: 'FIALED' is not a trigger log state; did you mean 'FAILED'? (states: NEW, PENDING, SUCCESS, FAILED, MERGED, IGNORE, IGNORED, READONLY, REQUEUE, REQUEUED)"),
            (["watch", "--action", "MERGE"], "hcconnect: --action: 'MERGE' is not INSERT, UPDATE or DELETE"),
            (["watch", "--since", "1h"], "hcconnect: unknown option '--since'"),
            (["watch", "--limit", "5"], "hcconnect: unknown option '--limit'"),
            (["watch", "account"], "hcconnect: unexpected argument 'account'"),
            (["watch", "--count"], "hcconnect: --count needs a value"),
        ] as [([String], String)])
        func badCommandLinesAreOneLineAndExitTwo(arguments: [String], message: String) throws {
            let result = try hcconnect(arguments, environment: ["DATABASE_URL": "postgresql://127.0.0.1:1/never"])
            #expect(result.status == 2)
            #expect(result.stdout.isEmpty)
            #expect(result.stderr == message + "\n")
        }

        @Test func anUnmappedTableIsNotFound() throws {
            try TestDatabase.withConnectSchema { schema in
                let result = try hcconnect(["watch", "--table", "acount", "--timeout", "1s"], schema: schema.name)
                #expect(result.status == 3)
                #expect(result.stderr == "hcconnect: no table \"acount\" in schema \"\(schema.name)\" is mapped or has trigger log entries; did you mean \"account\"?\n")
            }
        }

        @Test func helpDescribesTheCommand() throws {
            let result = try hcconnect(["help", "watch"])
            #expect(result.status == 0)
            for text in ["--count N", "--timeout DUR", "--interval DUR", "--existing", "--all", "hcconnect watch --count 1"] {
                #expect(result.stdout.contains(text), "\(text)")
            }
        }
    }
}

/// A watch running in the background (a ``BackgroundProcess``), with the application name
/// its session can be found by.
final class WatchProcess {
    let applicationName: String
    private let process: BackgroundProcess

    init(_ arguments: [String], applicationName: String, environment: [String: String]) throws {
        self.applicationName = applicationName
        process = try BackgroundProcess.hcconnect(arguments, environment: environment)
    }

    var isRunning: Bool { process.isRunning }
    var stdout: String { process.stdoutSoFar }
    var stderr: String { process.stderrSoFar }

    /// Waits until standard output satisfies `condition` (it is written as entries come).
    func waitForOutput(limit: Duration = .seconds(30), _ condition: (String) -> Bool) throws {
        let deadline = ContinuousClock.now + limit
        while !condition(stdout) {
            guard ContinuousClock.now < deadline, process.isRunning else {
                throw TestSetupError("the expected output did not come; stdout: \(stdout) stderr: \(stderr)")
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
    }

    /// Waits for the process to end by itself (killing it after `limit`, which fails the test).
    func wait(limit: Duration = .seconds(90)) throws -> CLIResult {
        let result = try process.wait(timeout: limit)
        return CLIResult(status: result.status, stdout: result.stdout, stderr: result.stderr)
    }
}
