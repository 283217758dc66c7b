import Foundation

/// The password the test suite runs with, and URLs built around it.
///
/// `make test` (Tests/Scripts/test.sh) puts a random password in
/// `HCCONNECT_TEST_DATABASE_URL`; the test server uses trust authentication, so it is sent
/// and ignored. Every run of hcconnect in the tests is then checked for it
/// (`PasswordLeakGuard`): a password that reaches any output fails the test that ran it.
extension TestDatabase {
    /// The password in the test database's URL (decoded), or nil when it has none.
    public static var suitePassword: String? {
        guard let url = try? url, let password = URLComponents(string: url)?.password, !password.isEmpty else {
            return nil
        }
        return password
    }

    /// The password as written in the test database's URL (percent-encoded), or nil.
    public static var suitePasswordAsWritten: String? {
        guard let url = try? url, let password = URLComponents(string: url)?.percentEncodedPassword, !password.isEmpty else {
            return nil
        }
        return password
    }

    /// `url` with the suite's password put in (replacing any), for the URLs of private
    /// servers, so that they too run with a password to hide.
    public static func withSuitePassword(_ url: String) -> String {
        guard let password = suitePasswordAsWritten, var components = URLComponents(string: url) else { return url }
        components.percentEncodedPassword = password
        return components.string ?? url
    }

    /// The test database's URL for another role, without a password (trust authentication).
    public static func roleURL(_ user: String) throws -> String {
        guard var components = URLComponents(string: try url) else { throw TestSetupError("the test URL is not a URL") }
        components.user = user
        components.password = nil
        guard let text = components.string else { throw TestSetupError("cannot build a URL for \(user)") }
        return text
    }

    /// The test database's URL naming another database of the same server.
    public static func databaseURL(_ database: String) throws -> String {
        guard var components = URLComponents(string: try url) else { throw TestSetupError("the test URL is not a URL") }
        components.path = "/" + database
        guard let text = components.string else { throw TestSetupError("cannot build a URL for \(database)") }
        return text
    }
}
