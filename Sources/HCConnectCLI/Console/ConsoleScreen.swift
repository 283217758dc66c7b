/// What the console shows, cell by cell: the frame a view draws into, and the difference
/// between two frames as the bytes that turn one into the other (only the rows that
/// changed are written).
struct ConsoleScreen: Equatable {
    /// How a cell is drawn: SGR attributes.
    struct Style: Equatable {
        var foreground: UInt8?
        var bold = false
        var dim = false
        var reverse = false
        var underline = false

        static let plain = Style()
        static let reverse = Style(reverse: true)
        static let bold = Style(bold: true)
        static let dim = Style(dim: true)

        /// The SGR sequence that sets exactly this style from the default.
        var sequence: String {
            var codes = ["0"]
            if bold { codes.append("1") }
            if dim { codes.append("2") }
            if underline { codes.append("4") }
            if reverse { codes.append("7") }
            if let foreground { codes.append(String(foreground)) }
            return "\u{1B}[" + codes.joined(separator: ";") + "m"
        }
    }

    /// One character cell: a character (a grapheme) and its style. A wide character takes
    /// its cell and the next, which holds an empty string.
    struct Cell: Equatable {
        var text: String
        var style: Style

        static let blank = Cell(text: " ", style: .plain)
    }

    let columns: Int
    let rows: Int
    /// Whether colours are written (hcconnect's rules: not with NO_COLOR or --no-color).
    /// Bold, dim and reverse video are not colours: the cursor's line stays visible.
    let showsColors: Bool
    private(set) var cells: [[Cell]]

    init(columns: Int, rows: Int, showsColors: Bool = true) {
        self.columns = max(1, columns)
        self.rows = max(1, rows)
        self.showsColors = showsColors
        cells = Array(repeating: Array(repeating: .blank, count: self.columns), count: self.rows)
    }

    /// The text of a row, for tests and the text capture (wide characters once).
    func text(ofRow row: Int) -> String {
        cells[row].map(\.text).joined()
    }

    /// Every row's text, trailing spaces removed.
    var lines: [String] {
        (0..<rows).map { row in
            var line = text(ofRow: row)
            while line.hasSuffix(" ") { line.removeLast() }
            return line
        }
    }

    /// Writes `text` at `row`, `column`, in at most `width` columns (to the right edge when
    /// nil), and returns the column after it. SGR colour codes in the text (``TextStyle``'s)
    /// style the characters after them, on top of `style`; other control characters are
    /// shown harmless (``DisplayText/sanitized(_:markLineBreaks:)``). A wide character that
    /// does not fit whole leaves its columns blank.
    @discardableResult
    mutating func put(_ text: String, row: Int, column: Int, width: Int? = nil, style: Style = .plain) -> Int {
        guard row >= 0, row < rows, column < columns else { return column }
        let limit = min(columns, column + (width ?? columns))
        var position = max(0, column)
        var current = style
        for segment in Self.segments(text) {
            switch segment {
            case .codes(let codes): current = Self.applying(codes, to: current, base: style)
            case .text(let part):
                for character in DisplayText.sanitized(part) {
                    let characterWidth = DisplayText.width(String(character))
                    if characterWidth == 0 {
                        // a combining mark joins the character before it
                        if position > column { cells[row][position - 1].text.append(character) }
                        continue
                    }
                    guard position + characterWidth <= limit else {
                        while position < limit {
                            cells[row][position] = Cell(text: " ", style: current)
                            position += 1
                        }
                        return position
                    }
                    cells[row][position] = Cell(text: String(character), style: current)
                    if characterWidth == 2 { cells[row][position + 1] = Cell(text: "", style: current) }
                    position += characterWidth
                }
            }
        }
        return position
    }

    /// Paints `width` columns of `row` from `column` with `style` (a highlighted line), and
    /// keeps their text.
    mutating func highlight(row: Int, column: Int = 0, width: Int? = nil, style: Style) {
        guard row >= 0, row < rows else { return }
        for position in max(0, column)..<min(columns, column + (width ?? columns)) {
            var merged = cells[row][position].style
            merged.reverse = merged.reverse || style.reverse
            merged.bold = merged.bold || style.bold
            merged.underline = merged.underline || style.underline
            if let foreground = style.foreground { merged.foreground = foreground }
            cells[row][position].style = merged
        }
    }

    /// Blank cells over a rectangle (a dialog's background).
    mutating func clear(row: Int, column: Int, width: Int, height: Int, style: Style = .plain) {
        for line in max(0, row)..<min(rows, row + height) {
            for position in max(0, column)..<min(columns, column + width) {
                cells[line][position] = Cell(text: " ", style: style)
            }
        }
    }

    // MARK: - Output

    /// The bytes that turn `previous` into this screen on the terminal: every row when there
    /// is no previous frame (or it had another size), else the rows that differ.
    func update(from previous: ConsoleScreen?) -> [UInt8] {
        var output = ""
        let everything = previous == nil || previous!.columns != columns || previous!.rows != rows
        if everything { output += "\u{1B}[0m\u{1B}[2J" }
        var style: Style? = nil
        for row in 0..<rows where everything || previous!.cells[row] != cells[row] {
            output += "\u{1B}[\(row + 1);1H"
            for cell in cells[row] where !cell.text.isEmpty {
                var cellStyle = cell.style
                if !showsColors { cellStyle.foreground = nil }
                if cellStyle != style {
                    output += cellStyle.sequence
                    style = cellStyle
                }
                output += cell.text
            }
        }
        if style != nil { output += "\u{1B}[0m" }
        return Array(output.utf8)
    }

    // MARK: - Reading TextStyle's codes

    private enum Segment {
        case text(String)
        case codes([Int])
    }

    /// The text split at `ESC [ … m` sequences.
    private static func segments(_ text: String) -> [Segment] {
        guard text.utf8.contains(0x1B) else { return [.text(text)] }
        var result: [Segment] = []
        var scalars = Array(text.unicodeScalars)[...]
        var plain = String.UnicodeScalarView()
        while let scalar = scalars.first {
            scalars = scalars.dropFirst()
            guard scalar == "\u{1B}", scalars.first == "[" else {
                plain.append(scalar)
                continue
            }
            let body = scalars.dropFirst().prefix { ("0"..."9").contains($0) || $0 == ";" }
            let rest = scalars.dropFirst(1 + body.count)
            guard rest.first == "m" else {
                plain.append(scalar)
                continue
            }
            if !plain.isEmpty {
                result.append(.text(String(plain)))
                plain = String.UnicodeScalarView()
            }
            let codes = String(String.UnicodeScalarView(body)).split(separator: ";").compactMap { Int($0) }
            result.append(.codes(codes.isEmpty ? [0] : codes))
            scalars = rest.dropFirst()
        }
        if !plain.isEmpty { result.append(.text(String(plain))) }
        return result
    }

    private static func applying(_ codes: [Int], to style: Style, base: Style) -> Style {
        var style = style
        for code in codes {
            switch code {
            case 0: style = base
            case 1: style.bold = true
            case 2: style.dim = true
            case 4: style.underline = true
            case 7: style.reverse = true
            case 22: (style.bold, style.dim) = (false, false)
            case 30...37, 90...97: style.foreground = UInt8(code)
            case 39: style.foreground = base.foreground
            default: break
            }
        }
        return style
    }
}
