import HerokuConnect
import Postgres

/// The entries view: the FAILED entries (or any state), newest first, with the filters of
/// `failed` editable in place, marks, and a cursor that scrolls through any number of
/// entries. Entries are read in keyset pages (``TriggerLogQuery/after(_:)``) as the cursor
/// nears the end of what is loaded, so a page deep in a long list costs what the first does.
struct ConsoleEntries {
    /// The filters, as `failed` takes them.
    struct Filter: Equatable {
        var states: [TriggerLogState] = [.failed]
        var table: String?
        var source: TriggerLogQuery.Source = .all
        /// Created in the last N seconds, with its label (`6h`).
        var since: (label: String, seconds: Int)?
        var search: String?
        /// Opened from a cause: only entries of that code and masked message, found by the
        /// ids the causes view read (``causeIDs``).
        var cause: SalesforceErrorMessage?
        var causeIDs: [Int] = []

        static func == (lhs: Filter, rhs: Filter) -> Bool {
            lhs.states == rhs.states && lhs.table == rhs.table && lhs.source == rhs.source
                && lhs.since?.seconds == rhs.since?.seconds && lhs.search == rhs.search && lhs.cause == rhs.cause
        }

        /// The query for these filters (without position or limit).
        var query: TriggerLogQuery {
            var query = TriggerLogQuery().states(states).source(source)
            if let table { query = query.tables([table]) }
            if let since { query = query.since(.ago(seconds: since.seconds)) }
            if let search { query = query.message(containing: search) }
            if cause != nil { query = query.ids(causeIDs.isEmpty ? [0] : causeIDs) }
            return query
        }

        /// Whether an entry read with ``query`` belongs: a cause is matched on its masked
        /// message here (the server filters by its code).
        func admits(_ entry: TriggerLogEntry) -> Bool {
            guard let cause else { return true }
            return SalesforceErrorMessage(entry.sfMessage) == cause
        }

        /// One line that says what is shown.
        var summary: String {
            var parts = [states.isEmpty ? "any state" : states.map(\.rawValue).joined(separator: ",")]
            parts.append(table.map { "table " + $0 } ?? "all tables")
            parts.append(source == .all ? "live+archive" : source.rawValue)
            if let since { parts.append("since " + since.label) }
            if let search { parts.append("message ~ \"" + search + "\"") }
            if let cause { parts.append("cause " + cause.summary) }
            return parts.joined(separator: " · ")
        }
    }

    static let pageSize = 100
    /// At most this many entries are kept; scrolling further drops the far end.
    static let keptEntries = 2_000

    var filter = Filter()
    /// The loaded entries, newest first.
    var rows: [TriggerLogEntry] = []
    /// The position of `rows[0]` in the whole list, when known.
    var offset: Int? = 0
    /// Whether entries exist before `rows` (dropped or never read) or after it.
    var hasNewer = false
    var hasOlder = false
    /// How many entries the filters select.
    var total: Int?
    /// With a cause: its count, as the causes view read it (a cause is matched on the
    /// client, so the server cannot count it).
    var causeCount: (count: Int, filter: Filter)?

    /// The cause's count while the filters are the ones it was opened with.
    private var causeTotal: Int? {
        guard let causeCount, causeCount.filter == filter else { return nil }
        return causeCount.count
    }
    var list = ConsoleList()
    var cursor: Int {
        get { list.cursor }
        set { list.cursor = newValue }
    }
    var top: Int {
        get { list.top }
        set { list.top = newValue }
    }
    /// The marked entries (id and place: an id can be live and archived at once).
    var marks: Set<TriggerLogRepair.Target> = []
    var isLoaded = false
    var visibleRows: Int { list.visibleRows }

    var current: TriggerLogEntry? { rows.indices.contains(cursor) ? rows[cursor] : nil }

    // MARK: - Reading

