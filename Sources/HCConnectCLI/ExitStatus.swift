/// hcconnect's exit codes: the one table that help, README and man page describe.
public enum ExitStatus: Int32, Sendable, CaseIterable {
    /// The command did what was asked.
    case success = 0
    /// The command ran, but the outcome is negative (a check failed, not everything changed).
    case negative = 1
    /// The command line is wrong.
    case usage = 2
    /// An entry, table or record does not exist.
    case notFound = 3
    /// The schema is not a usable Heroku Connect schema (sysexits' EX_DATAERR).
    case unusableSchema = 65
    /// The database cannot be reached (EX_UNAVAILABLE).
    case unavailable = 69
    /// A bug in hcconnect or an unexpected server answer (EX_SOFTWARE).
    case internalError = 70
    /// An output could not be written: the audit log (EX_IOERR). The batches before the one
    /// that could not be logged are done and logged.
    case ioError = 74
    /// A temporary failure: a lock is busy, the connection dropped, transient errors went on
    /// too long (EX_TEMPFAIL). Trying again later may work.
    case temporaryFailure = 75
    /// Authentication failed or permission was denied (EX_NOPERM).
    case permissionDenied = 77
    /// Hung up (SIGHUP: the terminal closed): 128 + 1. Bulk work stopped after a whole batch.
    case hangup = 129
    /// Interrupted by Ctrl-C (SIGINT): 128 + 2. Bulk work stopped after a whole batch.
    case interrupted = 130
    /// Standard output was closed (the program reading a pipe exited: `| head`): 128 + 13,
    /// as for SIGPIPE. Bulk work stopped after a whole batch and said so on standard error.
    case outputClosed = 141
    /// Stopped by SIGTERM: 128 + 15. Bulk work stopped after a whole batch.
    case terminated = 143

    /// What the code means, for the help's table.
    public var meaning: String {
        switch self {
        case .success: "success"
        case .negative: "the command ran but the outcome is negative (a check crossed a limit, entries were left unchanged)"
        case .usage: "usage error: unknown command or option, bad value"
        case .notFound: "not found: entry, table, column or record"
        case .unusableSchema: "the schema is not a usable Heroku Connect schema"
        case .unavailable: "the database cannot be reached"
        case .internalError: "internal error"
        case .ioError: "an output could not be written (the audit log); the batches before are done and logged"
        case .temporaryFailure: "temporary failure: lock busy, another cleanup running, transient errors outlasted the retries; try again later"
        case .permissionDenied: "authentication failed or permission denied"
        case .hangup: "hung up (SIGHUP, the terminal closed); bulk work stopped after a whole batch"
        case .interrupted: "interrupted by Ctrl-C (SIGINT); bulk work stopped after a whole batch"
        case .outputClosed: "standard output was closed (its reader exited); bulk work stopped after a whole batch"
        case .terminated: "stopped by SIGTERM; bulk work stopped after a whole batch"
        }
    }
}
