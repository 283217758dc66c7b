import Foundation
import TestSupport
import Testing

/// A program run on a pseudo-terminal that the test owns, as a person at a terminal runs
/// it: standard input and standard error (and standard output, unless sent to a file) are
/// the terminal's, which has the size the test chose; the test reads what the screen would
/// show and types answers.
///
/// The child is a session leader with the terminal as its controlling terminal, so it sees
/// what it would see in a real one (`isatty`, `TIOCGWINSZ`, a line discipline that echoes
/// and edits lines).
final class TerminalSession: @unchecked Sendable {
    private let master: Int32
    private let pid: pid_t
    private let lock = NSLock()
    private var received: [UInt8] = []
    private var readerDone = false
    private var waitStatus: Int32?
    private let passwords: Set<String>
    private let commandLine: [String]
    /// Where standard output went when it was not the terminal.
    let stdoutPath: String?

    /// How the program ended.
    struct Result {
        let status: Int32
        /// What the terminal showed: every byte the program (and the echo of what was typed)
        /// wrote, with `\r` removed.
        let screen: String
        /// Standard output, when it went to a file.
        let stdout: String
    }

    /// Starts `executable` on a new pseudo-terminal of `columns` × `rows`.
    ///
    /// - Parameters:
    ///   - environment: Its whole environment.
    ///   - stdoutToFile: Sends standard output to a file instead of the terminal (`> file`).
    init(
        _ executable: String, _ arguments: [String], environment: [String: String], columns: Int = 80, rows: Int = 24,
        stdoutToFile: Bool = false
    ) throws {
        master = Pty.openpt(O_RDWR | O_NOCTTY)
        var name = [CChar](repeating: 0, count: 128)
        guard master >= 0, Pty.grantpt(master) == 0, Pty.unlockpt(master) == 0,
            Pty.ptsname_r(master, &name, name.count) == 0
        else {
            throw TestSetupError("no pseudo-terminal: \(String(cString: strerror(errno)))")
        }
        let slavePath = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var size = winsize(ws_row: UInt16(rows), ws_col: UInt16(columns), ws_xpixel: 0, ws_ypixel: 0)
        _ = ioctl(master, UInt(TIOCSWINSZ), &size)
        stdoutPath = stdoutToFile ? NSTemporaryDirectory() + "/hcconnect-tty-\(UUID().uuidString).out" : nil

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addclose(&actions, master)
        // opened by the new session's leader: it becomes the controlling terminal
        posix_spawn_file_actions_addopen(&actions, 0, slavePath, O_RDWR, 0)
        if let stdoutPath {
            posix_spawn_file_actions_addopen(&actions, 1, stdoutPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        } else {
            posix_spawn_file_actions_adddup2(&actions, 0, 1)
        }
        posix_spawn_file_actions_adddup2(&actions, 0, 2)
        passwords = PasswordLeakGuard.passwords(environment: environment, arguments: arguments)
        commandLine = [executable] + arguments
        do {
            pid = try BackgroundProcess.spawn(executable, arguments, environment: environment, actions: &actions, newSession: true)
        } catch {
            close(master)
            throw error
        }
        let reader = Thread { [self] in readUntilClosed() }
        reader.start()
    }

    /// Starts the built `hcconnect` on a terminal, with colour off unless `environment`
    /// says otherwise, and without a pager unless `pager` (or `environment` names one).
    static func hcconnect(
        _ arguments: [String], environment: [String: String], columns: Int = 80, rows: Int = 24, stdoutToFile: Bool = false,
        pager: Bool = false
    ) throws -> TerminalSession {
        var environment = environment
        if !pager, environment["PAGER"] == nil, environment["HCCONNECT_PAGER"] == nil { environment["HCCONNECT_PAGER"] = "" }
        environment["TERM"] = environment["TERM"] ?? "xterm"
        environment["NO_COLOR"] = environment["NO_COLOR"] ?? "1"
        environment["PATH"] = environment["PATH"] ?? "/usr/bin:/bin"
        return try TerminalSession(
            TestDatabase.packageRoot.appendingPathComponent(".build/debug/hcconnect").path, arguments,
            environment: environment, columns: columns, rows: rows, stdoutToFile: stdoutToFile)
    }

    private func readUntilClosed() {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(master, &buffer, buffer.count)
            if count < 0, errno == EINTR { continue }
            // EIO: every descriptor of the terminal's other side is closed
            guard count > 0 else { break }
            lock.withLock { received += buffer[0..<count] }
        }
        lock.withLock { readerDone = true }
    }

