#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The terminal while the console owns it: raw mode (no echo, no line editing, no signals
/// from keys), the alternate screen, the cursor hidden and line wrap off; and everything put
/// back on every way out.
///
/// termios and ANSI escape sequences are written by hand, as ratatui's and Textual's back
/// ends do, instead of linking ncurses (docs/development.md, "The console"). The sequences
/// are the xterm ones every terminal emulator in use understands (`?1049h` alternate
/// screen, `?25l` cursor, `?7l` wrap).
///
/// Restoring happens in ``restore()`` (q, Ctrl-C, an error, a lost connection: the console
/// returns through it), on SIGTERM, SIGHUP and SIGINT (the signal ends the loop, which
/// restores), and on a crash (SIGSEGV, SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE): the
/// handler writes the saved settings back with async-signal-safe calls only, then lets the
/// signal do what it would have done.
final class ConsoleTerminal {
    /// The terminal's size in character cells.
    struct Size: Equatable {
        var columns: Int
        var rows: Int
    }

    /// Standard input and standard output.
    let input: Int32 = STDIN_FILENO
    let output: Int32 = STDOUT_FILENO
    private(set) var isActive = false
    /// Signals become bytes on this pipe: the event loop polls it with the keyboard.
    let signalPipe: (read: Int32, write: Int32)

    /// What entering writes; ``leaveSequence`` undoes it in reverse.
    static let enterSequence = "\u{1B}[?1049h\u{1B}[?25l\u{1B}[?7l\u{1B}[H\u{1B}[2J"
    /// Wrap on, colours off, cursor shown, the normal screen back.
    static let leaveSequence = "\u{1B}[?7h\u{1B}[0m\u{1B}[?25h\u{1B}[?1049l"

    /// Takes the terminal: saves its settings and installs the signal handlers (when
    /// `handlesSignals`: only the executable does, tests in-process never touch signals).
    ///
    /// - Throws: ``CommandFailure`` when standard input's settings cannot be read.
    init(handlesSignals: Bool) throws {
        var settings = termios()
        guard tcgetattr(STDIN_FILENO, &settings) == 0 else {
            throw CommandFailure(
                status: .usage, message: "the console needs a terminal: " + String(cString: strerror(errno)))
        }
        var descriptors: [Int32] = [0, 0]
        guard pipe(&descriptors) == 0 else {
            throw CommandFailure(status: .internalError, message: "the console cannot start: pipe() failed")
        }
        for descriptor in descriptors {
            _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
            _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
        }
        signalPipe = (descriptors[0], descriptors[1])
        consoleSavedSettings = settings
        consoleSignalPipe = descriptors[1]
        if handlesSignals {
            for number in [SIGWINCH, SIGTERM, SIGHUP, SIGINT, SIGCONT] { signal(number, onConsoleSignal) }
            for number in [SIGSEGV, SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE] { signal(number, onConsoleCrash) }
        }
    }

    deinit {
        restore()
        close(signalPipe.read)
        close(signalPipe.write)
        consoleSignalPipe = -1
    }

    /// Raw mode, the alternate screen, the cursor hidden, wrap off.
    func enter() {
        var raw = consoleSavedSettings
        // cfmakeraw, but output processing stays (a bare \n would not return the carriage)
        raw.c_iflag &= ~tcflag_t(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON)
        raw.c_lflag &= ~tcflag_t(ECHO | ECHONL | ICANON | ISIG | IEXTEN)
        raw.c_cflag &= ~tcflag_t(CSIZE | PARENB)
        raw.c_cflag |= tcflag_t(CS8)
        withUnsafeMutableBytes(of: &raw.c_cc) { cc in
            cc[Int(VMIN)] = 0
            cc[Int(VTIME)] = 0
        }
        _ = tcsetattr(input, TCSAFLUSH, &raw)
        write(Self.enterSequence)
        isActive = true
        consoleIsActive.store(1, ordering: .relaxed)
    }

    /// Puts the terminal back as it was; does nothing when it already is.
    func restore() {
        guard isActive else { return }
        isActive = false
        consoleIsActive.store(0, ordering: .relaxed)
        write(Self.leaveSequence)
        var settings = consoleSavedSettings
        _ = tcsetattr(input, TCSAFLUSH, &settings)
    }

    /// Ctrl-Z: gives the terminal back, stops, and takes it again when continued.
    func suspend() {
        restore()
        kill(0, SIGTSTP)
        enter()
    }

    /// The size the terminal reports (`TIOCGWINSZ`); 80×24 when it reports none.
    var size: Size {
        var size = winsize()
        if ioctl(output, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0, size.ws_row > 0 {
            return Size(columns: Int(size.ws_col), rows: Int(size.ws_row))
        }
        return Size(columns: 80, rows: 24)
    }

    /// Writes all of `text` to the terminal.
    func write(_ text: String) {
        write(bytes: Array(text.utf8))
    }

    func write(bytes: [UInt8]) {
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(output, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR || errno == EAGAIN { continue }
                    return
                }
                offset += written
            }
        }
    }

    /// The signals that arrived since the last call, in order (one byte each).
    func takeSignals() -> [Int32] {
        var signals: [Int32] = []
        var byte: UInt8 = 0
        while read(signalPipe.read, &byte, 1) == 1 { signals.append(Int32(byte)) }
        return signals
    }
}

// MARK: - What the signal handlers may touch

/// The settings to put back (read by the crash handler).
nonisolated(unsafe) private var consoleSavedSettings = termios()
/// The write end of the signal pipe; -1 when no console runs.
nonisolated(unsafe) private var consoleSignalPipe: Int32 = -1

import Synchronization

/// 1 while the terminal is in the console's mode.
private let consoleIsActive = Atomic<Int32>(0)
/// How many ending signals arrived: the second ends the process at once (a statement that
/// does not return must not hold the terminal hostage).
private let consoleEndingSignals = Atomic<Int32>(0)

/// SIGWINCH, SIGCONT, and the ending signals: a byte on the pipe for the loop. A second
/// ending signal restores the terminal and ends the process.
private func onConsoleSignal(_ number: Int32) {
    if number == SIGTERM || number == SIGHUP || number == SIGINT {
        if consoleEndingSignals.add(1, ordering: .relaxed).newValue > 1 {
            restoreTerminalFromHandler()
            signal(number, SIG_DFL)
            raise(number)
            return
        }
    }
    var byte = UInt8(truncatingIfNeeded: number)
    if consoleSignalPipe >= 0 { _ = write(consoleSignalPipe, &byte, 1) }
}

/// A crash: the terminal back, then the signal's own action (a core dump, a trap report).
private func onConsoleCrash(_ number: Int32) {
    restoreTerminalFromHandler()
    signal(number, SIG_DFL)
    raise(number)
}

/// Async-signal-safe: `write` and `tcsetattr` only.
private func restoreTerminalFromHandler() {
    guard consoleIsActive.exchange(0, ordering: .relaxed) == 1 else { return }
    let leave: StaticString = "\u{1B}[?7h\u{1B}[0m\u{1B}[?25h\u{1B}[?1049l"
    _ = write(STDOUT_FILENO, leave.utf8Start, leave.utf8CodeUnitCount)
    _ = tcsetattr(STDIN_FILENO, TCSAFLUSH, &consoleSavedSettings)
}
