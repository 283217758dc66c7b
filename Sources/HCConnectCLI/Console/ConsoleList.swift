/// What the causes and the entries views share: a cursor in a list longer than the screen,
/// the first line shown, and the frame around the lines (a title with the counts on the
/// right, a header, a line when the list is empty).
struct ConsoleList {
    var cursor = 0
    var top = 0
    /// Lines the list had room for at the last draw (a page for PgUp and PgDn).
    var visibleRows = 20

    mutating func move(by lines: Int, count: Int) {
        cursor += lines
        clamp(count: count)
    }

    /// Keeps the cursor on a line of the list and on the screen.
    mutating func clamp(count: Int) {
        cursor = max(0, min(cursor, count - 1))
        if cursor < top { top = cursor }
        if cursor >= top + visibleRows { top = cursor - visibleRows + 1 }
        top = max(0, min(top, max(0, count - visibleRows)))
        if count == 0 { (cursor, top) = (0, 0) }
    }

    /// Draws the title line (`title` dim on the left, `counts` on the right) and the header,
    /// and returns the lines to draw: each item's index in the list and its screen row. With
    /// no items, `empty` stands in their place.
    mutating func frame(
        _ screen: inout ConsoleScreen, in area: ConsoleArea, title: String, counts: String, header: String, count: Int,
        empty: String
    ) -> [(index: Int, row: Int)] {
        let countsWidth = DisplayText.width(counts)
        screen.put(" " + title, row: area.top, column: area.left, width: area.width - countsWidth - 2, style: .dim)
        screen.put(counts + " ", row: area.top, column: area.left + area.width - countsWidth - 1)
        screen.put(header, row: area.top + 1, column: area.left, style: .dim)
        visibleRows = max(1, area.height - 2)
        clamp(count: count)
        guard count > 0 else {
            screen.put("   " + empty, row: area.top + 2, column: area.left, style: .dim)
            return []
        }
        return (0..<visibleRows).map { (top + $0, area.top + 2 + $0) }.filter { $0.0 < count }
    }

    /// The cursor's line in reverse video.
    func highlight(_ screen: inout ConsoleScreen, index: Int, row: Int, in area: ConsoleArea) {
        if index == cursor { screen.highlight(row: row, column: area.left, width: area.width, style: .reverse) }
    }
}
