import HerokuConnect

/// `hcconnect console`: the live, keyboard-driven triage console (Sources/HCConnectCLI/Console).
enum ConsoleCommand: Command {
    static let help = CommandHelp(
        name: "console",
        summary: "A live triage console in the terminal: look at failures and repair them in one place",
        usage: [Usage(.optionals([readOnly, RetryCommand.writeModeOption]))],
        description: """
            Opens a full-screen console on the terminal. Overview: the backlog and its age, \
            FAILED now and the oldest, when Heroku Connect last processed an entry, the \
            tables, and a chart of failures per hour over the last 24 hours (per day over the \
            archive with d). Causes: the failures grouped by error code and masked message, \
            as errors groups them, with a sparkline of each one's last 24 hours; Enter opens \
            a cause's entries. Entries: the FAILED entries (or any state, s), newest first, \
            filtered in place (/ message, t table, T time, L live or archive), read page by \
            page however many there are; Enter shows one as show does, with the record's \
            history. r, i and u retry, ignore or capture-update the marked entries (m), else \
            the one under the cursor; R and I act on everything the filter or the cause \
            selects. Every action first shows a preview (entries per table and error code, \
            what is left alone and why, the write mode) and goes ahead only on y, with the \
            same repair code, outcomes and audit log as retry, ignore and capture-update. New \
            failures appear on their own (LISTEN on the log's channel, as watch does, and a \
            refresh every 15 s that reads only the FAILED entries and the backlog, never the \
            whole archive); the refresh waits while a dialog is open; the header says when it \
            last refreshed and whether the connection is up (it reconnects on its own). \
            --read-only refuses every action. Needs a terminal on standard input and output \
            (80×24 or larger); TERM=dumb is refused. q quits (exit 0), Ctrl-C exits 130; the \
            terminal is restored on every exit, SIGTERM and a crash included.
            """,
        examples: [
            ("hcconnect console", "triage the default schema's failures"),
            ("hcconnect console --read-only", "look, with every action refused"),
            ("hcconnect console --write-mode ordered", "retries re-capture from the records (ordered writes)"),
        ],
        sections: [("Keys", ConsoleKeyMap.helpText(width: 78) + [""] + DisplayText.wrapped(ConsoleKeyMap.confirmationNote, width: 76))])

    static let readOnly = OptionSpec("read-only", .flag, "Refuse every action: retry, ignore and capture-update")
    static let options = [readOnly, RetryCommand.writeModeOption]
    static let formats: [OutputFormat] = [.table]

    static func run(_ context: CommandContext) throws -> ExitStatus {
        try context.expectNoPositionals()
        if context.environment["TERM"] == "dumb" {
            throw CommandFailure(
                status: .usage,
                message: "the console needs a terminal that can move the cursor, and TERM is dumb; use hcconnect failed or errors instead")
        }
        guard context.input.isTerminal, context.output.isTerminal else {
            throw CommandFailure(
                status: .usage,
                message: "the console needs a terminal on standard input and output; for scripts use hcconnect failed, errors or trend")
        }
        let choice = try RetryCommand.writeModeChoice(context)
        // connect and check the schema before the screen changes: errors stay readable
        let store = try context.triggerLog(inspected: true)
        context.output.flush()
        context.errors.flush()
        let terminal = try ConsoleTerminal(handlesSignals: context.interruption.isEnabled)
        terminal.enter()
        defer { terminal.restore() }
        let app = ConsoleApp(
            context: context, store: store, terminal: terminal, readOnly: context.arguments.flag(readOnly),
            writeMode: choice.mode, writeModeSource: choice.source, size: terminal.size)
        #if DEBUG
            // the tests' crash: the terminal must come back from one (ConsoleTerminal)
            if context.environment["HCCONNECT_CONSOLE_TEST_CRASH"] == "1" {
                app.draw()
                fatalError("HCCONNECT_CONSOLE_TEST_CRASH")
            }
        #endif
        return try app.run()
    }
}
