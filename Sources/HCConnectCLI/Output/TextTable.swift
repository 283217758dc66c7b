/// Rows of cells laid out in aligned columns for a terminal or a pager.
///
/// The last column is not padded. With a width limit every line fits it: while the columns
/// would leave the last one less than ``lastMinimum``, the table's ``FitStep``s are taken
/// in order — a column dropped, or narrowed (its cells cut with `…`) — and the last column
/// gets the room that is left, cut to fit. What was dropped or narrowed stays so for the
/// rest of a streamed listing, so its blocks stay aligned; ``droppedTitles`` names what was
/// dropped. Styles are applied after alignment, so colour codes never disturb it.
struct TextTable {
    struct Column {
        let title: String
        var alignRight = false
    }

    /// One way to make the table narrower, by the column's title.
    enum FitStep {
        case drop(String)
        case narrow(String, to: Int)
    }

    struct Cell {
        let text: String
        /// Applied to the padded text (colour).
        var style: ((String) -> String)?

        init(_ text: String, style: ((String) -> String)? = nil) {
            self.text = DisplayText.sanitized(text)
            self.style = style
        }
    }

    let columns: [Column]
    /// How to fit a width, in order.
    let fitSteps: [FitStep]
    /// The least room the last column keeps before a step is taken.
    let lastMinimum: Int
    private(set) var rows: [[Cell]] = []
    /// The widths used so far; they only grow, so blocks of a long listing stay aligned.
    private(set) var widths: [Int]
    /// Columns dropped to fit the width.
    private var dropped: Set<Int> = []
    /// Columns narrowed to fit: the width they are cut to.
    private var narrowed: [Int: Int] = [:]

    init(columns: [Column], fitSteps: [FitStep] = [], lastMinimum: Int = 16) {
        self.columns = columns
        self.fitSteps = fitSteps
        self.lastMinimum = lastMinimum
        widths = columns.map { DisplayText.width($0.title) }
    }

    /// The titles of the columns dropped to fit the width so far, in the table's order.
    var droppedTitles: [String] { columns.indices.filter { dropped.contains($0) }.map { columns[$0].title } }

    mutating func append(_ row: [Cell]) {
        rows.append(row)
    }

    /// Renders the header (when asked) and the rows appended since the last render, then
    /// forgets those rows.
    ///
    /// - Parameter maxWidth: The width every line must fit (a terminal's); nil for none.
    mutating func render(header: Bool, maxWidth: Int?, style: TextStyle) -> String {
        let last = columns.count - 1
        for row in rows {
            for (index, cell) in row.enumerated() where index < last {
                widths[index] = max(widths[index], DisplayText.width(cell.text))
            }
        }
        let separator = "  "
        var lastWidth: Int?
        if let maxWidth { lastWidth = fit(maxWidth, separator: separator.count) }
        var output = ""
        func line(_ cells: [Cell], isHeader: Bool) {
            var parts: [String] = []
            for (index, cell) in cells.enumerated() where !dropped.contains(index) {
                var text = cell.text
                if index == last {
                    if let lastWidth { text = DisplayText.truncated(text, toColumns: lastWidth) }
                } else {
                    let width = width(of: index)
                    text = DisplayText.padded(
                        DisplayText.truncated(text, toColumns: width), toColumns: width, alignRight: columns[index].alignRight)
                }
                if isHeader {
                    text = style.bold(text)
                } else if let cellStyle = cell.style {
                    text = cellStyle(text)
                }
                parts.append(text)
            }
            var joined = parts.joined(separator: separator)
            while joined.hasSuffix(" ") { joined.removeLast() }
            output += joined + "\n"
        }
        if header { line(columns.map { Cell($0.title) }, isHeader: true) }
        for row in rows { line(row, isHeader: false) }
        rows.removeAll(keepingCapacity: true)
        return output
    }

    /// A column's width as drawn: its widest cell, or less when narrowed.
    private func width(of index: Int) -> Int {
        narrowed[index].map { min($0, widths[index]) } ?? widths[index]
    }

    /// Takes the fit steps in order until the last column keeps its minimum within
    /// `maxWidth`; returns the width left for the last column.
    private mutating func fit(_ maxWidth: Int, separator: Int) -> Int {
        let last = columns.count - 1
        func fixed() -> Int {
            columns.indices.filter { $0 != last && !dropped.contains($0) }.reduce(0) { $0 + width(of: $1) + separator }
        }
        // an empty last column (lastMinimum 0) only keeps the others from being padded: the
        // separator before it is trimmed
        func needed() -> Int { fixed() + (lastMinimum > 0 ? lastMinimum : -separator) }
        for step in fitSteps where needed() > maxWidth {
            switch step {
            case .drop(let title):
                if let index = columns.firstIndex(where: { $0.title == title }), index != last { dropped.insert(index) }
            case .narrow(let title, let minimum):
                guard let index = columns.firstIndex(where: { $0.title == title }), index != last,
                    !dropped.contains(index)
                else { continue }
                let excess = needed() - maxWidth
                narrowed[index] = max(minimum, width(of: index) - excess)
            }
        }
        return max(1, maxWidth - fixed())
    }
}
