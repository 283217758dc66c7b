import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Completes command lines with the bash script: sources it into `bash --norc --noprofile`,
/// sets `COMP_WORDS`, `COMP_CWORD`, `COMP_LINE` and `COMP_POINT` as bash does when Tab is
/// pressed at the end of the line, and calls the function `complete -p hcconnect` names.
struct BashCompleter {
    /// The bash-completion package's main script: HCCONNECT_TEST_BASH_COMPLETION, else where
    /// Debian installs it.
    static let bashCompletionPackage =
        ProcessInfo.processInfo.environment["HCCONNECT_TEST_BASH_COMPLETION"] ?? "/usr/share/bash-completion/bash_completion"

    let script: String
    /// Shell text run before the script is sourced.
    var prelude = ""
    /// Whether to run with `set -u`, so a reference to an unset variable fails the test.
    var strict = true
    /// `COMP_WORDBREAKS` without the blanks; bash's default.
    var wordBreaks = "\"'><=;|&(:"
    /// Variables added to a minimal environment (no hcconnect on PATH, no database).
    var environment: [String: String] = [:]

    /// The candidates (`COMPREPLY`) for each line, in order.
    func complete(_ lines: [String]) throws -> [[String]] {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let scriptPath = folder + "/hcconnect.bash"
        try script.write(toFile: scriptPath, atomically: true, encoding: .utf8)
        var program = prelude + "\n" + (strict ? "set -u\n" : "")
        program += "COMP_WORDBREAKS=\(Self.quoted(" \t\n" + wordBreaks))\nsource \(Self.quoted(scriptPath))\n"
        program += """
            completer=$(complete -p hcconnect) || exit 8
            completer=${completer#*-F }
            completer=${completer%% *}

            """
        for line in lines {
            let words = Self.words(line, breaks: Set(wordBreaks))
            program += "COMP_WORDS=(" + words.map(Self.quoted).joined(separator: " ") + ")\n"
            program += "COMP_CWORD=\(words.count - 1) COMP_LINE=\(Self.quoted(line)) COMP_POINT=\(line.utf8.count) COMPREPLY=()\n"
            program += """
                "$completer" hcconnect "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
                echo '#CASE'
                for reply in "${COMPREPLY[@]}"; do printf 'R %s\\n' "$reply"; done

                """
        }
        var env = ["PATH": "/usr/bin:/bin", "HOME": folder, "DATABASE_URL": "postgresql://127.0.0.1:1/never"]
        env.merge(environment) { $1 }
        let result = try runProcess("/bin/bash", ["--norc", "--noprofile", "-c", program], environment: env)
        guard result.status == 0, result.stderr.isEmpty else {
            throw TestSetupError("bash exited \(result.status): \(result.stderr)")
        }
        var replies: [[String]] = []
        for line in result.stdout.split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "#CASE" {
                replies.append([])
            } else if line.hasPrefix("R ") {
                replies[replies.count - 1].append(String(line.dropFirst(2)))
            }
        }
        return replies
    }

    /// The line split into `COMP_WORDS` as bash splits it: at blanks, and around runs of
    /// word-break characters, which become words of their own; an empty last word when the
    /// line ends with a blank.
    static func words(_ line: String, breaks: Set<Character>) -> [String] {
        var words: [String] = []
        for token in line.split(separator: " ") {
            var current = ""
            for character in token {
                if let last = current.last, breaks.contains(last) != breaks.contains(character) {
                    words.append(current)
                    current = ""
                }
                current.append(character)
            }
            words.append(current)
        }
        if line.hasSuffix(" ") || words.isEmpty { words.append("") }
        return words
    }

    /// The text in single quotes for the shell.
    static func quoted(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}

/// Completes command lines with the zsh script, in a `zsh -f -i` run in a pseudo-terminal by
/// zsh/zpty: Tab runs the real completion system, a wrapper around `compadd` records what was
/// offered, and a key bound after Tab records the edited line.
struct ZshCompleter {
    /// How the script is loaded.
    enum Loading: String, Sendable, CustomStringConvertible {
        /// `source` after compinit.
        case sourced
        /// Saved as `_hcconnect` in a directory of `fpath` before compinit.
        case fpath

        var description: String { rawValue }
    }

    /// What one Tab did.
    struct Result {
        /// The candidates offered, in order, without duplicates.
        var matches: [String] = []
        /// The candidates as listed, with their descriptions.
        var descriptions: [String] = []
        /// The command line after the Tab.
        var buffer = ""
    }

    let script: String
    let loading: Loading
    var environment: [String: String] = [:]
    /// The working directory of the shell.
    var directory: String?

