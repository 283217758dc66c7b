#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A buffered text output: standard output, standard error, or memory (for tests).
///
/// Knows whether it is a terminal and how wide, which decides the table layout, colour and
/// the row limit for people.
public final class OutputChannel {
    private enum Destination {
        case fileDescriptor(Int32)
        case memory
    }

    private let destination: Destination
    private var buffer = ByteBuffer(capacity: 1 << 16)
    private var captured: [UInt8] = []
    private let bufferLimit: Int
    /// True when a person is reading (a TTY).
    public let isTerminal: Bool
    /// The terminal's width in columns, when it is a terminal: `COLUMNS`, else what the
    /// terminal says.
    public let columns: Int?
    /// The width tables must fit: a terminal's (80 when it does not say); set for a pipe
    /// when a person asked for `--format table` (``fitTables(environment:)``); nil: none.
    /// The `errno` of the first write that failed (a full disk, a closed pipe); nil while
    /// every write has succeeded. What failed to be written is dropped.
    public private(set) var writeError: Int32?
    /// True once anything was written (or buffered).
    public var hasWritten: Bool { flushedAny || !buffer.isEmpty }
    private var flushedAny = false
    /// True once a write failed because the reader went away (EPIPE: `| head -1` exited).
    public var readerClosed: Bool { writeError == EPIPE }

    /// An output writing to a file descriptor; terminal and width are asked of the system
    /// (`isatty`, `TIOCGWINSZ`, else `COLUMNS`) unless given.
    public init(fileDescriptor: Int32, environment: [String: String] = [:]) {
        destination = .fileDescriptor(fileDescriptor)
        isTerminal = isatty(fileDescriptor) == 1
        bufferLimit = isTerminal ? 1 << 12 : 1 << 16
        columns = isTerminal ? Self.terminalWidth(fileDescriptor, environment: environment) : nil
        tableWidth = isTerminal ? columns ?? 80 : nil
    }

    public private(set) var tableWidth: Int?

    /// Makes tables fit `COLUMNS`, else 80 columns, also when this output is not a terminal
    /// (`--format table` asked for in a pipe: a person will read it).
    public func fitTables(environment: [String: String]) {
        guard tableWidth == nil else { return }
        tableWidth = Self.environmentWidth(environment) ?? 80
    }

    /// An output that collects what is written, for tests; ``text`` returns it.
    public init(memoryAsTerminal isTerminal: Bool = false, columns: Int? = nil) {
        destination = .memory
        self.isTerminal = isTerminal
        self.columns = columns
        tableWidth = isTerminal ? columns ?? 80 : nil
        bufferLimit = 1 << 16
    }

    deinit { flush() }

    /// Everything written so far (memory outputs only).
    public var text: String {
        flush()
        return String(decoding: captured, as: UTF8.self)
    }

    /// Writes text.
    public func write(_ text: String) {
        buffer.append(utf8: text)
        if buffer.count >= bufferLimit { flush() }
    }

    /// Writes text and a newline.
    public func line(_ text: String = "") {
        write(text)
        buffer.append(10)
        if buffer.count >= bufferLimit { flush() }
    }

    /// Writes bytes as they are.
    public func write(bytes: some Sequence<UInt8>) {
        buffer.append(contentsOf: bytes)
        if buffer.count >= bufferLimit { flush() }
    }

    /// Lets `body` append bytes straight to the buffer (no copy of a row in between).
    func append(_ body: (inout ByteBuffer) throws -> Void) rethrows {
        try body(&buffer)
        if buffer.count >= bufferLimit { flush() }
    }

    /// Sends the buffered bytes on.
    public func flush() {
        guard !buffer.isEmpty else { return }
        flushedAny = true
        switch destination {
        case .memory:
            buffer.withBytes { captured.append(contentsOf: $0) }
        case .fileDescriptor(let descriptor):
            buffer.withBytes { bytes in
                var offset = 0
                while offset < bytes.count {
                    let written = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                    if written < 0 {
                        if errno == EINTR { continue }
                        if writeError == nil { writeError = errno }
                        return
                    }
                    offset += written
                }
            }
        }
        buffer.removeAll()
    }

    /// Flushes, and when the output is a regular file, has the system write it to disk
    /// (`fsync`), so that a step taken after it (saving a checkpoint) never gets ahead of
    /// the data.
    ///
    /// - Returns: The `errno` of the first failed write or of `fsync`, or nil.
    public func flushToDisk() -> Int32? {
        flush()
        if writeError != nil { return writeError }
        guard case .fileDescriptor(let descriptor) = destination else { return nil }
        var status = stat()
        guard fstat(descriptor, &status) == 0, status.st_mode & S_IFMT == S_IFREG else { return nil }
        while fsync(descriptor) != 0 {
            if errno == EINTR { continue }
            writeError = errno
            return errno
        }
        return nil
    }

    private static func terminalWidth(_ descriptor: Int32, environment: [String: String]) -> Int? {
        if let width = environmentWidth(environment) { return width }
        var size = winsize()
        if ioctl(descriptor, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 {
            return Int(size.ws_col)
        }
        return nil
    }

    /// `COLUMNS`, when it is a width (20 to 10,000 columns).
    private static func environmentWidth(_ environment: [String: String]) -> Int? {
        environment["COLUMNS"].flatMap { Int($0.trimmingWhitespace()) }.flatMap { (20...10_000).contains($0) ? $0 : nil }
    }
}

/// Standard input: ids read as lines (for `-` arguments), or a person's answer to a prompt.
public final class InputChannel {
    /// Reads the next chunk; empty at the end.
    private let readChunk: () -> [UInt8]
    private var buffer: [UInt8] = []
    private var atEnd = false
    /// True when a person is typing (a TTY).
    public let isTerminal: Bool

    /// Standard input of the process.
    public static func standardInput() -> InputChannel {
        InputChannel(isTerminal: isatty(0) == 1) {
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                let count = chunk.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
                if count < 0, errno == EINTR { continue }
                return count > 0 ? Array(chunk[0..<count]) : []
            }
        }
    }

    /// Input from a string, for tests.
    public init(text: String, isTerminal: Bool = false) {
        self.isTerminal = isTerminal
        var remaining = Array(text.utf8)
        self.readChunk = {
            defer { remaining = [] }
            return remaining
        }
    }

    private init(isTerminal: Bool, readChunk: @escaping () -> [UInt8]) {
        self.isTerminal = isTerminal
        self.readChunk = readChunk
    }

    /// Reads one line (without its line break); nil at the end of the input. On a terminal
    /// this returns as soon as the person presses return.
    public func readLine() -> String? {
        while !atEnd, !buffer.contains(UInt8(ascii: "\n")) {
            let chunk = readChunk()
            if chunk.isEmpty { atEnd = true } else { buffer += chunk }
        }
        guard !buffer.isEmpty else { return nil }
        let end = buffer.firstIndex(of: UInt8(ascii: "\n")) ?? buffer.endIndex
        var line = Array(buffer[..<end])
        buffer.removeSubrange(..<min(end + 1, buffer.endIndex))
        if line.last == UInt8(ascii: "\r") { line.removeLast() }
        return String(decoding: line, as: UTF8.self)
    }

    /// Reads everything that is left and splits it into lines.
    public func lines() -> [String] {
        var lines: [String] = []
        while let line = readLine() { lines.append(line) }
        return lines
    }
}
