import HerokuAPI
import HerokuConnect
import Postgres

/// How an error is told to the user: one line, and the exit status it maps to.
struct FailureReport: Equatable {
    let status: ExitStatus
    let message: String
    /// Further advice, shown with --verbose.
    let hint: String?

    init(status: ExitStatus, message: String, hint: String? = nil) {
        self.status = status
        self.message = message
        self.hint = hint
    }

    /// Maps any error hcconnect can meet to its report: the single place where exit codes
    /// are chosen for failures.
    init(_ error: any Error) {
        switch error {
        case let error as ArgumentError:
            self.init(status: .usage, message: error.description)
        case let error as HerokuConnectError:
            self.init(error)
        case let error as PostgresError:
            self.init(error)
        case let error as HerokuAPIError:
            self.init(error)
        case let error as CommandFailure:
            self.init(status: error.status, message: error.message)
        case let error as RetriesExhausted:
            // A server that was never reached stays "unavailable"; anything else that kept
            // failing is temporary, a server lost in the middle of the work included (there
            // the last error is a failed reconnection, but the server had been reached).
            let last = FailureReport(error.lastError)
            let neverReached = error.lastError.kind == .connectionFailed && error.operation == CommandContext.connecting
            self.init(
                status: neverReached ? last.status : .temporaryFailure,
                message: last.message + " (\(error.summary))", hint: last.hint)
        case let error as Interrupted:
            switch error.status {
            case .outputClosed: self.init(status: .outputClosed, message: "standard output was closed; stopped")
            case .hangup: self.init(status: .hangup, message: "hung up")
            default: self.init(status: error.status, message: "interrupted")
            }
        default:
            self.init(status: .internalError, message: "internal error: \(error)")
        }
    }

    private init(_ error: HerokuConnectError) {
        switch error {
        case .schemaNotFound, .notAConnectSchema:
            // the domain lists the schemas to choose from; how to choose one is the CLI's to say
            let choice = error.schemasToChooseFrom?.isEmpty == false ? " (use --schema or HEROKU_CONNECT_SCHEMA)" : ""
            self.init(status: .unusableSchema, message: error.description + choice)
        case .hstoreMissing, .captureProcedureMissing:
            self.init(status: .unusableSchema, message: error.description)
        case .tableNotMapped, .tableNotFound, .entryNotFound, .sfidNotFound, .recordNotFound, .columnNotFound:
            self.init(status: .notFound, message: error.description)
        case .tableNotRepairable(let table, _):
            self.init(
                status: .usage,
                message: error.description + " (hcconnect ignore --failed --table \(table) silences them)")
        case .entryLocked, .cleanupRunning:
            self.init(status: .temporaryFailure, message: error.description)
        }
    }

    /// The Heroku APIs' errors; the domain says what is wrong, the CLI how to fix it.
    private init(_ error: HerokuAPIError) {
        switch error {
        case .credentials:
            self.init(
                status: .permissionDenied,
                message: error.description + "; set HEROKU_API_KEY, or log in with heroku login (~/.netrc)")
        case .unauthorized(let status, _):
            self.init(
                status: .permissionDenied,
                message: error.description
                    + (status == 401 ? "; check HEROKU_API_KEY or log in again with heroku login" : ""))
        case .unknownApp, .noConnection, .unknownMapping, .missingConfigVar:
            self.init(status: .notFound, message: error.description)
        case .multipleConnections:
            // the plugin's words: "Multiple connections found. Please use '--resource' ..."
            self.init(status: .usage, message: error.description + "; choose one with --resource NAME")
        case .network:
            self.init(status: .unavailable, message: error.description)
        case .unavailable:
            self.init(status: .temporaryFailure, message: error.description + "; try again later")
        case .unexpectedResponse:
            self.init(status: .unavailable, message: error.description)
        case .refused:
            self.init(status: .negative, message: error.description)
        }
    }

    private init(_ error: PostgresError) {
        let detail = [error.detail, error.hint].compactMap { $0 }.joined(separator: " ")
        let hint = detail.isEmpty ? nil : detail
        switch error.kind {
        case .invalidConnectionString:
            self.init(status: .usage, message: "invalid database URL: \(error.message)", hint: hint)
        case .connectionFailed:
            self.init(status: .unavailable, message: "cannot connect to the database: \(error.message)", hint: hint)
        case .authenticationFailed:
            self.init(status: .permissionDenied, message: "the database refused the login: \(error.message)", hint: hint)
        case .connectionLost:
            self.init(status: .temporaryFailure, message: "lost the connection to the database: \(error.message)", hint: hint)
        case .commitOutcomeUnknown:
            self.init(
                status: .temporaryFailure,
                message: "lost the connection while committing; the last batch may or may not have been saved: "
                    + error.message, hint: hint)
        case .invalidInput:
            self.init(status: .usage, message: error.message, hint: hint)
        case .unexpectedResult:
            self.init(status: .internalError, message: "unexpected answer from the database: \(error.message)", hint: hint)
        case .server where error.sqlState == SQLState.readOnlySQLTransaction:
            // default_transaction_read_only, a follower, a hot standby: waiting will not help
            self.init(
                status: .permissionDenied,
                message: "the database is read-only (a follower, a standby, or default_transaction_read_only), "
                    + "so nothing can be changed there; use the primary's URL",
                hint: hint)
        case .server:
            self.init(status: Self.status(forSQLState: error.sqlState), message: "database error: \(error.description)", hint: hint)
        }
    }

    /// The exit status for a server error, by SQLSTATE (and class).
    static func status(forSQLState sqlState: String?) -> ExitStatus {
        guard let sqlState else { return .internalError }
        switch sqlState {
        case SQLState.insufficientPrivilege, SQLState.readOnlySQLTransaction: return .permissionDenied
        case SQLState.lockNotAvailable, SQLState.serializationFailure, SQLState.deadlockDetected, SQLState.queryCanceled,
            SQLState.adminShutdown, SQLState.crashShutdown, SQLState.cannotConnectNow, SQLState.objectInUse:
            return .temporaryFailure
        case SQLState.invalidCatalogName: return .unavailable
        case SQLState.undefinedTable, SQLState.invalidSchemaName, SQLState.undefinedFunction, SQLState.undefinedColumn:
            return .unusableSchema
        default: break
        }
        switch sqlState.prefix(2) {
        case "08": return .unavailable
        case "28": return .permissionDenied
        case "53", "58": return .temporaryFailure
        default: return .internalError
        }
    }
}

/// A failure a command reports in its own words, with its exit status.
struct CommandFailure: Error, Equatable {
    let status: ExitStatus
    let message: String
}
