import HerokuConnect
import Postgres

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The console: its views, the keys, the live refresh, and the loop that ties them to the
/// terminal. Each frame is drawn whole into a ``ConsoleScreen``; only the rows that differ
/// from the last frame reach the terminal.
final class ConsoleApp {
    enum View: Int, CaseIterable {
        case overview, causes, entries, entry

        var title: String {
            switch self {
            case .overview: "Overview"
            case .causes: "Causes"
            case .entries: "Entries"
            case .entry: "Entry"
            }
        }
    }

    let context: CommandContext
    let store: TriggerLogStore
    let terminal: ConsoleTerminal?
    /// `--read-only`: every action is refused.
    let readOnly: Bool
    /// The write mode retries use, and where it came from.
    let writeMode: WriteMode
    let writeModeSource: String
    let style: TextStyle

    var view: View = .overview
    /// Where Esc goes back to.
    var previousViews: [View] = []
    var overview = ConsoleOverview()
    var causes = ConsoleCauses()
    var entries = ConsoleEntries()
    var entry: ConsoleEntryView?
    var dialog: ConsoleDialog?
    /// The message line: what the last action did, or an error.
    var message: (text: String, isError: Bool)?

    var size: ConsoleTerminal.Size
    private var lastFrame: ConsoleScreen?
    /// The exit status once the loop should end.
    var exitStatus: ExitStatus?

    // the live part
    var isConnected = true
    var lastRefresh: String = "-"
    var refreshDue: ContinuousClock.Instant
    var reconnectDue: ContinuousClock.Instant?
    /// The slow periodic refresh, besides the notifications.
    static let refreshInterval: Duration = .seconds(15)
    /// How long after a notification the refresh waits for more (a burst is one refresh).
    static let notificationDelay: Duration = .milliseconds(300)
    static let reconnectInterval: Duration = .seconds(2)
    /// Below this size the views are not drawn (80×24 is the size everything fits).
    static let smallest = ConsoleTerminal.Size(columns: 50, rows: 12)
    /// The least time between two refreshes that notifications cause.
    static let minimumRefreshGap: Duration = .seconds(2)
    var lastRefreshAt: ContinuousClock.Instant = .now

    init(
        context: CommandContext, store: TriggerLogStore, terminal: ConsoleTerminal?, readOnly: Bool,
        writeMode: WriteMode, writeModeSource: String, size: ConsoleTerminal.Size
    ) {
        self.context = context
        self.store = store
        self.terminal = terminal
        self.readOnly = readOnly
        self.writeMode = writeMode
        self.writeModeSource = writeModeSource
        self.size = size
        // colours follow hcconnect's rules: a terminal, no NO_COLOR, no --no-color
        style = context.style
        refreshDue = .now
    }

    // MARK: - The loop

    /// Runs until q, Ctrl-C or an ending signal, and returns the exit status. The terminal
    /// is restored by the caller (``ConsoleCommand``), whatever happens here.
    func run() throws -> ExitStatus {
        guard let terminal else { return .usage }
        listen()
        refresh()
        var decoder = ConsoleKeyDecoder()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while exitStatus == nil {
            draw()
            var descriptors = [
                pollfd(fd: terminal.input, events: Int16(POLLIN), revents: 0),
                pollfd(fd: terminal.signalPipe.read, events: Int16(POLLIN), revents: 0),
            ]
            if isConnected, let socket = store.connection.socketDescriptor {
                descriptors.append(pollfd(fd: socket, events: Int16(POLLIN), revents: 0))
            }
            let timeout = decoder.pendingEscape ? .milliseconds(30) : waitUntilDue()
            let ready = poll(&descriptors, nfds_t(descriptors.count), Int32(timeout.inWholeMillisecondsRoundedUp(cappedAt: 60_000)))
            if ready < 0, errno != EINTR { return .internalError }
            if descriptors[1].revents != 0 {
                for number in terminal.takeSignals() { handleSignal(number) }
            }
            if descriptors[0].revents & Int16(POLLIN) != 0 {
                let count = read(terminal.input, &buffer, buffer.count)
                if count == 0 { return .hangup }  // the terminal went away
                if count > 0 {
                    for key in decoder.keys(from: Array(buffer[..<count])) {
                        handle(key)
                        if exitStatus != nil { break }
                    }
                }
            } else if descriptors[0].revents & Int16(POLLHUP | POLLERR) != 0 {
                return .hangup
            } else if ready == 0, decoder.pendingEscape {
                for key in decoder.flushEscape() { handle(key) }
            }
            if descriptors.count > 2, descriptors[2].revents != 0 { takeNotifications() }
            if dialog == nil {
                if let reconnectDue, ContinuousClock.now >= reconnectDue { reconnect() }
                if isConnected, ContinuousClock.now >= refreshDue { refresh() }
            }
        }
        return exitStatus ?? .success
    }

