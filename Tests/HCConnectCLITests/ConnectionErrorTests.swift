import Foundation
import Postgres
import TestSupport
import Testing

extension IntegrationSuites {
    /// What a person sees when the connection cannot be made: one line naming what is wrong,
    /// the documented exit status, at once when waiting cannot help; and never the password,
    /// whatever characters it holds.
    @Suite(.tags(.process)) struct ConnectionErrorTests {
        /// The test server's URL with another database, user or query.
        private func testURL(database: String? = nil, query: String? = nil) throws -> String {
            var components = try #require(URLComponents(string: try TestDatabase.url))
            if let database { components.path = "/" + database }
            if let query { components.percentEncodedQuery = query }
            return try #require(components.string)
        }

        private func run(_ arguments: [String], _ environment: [String: String]) throws -> (CLIResult, Duration) {
            let started = ContinuousClock.now
            let result = try hcconnectProcess(arguments, environment: environment.merging(["PATH": "/usr/bin:/bin"]) { $1 })
            return (result, ContinuousClock.now - started)
        }

        /// Errors that waiting cannot fix: reported in one line, in well under a second, with no
        /// retry, whatever --retries allows.
        @Test func errorsThatWaitingCannotFixAreReportedAtOnce() throws {
            let cases: [(String, String, [String: String], Int32, String)] = [
                ("unknown host", "failed", ["DATABASE_URL": "postgresql://u:Secret-9999@no-such-host.invalid/db"], 69,
                 "hcconnect: cannot connect to the database: could not translate host name \"no-such-host.invalid\" to address"),
                ("SSL required", "failed", ["DATABASE_URL": try testURL(query: "sslmode=require")], 69,
                 "hcconnect: cannot connect to the database: connection to server at"),
                ("database missing", "failed", ["DATABASE_URL": try testURL(database: "no_such_database_hc")], 69,
                 "hcconnect: cannot connect to the database: connection to server at"),
                ("role missing", "failed", ["DATABASE_URL": try TestDatabase.roleURL("no_such_role_hc")], 77,
                 "hcconnect: the database refused the login: connection to server at"),
                ("not a PostgreSQL URL", "failed", ["DATABASE_URL": "http://u:Secret-9999@localhost/db"], 2,
                 "hcconnect: DATABASE_URL is not a PostgreSQL URL (its scheme is 'http'); use postgres://USER:PASSWORD@HOST:PORT/DATABASE"),
                ("not a PostgreSQL URL, as an option", "--database-url=mysql://localhost/db", [:], 2,
                 "hcconnect: --database-url is not a PostgreSQL URL (its scheme is 'mysql'); use postgres://USER:PASSWORD@HOST:PORT/DATABASE"),
            ]
            for (label, first, environment, status, prefix) in cases {
                let arguments = first == "failed" ? ["failed", "--retries", "10"] : ["failed", first, "--retries", "10"]
                let (result, elapsed) = try run(arguments, environment)
                #expect(result.status == status, "\(label): \(result.stderr)")
                #expect(result.stderr.hasPrefix(prefix), "\(label): \(result.stderr)")
                #expect(result.stderr.split(separator: "\n").count == 1, "\(label): one line: \(result.stderr)")
                #expect(!result.stderr.contains("gave up"), "\(label): not retried: \(result.stderr)")
                #expect(elapsed < .seconds(1), "\(label): \(elapsed)")
                #expect(result.stdout.isEmpty)
            }
        }

        /// With nothing configured, libpq's default (the local socket) is tried once, and the
        /// message says how to give a database.
        @Test func nothingConfiguredSaysHowToGiveADatabase() throws {
            // a server of the machine's own at libpq's default socket would answer: nothing to show then
            try #require(!FileManager.default.fileExists(atPath: "/var/run/postgresql/.s.PGSQL.5432"))
            let (result, elapsed) = try run(["failed"], ["HOME": "/nonexistent"])
            #expect(result.status == 69)
            #expect(result.stderr.hasPrefix(
                "hcconnect: no database given: set DATABASE_URL or use --database-url URL (or libpq's PGHOST, PGDATABASE, ...);"
                    + " libpq's default failed: connection to server on socket "), "\(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1)
            #expect(elapsed < .seconds(1), "\(elapsed)")
            // a refused connection to a server that was named is still waited for (a restart)
            let (named, _) = try run(["failed", "--retries", "1"], ["PGHOST": "127.0.0.1", "PGPORT": "1"])
            #expect(named.status == 69)
            #expect(named.stderr.contains("(gave up connecting after 1 retry in "), "\(named.stderr)")
        }

        /// Passwords with the characters URLs treat specially, spaces and non-ASCII: libpq finds
        /// them (`?` and `#` are part of the user information), and so must every output.
        static let passwords: [(written: String, decoded: String)] = [
            ("p?wSECRET9", "p?wSECRET9"),
            ("sec#ret-99#", "sec#ret-99#"),
            ("a%40b%2Fc%3Ad%25e%3Df", "a@b/c:d%e=f"),
            ("with space 99", "with space 99"),
            ("pässwört✓99", "pässwört✓99"),
            ("=starts=with=", "=starts=with="),
            ("colon:in:it9", "colon:in:it9"),
        ]

        @Test(arguments: passwords.indices)
        func noOutputShowsAPasswordWhateverItHolds(_ index: Int) throws {
            let (written, decoded) = Self.passwords[index]
            #expect(try ConnectionSettings(connectionString: "postgresql://u:\(written)@127.0.0.1:1/db").explicitParameters()["password"]
                == decoded, "libpq reads the password this test hides")
            let url = "postgresql://u:\(written)@127.0.0.1:1/db"
            let runs: [(String, [String], [String: String])] = [
                ("verbose text", ["failed", "--verbose", "--retries", "0"], ["DATABASE_URL": url]),
                ("verbose JSON", ["failed", "--verbose", "--log-format", "json", "--retries", "0"], ["DATABASE_URL": url]),
                ("option", ["failed", "--database-url", url, "--verbose", "--retries", "0"], [:]),
                ("invalid URL", ["failed", "--retries", "0"], ["DATABASE_URL": url + "?no_such_parameter=1"]),
                ("unexpected argument", ["failed", url], [:]),
                ("unexpected argument, invalid", ["failed", url + "?x=%zz"], [:]),
                ("password in the query", ["failed", "--verbose", "--retries", "0"],
                 ["DATABASE_URL": "postgresql://u@127.0.0.1:1/db?password=" + written]),
                ("a command", ["retry", "--failed", "--yes", "--verbose", "--json", "--retries", "0"], ["DATABASE_URL": url]),
            ]
            for (label, arguments, environment) in runs {
                let result = try hcconnect(arguments, environment: environment)
                #expect(result.status != 0, "\(label)")
                for text in [result.stdout, result.stderr] {
                    #expect(!text.contains(decoded), "\(label): \(text)")
                    #expect(!text.contains(written), "\(label): \(text)")
                }
            }
            // the masked URL keeps everything else
            let verbose = try hcconnect(["failed", "--verbose", "--retries", "0"], environment: ["DATABASE_URL": url])
            #expect(verbose.stderr.contains("connecting to postgresql://u:***@127.0.0.1:1/db"), "\(verbose.stderr)")
            let argument = try hcconnect(["failed", url], environment: [:])
            #expect(argument.stderr == "hcconnect: unexpected argument 'postgresql://u:***@127.0.0.1:1/db'\n")
        }
    }
}
