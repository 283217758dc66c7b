/// Rows of cells laid out in aligned columns for a terminal or a pager.
///
/// The last column is not padded; with a width limit it is cut to fit (never below a
/// readable minimum). Styles are applied after alignment, so colour codes never disturb it.
struct TextTable {
    struct Column {
        let title: String
        var alignRight = false
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
    private(set) var rows: [[Cell]] = []
    /// The widths used so far; they only grow, so blocks of a long listing stay aligned.
    private(set) var widths: [Int]

    init(columns: [Column]) {
        self.columns = columns
        widths = columns.map { DisplayText.width($0.title) }
    }

    mutating func append(_ row: [Cell]) {
        rows.append(row)
    }

    /// Renders the header (when asked) and the rows appended since the last render, then
    /// forgets those rows.
    mutating func render(header: Bool, maxWidth: Int?, style: TextStyle) -> String {
        for row in rows {
            for (index, cell) in row.enumerated() where index < widths.count - 1 {
                widths[index] = max(widths[index], DisplayText.width(cell.text))
            }
        }
        var output = ""
        let separator = "  "
        let fixedWidth = widths.dropLast().reduce(0) { $0 + $1 + separator.count }
        let lastWidth = maxWidth.map { max(16, $0 - fixedWidth) }
        func line(_ cells: [Cell], isHeader: Bool) {
            var parts: [String] = []
            for (index, cell) in cells.enumerated() {
                let isLast = index == cells.count - 1
                var text = cell.text
                if isLast {
                    if let lastWidth { text = DisplayText.truncated(text, toColumns: lastWidth) }
                } else {
                    text = DisplayText.padded(text, toColumns: widths[index], alignRight: columns[index].alignRight)
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
}
