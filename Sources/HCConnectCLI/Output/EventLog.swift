#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The event log that `--verbose` writes to standard error: one line per event (connection,
/// statement, retry, lock wait, batch, interruption), as text for people or, with
/// `--log-format json`, as one JSON object per line for log shippers.
///
/// Statements are logged by their SQL text and duration, never their parameter values,
/// which may be secrets (and the connection target is logged with its password masked).
final class EventLog {
    /// How the lines are written.
    enum Format: String, CaseIterable, Sendable {
        /// `hcconnect: <message>`, dimmed on a terminal.
        case text
        /// `{"time":"...","level":"...","event":"...","message":"...", ...}`.
        case json
    }

    /// A value of an event's field.
    enum Value {
        case string(String?)
        case int(Int?)
        case milliseconds(Duration)
        case bool(Bool)
    }

    /// True when events are written (`--verbose`).
    let isEnabled: Bool
    let format: Format
    private let errors: OutputChannel
    private let output: OutputChannel
    private let style: TextStyle

    init(isEnabled: Bool, format: Format, output: OutputChannel, errors: OutputChannel, style: TextStyle) {
        self.isEnabled = isEnabled
        self.format = format
        self.output = output
        self.errors = errors
        self.style = style
    }

    /// Writes an event, when the log is enabled. The message and fields are built only then.
    ///
    /// - Parameters:
    ///   - event: The event's kind: `connect`, `statement`, `retry`, `batch`, ...
    ///   - message: The line for people.
    ///   - fields: The figures, for the JSON form (the text form has them in `message`).
    func record(
        _ event: String, _ message: @autoclosure () -> String,
        _ fields: @autoclosure () -> KeyValuePairs<String, Value> = [:]
    ) {
        guard isEnabled else { return }
        write(event, level: "debug", message(), fields())
    }

    /// Writes a line that is always shown (a warning, the final error), in the log's format.
    func always(
        _ event: String, level: String, _ message: String, _ fields: KeyValuePairs<String, Value> = [:]
    ) {
        write(event, level: level, message, fields)
    }

    private func write(_ event: String, level: String, _ message: String, _ fields: KeyValuePairs<String, Value>) {
        output.flush()
        switch format {
        case .text:
            errors.line(level == "debug" ? style.dim("hcconnect: " + message) : "hcconnect: " + message)
        case .json:
            var object = JSONObjectWriter()
            object.add("time", Self.now())
            object.add("level", level)
            object.add("event", event)
            object.add("message", message)
            for (name, value) in fields {
                switch value {
                case .string(let text): object.add(name, text)
                case .int(let number): object.add(name, number)
                case .bool(let flag): object.add(name, flag)
                case .milliseconds(let duration): object.add(name, raw: Array(Self.milliseconds(duration).utf8))
                }
            }
            errors.write(bytes: object.finished())
            errors.line()
        }
        errors.flush()
    }

    /// A duration in milliseconds with up to three decimals, as JSON number text.
    static func milliseconds(_ duration: Duration) -> String {
        let micros = duration.inWholeMicroseconds
        let whole = micros / 1000
        let fraction = micros % 1000
        guard fraction != 0 else { return String(whole) }
        var digits = String(fraction)
        while digits.count < 3 { digits = "0" + digits }
        while digits.hasSuffix("0") { digits.removeLast() }
        return "\(whole).\(digits)"
    }

    /// The current time in UTC, ISO 8601 with milliseconds (`clock_gettime`, `gmtime_r`).
    static func now() -> String {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        var seconds = time.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(width - text.count, 0)) + text
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2))."
            + "\(pad(Int32(time.tv_nsec / 1_000_000), 3))Z"
    }
}
