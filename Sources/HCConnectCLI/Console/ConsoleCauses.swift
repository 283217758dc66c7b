import HerokuConnect
import Postgres

/// The causes view: the FAILED entries grouped as `errors` groups them (status code and
/// masked message), with their count, tables, first and last time seen and a sparkline of
/// the last 24 hours; sortable (`o`), searchable (`/`), and Enter opens a cause's entries.
struct ConsoleCauses {
    enum Order: String, CaseIterable {
        case count, lastSeen = "last seen", code
    }

    var groups: [FailureGroup] = []
    /// Per cause, its FAILED entries per hour of the last 24 hours (oldest first).
    var sparklines: [SalesforceErrorMessage: [Int]] = [:]
    /// Per cause, the ids of its entries: Enter lists them by id, which the server can
    /// find (it cannot mask messages).
    var ids: [SalesforceErrorMessage: [Int]] = [:]
    var order: Order = .count
    var table: String?
    var search: String?
    var list = ConsoleList()
    var isLoaded = false

    /// The groups shown: searched, in the chosen order.
    var shown: [FailureGroup] {
        var list = groups
        if let search {
            let needle = search.lowercased()
            list = list.filter { $0.message.summary.lowercased().contains(needle) }
        }
        switch order {
        case .count: list.sort { ($0.count, $0.lastSeen.map { $0.microsecondsSinceEpoch } ?? 0) > ($1.count, $1.lastSeen.map { $0.microsecondsSinceEpoch } ?? 0) }
        case .lastSeen: list.sort { ($0.lastSeen.map { $0.microsecondsSinceEpoch } ?? 0) > ($1.lastSeen.map { $0.microsecondsSinceEpoch } ?? 0) }
        case .code: list.sort { $0.message.summary < $1.message.summary }
        }
        return list
    }

    var current: FailureGroup? {
        let list = shown
        return list.indices.contains(self.list.cursor) ? list[self.list.cursor] : nil
    }

    /// Reads the groups (a pass over the FAILED entries, as `errors` makes; the archive's
    /// other entries are never read).
    mutating func load(_ store: TriggerLogStore) throws {
        var query = TriggerLogQuery.failed()
        if let table { query = query.tables([table]) }
        var hours: [SalesforceErrorMessage: [Int]] = [:]
        var ids: [SalesforceErrorMessage: [Int]] = [:]
        let now = Int64(Glibc.time(nil)) * 1_000_000
        let groups = try store.failureGroups(matching: query, examplesPerGroup: 3) { message, seen, id in
            ids[message, default: []].append(id)
            guard let seen, case .finite = seen.value else { return }
            let hoursAgo = Int((now - seen.microsecondsSinceEpoch) / 3_600_000_000)
            guard (0..<24).contains(hoursAgo) else { return }
            hours[message, default: Array(repeating: 0, count: 24)][23 - hoursAgo] += 1
        }
        self.groups = groups.groups
        sparklines = hours
        self.ids = ids
        isLoaded = true
        clamp()
    }

    mutating func move(by lines: Int) {
        list.move(by: lines, count: shown.count)
    }

    mutating func clamp() {
        list.clamp(count: shown.count)
    }

    mutating func draw(_ screen: inout ConsoleScreen, in area: ConsoleArea) {
        let groups = shown
        var summary = "FAILED entries by cause · sorted by \(order.rawValue)"
        if let table { summary += " · table " + table }
        if let search { summary += " · matching \"" + search + "\"" }
        let wide = area.width >= 110
        let lines = list.frame(
            &screen, in: area, title: summary,
            counts: ReadableFigure.count(groups.reduce(0) { $0 + $1.count }) + " entries, \(groups.count) causes",
            header: "   COUNT  LAST SEEN  24H        TABLES       " + (wide ? "FIRST SEEN        " : "") + "CAUSE",
            count: groups.count, empty: isLoaded ? "No FAILED entries." : "reading…")
        for (index, row) in lines {
            let group = groups[index]
            var text = "  " + DisplayText.padded(ReadableFigure.count(group.count), toColumns: 6, alignRight: true) + "  "
            text += DisplayText.fit(ConsoleEntries.age(group.lastSeen), 9) + "  "
            screen.put(text, row: row, column: area.left)
            var column = area.left + DisplayText.width(text)
            let spark = FailureChart.sparkline(sparklines[group.message] ?? Array(repeating: 0, count: 24), width: 10)
            screen.put(spark, row: row, column: column, width: 10, style: .init(foreground: 36))
            column += 11
            let tables = group.tableCounts.count == 1
                ? group.tableCounts[0].table ?? "(none)"
                : group.tableCounts.map { "\($0.table ?? "(none)"):\($0.count)" }.joined(separator: " ")
            column = screen.put(DisplayText.fit(tables, 12) + " ", row: row, column: column)
            if wide { column = screen.put(DisplayText.fit(group.firstSeen?.shortDescription ?? "-", 17) + " ", row: row, column: column) }
            let cause = group.message.summary
            let code = group.message.code ?? ""
            if !code.isEmpty, cause.hasPrefix(code) {
                let end = screen.put(code, row: row, column: column, width: area.left + area.width - column, style: .init(foreground: 31))
                screen.put(String(cause.dropFirst(code.count)), row: row, column: end, width: area.left + area.width - end)
            } else {
                screen.put(cause, row: row, column: column, width: area.left + area.width - column)
            }
            list.highlight(&screen, index: index, row: row, in: area)
        }
    }
}

#if canImport(Glibc)
    import Glibc
#endif
