import HerokuConnect

/// `hcconnect retry`: sends FAILED entries to Salesforce again, per the connection's write mode.
enum RetryCommand: Command {
    static let help = CommandHelp(
        name: "retry",
        summary: "Retry FAILED entries (merged or ordered writes), by id or by selection",
        usage: RepairRequest.usage([writeModeOption, viaConnect, includeSuperseded]),
        description: """
            Retries FAILED trigger log entries, given by id (- reads ids from standard input, \
            one per line, as --format ids writes them) or selected with --failed and the \
            filters of 'failed'. Merged writes (the default; --write-mode or \
            HEROKU_CONNECT_WRITE_MODE): a live entry goes back to NEW; an archived entry is \
            copied into the live log as NEW and set to REQUEUED, or with --via-connect set to \
            REQUEUE for Heroku Connect to copy. Ordered writes: INSERT and UPDATE entries are \
            re-captured from the record's current state with hc_capture_insert_from_row / \
            hc_capture_update_from_row (the entry's columns) and set to REQUEUED, one capture \
            per record however many of its changes failed (UPDATEs with the union of their \
            columns; the other entries are coalesced into the newest); DELETE entries are \
            retried as under merged writes. A retry looks at the record and the mapping first \
            and leaves FAILED, reporting each: entries of read-only mappings (nothing forces \
            these), of tables that are not mapped or whose mapping has no log trigger, INSERTs \
            and UPDATEs whose record's row is gone, DELETEs whose record has a row again, and \
            superseded entries: an INSERT of a record that has its sfid or a later SUCCESS \
            entry, an UPDATE whose columns later SUCCESS entries of the record wrote \
            (--include-superseded retries these). Under merged writes one INSERT and one \
            DELETE per record are re-queued, and an id FAILED in both log tables once. Only \
            entries that are FAILED and still match the selection's filters at that moment \
            are changed, under row locks: entries Heroku Connect or another hcconnect holds \
            are skipped and counted (a single id that is locked exits 75). Each batch is one \
            transaction and stamps updated_at, from which the backlog's age is measured; \
            running the same command again finishes an interrupted run. A --failed selection \
            asks for confirmation on a terminal and needs --yes otherwise. The result goes to \
            standard error (or standard output as one JSON object with --format json; --format \
            ids prints the ids changed or created, one per line: the entry itself when it went \
            back to NEW or REQUEUE, else the new entry written for it). A single id left alone says why in one line. Exit 0 \
            when every entry was retried, 1 when some were not, 2 for a --table whose failures \
            cannot be retried, 3 when an id does not exist.
            """,
        examples: [
            ("hcconnect retry 4711", "retry one entry, live or archived"),
            ("hcconnect failed --table account --format ids | hcconnect retry -", "retry what a listing selected"),
            ("hcconnect retry --failed --message UNABLE_TO_LOCK_ROW --since 1d --yes", "retry yesterday's lock errors"),
            ("hcconnect retry --failed --in archive --dry-run", "see what a retry of the archive's failures would do"),
            ("hcconnect retry --write-mode ordered --failed --table contact --yes", "re-capture contact failures from the current rows"),
        ])

    static let writeModeOption = OptionSpec(
        "write-mode", .value("MODE"),
        "merged or ordered: the connection's write algorithm (else HEROKU_CONNECT_WRITE_MODE, else merged)",
        usageValue: WriteMode.allCases.map(\.rawValue).joined(separator: "|"))
    static let viaConnect = OptionSpec(
        "via-connect", .flag, "Set archived entries to REQUEUE and let Heroku Connect copy them back")
    static let includeSuperseded = OptionSpec(
        "include-superseded", .flag,
        "Also retry failures a later successful change made obsolete (never read-only mappings or missing records)")

    static let options = [writeModeOption, viaConnect, includeSuperseded] + RepairRequest.specs
    static let formats: [OutputFormat] = [.table, .json, .csv, .ids]
    static var optionAdvice: [String: String] { RepairRequest.optionAdvice }
    static var changesData: Bool { true }

    static func run(_ context: CommandContext) throws -> ExitStatus {
        let choice = try writeModeChoice(context)
        return try RepairRun.run(
            context, action: .retry(choice.mode, viaConnect: context.arguments.flag(viaConnect)),
            writeModeSource: choice.isFromConnection ? choice.source : nil)
    }

    /// The write mode and where it came from.
    struct WriteModeChoice: Equatable {
        let mode: WriteMode
        /// `--write-mode`, `HEROKU_CONNECT_WRITE_MODE`, `app APP's connection`, or `the default`.
        let source: String
        /// True when the connection's own features chose it.
        let isFromConnection: Bool
    }

    /// --write-mode, else HEROKU_CONNECT_WRITE_MODE, else with --app the connection's own
    /// (ordered when its features say `poll_db_no_merge`), else merged.
    static func writeMode(_ context: CommandContext) throws -> WriteMode {
        try writeModeChoice(context).mode
    }

    static func writeModeChoice(_ context: CommandContext) throws -> WriteModeChoice {
        if let text = context.arguments.value(writeModeOption) {
            guard let mode = WriteMode(userInput: text) else {
                throw ArgumentError.invalidValue(option: writeModeOption.longForm, value: text, reason: "is not merged or ordered")
            }
            return WriteModeChoice(mode: mode, source: writeModeOption.longForm, isFromConnection: false)
        }
        if let text = context.environment["HEROKU_CONNECT_WRITE_MODE"], !text.isEmpty {
            guard let mode = WriteMode(userInput: text) else {
                throw ArgumentError.invalidValue(option: "HEROKU_CONNECT_WRITE_MODE", value: text, reason: "is not merged or ordered")
            }
            return WriteModeChoice(mode: mode, source: "HEROKU_CONNECT_WRITE_MODE", isFromConnection: false)
        }
        if let app = context.herokuApp, let connection = try context.herokuConnection() {
            let mode: WriteMode = connection.orderedWrites == true ? .ordered : .merged
            context.debug("write mode: \(mode.rawValue), from app \(app)'s connection (features.poll_db_no_merge)")
            return WriteModeChoice(mode: mode, source: "app \(app)'s connection", isFromConnection: true)
        }
        return WriteModeChoice(mode: .merged, source: "the default", isFromConnection: false)
    }
}
