/// Writes metrics in Prometheus' text exposition format (version 0.0.4), as
/// node-exporter's textfile collector reads them.
///
/// Each metric family is written whole, once: its `# HELP` and `# TYPE` lines, then all
/// its samples. Label values are escaped (backslash, double quote, line feed), HELP text
/// too (backslash, line feed). A family without samples is left out entirely.
struct PrometheusWriter {
    /// One sample: its labels in order, and its value.
    struct Sample {
        let labels: [(name: String, value: String)]
        let value: Double

        init(_ labels: [(name: String, value: String)], _ value: Double) {
            self.labels = labels
            self.value = value
        }
    }

    /// The text written so far.
    private(set) var text = ""
    private var written: Set<String> = []

    /// Writes a gauge family and its samples.
    ///
    /// - Precondition: `name` and the label names are valid Prometheus names, and the
    ///   family was not written before (a family must not be split).
    mutating func gauge(_ name: String, help: String, _ samples: [Sample]) {
        precondition(Self.isMetricName(name), "not a metric name: \(name)")
        precondition(written.insert(name).inserted, "metric family written twice: \(name)")
        guard !samples.isEmpty else { return }
        text += "# HELP \(name) \(Self.escapedHelp(help))\n"
        text += "# TYPE \(name) gauge\n"
        for sample in samples {
            text += name
            if !sample.labels.isEmpty {
                let labels = sample.labels.map { label -> String in
                    precondition(Self.isLabelName(label.name), "not a label name: \(label.name)")
                    return label.name + "=\"" + Self.escapedLabelValue(label.value) + "\""
                }
                text += "{" + labels.joined(separator: ",") + "}"
            }
            text += " " + Self.value(sample.value) + "\n"
        }
    }

    /// A label value with `\`, `"` and line feeds escaped.
    static func escapedLabelValue(_ value: String) -> String {
        escaped(value, quotes: true)
    }

    /// HELP text with `\` and line feeds escaped (the format leaves its quotes alone).
    static func escapedHelp(_ text: String) -> String {
        escaped(text, quotes: false)
    }

    private static func escaped(_ text: String, quotes: Bool) -> String {
        var result = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": result += "\\\\"
            case "\"" where quotes: result += "\\\""
            case "\n": result += "\\n"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// A value as the format writes it: whole numbers without a fraction, `NaN`, `+Inf`, `-Inf`.
    static func value(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }

    /// `[a-zA-Z_:][a-zA-Z0-9_:]*`.
    static func isMetricName(_ name: String) -> Bool {
        isName(name, extra: UInt8(ascii: ":"))
    }

    /// `[a-zA-Z_][a-zA-Z0-9_]*`, not starting with `__` (reserved).
    static func isLabelName(_ name: String) -> Bool {
        isName(name, extra: nil) && !name.hasPrefix("__")
    }

    private static func isName(_ name: String, extra: UInt8?) -> Bool {
        let bytes = Array(name.utf8)
        guard let first = bytes.first else { return false }
        func isLetter(_ byte: UInt8) -> Bool {
            (65...90).contains(byte) || (97...122).contains(byte) || byte == UInt8(ascii: "_") || byte == extra
        }
        return isLetter(first) && bytes.allSatisfy { isLetter($0) || (48...57).contains($0) }
    }
}
