/// How results are written to standard output.
enum OutputFormat: String, Sendable, CaseIterable {
    /// Aligned columns for people.
    case table
    /// One JSON object per line.
    case json
    /// RFC 4180 CSV with a header.
    case csv
    /// One id per line, for piping into later commands.
    case ids
    /// Prometheus' text exposition format (for node-exporter's textfile collector): only
    /// `check` writes it; other commands refuse it through their `formats`.
    case prometheus
}
