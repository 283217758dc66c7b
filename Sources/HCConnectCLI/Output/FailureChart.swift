/// Counts per bucket drawn as text with Unicode block elements (`▁▂▃▄▅▆▇█`): a bar chart
/// of several rows with a scale and time labels, and a one-line sparkline. Pure functions of
/// the counts and the space given, for `trend` and the console.
enum FailureChart {
    /// The block elements from empty to full, one eighth of a row each.
    static let eighths: [Character] = [" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]

    /// A bar chart of `counts` (oldest first) in at most `width` columns and `height` rows
    /// of bars, followed by the x axis and a line of labels:
    ///
    /// ```
    /// 12 ┤      █
    ///    │   ▃  █
    ///    │▁  █  █  ▅
    ///  0 └──────────────
    ///     18:00    21:00
    /// ```
    ///
    /// The scale on the left is the largest column's count (1 when every count is 0, so an
    /// empty window draws an empty chart); a bar's height is its count in eighths of a row,
    /// at least one eighth for any count above 0, so a single failure stays visible.
    ///
    /// When there are more buckets than columns, consecutive buckets are added up into one
    /// column (the fewest per column that fit); when there are fewer, each bucket's bar is
    /// widened, with one blank column between bars once they are two columns wide.
    ///
    /// - Parameters:
    ///   - counts: The value of each bucket, oldest first; negative values count as 0.
    ///   - labels: The label of each bucket (its time: `18:00`, `12-05`), as many as
    ///     `counts`, or none. Labels are placed under their bucket's column, every so many
    ///     buckets, the same number apart, as many as fit without touching.
    ///   - width: The columns the lines may take (at least the scale, the axis and one column).
    ///   - height: The rows of bars (at least 1).
    /// - Returns: `height + 2` lines (bars, axis, labels), none wider than `width`; the label
    ///   line is empty without labels.
    static func lines(_ counts: [Int], labels: [String] = [], width: Int, height: Int) -> [String] {
        let height = max(1, height)
        let values = counts.map { max(0, $0) }
        // the scale's label takes columns from the bars, and adding buckets up can make it
        // longer: start from the largest bucket's, and widen until the largest column's fits
        var labelWidth = DisplayText.width(ReadableFigure.count(max(1, values.max() ?? 0)))
        var layout: Layout
        var columns: [Int]
        var scale: Int
        repeat {
            layout = Layout(buckets: values.count, columns: width - labelWidth - 2)
            columns = layout.columnValues(values)
            scale = max(1, columns.max() ?? 0)
            let needed = DisplayText.width(ReadableFigure.count(scale))
            if needed <= labelWidth { break }
            labelWidth = needed
        } while true
        let scaleLabel = ReadableFigure.count(scale)

        var lines: [String] = []
        for row in (0..<height).reversed() {
            var line = row == height - 1
                ? DisplayText.padded(scaleLabel, toColumns: labelWidth, alignRight: true) + " ┤"
                : String(repeating: " ", count: labelWidth) + " │"
            for (index, value) in columns.enumerated() {
                let filled = eighthsFilled(value, scale: scale, rows: height)
                let cell = eighths[min(8, max(0, filled - row * 8))]
                line += String(repeating: cell, count: layout.barWidth)
                if index < columns.count - 1 { line += String(repeating: " ", count: layout.gap) }
            }
            lines.append(trimmedTrailingSpaces(line))
        }
        let plotted = columns.count * layout.barWidth + max(0, columns.count - 1) * layout.gap
        lines.append(DisplayText.padded("0", toColumns: labelWidth, alignRight: true) + " └"
            + String(repeating: "─", count: max(1, plotted)))
        lines.append(labelLine(labels, layout: layout, indent: labelWidth + 2, width: width))
        return lines
    }

    /// A one-line chart of `counts`, one character per bucket: blank for 0, else `▁` to `█`
    /// in proportion to `scale` (the largest count by default; give several sparklines the
    /// same scale to compare them). With more buckets than `width`, consecutive buckets are
    /// added up into one character; the line is never wider than `width` characters.
    static func sparkline(_ counts: [Int], width: Int? = nil, scale: Int? = nil) -> String {
        let values = counts.map { max(0, $0) }
        let columns = width.map { Layout(buckets: values.count, columns: max(1, $0)).columnValues(values) } ?? values
        let top = max(1, scale ?? columns.max() ?? 0)
        return String(columns.map { value in
            value == 0 ? eighths[0] : eighths[min(8, max(1, (value * 8 + top - 1) / top))]
        })
    }

    /// How many eighths of a row a value fills in a chart `rows` high: rounded, and at least
    /// one for a value above 0.
    static func eighthsFilled(_ value: Int, scale: Int, rows: Int) -> Int {
        guard value > 0 else { return 0 }
        let total = rows * 8
        return min(total, max(1, Int((Double(value) / Double(scale) * Double(total)).rounded())))
    }

    /// How buckets map to the columns of a chart.
    struct Layout: Equatable {
        /// Buckets added up into one column (1 unless there are more buckets than columns).
        let bucketsPerColumn: Int
        /// Columns each bar takes.
        let barWidth: Int
        /// Blank columns between bars.
        let gap: Int

        init(buckets: Int, columns: Int) {
            let columns = max(1, columns)
            if buckets > columns {
                bucketsPerColumn = (buckets + columns - 1) / columns
                barWidth = 1
                gap = 0
            } else {
                // each bucket gets the same share of the columns; from two columns on, one
                // is a gap, so that neighbouring bars stay apart
                let share = columns / max(1, buckets)
                bucketsPerColumn = 1
                barWidth = share >= 2 ? share - 1 : 1
                gap = share >= 2 ? 1 : 0
            }
        }

        /// The value of each column: the sum of its buckets.
        func columnValues(_ values: [Int]) -> [Int] {
            stride(from: 0, to: values.count, by: bucketsPerColumn).map { start in
                values[start..<min(values.count, start + bucketsPerColumn)].reduce(0, +)
            }
        }

        /// The first column of the bar of a bucket's column.
        func offset(ofColumn column: Int) -> Int { column * (barWidth + gap) }
    }

    /// The time labels under the bars: every `stride` columns from the first, `stride` the
    /// smallest that keeps two labels at least one column apart; a label that would pass
    /// `width` is left out.
    private static func labelLine(_ labels: [String], layout: Layout, indent: Int, width: Int) -> String {
        guard !labels.isEmpty else { return "" }
        let columnLabels = stride(from: 0, to: labels.count, by: layout.bucketsPerColumn).map {
            DisplayText.sanitized(labels[$0])
        }
        let widest = columnLabels.map(DisplayText.width).max() ?? 0
        guard widest > 0 else { return "" }
        let pitch = layout.barWidth + layout.gap
        let stride = max(1, (widest + 1 + pitch - 1) / pitch)
        var line = String(repeating: " ", count: indent)
        var used = indent
        for column in Swift.stride(from: 0, to: columnLabels.count, by: stride) {
            let label = columnLabels[column]
            let start = indent + layout.offset(ofColumn: column)
            let labelWidth = DisplayText.width(label)
            guard start >= used, start + labelWidth <= width else { continue }
            line += String(repeating: " ", count: start - used) + label
            used = start + labelWidth
        }
        return trimmedTrailingSpaces(line)
    }

    private static func trimmedTrailingSpaces(_ line: String) -> String {
        var line = line
        while line.last == " " { line.removeLast() }
        return line
    }
}
