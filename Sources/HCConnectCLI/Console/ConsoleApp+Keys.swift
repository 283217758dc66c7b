import HerokuConnect

/// What each key does (the keys themselves are in ``ConsoleKeyMap``).
extension ConsoleApp {
    func handle(_ key: ConsoleKey) {
        if let dialog {
            handle(key, in: dialog)
            return
        }
        if key == .control("c") {
            exitStatus = .interrupted
            return
        }
        guard let binding = ConsoleKeyMap.binding(for: key) else { return }
        message = nil
        switch binding {
        case .quit: exitStatus = .success
        case .help: dialog = .help(ConsoleHelpState())
        case .back: back()
        case .overview: show(.overview)
        case .causes: show(.causes)
        case .entries: show(.entries)
        case .nextView: show(View(rawValue: (min(view.rawValue, 2) + 1) % 3)!)
        case .previousView: show(View(rawValue: (min(view.rawValue, 2) + 2) % 3)!)
        case .refresh: refresh()
        case .redraw: forgetFrame()
        case .suspend:
            terminal?.suspend()
            forgetFrame()
        case .down, .up, .pageDown, .pageUp, .top, .bottom: move(binding)
        case .open: open()
        case .search:
            dialog = .prompt(
                view == .causes
                    ? ConsolePrompt(purpose: .searchCauses, title: "search causes", text: causes.search ?? "")
                    : ConsolePrompt(purpose: .searchEntries, title: "search messages", text: entries.filter.search ?? ""))
            if view != .causes { show(.entries) }
        case .table:
            dialog = .prompt(ConsolePrompt(purpose: .table, title: "table (empty: all)", text: (view == .causes ? causes.table : entries.filter.table) ?? ""))
        case .state:
            dialog = .prompt(
                ConsolePrompt(purpose: .state, title: "states, comma-separated (FAILED, NEW, PENDING, …; empty: any)",
                              text: entries.filter.states.map(\.rawValue).joined(separator: ",")))
            show(.entries)
        case .since:
            dialog = .prompt(ConsolePrompt(purpose: .since, title: "created since (30m, 6h, 1d, 7d; empty: any time)", text: entries.filter.since?.label ?? ""))
            show(.entries)
        case .location:
            let all = TriggerLogQuery.Source.allCases
            entries.filter.source = all[(all.firstIndex(of: entries.filter.source)! + 1) % all.count]
            reloadEntries()
        case .clearFilters:
            if view == .causes {
                causes.search = nil
                causes.table = nil
                reloadCauses()
            } else {
                entries.filter = ConsoleEntries.Filter()
                reloadEntries()
            }
        case .sort:
            let all = ConsoleCauses.Order.allCases
            causes.order = all[(all.firstIndex(of: causes.order)! + 1) % all.count]
            causes.clamp()
        case .mark: if view == .entries { entries.toggleMark() }
        case .markAll:
            if view == .entries { entries.marks.formUnion(entries.rows.map(TriggerLogRepair.Target.init)) }
        case .clearMarks: entries.marks.removeAll()
        case .retry: if view == .entries || view == .entry { plan(.retry(writeMode, viaConnect: false), on: .entries(chosenEntries)) }
        case .ignore: if view == .entries || view == .entry { plan(.ignore, on: .entries(chosenEntries)) }
        case .captureUpdate: if view == .entries || view == .entry { planCaptureUpdate() }
        case .retryAll, .ignoreAll:
            guard view == .entries || view == .causes else { return }
            if view == .entries, !entries.filter.states.isEmpty, !entries.filter.states.contains(.failed) {
                message = ("retry and ignore change FAILED entries; the list shows "
                    + entries.filter.states.map(\.rawValue).joined(separator: ", ") + " (s changes the states)", true)
                return
            }
            guard let scope = filteredScope() else { return }
            plan(binding == .retryAll ? .retry(writeMode, viaConnect: false) : .ignore, on: scope)
        case .chartTable:
            if view == .overview { overview.nextChartTable() }
        case .chartDays:
            guard view == .overview else { return }
            overview.showsDays.toggle()
            if overview.showsDays, overview.daily == nil {
                message = ("reading the archive for the chart per day…", false)
                draw()
                do {
                    try overview.loadDays(store)
                    message = nil
                } catch {
                    connectionFailed(error)
                }
            }
        }
    }

