import Foundation

/// A program running in a real terminal, tmux's, that a test drives as a person would: it
/// types keys, reads the screen, resizes the window, sends signals, and asks the terminal
/// what the program left behind (alternate screen, cursor, echo and canonical input).
///
/// Each terminal has a tmux server of its own, on a socket in a private folder (mode 700)
/// made for it, started with a configuration of its own (`-f`, never the user's): parallel
/// tests never share a server, and ``close()`` (or `deinit`) kills it and removes the folder.
/// The window is exactly `columns`×`rows` (no status line) and keeps its size while no client
/// is attached.
///
/// The program runs with only the environment given (`env -i`), plus `TERM=xterm-256color`,
/// `LANG=C.UTF-8` and a `PATH` unless given, as the child of a shell that, when the program
/// ends, records its exit status and then keeps the terminal open: the screen, the terminal
/// state and the line discipline's modes stay readable after the program exits.
///
/// ```swift
/// let terminal = try TmuxTerminal(["/usr/bin/less", path], columns: 80, rows: 24)
/// defer { terminal.close() }
/// try terminal.waitFor("(END)")
/// try terminal.sendKeys("q")
/// let exit = try terminal.waitForExit()
/// #expect(try !terminal.isAlternateScreenOn && terminal.modes().echo)
/// ```
public final class TmuxTerminal {
    /// The private folder: the socket, the configuration, the scripts, the program's pid and status.
    public let folder: String
    private let socket: String
    private let configuration: String
    /// The tmux session (and target) name.
    private let session = "test"
    /// The program's command line, for messages.
    public let commandLine: [String]
    private var isClosed = false
    /// The pane's first process, the shell around the program: the leader of the pane's
    /// session and process group.
    private var panePID: pid_t?

    /// What went wrong while driving the terminal, with the screen at that moment.
    public struct Failure: Error, CustomStringConvertible {
        public let message: String
        /// The screen's lines when it happened (empty when there was none to read).
        public let screen: [String]

        public var description: String {
            guard !screen.isEmpty else { return message }
            let width = screen.map(\.count).max() ?? 0
            let rule = String(repeating: "-", count: max(width, 20))
            return "\(message)\nthe screen:\n\(rule)\n\(screen.joined(separator: "\n"))\n\(rule)"
        }
    }

    /// The line discipline's modes of the terminal (`stty -a`).
    public struct Modes: Equatable, CustomStringConvertible {
        /// Typed characters are echoed (`echo`).
        public let echo: Bool
        /// Input comes in lines, with line editing (`icanon`).
        public let canonical: Bool
        /// `stty -a`'s whole answer.
        public let description: String

