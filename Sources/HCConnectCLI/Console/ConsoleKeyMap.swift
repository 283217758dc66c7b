/// Every key of the console, in one table: the help screen (`?`), `hcconnect help console`
/// and the man page's CONSOLE section are made from it, so they cannot drift from what the
/// keys do (``ConsoleApp`` matches the same ``Binding`` values).
enum ConsoleKeyMap {
    /// What a key does.
    enum Binding: String, CaseIterable {
        case help, quit, back, open
        case down, up, pageDown, pageUp, top, bottom
        case overview, causes, entries, nextView, previousView
        case search, table, state, location, since, clearFilters, sort
        case mark, markAll, clearMarks
        case retry, ignore, captureUpdate, retryAll, ignoreAll
        case chartTable, chartDays
        case refresh, redraw, suspend
    }

    /// One line of the key list: the keys, what they do, and where.
    struct Line {
        let keys: [ConsoleKey]
        let binding: Binding
        let text: String
        let section: String
    }

    static let lines: [Line] = [
        Line(keys: [.character("?")], binding: .help, text: "this list of keys (/ searches it)", section: "Everywhere"),
        Line(keys: [.character("q")], binding: .quit, text: "quit (Ctrl-C too)", section: "Everywhere"),
        Line(keys: [.escape, .left, .character("h")], binding: .back, text: "back: close the entry, the dialog, the list", section: "Everywhere"),
        Line(keys: [.character("1")], binding: .overview, text: "overview: backlog, FAILED, tables, the failure chart", section: "Everywhere"),
        Line(keys: [.character("2")], binding: .causes, text: "causes: failures grouped by error code and message", section: "Everywhere"),
        Line(keys: [.character("3")], binding: .entries, text: "entries: the FAILED entries (or any state), newest first", section: "Everywhere"),
        Line(keys: [.tab], binding: .nextView, text: "next view", section: "Everywhere"),
        Line(keys: [.backTab], binding: .previousView, text: "previous view", section: "Everywhere"),
        Line(keys: [.control("r")], binding: .refresh, text: "refresh now (new failures also appear on their own)", section: "Everywhere"),
        Line(keys: [.control("l")], binding: .redraw, text: "redraw the screen", section: "Everywhere"),
        Line(keys: [.control("z")], binding: .suspend, text: "suspend to the shell (fg comes back)", section: "Everywhere"),
        Line(keys: [.character("j"), .down], binding: .down, text: "down one line", section: "Moving"),
        Line(keys: [.character("k"), .up], binding: .up, text: "up one line", section: "Moving"),
        Line(keys: [.pageDown, .control("f"), .character(" ")], binding: .pageDown, text: "down one page", section: "Moving"),
        Line(keys: [.pageUp, .control("b")], binding: .pageUp, text: "up one page", section: "Moving"),
        Line(keys: [.character("g"), .home], binding: .top, text: "first line", section: "Moving"),
        Line(keys: [.character("G"), .end], binding: .bottom, text: "last line (the oldest entry)", section: "Moving"),
        Line(keys: [.enter, .right, .character("l")], binding: .open, text: "open: a cause's entries, an entry in full", section: "Moving"),
        Line(keys: [.character("/")], binding: .search, text: "search the messages (entries), the causes, this list", section: "Filters"),
        Line(keys: [.character("t")], binding: .table, text: "only one table (entries, causes; empty for all)", section: "Filters"),
        Line(keys: [.character("s")], binding: .state, text: "state: FAILED, NEW, PENDING, ... or any (entries)", section: "Filters"),
        Line(keys: [.character("L")], binding: .location, text: "live log, archive or both", section: "Filters"),
        Line(keys: [.character("T")], binding: .since, text: "created since: 1h, 6h, 1d, 7d or all", section: "Filters"),
        Line(keys: [.character("c")], binding: .clearFilters, text: "clear the filters", section: "Filters"),
        Line(keys: [.character("o")], binding: .sort, text: "sort the causes: count, last seen, code", section: "Filters"),
        Line(keys: [.character("m")], binding: .mark, text: "mark or unmark the entry (and move down)", section: "Marks"),
        Line(keys: [.character("*")], binding: .markAll, text: "mark every entry loaded on the list", section: "Marks"),
        Line(keys: [.character("x")], binding: .clearMarks, text: "clear the marks", section: "Marks"),
        Line(keys: [.character("r")], binding: .retry, text: "retry the marked entries, else the one under the cursor", section: "Actions"),
        Line(keys: [.character("i")], binding: .ignore, text: "ignore the marked entries, else the one under the cursor", section: "Actions"),
        Line(keys: [.character("u")], binding: .captureUpdate, text: "capture-update the record of the entry (its fields)", section: "Actions"),
        Line(keys: [.character("R")], binding: .retryAll, text: "retry everything the filter (or the cause) selects", section: "Actions"),
        Line(keys: [.character("I")], binding: .ignoreAll, text: "ignore everything the filter (or the cause) selects", section: "Actions"),
        Line(keys: [.character("p")], binding: .chartTable, text: "chart: next table, then all tables (overview)", section: "Chart"),
        Line(keys: [.character("d")], binding: .chartDays, text: "chart: per hour today / per day over the archive", section: "Chart"),
    ]

    /// Every action shows a preview first (counts per table and code, what is left alone and
    /// why, the write mode) and goes ahead only on `y`.
    static let confirmationNote =
        "Every action shows a preview (entries per table and error code, what is left alone and why, the write mode) and goes ahead only on y."

    /// The binding of a key, if any.
    static func binding(for key: ConsoleKey) -> Binding? {
        lines.first { $0.keys.contains(key) }?.binding
    }

    /// The keys of a line as people write them: `j ↓`.
    static func keyNames(_ line: Line) -> String {
        line.keys.map(\.name).joined(separator: " ")
    }

    /// The key list as lines of text, by section (for `hcconnect help console`), the
    /// descriptions wrapped to `width`; with `matching`, only the keys whose names or
    /// description contain it (any case), under their sections' titles.
    static func helpText(width: Int = 80, matching search: String = "") -> [String] {
        var result: [String] = []
        var section = ""
        let needle = search.lowercased()
        for line in lines
        where needle.isEmpty || line.text.lowercased().contains(needle) || keyNames(line).lowercased().contains(needle)
        {
            if line.section != section {
                section = line.section
                result.append(section + ":")
            }
            // the description wraps under itself, keeping the keys' column
            let lead = "  " + DisplayText.padded(keyNames(line), toColumns: 18) + "  "
            result += DisplayText.wrapped(
                line.text, width: max(width, DisplayText.width(lead) + 20), indent: lead,
                continuation: String(repeating: " ", count: DisplayText.width(lead)))
        }
        return result
    }
}
