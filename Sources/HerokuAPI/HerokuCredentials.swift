import Postgres

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The Heroku API token, found the way the Heroku CLI finds it: `HEROKU_API_KEY`, else the
/// password of the `api.heroku.com` machine in `~/.netrc` (`NETRC` names another file).
///
/// The token is never part of a description, an error or a log line: ``source`` says where
/// it came from, and ``redacted`` stands for it.
public struct HerokuCredentials: Sendable, CustomStringConvertible {
    /// The bearer token.
    public let token: String
    /// Where it was found: `HEROKU_API_KEY`, or the netrc file's path.
    public let source: String

    /// What stands for the token in anything shown.
    public static let redacted = "[redacted]"

    public var description: String { "Heroku API token from \(source)" }

    public init(token: String, source: String) {
        self.token = token
        self.source = source
    }

    /// The machine whose netrc entry holds the token (the Heroku CLI logs in to it).
    public static let machine = "api.heroku.com"

    /// The token from `environment`, else from the netrc file.
    ///
    /// - Returns: nil when neither has one.
    /// - Throws: ``HerokuAPIError/credentials(_:)`` when the netrc file exists but cannot
    ///   be read or has no password for the machine it names.
    public static func find(in environment: [String: String]) throws(HerokuAPIError) -> HerokuCredentials? {
        if let key = environment["HEROKU_API_KEY"]?.trimmingWhitespace(), !key.isEmpty {
            return HerokuCredentials(token: key, source: "HEROKU_API_KEY")
        }
        let path: String
        if let named = environment["NETRC"], !named.isEmpty {
            path = named
        } else if let home = environment["HOME"], !home.isEmpty {
            path = home + "/.netrc"
        } else {
            return nil
        }
        guard let text = readFile(path) else {
            if environment["NETRC"] != nil, !(environment["NETRC"] ?? "").isEmpty {
                throw .credentials("NETRC names \(path), which cannot be read")
            }
            return nil
        }
        guard let entry = NetrcFile(text).entry(for: machine) else { return nil }
        guard let password = entry.password, !password.isEmpty else {
            throw .credentials("\(path) has no password (the API token) for \(machine)")
        }
        return HerokuCredentials(token: password, source: path)
    }

    /// The file's text, or nil when it cannot be read.
    private static func readFile(_ path: String) -> String? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = fread(&chunk, 1, chunk.count, file)
            if count > 0 { bytes += chunk[..<count] }
            if count < chunk.count { break }
            // a netrc file is small; a huge file is not one
            if bytes.count > 1 << 20 { return nil }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// A netrc file (the format of ftp(1), curl and the Heroku CLI): `machine NAME login USER
/// password SECRET` tokens separated by any whitespace, a `default` entry for any other
/// machine, and `macdef NAME` macro definitions that run to the next blank line. Quoted
/// tokens (`"a b"`) and `#` comment lines are read as curl reads them.
public struct NetrcFile: Sendable {
    public struct Entry: Sendable, Equatable {
        public var machine: String?  // nil for `default`
        public var login: String?
        public var password: String?
    }

    public private(set) var entries: [Entry] = []

    public init(_ text: String) {
        var tokens = Self.tokens(text)[...]
        var current: Entry?
        while let token = tokens.popFirst() {
            switch token {
            case "machine":
                if let current { entries.append(current) }
                current = Entry(machine: tokens.popFirst() ?? "")
            case "default":
                if let current { entries.append(current) }
                current = Entry(machine: nil)
            case "login": current?.login = tokens.popFirst()
            case "password": current?.password = tokens.popFirst()
            case "account": _ = tokens.popFirst()
            default: break
            }
        }
        if let current { entries.append(current) }
    }

    /// The entry of `machine` (compared without case), else the `default` entry.
    public func entry(for machine: String) -> Entry? {
        entries.first { $0.machine?.lowercased() == machine.lowercased() } ?? entries.first { $0.machine == nil }
    }

    /// The file's tokens, macro definitions and comment lines left out.
    private static func tokens(_ text: String) -> [String] {
        var tokens: [String] = []
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)[...]
        while let line = lines.popFirst() {
            if line.trimmingWhitespace().hasPrefix("#") { continue }
            var current = ""
            var inQuotes = false
            var hasToken = false
            var escaped = false
            for character in line {
                if escaped {
                    current.append(character)
                    escaped = false
                } else if character == "\\" && inQuotes {
                    escaped = true
                } else if character == "\"" {
                    inQuotes.toggle()
                    hasToken = true
                } else if !inQuotes && (character == " " || character == "\t" || character == "\r") {
                    if hasToken { tokens.append(current) }
                    current = ""
                    hasToken = false
                } else {
                    current.append(character)
                    hasToken = true
                }
            }
            if hasToken { tokens.append(current) }
            // a macro runs to the next empty line and holds no tokens of the file
            if tokens.count >= 2, tokens[tokens.count - 2] == "macdef" {
                tokens.removeLast(2)
                while let body = lines.popFirst(), !body.trimmingWhitespace().isEmpty {}
            }
        }
        return tokens
    }
}
