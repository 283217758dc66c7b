#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Long help and listings on a terminal go through a pager, the way git does it: the
/// command is `HCCONNECT_PAGER`, else `PAGER`, else `less`, run by `/bin/sh -c`, with `LESS`
/// set to `FRX` unless it is set (quit when the text fits one screen, keep colours, leave
/// the text on the screen). An empty value or `cat` means no pager, as does `--no-pager`;
/// standard output that is not a terminal never gets one.
///
/// Standard output, and standard error when it is the terminal too, are redirected into
/// the pager's input; ``finish()`` closes them and waits for the pager, so the shell's
/// prompt comes after it.
final class Pager {
    private let pid: pid_t
    private let savedOutput: Int32
    private let savedErrors: Int32?

    /// The pager's command line for this environment; nil for none.
    static func command(environment: [String: String]) -> String? {
        let chosen = environment["HCCONNECT_PAGER"] ?? environment["PAGER"]
        if let chosen {
            let trimmed = chosen.trimmingWhitespace()
            return trimmed.isEmpty || trimmed == "cat" ? nil : trimmed
        }
        // the default only where it is installed: a missing pager would swallow the output
        let path = environment["PATH"] ?? "/usr/bin:/bin"
        let found = path.split(separator: ":").contains { access(String($0) + "/less", X_OK) == 0 }
        return found ? "less" : nil
    }

    /// Starts the pager and sends standard output (and a terminal's standard error) to it;
    /// nil when there is none to start or it cannot be started (the output then goes to
    /// the terminal as usual).
    static func start(environment: [String: String]) -> Pager? {
        guard isatty(1) == 1, let command = command(environment: environment) else { return nil }
        var ends: [Int32] = [0, 0]
        guard pipe(&ends) == 0 else { return nil }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, ends[0], 0)
        posix_spawn_file_actions_addclose(&actions, ends[0])
        posix_spawn_file_actions_addclose(&actions, ends[1])
        var variables = environment
        if variables["LESS"] == nil { variables["LESS"] = "FRX" }
        if variables["LV"] == nil { variables["LV"] = "-c" }
        let arguments: [String] = ["/bin/sh", "-c", command]
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = variables.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid = pid_t()
        guard posix_spawn(&pid, "/bin/sh", &actions, nil, argv, envp) == 0 else {
            close(ends[0])
            close(ends[1])
            return nil
        }
        close(ends[0])
        let savedOutput = dup(1)
        dup2(ends[1], 1)
        var savedErrors: Int32?
        if isatty(2) == 1 {
            savedErrors = dup(2)
            dup2(ends[1], 2)
        }
        close(ends[1])
        return Pager(pid: pid, savedOutput: savedOutput, savedErrors: savedErrors)
    }

    private init(pid: pid_t, savedOutput: Int32, savedErrors: Int32?) {
        self.pid = pid
        self.savedOutput = savedOutput
        self.savedErrors = savedErrors
    }

    /// Ends the pager's input and waits for the person to quit it. Call after the last
    /// output was flushed.
    func finish() {
        dup2(savedOutput, 1)
        close(savedOutput)
        if let savedErrors {
            dup2(savedErrors, 2)
            close(savedErrors)
        }
        // Ctrl-C belongs to the pager now (less uses it to stop a search)
        let previous = signal(SIGINT, SIG_IGN)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        signal(SIGINT, previous)
    }
}