        /// Reads `stty -a`'s output.
        public init(sttyOutput: String) {
            let words = Set(sttyOutput.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == ";" }).map(String.init))
            echo = words.contains("echo")
            canonical = words.contains("icanon")
            description = sttyOutput
        }
    }

    /// How the program ended.
    public struct Exit: Equatable {
        /// Its exit status as its shell saw it: 128 + the signal's number when a signal ended it.
        public let status: Int32
        /// The screen after it ended.
        public let screen: [String]
    }

    /// Starts a tmux server and, in a window of `columns`×`rows`, the program.
    ///
    /// - Parameters:
    ///   - arguments: The program's path (or a name found on `PATH`) and its arguments; it
    ///     is exec'd, so signals reach it and not a shell.
    ///   - columns: The window's width.
    ///   - rows: The window's height; the pane has every row (no status line).
    ///   - environment: Variables the program gets besides `TERM`, `LANG` and `PATH`, which
    ///     these override; nothing else of the test's environment reaches it.
    /// - Throws: ``Failure`` when tmux cannot start (tried three times: a server is
    ///   sometimes slow to come up on a loaded machine).
    public init(
        _ arguments: [String], columns: Int = 80, rows: Int = 24, environment: [String: String] = [:]
    ) throws {
        precondition(!arguments.isEmpty, "TmuxTerminal needs a program to run")
        commandLine = arguments
        // /tmp rather than NSTemporaryDirectory(): a socket's path must stay under 108 bytes.
        var template = Array("/tmp/hcconnect-tmux.XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else {
            throw Failure(message: "cannot make a folder for tmux: \(String(cString: strerror(errno)))", screen: [])
        }
        folder = String(cString: made)
        chmod(folder, 0o700)
        socket = folder + "/socket"
        configuration = folder + "/tmux.conf"
        do {
            // No `window-size manual` here: tmux 3.3a's server exits at once with it in the
            // configuration of a detached first session. Without a client the window keeps
            // the size new-session gives it, and resize-window makes it manual itself.
            try Self.write(
                """
                set -g status off
                set -g default-terminal xterm-256color
                set -g escape-time 0

                """, to: configuration)
            // The program records its pid and is exec'd in its place; the shell around it
            // records how it ended and keeps the terminal open for the test to read.
            try Self.write(
                "echo $$ > \(Self.quoted(folder + "/pid"))\nexec \(arguments.map(Self.quoted).joined(separator: " "))\n",
                to: folder + "/program.sh")
            try Self.write(
                """
                /bin/sh \(Self.quoted(folder + "/program.sh"))
                echo $? > \(Self.quoted(folder + "/status.new"))
                mv \(Self.quoted(folder + "/status.new")) \(Self.quoted(folder + "/status"))
                exec sleep 2147483647

                """, to: folder + "/shell.sh")
            var variables = environment
            variables["TERM"] = "xterm-256color"
            variables["LANG"] = "C.UTF-8"
            if variables["PATH"] == nil { variables["PATH"] = "/usr/local/bin:/usr/bin:/bin" }
            let command = ["/usr/bin/env", "-i"] + variables.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
                + ["/bin/sh", folder + "/shell.sh"]
            let start = [
                "new-session", "-d", "-s", session, "-x", String(columns), "-y", String(rows), "--",
            ] + command
            var attempt = 1
            while true {
                let result = try tmux(start)
                if result.status == 0 { break }
                _ = try? tmux(["kill-server"])
                guard attempt < 3 else {
                    throw Failure(message: "tmux new-session failed three times: \(result.stderr)", screen: [])
                }
                attempt += 1
                Thread.sleep(forTimeInterval: 0.2 * Double(attempt))
            }
            panePID = pid_t(try display("#{pane_pid}"))
        } catch {
            close()
            throw error
        }
    }

    deinit { close() }

    /// Kills the program, its shell and the tmux server, and removes the folder. Safe to call
    /// more than once.
    ///
    /// The pane's process group is killed first: the hang-up a dying server leaves behind
    /// would end the program, but its shell would then record a status in the folder and
    /// start `sleep`, which the hang-up, already past, would never end.
    public func close() {
        guard !isClosed else { return }
        isClosed = true
        if let panePID { kill(-panePID, SIGKILL) }
        // A program that left the pane's process group; once it ended, its pid is not its own.
        if !hasExited, let pid = recordedProgramID { kill(pid, SIGKILL) }
        _ = try? tmux(["kill-server"])
        for _ in 0..<50 {
            do {
                try FileManager.default.removeItem(atPath: folder)
                return
            } catch {
                guard FileManager.default.fileExists(atPath: folder) else { return }
                Thread.sleep(forTimeInterval: 0.02)
            }
        }
    }

    // MARK: Input

    /// Sends keys by tmux's names, each as one key: `"Enter"`, `"Escape"`, `"C-c"`, `"Up"`,
    /// `"Down"`, `"PageDown"`, `"F1"`, `"q"`, `"Space"` (tmux's `send-keys`).
    public func sendKeys(_ keys: String...) throws {
        try check(tmux(["send-keys", "-t", session] + keys), "send-keys \(keys)")
    }

    /// Types `text` as it is, character by character, no key names (`send-keys -l`).
    public func type(_ text: String) throws {
        try check(tmux(["send-keys", "-t", session, "-l", "--", text]), "send-keys -l")
    }

    /// Resizes the window (`resize-window`): the program gets SIGWINCH and the new size.
    public func resize(columns: Int, rows: Int) throws {
        try check(
            tmux(["resize-window", "-t", session, "-x", String(columns), "-y", String(rows)]),
            "resize-window to \(columns)x\(rows)")
    }

    /// Sends a signal to the program (not to its shell).
    public func sendSignal(_ signal: Int32) throws {
        guard !hasExited else {
            throw Failure(message: "cannot send signal \(signal): the program has ended", screen: (try? capture()) ?? [])
        }
        guard kill(try programID(), signal) == 0 else {
            throw Failure(message: "cannot send signal \(signal): \(String(cString: strerror(errno)))", screen: [])
        }
    }

    // MARK: Output

    /// The screen, one string per row (`capture-pane -p`): always `rows` of them, trailing
    /// spaces removed; with `escapes`, the colours and attributes as escape sequences (`-e`).
    public func capture(escapes: Bool = false) throws -> [String] {
        let result = try tmux(["capture-pane", "-p", "-t", session] + (escapes ? ["-e"] : []))
        try check(result, "capture-pane")
        var lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        let height = try size().rows
        if lines.count < height { lines += Array(repeating: "", count: height - lines.count) }
        return lines
    }

    /// The screen once some row contains `text`, checked every 20 ms.
    ///
    /// - Throws: ``Failure`` with the last screen when `timeout` passes first.
    @discardableResult
    public func waitFor(_ text: String, timeout: Duration = .seconds(10)) throws -> [String] {
        try waitUntil("the screen shows \"\(text)\"", timeout: timeout) { screen in
            screen.contains { $0.contains(text) }
        }
    }

    /// The screen once `predicate` holds for it, checked every 20 ms.
    ///
    /// - Parameter description: What is waited for, for the error.
    /// - Throws: ``Failure`` with the last screen when `timeout` passes first.
    @discardableResult
    public func waitUntil(
        _ description: String = "the condition", timeout: Duration = .seconds(10),
        _ predicate: ([String]) throws -> Bool
    ) throws -> [String] {
        let deadline = ContinuousClock.now + timeout
        var screen = try capture()
        while try !predicate(screen) {
            guard ContinuousClock.now < deadline else {
                throw Failure(message: "waited \(timeout) for \(description) (\(commandLine.joined(separator: " ")))", screen: screen)
            }
            Thread.sleep(forTimeInterval: 0.02)
            screen = try capture()
        }
        return screen
    }

    /// Waits for the program to end.
    ///
    /// - Throws: ``Failure`` with the screen when `timeout` passes first.
    @discardableResult
    public func waitForExit(timeout: Duration = .seconds(10)) throws -> Exit {
        let path = folder + "/status"
        let deadline = ContinuousClock.now + timeout
        while !FileManager.default.fileExists(atPath: path) {
            guard ContinuousClock.now < deadline else {
                throw Failure(message: "the program did not end within \(timeout)", screen: (try? capture()) ?? [])
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
        let text = try String(contentsOfFile: path, encoding: .utf8)
        guard let status = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw Failure(message: "unreadable exit status: \(text)", screen: [])
        }
        return Exit(status: status, screen: try capture())
    }

    /// Whether the program has ended.
    public var hasExited: Bool { FileManager.default.fileExists(atPath: folder + "/status") }

    // MARK: The terminal's state

    /// The window's size as the program sees it.
    public func size() throws -> (columns: Int, rows: Int) {
        let values = try display("#{pane_width} #{pane_height}").split(separator: " ").compactMap { Int($0) }
        guard values.count == 2 else { throw Failure(message: "tmux did not tell the pane's size", screen: []) }
        return (values[0], values[1])
    }

    /// Whether the alternate screen is on (`#{alternate_on}`): a full-screen program switched
    /// to it (`smcup`) and has not switched back (`rmcup`).
    public var isAlternateScreenOn: Bool {
        get throws { try display("#{alternate_on}") == "1" }
    }

    /// Whether the cursor is shown (`#{cursor_flag}`): `civis` hides it, `cnorm` shows it.
    public var isCursorVisible: Bool {
        get throws { try display("#{cursor_flag}") == "1" }
    }

    /// The line discipline's modes now (`stty -a` on the pane's terminal): raw mode has
    /// neither echo nor canonical input; after the program ended, both should be back.
    public func modes() throws -> Modes {
        let tty = try display("#{pane_tty}")
        let result = try SpawnedCommand.run(["/bin/stty", "-F", tty, "-a"], folder: folder)
        try check(result, "stty -F \(tty) -a")
        return Modes(sttyOutput: result.stdout)
    }

    /// The program's process id (it recorded it before being exec'd), once it started.
    public func programID() throws -> pid_t {
        let deadline = ContinuousClock.now + .seconds(10)
        while true {
            if let pid = recordedProgramID { return pid }
            guard ContinuousClock.now < deadline else {
                throw Failure(message: "the program did not start within 10 s", screen: [])
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
    }

    private var recordedProgramID: pid_t? {
        (try? String(contentsOfFile: folder + "/pid", encoding: .utf8))
            .flatMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    /// A tmux format's value for the pane (`display-message -p`).
    public func display(_ format: String) throws -> String {
        let result = try tmux(["display-message", "-p", "-t", session, format])
        try check(result, "display-message \(format)")
        return result.stdout.trimmingCharacters(in: .newlines)
    }

    // MARK: Running tmux

    private func tmux(_ arguments: [String]) throws -> SpawnedCommand {
        try SpawnedCommand.run(["/usr/bin/tmux", "-S", socket, "-f", configuration] + arguments, folder: folder)
    }

    private func check(_ result: SpawnedCommand, _ what: String) throws {
        guard result.status == 0 else {
            throw Failure(message: "tmux \(what) failed (\(result.status)): \(result.stderr)", screen: [])
        }
    }

    /// A word for `sh`, in single quotes.
    static func quoted(_ word: String) -> String {
        "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    private static func write(_ text: String, to path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600])
        else {
            throw Failure(message: "cannot write \(path)", screen: [])
        }
    }
}
