import Foundation
import Postgres
import TestSupport
import Testing

// Processes with deadlines, and trigger log fixtures, for the tests of retries, timeouts,
// interruptions and server restarts.

/// A program running in the background, its output going to files, so that a test can
/// act on it while it runs (send a signal, restart the server under it). Every wait has a
/// deadline; a process still running when the object goes away is killed.
///
/// Started with `posix_spawn` rather than Foundation's `Process`, which learns that a child
/// ended through a socket the child inherits: a server daemon started by the child (pg_ctl)
/// inherits it too and keeps it open, so `Process` would wait for the daemon. Here the
/// child gets only its three standard streams (`closefrom(3)`), and is reaped with
/// `waitpid`.
final class BackgroundProcess {
    private let pid: pid_t
    private let stdoutPath: String
    private let stderrPath: String
    private let started = ContinuousClock.now
    /// The raw wait status once the process was reaped.
    private var waitStatus: Int32?
    private var ended: ContinuousClock.Instant?
    /// The passwords its output must never show (``PasswordLeakGuard``).
    private let passwords: Set<String>
    /// Its command line, for messages.
    private let commandLine: [String]

    /// How a process ended.
    struct Result {
        /// The exit status, or the signal's number when `signalled` is true.
        let status: Int32
        /// True when a signal ended the process.
        let signalled: Bool
        /// True when the deadline passed and the test killed it.
        let timedOut: Bool
        let stdout: String
        let stderr: String
        /// From start to end.
        let elapsed: Duration

        /// Standard error's lines.
        var stderrLines: [String] { stderr.split(separator: "\n").map(String.init) }
    }

    /// Starts a program, with SIGINT and SIGTERM at their
    /// default action and no signal blocked.
    ///
    /// - Parameters:
    ///   - executable: Its path.
    ///   - environment: Its whole environment (nil: this process's).
    init(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws {
        let name = UUID().uuidString
        stdoutPath = NSTemporaryDirectory() + "/hcconnect-test-\(name).out"
        stderrPath = NSTemporaryDirectory() + "/hcconnect-test-\(name).err"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdoutPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        Self.closeFrom(&actions, 3)
        let environment = environment ?? ProcessInfo.processInfo.environment
        passwords = PasswordLeakGuard.passwords(environment: environment, arguments: arguments)
        commandLine = [executable] + arguments
        pid = try Self.spawn(executable, arguments, environment: environment, actions: &actions)
    }

    /// `posix_spawn` with the signals a program started from a shell has: SIGINT, SIGTERM,
    /// SIGPIPE, SIGCHLD and SIGHUP at their default action and none blocked; `newSession`
    /// makes it a session leader (its terminal, if it opens one, becomes its controlling one).
    static func spawn(
        _ executable: String, _ arguments: [String], environment: [String: String],
        actions: inout posix_spawn_file_actions_t, newSession: Bool = false
    ) throws -> pid_t {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGINT, SIGTERM, SIGPIPE, SIGCHLD, SIGHUP] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)
        // 0x80: glibc's POSIX_SPAWN_SETSID, which Swift's Glibc module does not declare
        let flags = Int32(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK) | (newSession ? 0x80 : 0)
        posix_spawnattr_setflags(&attributes, Int16(flags))
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid = pid_t()
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard result == 0 else { throw TestSetupError("cannot start \(executable): \(String(cString: strerror(result)))") }
        return pid
    }

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34), which Swift's Glibc module
    /// does not declare: looked up with `dlsym`.
    private static func closeFrom(_ actions: inout posix_spawn_file_actions_t, _ lowest: Int32) {
        typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else {
            fatalError("this C library has no posix_spawn_file_actions_addclosefrom_np (glibc 2.34 or later needed)")
        }
        _ = unsafeBitCast(symbol, to: AddCloseFrom.self)(&actions, lowest)
    }

    /// Starts the built `hcconnect` (`.build/debug/hcconnect`).
    static func hcconnect(_ arguments: [String], environment: [String: String]) throws -> BackgroundProcess {
        try BackgroundProcess(
            TestDatabase.packageRoot.appendingPathComponent(".build/debug/hcconnect").path, arguments,
            environment: environment)
    }

    /// Runs a bash script to its end (at most `timeout`), with `arguments` as `$1`...
    static func bash(_ script: String, _ arguments: [String] = [], timeout: Duration = .seconds(120)) throws -> Result {
        try BackgroundProcess("/bin/bash", ["-c", script, "bash"] + arguments).wait(timeout: timeout)
    }

    /// Reaps the process if it ended (`waitpid` with `WNOHANG`).
    private func reap(blocking: Bool = false) {
        guard waitStatus == nil else { return }
        var status: Int32 = 0
        var answer: pid_t
        repeat {
            answer = waitpid(pid, &status, blocking ? 0 : WNOHANG)
        } while answer == -1 && errno == EINTR
        if answer == pid {
            waitStatus = status
            ended = ContinuousClock.now
        }
    }

    var isRunning: Bool {
        reap()
        return waitStatus == nil
    }

    /// Sends a signal (SIGINT, SIGTERM, SIGKILL).
    func send(_ signal: Int32) {
        if isRunning { kill(pid, signal) }
    }

    /// What the process wrote to standard output so far.
    var stdoutSoFar: String { (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "" }

    /// What the process wrote to standard error so far.
    var stderrSoFar: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

    /// Waits for the end; past `timeout`, kills the process and records an issue. What it
    /// wrote is checked for passwords (``PasswordLeakGuard``); one there fails the test.
    func wait(timeout: Duration, sourceLocation: SourceLocation = #_sourceLocation) throws -> Result {
        let deadline = ContinuousClock.now + timeout
        while isRunning, ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.01) }
        let timedOut = isRunning
        if timedOut {
            kill(pid, SIGKILL)
            reap(blocking: true)
            Issue.record("the process did not end within \(timeout); killed", sourceLocation: sourceLocation)
        }
        let status = waitStatus ?? 0
        let signalled = status & 0x7f != 0
        let result = Result(
            status: signalled ? status & 0x7f : (status >> 8) & 0xff, signalled: signalled, timedOut: timedOut,
            stdout: try String(contentsOfFile: stdoutPath, encoding: .utf8),
            stderr: try String(contentsOfFile: stderrPath, encoding: .utf8), elapsed: (ended ?? .now) - started)
        PasswordLeakGuard.check(
            [("standard output", result.stdout), ("standard error", result.stderr)], passwords: passwords,
            command: commandLine, sourceLocation: sourceLocation)
        return result
    }

    deinit {
        if isRunning {
            kill(pid, SIGKILL)
            reap(blocking: true)
        }
        unlink(stdoutPath)
        unlink(stderrPath)
    }
}