    /// How long to sleep: until the next refresh or reconnect attempt.
    private func waitUntilDue() -> Duration {
        let next = [refreshDue, reconnectDue].compactMap { $0 }.min() ?? (.now + Self.refreshInterval)
        return max(.milliseconds(1), next - .now)
    }

    private func handleSignal(_ number: Int32) {
        switch number {
        case SIGWINCH:
            if let terminal { size = terminal.size }
            lastFrame = nil
            if view == .entry {
                do { try entry?.fit(width: size.columns, store: store, style: style) } catch { connectionFailed(error) }
            }
        case SIGCONT:
            // continued after a stop we did not make: take the terminal back
            terminal?.enter()
            lastFrame = nil
        case SIGTERM: exitStatus = .terminated
        case SIGHUP: exitStatus = .hangup
        case SIGINT: exitStatus = .interrupted
        default: break
        }
    }

    // MARK: - Live

    /// LISTEN on the channel Heroku Connect's trigger notifies (`watch` listens there too).
    func listen() {
        do {
            try store.connection.listen(store.schemaName.name + ".hc_trigger_log")
        } catch {
            connectionFailed(error)
        }
    }

    private func takeNotifications() {
        do {
            let notifications = try store.connection.waitForNotifications(timeout: .zero)
            // a busy log notifies on every change: one refresh per burst, at most one every
            // minimumRefreshGap
            if !notifications.isEmpty {
                refreshDue = min(refreshDue, max(.now + Self.notificationDelay, lastRefreshAt + Self.minimumRefreshGap))
            }
        } catch {
            connectionFailed(error)
        }
    }

    /// Reloads what the screen shows. The overview's figures are always read (the header
    /// shows them); the rest only for the view on screen. Costs what the FAILED entries and
    /// the backlog cost, never a scan of the archive (``TriggerLogStatistics/Counting/actionable``).
    func refresh() {
        refreshDue = .now + Self.refreshInterval
        lastRefreshAt = .now
        do {
            try overview.load(store)
            switch view {
            case .overview: break
            case .causes: try causes.load(store)
            case .entries: try entries.reload(store)
            case .entry: try entry?.reload(store, style: style)
            }
            lastRefresh = ConsoleApp.clockTime()
        } catch {
            connectionFailed(error)
        }
    }

    /// A statement failed: a lost connection is retried in the background (the screen says
    /// so); anything else goes to the message line.
    func connectionFailed(_ error: any Error) {
        if let error = error as? PostgresError, error.kind == .connectionLost || store.connection.isBroken {
            isConnected = false
            reconnectDue = .now + Self.reconnectInterval
            message = ("connection lost: " + error.message + "; reconnecting…", true)
        } else if store.connection.isBroken {
            isConnected = false
            reconnectDue = .now + Self.reconnectInterval
            message = ("connection lost; reconnecting…", true)
        } else {
            message = (FailureReport(error).message, true)
        }
    }

    private func reconnect() {
        do {
            try store.connection.reset()
            isConnected = true
            reconnectDue = nil
            message = ("reconnected at " + ConsoleApp.clockTime(), false)
            listen()
            refresh()
        } catch {
            reconnectDue = .now + Self.reconnectInterval
        }
    }

