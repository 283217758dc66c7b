import CLibPQ

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// How to reach a PostgreSQL server: a connection string, or libpq's defaults.
///
/// The connection string is whatever libpq accepts — a `postgres://` or `postgresql://`
/// URL, a keyword string such as `host=db port=5433 sslmode=require`, or a bare database
/// name. It is handed to libpq unchanged through `PQconnectdbParams` with `expand_dbname`,
/// so every libpq parameter (`sslmode`, `sslrootcert`, `options`, `target_session_attrs`,
/// ...) passes through. Parameters the string leaves out come from libpq's `PG*` environment
/// variables and built-in defaults, exactly as for `psql`.
public struct ConnectionSettings: Sendable {
    /// A libpq keyword and its value.
    public struct Parameter: Sendable, Equatable {
        public var keyword: String
        public var value: String

        public init(_ keyword: String, _ value: String) {
            self.keyword = keyword
            self.value = value
        }
    }

    /// The URL or keyword string; nil or empty to use libpq's defaults alone.
    public var connectionString: String?
    /// Parameters applied before the connection string, which overrides them.
    public var defaults: [Parameter]
    /// Parameters applied after the connection string, overriding it.
    public var overrides: [Parameter]

    /// Creates settings from a connection string (nil: libpq's `PG*` defaults).
    ///
    /// - Parameters:
    ///   - connectionString: A URL, a keyword string or a database name.
    ///   - defaults: Used only where neither the string nor the environment says otherwise;
    ///     `fallback_application_name` is the usual one.
    ///   - overrides: Win over the string (tests use this to pick another database).
    public init(
        connectionString: String?, defaults: [Parameter] = [], overrides: [Parameter] = []
    ) {
        let trimmed = connectionString?.trimmingWhitespace()
        self.connectionString = (trimmed?.isEmpty ?? true) ? nil : trimmed
        self.defaults = defaults
        self.overrides = overrides
    }

    /// True when the string is a URL or keyword string rather than a bare database name
    /// (libpq's own rule for `expand_dbname`).
    var isConnectionInfo: Bool {
        guard let connectionString else { return false }
        // bytes, as libpq reads them
        let bytes = connectionString.utf8
        return bytes.starts(with: "postgres://".utf8) || bytes.starts(with: "postgresql://".utf8)
            || bytes.contains(UInt8(ascii: "="))
    }

    /// The parameters the connection string sets explicitly, parsed by libpq
    /// (`PQconninfoParse`).
    ///
    /// - Throws: ``PostgresError/Kind/invalidConnectionString`` with libpq's message,
    ///   redacted, when libpq cannot parse the string.
    public func explicitParameters() throws(PostgresError) -> [String: String] {
        guard let connectionString else { return [:] }
        guard isConnectionInfo else { return ["dbname": connectionString] }
        guard !connectionString.utf8.contains(0) else {
            throw PostgresError(.invalidConnectionString, message: "the connection string contains a NUL byte")
        }
        var errorMessage: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(connectionString, &errorMessage) else {
            defer { if let errorMessage { PQfreemem(errorMessage) } }
            let text = errorMessage.map { String(cString: $0) } ?? "invalid connection string"
            throw PostgresError.fromLibpqMessage(
                text, kind: .invalidConnectionString, redactor: redactor(parsed: [:]))
        }
        defer { PQconninfoFree(options) }
        var result: [String: String] = [:]
        var option = options
        while let keyword = option.pointee.keyword {
            if let value = option.pointee.val {
                result[String(cString: keyword)] = String(cString: value)
            }
            option += 1
        }
        return result
    }

    /// A redactor for everything this connection's texts may echo: the password of the
    /// string, the raw password inside a URL, `PGPASSWORD`, and the whole string itself.
    public func redactor() -> Redactor {
        redactor(parsed: (try? explicitParameters()) ?? [:])
    }

    /// The redactor, from parameters ``explicitParameters()`` returned already.
    func redactor(parsed: [String: String]) -> Redactor {
        var secrets: [String] = []
        if let password = parsed["password"] { secrets.append(password) }
        if let raw = rawURLPassword { secrets.append(raw) }
        if let password = overrides.first(where: { $0.keyword == "password" })?.value {
            secrets.append(password)
        }
        if let environmentPassword = getenvString("PGPASSWORD") { secrets.append(environmentPassword) }
        var whole: [(String, String)] = []
        if let connectionString, connectionString != redactedConnectionString {
            whole.append((connectionString, redactedConnectionString))
        }
        return Redactor(secrets: secrets, wholeStrings: whole)
    }

    /// The connection string with its password replaced by `***`, safe to show.
    public var redactedConnectionString: String {
        guard let connectionString else { return "" }
        if let range = rawURLPasswordRange {
            var copy = connectionString
            copy.unicodeScalars.replaceSubrange(range, with: Redactor.mask.unicodeScalars)
            return copy
        }
        if isConnectionInfo, connectionString.containsUTF8("password") {
            return Self.redactKeywordPassword(in: connectionString)
        }
        return connectionString
    }

    /// The password as written inside a `postgres://user:password@host` URL, undecoded.
    private var rawURLPassword: String? {
        guard let connectionString, let range = rawURLPasswordRange else { return nil }
        return String(connectionString.unicodeScalars[range])
    }

    /// Where the password of a URL is, in its Unicode scalars: found by scalars, not
    /// characters, as libpq finds it by bytes (an `@` that a combining mark follows is
    /// still the `@`).
    private var rawURLPasswordRange: Range<String.Index>? {
        guard let scalars = connectionString?.unicodeScalars else { return nil }
        let prefixes = ["postgresql://", "postgres://"]
        guard let prefix = prefixes.first(where: { scalars.starts(with: $0.unicodeScalars) }) else { return nil }
        let afterScheme = scalars.index(scalars.startIndex, offsetBy: prefix.unicodeScalars.count)
        let authorityEnd = scalars[afterScheme...].firstIndex(where: { $0 == "/" || $0 == "?" })
            ?? scalars.endIndex
        let authority = scalars[afterScheme..<authorityEnd]
        guard let at = authority.lastIndex(of: "@") else { return nil }
        let userInfo = authority[..<at]
        guard let colon = userInfo.firstIndex(of: ":") else { return nil }
        let start = scalars.index(after: colon)
        return start < at ? start..<at : nil
    }

    /// Replaces the value of `password=` in a keyword string, quoted or not.
    static func redactKeywordPassword(in text: String) -> String {
        var result = ""
        var scalars = text.unicodeScalars[...]
        while let range = scalars.firstRange(of: "password".unicodeScalars) {
            result.unicodeScalars.append(contentsOf: scalars[..<range.upperBound])
            scalars = scalars[range.upperBound...]
            var lookahead = scalars.drop(while: { $0 == " " })
            guard lookahead.first == "=" else { continue }
            lookahead = lookahead.dropFirst().drop(while: { $0 == " " })
            result += "="
            if lookahead.first == "'" {
                var rest = lookahead.dropFirst()
                while let scalar = rest.first, scalar != "'" {
                    rest = rest.dropFirst(scalar == "\\" ? 2 : 1)
                }
                scalars = rest.dropFirst()
            } else {
                scalars = lookahead.drop(while: { $0 != " " })
            }
            result += Redactor.mask
        }
        result.unicodeScalars.append(contentsOf: scalars)
        return result
    }
}

func getenvString(_ name: String) -> String? {
    guard let value = getenv(name) else { return nil }
    let string = String(cString: value)
    return string.isEmpty ? nil : string
}