    private func handle(_ key: ConsoleKey, in dialog: ConsoleDialog) {
        switch dialog {
        case .help(var state):
            if state.isSearching {
                switch key {
                case .enter: state.isSearching = false
                case .escape: (state.isSearching, state.search) = (false, "")
                case .backspace: if !state.search.isEmpty { state.search.removeLast() }
                case .character(let character): state.search.append(character)
                default: break
                }
                state.scroll = 0
                self.dialog = .help(state)
                return
            }
            switch key {
            case .character("/"): state.isSearching = true
            case .character("j"), .down: state.scroll = min(state.scroll + 1, max(0, state.lines.count - 1))
            case .character("k"), .up: state.scroll = max(0, state.scroll - 1)
            case .escape, .character("?"), .character("q"):
                self.dialog = nil
                return
            default: break
            }
            self.dialog = .help(state)
        case .prompt(var prompt):
            switch key {
            case .escape: self.dialog = nil
            case .enter:
                self.dialog = nil
                apply(prompt)
            case .backspace:
                if !prompt.text.isEmpty { prompt.text.removeLast() }
                self.dialog = .prompt(prompt)
            case .control("u"):
                prompt.text = ""
                self.dialog = .prompt(prompt)
            case .character(let character):
                prompt.text.append(character)
                self.dialog = .prompt(prompt)
            default: break
            }
        case .confirm(let plan):
            switch key {
            case .character("y"), .character("Y"):
                if plan.count > 0 { carryOut(plan) } else { self.dialog = nil }
            case .character("n"), .character("N"), .escape, .character("q"):
                self.dialog = nil
                message = ("cancelled; nothing was changed", false)
            case .control("c"):
                self.dialog = nil
                message = ("cancelled; nothing was changed", false)
            default:
                if plan.count == 0 { self.dialog = nil }
            }
        case .message:
            self.dialog = nil
        }
    }

    /// Applies a typed line; a bad one says what is wrong on the message line.
    private func apply(_ prompt: ConsolePrompt) {
        let text = prompt.text.trimmingWhitespace()
        switch prompt.purpose {
        case .searchEntries:
            entries.filter.search = text.isEmpty ? nil : text
            reloadEntries()
        case .searchCauses:
            causes.search = text.isEmpty ? nil : text
            causes.list.cursor = 0
            causes.clamp()
        case .table:
            var name: String? = nil
            if !text.isEmpty {
                do {
                    name = try store.loggedTableName(named: text)
                } catch {
                    message = (FailureReport(error).message, true)
                    return
                }
            }
            if view == .causes {
                causes.table = name
                reloadCauses()
            } else {
                entries.filter.table = name
                reloadEntries()
            }
        case .since:
            guard !text.isEmpty else {
                entries.filter.since = nil
                reloadEntries()
                return
            }
            guard let seconds = TimeBound.parseDuration(text), seconds > 0 else {
                message = ("'\(DisplayText.sanitized(text))' is not an age (30m, 6h, 1d, 7d)", true)
                return
            }
            entries.filter.since = (text, seconds)
            reloadEntries()
        case .state:
            var states: [TriggerLogState] = []
            for name in text.split(separator: ",").map({ $0.trimmingWhitespace() }) where !name.isEmpty {
                guard let state = TriggerLogState(userInput: name) else {
                    let names = TriggerLogState.documented.map(\.rawValue)
                    message = (
                        "'\(DisplayText.sanitized(name))' is not a trigger log state"
                            + didYouMean(Array(closestMatches(to: name, among: names, limit: 1).prefix(1)), quote: "'"), true
                    )
                    return
                }
                states.append(state)
            }
            entries.filter.states = states
            reloadEntries()
        }
    }

    func show(_ next: View) {
        guard next != view else { return }
        if view != .entry { previousViews.append(view) }
        view = next
        do {
            switch next {
            case .causes: if !causes.isLoaded { try causes.load(store) }
            case .entries: if !entries.isLoaded { try entries.load(store) }
            default: break
            }
        } catch {
            connectionFailed(error)
        }
    }

    private func back() {
        switch view {
        case .entry:
            view = .entries
            entry = nil
        case .entries where entries.filter.cause != nil:
            entries.filter.cause = nil
            reloadEntries()
            view = .causes
        default:
            if let previous = previousViews.popLast() { view = previous }
        }
    }

    private func open() {
        switch view {
        case .overview: show(.entries)
        case .causes:
            guard let group = causes.current else { return }
            entries.filter = ConsoleEntries.Filter()
            entries.filter.table = causes.table
            entries.filter.cause = group.message
            entries.filter.causeIDs = causes.ids[group.message] ?? []
            entries.causeCount = (group.count, entries.filter)
            view = .entries
            reloadEntries()
        case .entries:
            guard let current = entries.current else { return }
            var opened = ConsoleEntryView(entry: current)
            do {
                try opened.fit(width: size.columns, store: store, style: style)
                entry = opened
                view = .entry
            } catch {
                connectionFailed(error)
            }
        case .entry: break
        }
    }

    private func move(_ binding: ConsoleKeyMap.Binding) {
        let page = max(1, (view == .entry ? entry?.visibleRows : view == .causes ? causes.list.visibleRows : entries.visibleRows) ?? 20)
        let lines: Int
        switch binding {
        case .down: lines = 1
        case .up: lines = -1
        case .pageDown: lines = page
        case .pageUp: lines = -page
        case .top: lines = Int.min / 2
        default: lines = Int.max / 2
        }
        switch view {
        case .overview: break
        case .causes: causes.move(by: lines)
        case .entry: entry?.move(by: lines)
        case .entries:
            do {
                if binding == .bottom {
                    try entries.loadLast(store)
                } else if binding == .top, entries.hasNewer {
                    try entries.load(store)
                } else {
                    entries.move(by: lines)
                    try entries.loadAround(store)
                }
            } catch {
                connectionFailed(error)
            }
        }
    }

    func reloadEntries() {
        do {
            try entries.load(store)
        } catch {
            connectionFailed(error)
        }
    }

    private func reloadCauses() {
        do {
            try causes.load(store)
        } catch {
            connectionFailed(error)
        }
    }
}