    /// The local time of day, `14:03:21`.
    static func clockTime() -> String {
        var now = time(nil)
        var parts = tm()
        localtime_r(&now, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))"
    }

    // MARK: - Drawing

    /// The next frame is written whole (Ctrl-L, after a suspend or a resize).
    func forgetFrame() {
        lastFrame = nil
    }

    /// Draws a frame and writes what changed.
    func draw() {
        let screen = frame()
        terminal?.write(bytes: screen.update(from: lastFrame))
        lastFrame = screen
    }

    /// The whole screen as it should look now.
    func frame() -> ConsoleScreen {
        var screen = ConsoleScreen(columns: size.columns, rows: size.rows, showsColors: style.isEnabled)
        guard size.columns >= Self.smallest.columns, size.rows >= Self.smallest.rows else {
            // too small to draw the views: say so, and wait for a resize (q still quits)
            screen.put(
                "hcconnect console needs at least \(Self.smallest.columns)×\(Self.smallest.rows)"
                    + " (80×24 to see everything); this terminal is \(size.columns)×\(size.rows). q quits.",
                row: 0, column: 0)
            return screen
        }
        drawHeader(&screen)
        let body = ConsoleArea(top: 2, left: 0, width: size.columns, height: max(1, size.rows - 4))
        switch view {
        case .overview: overview.draw(&screen, in: body, style: style)
        case .causes: causes.draw(&screen, in: body)
        case .entries: entries.draw(&screen, in: body)
        case .entry: entry?.draw(&screen, in: body)
        }
        drawFooter(&screen)
        dialog?.draw(&screen, style: style)
        return screen
    }

    private func drawHeader(_ screen: inout ConsoleScreen) {
        // user@host:port/database: the database names the connection best in little room
        let endpoint = store.connection.endpointDescription
        let database = endpoint.split(separator: "/").last.map(String.init) ?? endpoint
        let state = isConnected ? "● live " + lastRefresh : "○ reconnecting"
        // read-only first: it must never be cut off
        let left = " hcconnect · " + (readOnly ? "read-only · " : "")
            + "\(database) · \(store.schemaName.name) · \(writeMode.rawValue) writes"
        let stateWidth = DisplayText.width(state) + 2
        screen.highlight(row: 0, style: .reverse)
        screen.put(
            DisplayText.truncated(left, toColumns: max(1, size.columns - stateWidth - 1)), row: 0, column: 0, style: .reverse)
        screen.put(
            state, row: 0, column: max(0, size.columns - stateWidth),
            style: isConnected ? .reverse : .init(foreground: 31, bold: true, reverse: true))
        // the tabs, with the figures that matter most beside them
        var column = 1
        let failed = overview.statistics.map { ReadableFigure.count($0.totals.failed) } ?? "…"
        let tabs: [(View, String)] = [
            (.overview, "1 Overview"), (.causes, "2 Causes"), (.entries, "3 Entries"),
        ]
        for (tab, title) in tabs {
            let active = tab == view || (tab == .entries && view == .entry)
            let end = screen.put(" " + title + " ", row: 1, column: column, style: active ? .init(bold: true, reverse: true) : .plain)
            column = end + 1
        }
        screen.put("FAILED " + failed, row: 1, column: column + 1, style: .init(foreground: 31, bold: true))
    }

    private func drawFooter(_ screen: inout ConsoleScreen) {
        let messageRow = size.rows - 2
        if let message {
            screen.put(" " + message.text, row: messageRow, column: 0, style: message.isError ? .init(foreground: 31) : .plain)
        }
        let hints: String
        switch view {
        case .overview: hints = "?:keys 2:causes 3:entries p:table d:days ^R:refresh q:quit"
        case .causes: hints = "?:keys j/k Enter:entries /:search t:table o:sort R/I:retry/ignore q:quit"
        case .entries: hints = "?:keys j/k Enter:open m:mark r/i/u:act R/I:all /:search t s T L:filter q:quit"
        case .entry: hints = "?:keys j/k:scroll r/i/u:act Esc:back q:quit"
        }
        screen.put(" " + hints, row: size.rows - 1, column: 0, style: .reverse)
        screen.highlight(row: size.rows - 1, style: .reverse)
    }
}

/// A rectangle of the screen that a view draws in.
struct ConsoleArea {
    var top: Int
    var left: Int
    var width: Int
    var height: Int
}