    func complete(_ lines: [String]) throws -> [Result] {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try script.write(toFile: folder + "/_hcconnect", atomically: true, encoding: .utf8)
        try Self.driver.write(toFile: folder + "/driver.zsh", atomically: true, encoding: .utf8)
        let out = folder + "/out.txt"
        var env = ["PATH": "/usr/bin:/bin", "HOME": folder, "TERM": "dumb", "DATABASE_URL": "postgresql://127.0.0.1:1/never"]
        env.merge(environment) { $1 }
        let result = try runProcess(
            try zshPath(), ["-f", folder + "/driver.zsh", loading.rawValue, folder + "/_hcconnect", out, directory ?? folder] + lines,
            environment: env)
        guard result.status == 0 else { throw TestSetupError("zsh exited \(result.status): \(result.stderr)") }
        var results: [Result] = []
        for line in try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n") {
            if line.hasPrefix("LINE ") {
                results.append(Result())
            } else if line.hasPrefix("MATCH "), !results.isEmpty {
                let match = String(line.dropFirst(6))
                if !results[results.count - 1].matches.contains(match) { results[results.count - 1].matches.append(match) }
            } else if line.hasPrefix("DISPLAY "), !results.isEmpty {
                results[results.count - 1].descriptions.append(String(line.dropFirst(8)))
            } else if line.hasPrefix("BUFFER "), !results.isEmpty {
                results[results.count - 1].buffer = String(line.dropFirst(7))
            }
        }
        guard results.count == lines.count else { throw TestSetupError("zsh completed \(results.count) of \(lines.count) lines") }
        return results
    }

    /// `zsh -f driver.zsh MODE SCRIPT OUT DIRECTORY LINE...`: types each line and Tab into
    /// an interactive zsh, waiting for each to finish, and writes what happened to OUT.
    static let driver = #"""
        mode=$1 script=$2 out=$3 directory=$4
        shift 4
        zmodload zsh/zpty || exit 1
        : >| $out
        # Non-blocking, so that drain reads what the shell wrote to its terminal (listings)
        # without waiting, and the terminal never fills up.
        zpty -b z zsh -f -i
        drain() { local chunk; while zpty -r z chunk; do :; done }
        wait_for() {
            local i
            local -a lines found
            for i in {1..200}; do
                drain
                lines=("${(@f)$(<$out)}")
                found=(${(M)lines:#$1})
                (( $#found >= $2 )) && return 0
                sleep 0.05
            done
            print -u2 "timed out waiting for $1 ($2)"
            zpty -d z
            exit 1
        }
        zpty -w z "PS1='' RPS1='' PROMPT_EOL_MARK='' LISTMAX=100000; stty columns 250 2>/dev/null; cd ${(q)directory}"
        if [[ $mode == fpath ]]; then
            zpty -w z "fpath=(${(q)script:h} \$fpath); autoload -U compinit && compinit -u -D"
        else
            zpty -w z "autoload -U compinit && compinit -u -D && source ${(q)script}"
        fi
        zpty -w z 'compadd() {
            if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then builtin compadd "$@"; return; fi
            local -a __matches __displays; local __index __display=
            builtin compadd -O __matches "$@"
            (( __index = ${@[(I)-d]} )) && __display=${@[__index+1]}
            if [[ -n $__display && $__display != \(* ]]; then __displays=("${(@P)__display}"); fi
            (( $#__displays )) && print -rl -- "${__displays[@]/#/DISPLAY }" >> '${(q)out}'
            (( $#__matches )) && print -rl -- "${__matches[@]/#/MATCH }" >> '${(q)out}'
            builtin compadd "$@"
        }'
        zpty -w z 'record-line() { print -r -- "BUFFER $BUFFER" >> '${(q)out}'; print -r -- DONE >> '${(q)out}'; zle kill-whole-line }'
        zpty -w z 'zle -N record-line; bindkey "^T" record-line; print -r -- READY >> '${(q)out}
        wait_for READY 1
        integer n=0
        for line in "$@"; do
            print -r -- "LINE $line" >> $out
            zpty -w -n z "$line"$'\t\x14'
            wait_for DONE $(( ++n ))
        done
        zpty -d z
        """#
}

/// A TCP port that accepts connections and never answers, like a database behind a dead
/// network path.
final class SilentListener {
    let port: Int
    private let descriptor: Int32

    init() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                bind(descriptor, address, length) == 0 && listen(descriptor, 16) == 0
                    && getsockname(descriptor, address, &length) == 0
            }
        }
        guard descriptor >= 0, bound else {
            if descriptor >= 0 { close(descriptor) }
            throw TestSetupError("cannot listen on 127.0.0.1")
        }
        self.descriptor = descriptor
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { close(descriptor) }
}

/// zsh, which Tests/Scripts/deps.sh installs.
func zshPath() throws -> String {
    for path in ["/usr/bin/zsh", "/bin/zsh", "/usr/local/bin/zsh"] where FileManager.default.isExecutableFile(atPath: path) {
        return path
    }
    throw TestSetupError("zsh is not installed: run 'make deps' (Tests/Scripts/deps.sh) or apt-get install zsh")
}

/// A new empty folder under the temporary directory.
func temporaryFolder() throws -> String {
    let path = NSTemporaryDirectory() + "hcconnect-completion-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// A path in /tmp short enough to go into a table name (PostgreSQL keeps 63 bytes of a name).
func shortTemporaryPath() -> String {
    "/tmp/hc" + String(UInt32.random(in: 0...UInt32.max), radix: 16)
}

/// `environment` with the built hcconnect first on PATH, as an installed one would be.
func builtBinaryEnvironment(_ environment: [String: String]) throws -> [String: String] {
    let folder = TestDatabase.packageRoot.appendingPathComponent(".build/debug").path
    guard FileManager.default.isExecutableFile(atPath: folder + "/hcconnect") else {
        throw TestSetupError("\(folder)/hcconnect is not built: run 'swift build' first")
    }
    return environment.merging(["PATH": folder + ":/usr/bin:/bin"]) { $1 }
}

/// `text` quoted as bash's `printf %q` quotes it.
func bashQuoted(_ text: String) throws -> String {
    try runProcess("/bin/bash", ["--norc", "--noprofile", "-c", "printf %q \"$1\"", "bash", text]).stdout
}
