/// Text as it appears in a terminal: width in columns, control characters made harmless.
enum DisplayText {
    /// The text with control characters replaced, so data can never move the cursor or
    /// change the terminal: line breaks and tabs become spaces (or `⏎` markers with
    /// `markLineBreaks`), other control characters U+FFFD.
    static func sanitized(_ text: String, markLineBreaks: Bool = false) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var result = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": result.append(contentsOf: (markLineBreaks ? "⏎ " : " ").unicodeScalars)
            case "\r": if !markLineBreaks { result.append(" ") }
            case "\t": result.append(" ")
            case _ where isControl(scalar): result.append("\u{FFFD}")
            default: result.append(scalar)
            }
        }
        return String(result)
    }

    /// C0 and C1 control characters, and the bidirectional embeddings, overrides and
    /// isolates (U+202A–U+202E, U+2066–U+2069), with which a value could make the text
    /// around it read backwards ("Trojan Source").
    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        return value < 0x20 || (0x7F...0x9F).contains(value) || (0x202A...0x202E).contains(value)
            || (0x2066...0x2069).contains(value)
    }

    /// The number of terminal columns the text takes: wide East Asian characters and
    /// emoji count two, combining marks and format characters none.
    /// Colour codes (`ESC [ ... m`, which data never holds: ``sanitized(_:markLineBreaks:)``
    /// replaces ESC) take no columns.
    static func width(_ text: String) -> Int {
        if text.utf8.allSatisfy({ $0 < 0x80 && $0 != 0x1B }) { return text.utf8.count }
        var columns = 0
        var inEscape = false
        for scalar in text.unicodeScalars {
            if inEscape {
                if scalar == "m" { inEscape = false }
                continue
            }
            if scalar == "\u{1B}" {
                inEscape = true
                continue
            }
            columns += width(of: scalar)
        }
        return columns
    }

    static func width(of scalar: Unicode.Scalar) -> Int {
        let value = scalar.value
        if value < 0x300 { return 1 }
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .enclosingMark, .format: return 0
        default: break
        }
        let wideRanges: [ClosedRange<UInt32>] = [
            0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF,
            0xA000...0xA4CF, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60,
            0xFFE0...0xFFE6, 0x1F300...0x1F64F, 0x1F900...0x1F9FF, 0x20000...0x3FFFD,
        ]
        return wideRanges.contains { $0.contains(value) } ? 2 : 1
    }

    /// The text cut to at most `columns` terminal columns, ending in `…` when cut.
    static func truncated(_ text: String, toColumns columns: Int) -> String {
        guard width(text) > columns else { return text }
        guard columns > 1 else { return columns == 1 ? "…" : "" }
        var result = ""
        var used = 0
        for character in text {
            let characterWidth = character.unicodeScalars.reduce(0) { $0 + width(of: $1) }
            if used + characterWidth > columns - 1 { break }
            result.append(character)
            used += characterWidth
        }
        return result + "…"
    }

    /// The text padded with spaces to `columns` terminal columns.
    static func padded(_ text: String, toColumns columns: Int, alignRight: Bool = false) -> String {
        let padding = String(repeating: " ", count: max(0, columns - width(text)))
        return alignRight ? padding + text : text + padding
    }

    /// The text cut or padded to exactly `columns` terminal columns.
    static func fit(_ text: String, _ columns: Int) -> String {
        padded(truncated(text, toColumns: columns), toColumns: columns)
    }

    /// The text broken at spaces into lines of at most `width` terminal columns: the first
    /// line starts with `indent`, the others with `continuation`. A word longer than a line
    /// is broken where the line ends. Plain text only (colour codes would count as columns).
    static func wrapped(_ text: String, width: Int, indent: String = "", continuation: String = "") -> [String] {
        if self.width(indent) + self.width(text) <= width { return [indent + text] }
        var lines: [String] = []
        var line = indent
        var lineWidth = self.width(indent)
        var hasWord = false
        for word in text.split(separator: " ", omittingEmptySubsequences: true) {
            var word = String(word)
            var wordWidth = self.width(word)
            if hasWord, lineWidth + 1 + wordWidth > width {
                lines.append(line)
                line = continuation
                lineWidth = self.width(continuation)
                hasWord = false
            }
            // at the start of a line, a word wider than the line is cut where the line ends
            while !hasWord, lineWidth + wordWidth > width, lineWidth < width {
                let piece = truncatedPrefix(word, toColumns: width - lineWidth)
                guard !piece.isEmpty else { break }
                lines.append(line + piece)
                word.removeFirst(piece.count)
                wordWidth = self.width(word)
                line = continuation
                lineWidth = self.width(continuation)
            }
            if word.isEmpty { continue }
            if hasWord {
                line += " "
                lineWidth += 1
            }
            line += word
            lineWidth += wordWidth
            hasWord = true
        }
        if hasWord || lines.isEmpty { lines.append(line) }
        return lines
    }

    /// The longest start of `text` that fits in `columns` terminal columns.
    private static func truncatedPrefix(_ text: String, toColumns columns: Int) -> String {
        var result = ""
        var used = 0
        for character in text {
            let characterWidth = character.unicodeScalars.reduce(0) { $0 + width(of: $1) }
            if used + characterWidth > columns { break }
            result.append(character)
            used += characterWidth
        }
        return result
    }
}