    /// What the terminal shows so far, `\r` removed.
    var screen: String {
        lock.withLock { String(decoding: received.filter { $0 != 13 }, as: UTF8.self) }
    }

    /// Waits until the screen shows `text` (at most `timeout`); returns whether it did.
    func waitFor(_ text: String, timeout: Duration = .seconds(30)) -> Bool {
        waitUntil(timeout: timeout) { screen.contains(text) }
    }

    /// Types `text` as a person would (a line ends with `\n`, the Enter key).
    func type(_ text: String) {
        var bytes = Array(text.utf8)
        _ = write(master, &bytes, bytes.count)
    }

    /// Closes the terminal's input, as Ctrl-D at the start of a line does.
    func endInput() {
        var eot: UInt8 = 4
        _ = write(master, &eot, 1)
    }

    private func reap(blocking: Bool) {
        guard waitStatus == nil else { return }
        var status: Int32 = 0
        var answer: pid_t
        repeat { answer = waitpid(pid, &status, blocking ? 0 : WNOHANG) } while answer == -1 && errno == EINTR
        if answer == pid { waitStatus = status }
    }

    var isRunning: Bool {
        reap(blocking: false)
        return waitStatus == nil
    }

    /// Waits for the end (killing the program after `timeout`, which fails the test) and for
    /// the last of its output; checks what it wrote for passwords.
    func wait(timeout: Duration = .seconds(60), sourceLocation: SourceLocation = #_sourceLocation) throws -> Result {
        let deadline = ContinuousClock.now + timeout
        while isRunning, ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.01) }
        if isRunning {
            kill(pid, SIGKILL)
            reap(blocking: true)
            Issue.record("the program did not end within \(timeout); killed:\n\(screen)", sourceLocation: sourceLocation)
        }
        _ = waitUntil(timeout: .seconds(5)) { lock.withLock { readerDone } }
        let status = waitStatus ?? 0
        let stdout = try stdoutPath.map { try String(contentsOfFile: $0, encoding: .utf8) } ?? ""
        let result = Result(status: status & 0x7f != 0 ? 128 + status & 0x7f : (status >> 8) & 0xff, screen: screen, stdout: stdout)
        PasswordLeakGuard.check(
            [("the terminal", result.screen), ("standard output", stdout)], passwords: passwords, command: commandLine,
            sourceLocation: sourceLocation)
        return result
    }

    deinit {
        if isRunning {
            kill(pid, SIGKILL)
            reap(blocking: true)
        }
        close(master)
        if let stdoutPath { unlink(stdoutPath) }
    }
}

/// glibc's pseudo-terminal functions, which Swift's Glibc module does not declare (they
/// need `_XOPEN_SOURCE`): looked up with `dlsym`.
private enum Pty {
    private static func function<T>(_ name: String, as type: T.Type) -> T {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else {
            fatalError("this C library has no \(name)")
        }
        return unsafeBitCast(symbol, to: type)
    }

    static let openpt = function("posix_openpt", as: (@convention(c) (Int32) -> Int32).self)
    static let grantpt = function("grantpt", as: (@convention(c) (Int32) -> Int32).self)
    static let unlockpt = function("unlockpt", as: (@convention(c) (Int32) -> Int32).self)
    static let ptsname_r = function("ptsname_r", as: (@convention(c) (Int32, UnsafeMutablePointer<CChar>, Int) -> Int32).self)
}