/// Polls `condition` every 10 ms until it holds or `timeout` passes; returns whether it held.
func waitUntil(timeout: Duration, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try condition() { return true }
        Thread.sleep(forTimeInterval: 0.01)
    }
    return try condition()
}

/// A schema's trigger log, written and read with plain SQL so that it works on any server
/// (the shared test server, or one a test starts for itself).
struct TriggerLogFixture {
    let connection: PostgresConnection
    /// The schema's name quoted for SQL text.
    let quoted: String

    init(connection: PostgresConnection, schema: String) {
        self.connection = connection
        quoted = "\"" + schema.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    init(_ schema: ConnectTestSchema) {
        self.init(connection: schema.connection, schema: schema.name)
    }

    /// Writes `count` archived FAILED UPDATE entries with ids 1...count, each for the account
    /// of the same id, each with its own sf_message ("failure N"), which a copy keeps, so
    /// that copies can be traced.
    func fillArchivedFailures(_ count: Int, firstID: Int = 1) throws {
        try connection.execute("""
            INSERT INTO \(quoted)._trigger_log_archive (id, txid, created_at, updated_at, processed_at, processed_tx, state,
                                                         action, table_name, record_id, "values", sf_result, sf_message)
            SELECT g, 1000 + g, now() - interval '2 days', now() - interval '1 day', now() - interval '1 day', 5000 + g,
                   'FAILED', 'UPDATE', 'account', g, '"name"=>"new ' || g || '"', 1, 'failure ' || g
            FROM generate_series(\(firstID), \(firstID + count - 1)) AS g
            """)
        try bumpSequence()
        try ConnectTestSchema.ensureRecords(connection, schemaQuoted: quoted, firstID...(firstID + count - 1))
    }

    /// Writes `count` live FAILED UPDATE entries with ids from `firstID`, each for the
    /// account of the same id.
    func fillLiveFailures(_ count: Int, firstID: Int) throws {
        try connection.execute("""
            INSERT INTO \(quoted)._trigger_log (id, txid, created_at, state, action, table_name, record_id, "values",
                                                 sf_message)
            SELECT g, 1000 + g, now() - interval '1 hour', 'FAILED', 'UPDATE', 'account', g, '"name"=>"live ' || g || '"',
                   'failure ' || g
            FROM generate_series(\(firstID), \(firstID + count - 1)) AS g
            """)
        try bumpSequence()
        try ConnectTestSchema.ensureRecords(connection, schemaQuoted: quoted, firstID...(firstID + count - 1))
    }

    private func bumpSequence() throws {
        try connection.execute("""
            SELECT setval('\(quoted.replacingOccurrences(of: "'", with: "''"))._trigger_log_id_seq',
                          greatest((SELECT max(id) FROM \(quoted)._trigger_log), (SELECT max(id) FROM \(quoted)._trigger_log_archive)))
            """)
    }

    /// Makes every UPDATE statement on the archive take `seconds` longer (a statement-level
    /// trigger calling pg_sleep), so that a bulk retry runs long enough to be interrupted.
    func slowDownArchiveUpdates(by seconds: Double) throws {
        try connection.execute("""
            CREATE FUNCTION \(quoted).hcconnect_test_slow() RETURNS trigger LANGUAGE plpgsql AS
            $$ BEGIN PERFORM pg_sleep(\(seconds)); RETURN NULL; END $$
            """)
        try connection.execute("""
            CREATE TRIGGER hcconnect_test_slow AFTER UPDATE ON \(quoted)._trigger_log_archive
            FOR EACH STATEMENT EXECUTE FUNCTION \(quoted).hcconnect_test_slow()
            """)
    }

    /// The archived entries set to REQUEUED.
    func requeuedCount() throws -> Int {
        try connection.query("SELECT count(*) FROM \(quoted)._trigger_log_archive WHERE state = 'REQUEUED'")[0].int(0)!
    }

    /// What a merged retry of archived entries left.
    struct Counts: Equatable, CustomStringConvertible {
        /// Archived entries still FAILED.
        var failed: Int
        /// Archived entries REQUEUED.
        var requeued: Int
        /// Live entries that are copies of a REQUEUED archived entry (same sf_message), NEW.
        var copies: Int
        /// All live entries.
        var live: Int
        /// Archived entries with more than one live copy.
        var copiedTwice: Int

        var description: String {
            "failed \(failed), requeued \(requeued), copies \(copies), live \(live), copied twice \(copiedTwice)"
        }
    }

    func counts() throws -> Counts {
        let row = try connection.query("""
            SELECT (SELECT count(*) FROM \(quoted)._trigger_log_archive WHERE state = 'FAILED'),
                   (SELECT count(*) FROM \(quoted)._trigger_log_archive WHERE state = 'REQUEUED'),
                   (SELECT count(*) FROM \(quoted)._trigger_log l
                    JOIN \(quoted)._trigger_log_archive a ON a.sf_message = l.sf_message AND a.state = 'REQUEUED'
                    WHERE l.state = 'NEW' AND l.id <> a.id),
                   (SELECT count(*) FROM \(quoted)._trigger_log),
                   (SELECT count(*) FROM (SELECT a.id FROM \(quoted)._trigger_log_archive a
                                          JOIN \(quoted)._trigger_log l ON l.sf_message = a.sf_message
                                          GROUP BY a.id HAVING count(*) > 1) AS twice)
            """)[0]
        return Counts(
            failed: try row.int(0)!, requeued: try row.int(1)!, copies: try row.int(2)!, live: try row.int(3)!,
            copiedTwice: try row.int(4)!)
    }

    /// Checks that the archived entries were retried in whole batches only: as many live
    /// copies as REQUEUED entries, none twice, a multiple of the batch size.
    func expectWholeBatches(
        of batchSize: Int, total: Int, sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> Counts {
        let counts = try counts()
        #expect(counts.requeued % batchSize == 0, "only whole batches: \(counts)", sourceLocation: sourceLocation)
        #expect(counts.copies == counts.requeued, "one copy per REQUEUED entry: \(counts)", sourceLocation: sourceLocation)
        #expect(counts.live == counts.requeued, "nothing else in the live log: \(counts)", sourceLocation: sourceLocation)
        #expect(counts.copiedTwice == 0, "\(counts)", sourceLocation: sourceLocation)
        #expect(counts.failed + counts.requeued == total, "\(counts)", sourceLocation: sourceLocation)
        return counts
    }
}

/// Standard error's lines as JSON objects; records an issue for each line that is not one.
func jsonEventLines(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> [[String: Any]] {
    text.split(separator: "\n").compactMap { line in
        guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            Issue.record("not a JSON object: \(line)", sourceLocation: sourceLocation)
            return nil
        }
        return object
    }
}
