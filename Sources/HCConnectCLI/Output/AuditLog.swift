import HerokuConnect
import Postgres

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `--audit-log FILE` (or `HCCONNECT_AUDIT_LOG`): one JSON line appended for every batch of
/// changes that committed, by every command that changes entries, so that who changed what,
/// when and how can be answered later:
///
/// ```json
/// {"time":"2026-12-05T11:40:02.118Z","user":"ana","database_role":"hc_ops",
///  "command":["hcconnect","ignore","--failed","--code","DUPLICATE_VALUE","--yes"],
///  "schema":"salesforce","action":"ignore","write_mode":null,"batch":1,
///  "changes":[{"id":4711,"in":"live","step":"ignored"}]}
/// ```
///
/// A line is written only after its batch committed, in one `write` to a file opened for
/// appending (so the lines of concurrent runs never interleave), and synced to disk. When
/// it cannot be written, the run stops after that batch: exit 74.
final class AuditLog {
    let path: String
    private let descriptor: Int32
    private let header: JSONObjectWriter
    private let databaseRole: () -> String?
    private var role: String??

    /// Opens the audit log the command line or the environment names; nil when none does.
    ///
    /// - Parameters:
    ///   - commandLine: The arguments as typed; passwords are masked before they are written.
    ///   - databaseRole: Asked once, at the first line: the session's `current_user`.
    /// - Throws: ``CommandFailure`` (exit 74) when the file cannot be opened for appending.
    static func open(
        _ options: GlobalOptions, environment: [String: String], commandLine: [String],
        databaseRole: @escaping () -> String?
    ) throws -> AuditLog? {
        guard let path = options.auditLog else { return nil }
        let descriptor = Glibc.open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw CommandFailure(
                status: .ioError,
                message: "cannot open the audit log \(DisplayText.sanitized(path)): \(ExportCheckpoint.systemMessage(errno));"
                    + " nothing was changed")
        }
        var header = JSONObjectWriter()
        var command: [UInt8] = [UInt8(ascii: "[")]
        for (index, argument) in (["hcconnect"] + commandLine.map(ArgumentError.passwordMasked)).enumerated() {
            if index > 0 { command.append(UInt8(ascii: ",")) }
            JSONObjectWriter.appendString(argument, to: &command)
        }
        command.append(UInt8(ascii: "]"))
        header.add("command", raw: command)
        header.add("schema", options.schema)
        return AuditLog(
            path: path, descriptor: descriptor, user: environment["USER"] ?? environment["LOGNAME"] ?? Self.loginName(),
            header: header, databaseRole: databaseRole)
    }

    private let user: String?

    private init(
        path: String, descriptor: Int32, user: String?, header: JSONObjectWriter, databaseRole: @escaping () -> String?
    ) {
        self.path = path
        self.descriptor = descriptor
        self.user = user
        self.header = header
        self.databaseRole = databaseRole
    }

    /// The name of the process's user in the password database, when `USER` and `LOGNAME`
    /// are not set (cron sets them; `env -i` and some containers do not).
    private static func loginName() -> String? {
        guard let entry = getpwuid(geteuid()), let name = entry.pointee.pw_name else { return nil }
        return String(cString: name)
    }

    deinit { close(descriptor) }

    /// Appends the line of a repair's batch that just committed: the changes of `summary`
    /// after the first `logged`, which then counts them; nothing when the batch changed
    /// nothing.
    func record(_ action: RepairAction, _ summary: RepairSummary, logged: inout Int) throws {
        guard summary.changes.count > logged else { return }
        try record(
            action: action.name, writeMode: action.writeModeName, batch: summary.batches,
            changes: RepairReport.changesArray(summary.changes[logged...]))
        logged = summary.changes.count
    }

    /// Appends the line of one committed batch.
    ///
    /// - Parameters:
    ///   - action: `retry`, `ignore`, `capture-insert`, `capture-update`.
    ///   - writeMode: A retry's write mode.
    ///   - changes: The batch's changes as JSON objects.
    /// - Throws: ``CommandFailure`` (exit 74) when the line cannot be written whole and synced.
    func record(action: String, writeMode: String?, batch: Int, changes: [UInt8]) throws {
        if role == nil { role = databaseRole() }
        var line = JSONObjectWriter()
        line.add("time", EventLog.now())
        line.add("user", user)
        line.add("database_role", role ?? nil)
        line.add(fieldsOf: header)
        line.add("action", action)
        line.add("write_mode", writeMode)
        line.add("batch", batch)
        line.add("changes", raw: changes)
        let bytes = line.finished() + [UInt8(ascii: "\n")]
        let written = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
        let error = written == bytes.count ? (fsync(descriptor) == 0 ? nil : errno) : (written < 0 ? errno : ENOSPC)
        if let error {
            throw CommandFailure(
                status: .ioError,
                message: "cannot write the audit log \(DisplayText.sanitized(path)): \(ExportCheckpoint.systemMessage(error));"
                    + " stopped after batch \(batch), which is committed but not logged")
        }
    }
}
