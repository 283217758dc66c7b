import Foundation
import Postgres
import TestSupport
import Testing

/// Checks that no password reaches what a program run by the tests wrote: every in-process
/// `hcconnect(...)`, every `runProcess` and every `BackgroundProcess` calls it with what it
/// captured, so that a password showing up anywhere (an error, a `--verbose` line, a JSON
/// event) fails the test that produced it.
///
/// The passwords looked for are the test suite's (the one in `HCCONNECT_TEST_DATABASE_URL`,
/// which `make test` sets) and those the run itself was given: in `DATABASE_URL`, in
/// `PGPASSWORD`, in a `--database-url` argument (a URL or a keyword string). Each is looked for
/// as written, decoded, percent-encoded and as JSON would escape it.
enum PasswordLeakGuard {
    /// Passwords shorter than this are not looked for: they would match ordinary words.
    static let shortest = 6

    /// The passwords a run with this environment and these arguments must never show.
    static func passwords(environment: [String: String], arguments: [String]) -> Set<String> {
        var found: Set<String> = []
        if let suite = TestDatabase.suitePassword { found.insert(suite) }
        if let written = TestDatabase.suitePasswordAsWritten { found.insert(written) }
        var connectionStrings = [environment["DATABASE_URL"]].compactMap { $0 }
        for (index, argument) in arguments.enumerated() {
            if argument == "--database-url", index + 1 < arguments.count { connectionStrings.append(arguments[index + 1]) }
            if argument.hasPrefix("--database-url=") { connectionStrings.append(String(argument.dropFirst("--database-url=".count))) }
        }
        for string in connectionStrings { found.formUnion(passwords(inConnectionString: string)) }
        if let password = environment["PGPASSWORD"] { found.insert(password) }
        return found.filter { $0.count >= shortest }
    }

    /// The password of a URL (as written and decoded) or of a keyword string's `password=`:
    /// as libpq finds it (`PQconninfoParse`), and as written, found by libpq's rule (the user
    /// information ends at the first `@` before any `/`; `?` and `#` are ordinary there).
    static func passwords(inConnectionString string: String) -> Set<String> {
        var found: Set<String> = []
        if let parsed = try? ConnectionSettings(connectionString: string).explicitParameters()["password"] {
            found.insert(parsed)
        }
        if string.hasPrefix("postgres://") || string.hasPrefix("postgresql://") {
            let afterScheme = string[string.index(after: string.range(of: "://")!.lowerBound)...].dropFirst(2)
            let authority = afterScheme.prefix { $0 != "/" }
            if let at = authority.firstIndex(of: "@") {
                let userInfo = authority[..<at]
                if let colon = userInfo.firstIndex(of: ":") {
                    let written = String(userInfo[userInfo.index(after: colon)...])
                    found.insert(written)
                    if let decoded = written.removingPercentEncoding { found.insert(decoded) }
                }
            }
            if let query = string.split(separator: "?", maxSplits: 1).dropFirst().first {
                for pair in query.split(separator: "&") where pair.hasPrefix("password=") {
                    let written = String(pair.dropFirst("password=".count))
                    found.insert(written)
                    if let decoded = written.removingPercentEncoding { found.insert(decoded) }
                }
            }
        } else if let range = string.range(of: "password") {
            var rest = string[range.upperBound...].drop { $0 == " " }
            guard rest.first == "=" else { return found }
            rest = rest.dropFirst().drop { $0 == " " }
            if rest.first == "'" {
                var value = ""
                var scalars = rest.dropFirst()
                while let character = scalars.first, character != "'" {
                    if character == "\\", let next = scalars.dropFirst().first {
                        value.append(next)
                        scalars = scalars.dropFirst(2)
                    } else {
                        value.append(character)
                        scalars = scalars.dropFirst()
                    }
                }
                found.insert(value)
            } else {
                found.insert(String(rest.prefix { $0 != " " }))
            }
        }
        return found
    }

    /// The forms a password may take in output: as it is, percent-encoded, JSON-escaped.
    static func forms(of password: String) -> Set<String> {
        var forms: Set<String> = [password]
        if let encoded = password.addingPercentEncoding(withAllowedCharacters: .alphanumerics) { forms.insert(encoded) }
        let escaped = password.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        forms.insert(escaped)
        forms.insert(escaped.replacingOccurrences(of: "/", with: "\\/"))
        return forms.filter { $0.count >= shortest }
    }

    /// Records an issue for each output that holds one of `passwords` in any form.
    static func check(
        _ outputs: [(name: String, text: String)], passwords: Set<String>, command: [String],
        sourceLocation: SourceLocation
    ) {
        for password in passwords {
            for form in forms(of: password) {
                for output in outputs where output.text.contains(form) {
                    Issue.record(
                        "a password (\(form.count) characters) appeared on \(output.name) of \(command.joined(separator: " ")):\n\(output.text.suffix(2000))",
                        sourceLocation: sourceLocation)
                }
            }
        }
    }

    /// Checks one run's standard output and error.
    static func check(
        stdout: String, stderr: String, environment: [String: String], arguments: [String],
        sourceLocation: SourceLocation
    ) {
        check(
            [("standard output", stdout), ("standard error", stderr)],
            passwords: passwords(environment: environment, arguments: arguments), command: arguments,
            sourceLocation: sourceLocation)
    }
}