    /// Reads the first page again (after a filter changed, or on opening).
    mutating func load(_ store: TriggerLogStore) throws {
        rows = try page(store, after: nil, newestFirst: true)
        offset = 0
        hasNewer = false
        hasOlder = rows.count >= Self.pageSize
        cursor = 0
        top = 0
        total = try filter.cause == nil ? store.count(matching: filter.query) : causeTotal
        isLoaded = true
    }

    /// A refresh: the same place, with what changed. At the top of the list the newest
    /// entries appear; further down the loaded entries are read again from where they start.
    /// The ids of the cause's FAILED entries now (a pass over the FAILED entries, as the
    /// causes view makes).
    mutating func collectCauseIDs(_ store: TriggerLogStore) throws {
        guard let cause = filter.cause else { return }
        var ids: [Int] = []
        var query = TriggerLogQuery.failed()
        if let table = filter.table { query = query.tables([table]) }
        _ = try store.failureGroups(matching: query, examplesPerGroup: 0) { message, _, id in
            if message == cause { ids.append(id) }
        }
        let opened = causeCount.map { $0.filter == filter } ?? false
        filter.causeIDs = ids
        if opened { causeCount = (ids.count, filter) }
    }

    mutating func reload(_ store: TriggerLogStore) throws {
        try collectCauseIDs(store)
        guard isLoaded, offset == 0 else {
            if !isLoaded { try load(store) }
            total = try filter.cause == nil ? store.count(matching: filter.query) : causeTotal
            return
        }
        let keep = current.map(TriggerLogRepair.Target.init)
        let wanted = max(Self.pageSize, rows.count)
        rows = try page(store, after: nil, newestFirst: true, limit: wanted)
        hasOlder = rows.count >= wanted
        total = try filter.cause == nil ? store.count(matching: filter.query) : causeTotal
        if let keep, let index = rows.firstIndex(where: { TriggerLogRepair.Target($0) == keep }) {
            // the cursor stays on its entry; the lines above it grow by the new ones
            top += index - cursor
            cursor = index
        }
        clamp()
    }

    /// A page of entries after `position` (newest first), or before it (then read oldest
    /// first and turned around).
    private func page(
        _ store: TriggerLogStore, after position: TriggerLogQuery.Position?, newestFirst: Bool, limit: Int = pageSize,
        avoidingOrderScan: Bool = false
    ) throws -> [TriggerLogEntry] {
        var found: [TriggerLogEntry] = []
        var from = position
        // a cause is matched by its masked message here: read on until the page is full
        for _ in 0..<20 {
            let query = filter.query.ordered(newestFirst ? .newestFirst : .oldestFirst).after(from).limit(limit)
            let read = try avoidingOrderScan ? store.entriesAvoidingOrderScan(matching: query) : store.entries(matching: query)
            found += read.filter(filter.admits)
            guard read.count == limit, found.count < limit, let last = read.last else { break }
            from = .init(last)
        }
        return newestFirst ? found : found.reversed()
    }

    /// Reads the next page when the cursor nears the end of what is loaded.
    mutating func loadAround(_ store: TriggerLogStore) throws {
        if hasOlder, cursor >= rows.count - 10, let last = rows.last {
            let more = try page(store, after: .init(last), newestFirst: true)
            hasOlder = more.count >= Self.pageSize
            rows += more
            if rows.count > Self.keptEntries {
                let dropped = rows.count - Self.keptEntries
                rows.removeFirst(dropped)
                offset = offset.map { $0 + dropped }
                cursor -= dropped
                top = max(0, top - dropped)
                hasNewer = true
            }
        }
        if hasNewer, cursor < 10, let first = rows.first {
            let more = try page(store, after: .init(first), newestFirst: false)
            hasNewer = more.count >= Self.pageSize
            rows = more + rows
            offset = offset.map { max(0, $0 - more.count) }
            if !hasNewer { offset = 0 }
            cursor += more.count
            top += more.count
            if rows.count > Self.keptEntries {
                rows.removeLast(rows.count - Self.keptEntries)
                hasOlder = true
            }
        }
        clamp()
    }

