import HerokuConnect

/// Terminal colours and emphasis, or plain text when colour is off.
///
/// Colour is on only when standard output is a terminal, `NO_COLOR` is not set, `TERM` is
/// not `dumb` and `--no-color` was not given.
struct TextStyle {
    let isEnabled: Bool

    static let plain = TextStyle(isEnabled: false)

    init(isEnabled: Bool) { self.isEnabled = isEnabled }

    /// Decides from the output and the environment.
    init(output: OutputChannel, environment: [String: String], noColorFlag: Bool) {
        let noColor = environment["NO_COLOR"].map { !$0.isEmpty } ?? false
        isEnabled = output.isTerminal && !noColor && environment["TERM"] != "dumb" && !noColorFlag
    }

    func bold(_ text: String) -> String { wrap(text, "1") }
    func dim(_ text: String) -> String { wrap(text, "2") }
    func red(_ text: String) -> String { wrap(text, "31") }
    func green(_ text: String) -> String { wrap(text, "32") }
    func yellow(_ text: String) -> String { wrap(text, "33") }
    func cyan(_ text: String) -> String { wrap(text, "36") }

    /// A state's name in the colour of its meaning: red for FAILED, yellow for waiting,
    /// green for done, dim for states that need no sync.
    func state(_ text: String, _ state: TriggerLogState?) -> String {
        switch state {
        case .failed: red(text)
        case .new, .pending, .requeue: yellow(text)
        case .success, .requeued: green(text)
        case .ignore, .ignored, .merged, .readOnly: dim(text)
        case .other, nil: text
        }
    }

    private func wrap(_ text: String, _ code: String) -> String {
        guard isEnabled, !text.isEmpty else { return text }
        return "\u{1B}[\(code)m\(text)\u{1B}[0m"
    }
}
