import Foundation

/// A short command run to its end, and what it printed: the tmux commands and `stty` of
/// ``TmuxTerminal``.
struct SpawnedCommand {
    /// The exit status, or 128 + the signal's number when a signal ended it.
    let status: Int32
    let stdout: String
    /// Standard error without its surrounding white space.
    let stderr: String

    /// Runs a command to its end (at most 10 s), its output in files of `folder`.
    ///
    /// With `posix_spawn` and every descriptor above 2 closed rather than Foundation's
    /// `Process`: the tmux server the first command starts would inherit the descriptor
    /// through which `Process` learns that its child ended, and hold it open.
    static func run(_ arguments: [String], folder: String) throws -> SpawnedCommand {
        let name = UUID().uuidString
        let stdoutPath = "\(folder)/\(name).out"
        let stderrPath = "\(folder)/\(name).err"
        defer {
            unlink(stdoutPath)
            unlink(stderrPath)
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdoutPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        closeFrom(&actions, 3)
        let environment = ["PATH=/usr/bin:/bin", "LANG=C.UTF-8", "HOME=\(folder)"]
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup($0) } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid = pid_t()
        let started = posix_spawn(&pid, arguments[0], &actions, nil, argv, envp)
        guard started == 0 else {
            throw TestSetupError("cannot start \(arguments[0]): \(String(cString: strerror(started)))")
        }
        var status: Int32 = 0
        let deadline = ContinuousClock.now + .seconds(10)
        while true {
            let answer = waitpid(pid, &status, WNOHANG)
            if answer == pid { break }
            if answer == -1, errno != EINTR {
                throw TestSetupError("waitpid: \(String(cString: strerror(errno)))")
            }
            if ContinuousClock.now >= deadline {
                kill(pid, SIGKILL)
                _ = waitpid(pid, &status, 0)
                throw TestSetupError("\(arguments.joined(separator: " ")) did not end within 10 s")
            }
            Thread.sleep(forTimeInterval: 0.002)
        }
        let exited = status & 0x7f == 0
        return SpawnedCommand(
            status: exited ? (status >> 8) & 0xff : 128 + status & 0x7f,
            stdout: (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "",
            stderr: ((try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "")
                .trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34), which Swift's Glibc module
    /// does not declare: looked up with `dlsym`.
    private static func closeFrom(_ actions: inout posix_spawn_file_actions_t, _ lowest: Int32) {
        typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else {
            fatalError("this C library has no posix_spawn_file_actions_addclosefrom_np (glibc 2.34 or later needed)")
        }
        _ = unsafeBitCast(symbol, to: AddCloseFrom.self)(&actions, lowest)
    }
}