    /// The last page: the oldest entries (G).
    mutating func loadLast(_ store: TriggerLogStore) throws {
        guard hasOlder else {
            cursor = max(0, rows.count - 1)
            clamp()
            return
        }
        // the oldest FAILED entries sit behind every finished entry of the archive's far end:
        // read them through the state index, not by walking created_at from the oldest
        rows = try page(store, after: nil, newestFirst: false, avoidingOrderScan: filter.states == [.failed])
        hasOlder = false
        hasNewer = true
        offset = total.map { $0 - rows.count }
        cursor = max(0, rows.count - 1)
        top = max(0, rows.count - visibleRows)
    }

    mutating func move(by lines: Int) {
        list.move(by: lines, count: rows.count)
    }

    mutating func clamp() {
        list.clamp(count: rows.count)
    }

    mutating func toggleMark() {
        guard let current else { return }
        let target = TriggerLogRepair.Target(current)
        if marks.remove(target) == nil { marks.insert(target) }
        move(by: 1)
    }

    // MARK: - Drawing

    mutating func draw(_ screen: inout ConsoleScreen, in area: ConsoleArea) {
        var counts = total.map { ReadableFigure.count($0) + " entries" } ?? "\(rows.count)\(hasOlder ? "+" : "") entries"
        if !marks.isEmpty { counts += " · \(marks.count) marked" }
        if let offset, !rows.isEmpty { counts += " · at \(ReadableFigure.count(offset + cursor + 1))" }
        let wide = area.width >= 110
        var header = "   ID        TABLE          ACTION  RECORD  " + (filter.states == [.failed] ? "" : "STATE     ")
        header += wide ? "CREATED           MESSAGE" : "AGE   MESSAGE"
        let lines = list.frame(
            &screen, in: area, title: filter.summary, counts: counts, header: header, count: rows.count,
            empty: isLoaded ? "No entries match." : "reading…")
        for (index, row) in lines {
            let entry = rows[index]
            let marked = marks.contains(.init(entry))
            var text = (marked ? " *" : "  ") + " " + DisplayText.padded(String(entry.id), toColumns: 9) + " "
            text += DisplayText.fit(entry.tableName ?? "-", 14) + " "
            text += DisplayText.fit(entry.action?.rawValue ?? "-", 7) + " "
            text += DisplayText.padded(entry.recordID.map(String.init) ?? "-", toColumns: 7, alignRight: true) + " "
            if filter.states != [.failed] { text += DisplayText.fit(entry.state?.rawValue ?? "-", 9) + " " }
            text += wide ? DisplayText.fit(entry.createdAt?.shortDescription ?? "-", 17) + " " : DisplayText.fit(Self.age(entry.createdAt), 5) + " "
            let used = DisplayText.width(text)
            screen.put(text, row: row, column: area.left, style: marked ? .init(foreground: 33, bold: true) : .plain)
            screen.put(
                DisplayText.sanitized(entry.sfMessage ?? "", markLineBreaks: true), row: row, column: area.left + used,
                width: area.width - used, style: entry.isArchived ? .dim : .plain)
            list.highlight(&screen, index: index, row: row, in: area)
        }
    }

    /// How long ago a time was, in the fewest characters (`5m`, `3h`, `2d`).
    static func age(_ time: PostgresTimestamp?) -> String {
        guard let time, case .finite = time.value else { return "-" }
        let now = Int64(Glibc.time(nil)) * 1_000_000
        let seconds = max(0, (now - time.microsecondsSinceEpoch) / 1_000_000)
        switch seconds {
        case ..<60: return "\(seconds)s"
        case ..<3600: return "\(seconds / 60)m"
        case ..<172_800: return "\(seconds / 3600)h"
        default: return "\(seconds / 86_400)d"
        }
    }
}

#if canImport(Glibc)
    import Glibc
#endif

extension TriggerLogRepair.Target {
    init(_ entry: TriggerLogEntry) {
        self.init(id: entry.id, location: entry.location)
    }
}
