import HerokuConnect

/// What asks for a person's answer over the view: the key list, a line to type, the
/// preview of an action with its question, the result of an action. While one is open
/// the live refresh waits (what a person reads does not move under them).
enum ConsoleDialog {
    /// The key list (`?`), searchable with `/`.
    case help(ConsoleHelpState)
    /// A line to type: a search, a table name, a time.
    case prompt(ConsolePrompt)
    /// The preview of an action and its question: `y` goes ahead.
    case confirm(ConsolePlan)
    /// What an action did, or why nothing can be done; any key closes it.
    case message(title: String, lines: [String])

    func draw(_ screen: inout ConsoleScreen, style: TextStyle) {
        switch self {
        case .help(let state): state.draw(&screen)
        case .prompt(let prompt):
            let row = screen.rows - 2
            screen.clear(row: row, column: 0, width: screen.columns, height: 1)
            let end = screen.put(" " + prompt.title + ": ", row: row, column: 0, style: .bold)
            let text = prompt.text
            // the end of a long text stays in view
            let room = screen.columns - end - 2
            let shown = DisplayText.width(text) > room ? "…" + String(text.suffix(max(1, room - 1))) : text
            let after = screen.put(shown, row: row, column: end)
            screen.put("█", row: row, column: after)
            let hint = " Enter: apply · empty: clear · Esc: cancel "
            screen.put(hint, row: screen.rows - 1, column: 0, style: .reverse)
            screen.highlight(row: screen.rows - 1, style: .reverse)
        case .confirm(let plan):
            Self.box(&screen, title: plan.title, lines: plan.lines + [""] + [plan.question], footer: plan.footer)
        case .message(let title, let lines):
            Self.box(&screen, title: title, lines: lines, footer: "any key closes")
        }
    }

    /// A framed box in the middle of the screen, as wide as its text allows.
    static func box(_ screen: inout ConsoleScreen, title: String, lines: [String], footer: String) {
        let width = min(screen.columns - 2, max(40, (lines + [title, footer]).map(DisplayText.width).max() ?? 0) + 4)
        var wrapped: [String] = []
        for line in lines {
            // a line that fits keeps its spacing (columns); a longer one wraps at spaces
            wrapped += DisplayText.width(line) <= width - 4 ? [line] : DisplayText.wrapped(line, width: width - 4, continuation: "  ")
        }
        let height = min(screen.rows - 2, wrapped.count + 4)
        let top = max(0, (screen.rows - height) / 2)
        let left = max(0, (screen.columns - width) / 2)
        screen.clear(row: top, column: left, width: width, height: height)
        let horizontal = String(repeating: "─", count: max(0, width - 2))
        screen.put("┌" + horizontal + "┐", row: top, column: left, width: width)
        screen.put(" " + title + " ", row: top, column: left + 2, width: width - 4, style: .bold)
        for row in (top + 1)..<(top + height - 1) {
            screen.put("│", row: row, column: left)
            screen.put("│", row: row, column: left + width - 1)
        }
        screen.put("└" + horizontal + "┘", row: top + height - 1, column: left, width: width)
        screen.put(" " + footer + " ", row: top + height - 1, column: left + 2, width: width - 4, style: .dim)
        let room = height - 4
        for (index, line) in wrapped.prefix(room).enumerated() {
            screen.put(line, row: top + 2 + index, column: left + 2, width: width - 4)
        }
        if wrapped.count > room {
            screen.put("… \(wrapped.count - room) more lines", row: top + height - 2, column: left + 2, style: .dim)
        }
    }
}

/// A line being typed at the bottom of the screen.
struct ConsolePrompt {
    enum Purpose {
        case searchEntries, searchCauses, table, since, state
    }

    let purpose: Purpose
    let title: String
    var text: String
}

/// The key list, its search and its scroll.
struct ConsoleHelpState {
    var search = ""
    var isSearching = false
    var scroll = 0

    /// The box's inner width the lines are wrapped to.
    var width = 74

    var lines: [String] {
        ConsoleKeyMap.helpText(width: width, matching: search)
    }

    func draw(_ screen: inout ConsoleScreen) {
        var state = self
        state.width = screen.columns - 6
        var shown = Array(state.lines.dropFirst(scroll))
        if shown.isEmpty { shown = ["no key matches \"\(search)\""] }
        let footer = isSearching ? "search: \(search)█" : "/ search · j/k scroll · Esc or ? closes"
        ConsoleDialog.box(&screen, title: "Keys" + (search.isEmpty ? "" : " matching \"\(search)\""), lines: shown + ["", ConsoleKeyMap.confirmationNote], footer: footer)
    }
}
