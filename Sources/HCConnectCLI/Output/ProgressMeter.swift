import HerokuConnect

/// One line of progress on standard error while bulk work runs — count, rate and an
/// estimate of the time left — redrawn in place on a terminal, and nothing at all
/// otherwise (nor with `--verbose`, whose event lines would tear it).
struct ProgressMeter {
    private let errors: OutputChannel
    private let label: String
    private let total: Int?
    private let noun: String
    let isEnabled: Bool
    private let start = ContinuousClock.now
    private var lastDrawn: ContinuousClock.Instant?
    private var drawn = false

    /// - Parameters:
    ///   - label: What is being done ("retry", "export").
    ///   - total: How many in all, when known.
    ///   - noun: What is counted, plural ("entries").
    init(errors: OutputChannel, label: String, total: Int?, noun: String = "entries", isEnabled: Bool) {
        self.errors = errors
        self.label = label
        self.total = total
        self.noun = noun
        self.isEnabled = isEnabled && errors.isTerminal
    }

    /// How long work runs before progress shows: a quick run leaves no trace.
    static let delay: Duration = .milliseconds(500)

    /// Shows `done` so far, once the work has run for ``delay``; redraws at most ten times
    /// a second.
    mutating func update(_ done: Int) {
        guard isEnabled else { return }
        let now = ContinuousClock.now
        guard now - start >= Self.delay else { return }
        if let lastDrawn, now - lastDrawn < .milliseconds(100), done != total { return }
        lastDrawn = now
        var line = "\(label): \(ReadableFigure.count(done))"
        if let total, total > 0 {
            line += " of \(ReadableFigure.count(total)) \(noun) (\(done * 100 / total)%)"
        } else {
            line += " \(noun)"
        }
        let elapsed = Self.seconds(now - start)
        if done > 0 {
            let rate = Double(done) / elapsed
            line += ", \(ReadableFigure.count(Int(rate.rounded())))/s"
            if let total, total > done, rate > 0 {
                line += ", about \(ReadableFigure.age(seconds: Double(total - done) / rate)) left"
            }
        }
        if let columns = errors.columns, line.count >= columns { line = String(line.prefix(columns - 1)) }
        errors.write("\r\u{1B}[K" + line)
        errors.flush()
        drawn = true
    }

    /// Clears the line, so that what follows starts on a clean one.
    mutating func finish() {
        guard drawn else { return }
        errors.write("\r\u{1B}[K")
        errors.flush()
        drawn = false
    }

    static func seconds(_ duration: Duration) -> Double {
        duration.inSeconds
    }
}
