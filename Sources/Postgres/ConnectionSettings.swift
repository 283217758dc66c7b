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
        secrets += rawURLPasswords
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

    /// The connection string with its password replaced by `***`, safe to show: the
    /// password of a URL's user information and of its `password` query parameter, or of a
    /// keyword string's `password=`.
    public var redactedConnectionString: String {
        guard let connectionString else { return "" }
        let ranges = urlPasswordRanges
        if !ranges.isEmpty {
            var copy = connectionString
            // from the end, so the earlier ranges stay valid
            for range in ranges.sorted(by: { $0.lowerBound > $1.lowerBound }) {
                copy.unicodeScalars.replaceSubrange(range, with: Redactor.mask.unicodeScalars)
            }
            return copy
        }
        if isConnectionInfo, !isURL, connectionString.containsUTF8("password") {
            return Self.redactKeywordPassword(in: connectionString)
        }
        return connectionString
    }

    /// True for a `postgres://` or `postgresql://` URL.
    private var isURL: Bool {
        guard let scalars = connectionString?.unicodeScalars else { return false }
        return scalars.starts(with: "postgresql://".unicodeScalars) || scalars.starts(with: "postgres://".unicodeScalars)
    }

    /// The passwords as written inside a URL, undecoded.
    private var rawURLPasswords: [String] {
        guard let connectionString else { return [] }
        return urlPasswordRanges.map { String(connectionString.unicodeScalars[$0]) }
    }

    /// Where a URL's passwords are, in its Unicode scalars, found the way libpq finds them
    /// (`conninfo_uri_parse_options`), by bytes rather than characters (an `@` that a
    /// combining mark follows is still the `@`): the user information is what comes before
    /// the first `@` that no `/` precedes, and its password what follows its first `:`
    /// (`?` and `#` are ordinary characters there); after the first `?`, the value of each
    /// `password` parameter, up to the next `&`.
    private var urlPasswordRanges: [Range<String.Index>] {
        guard isURL, let scalars = connectionString?.unicodeScalars else { return [] }
        let prefixes = ["postgresql://", "postgres://"]
        guard let prefix = prefixes.first(where: { scalars.starts(with: $0.unicodeScalars) }) else { return [] }
        let afterScheme = scalars.index(scalars.startIndex, offsetBy: prefix.unicodeScalars.count)
        var ranges: [Range<String.Index>] = []
        var hostStart = afterScheme
        if let stop = scalars[afterScheme...].firstIndex(where: { $0 == "@" || $0 == "/" }), scalars[stop] == "@" {
            hostStart = scalars.index(after: stop)
            if let colon = scalars[afterScheme..<stop].firstIndex(of: ":") {
                let start = scalars.index(after: colon)
                if start < stop { ranges.append(start..<stop) }
            }
        }
        if let question = scalars[hostStart...].firstIndex(of: "?") {
            var index = scalars.index(after: question)
            while index < scalars.endIndex {
                let end = scalars[index...].firstIndex(of: "&") ?? scalars.endIndex
                // the keyword is percent-decoded too: pa%73sword is password
                if let equals = scalars[index..<end].firstIndex(of: "="),
                    Self.percentDecoded(String(scalars[index..<equals])) == "password"
                {
                    let start = scalars.index(after: equals)
                    if start < end { ranges.append(start..<end) }
                }
                index = end < scalars.endIndex ? scalars.index(after: end) : end
            }
        }
        return ranges
    }

    /// `%XX` sequences decoded to their bytes (invalid ones kept as written).
    static func percentDecoded(_ text: String) -> String {
        var bytes: [UInt8] = []
        let utf8 = Array(text.utf8)
        var index = 0
        while index < utf8.count {
            if utf8[index] == UInt8(ascii: "%"), index + 2 < utf8.count,
                let value = UInt8(String(decoding: utf8[(index + 1)...(index + 2)], as: UTF8.self), radix: 16)
            {
                bytes.append(value)
                index += 3
            } else {
                bytes.append(utf8[index])
                index += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
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
