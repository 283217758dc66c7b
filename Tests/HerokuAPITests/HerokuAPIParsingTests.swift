import HerokuAPI
import TestSupport
import Testing

/// What the Heroku API client reads without a network: JSON (parsed without Foundation),
/// netrc files as the Heroku CLI writes them, and where the token comes from.
@Suite(.tags(.unit)) struct HerokuAPIParsingTests {
    @Test func jsonValuesParseAsRFC8259Says() throws {
        let text = #"{"a": [1, -2.5, 3e2, true, false, null], "s": "x\"\\\/\n\u00e9\ud83d\ude00", "o": {"n": {}}, "e": []}"#
        let value = try JSONValue(parsing: Array(text.utf8))
        #expect(value["a"]?.array?.count == 6)
        #expect(value["a"]?.array?[0].int == 1)
        #expect(value["a"]?.array?[1] == .number(-2.5))
        #expect(value["a"]?.array?[2].int == 300)
        #expect(value["a"]?.array?[3].bool == true)
        #expect(value["a"]?.array?[5] == .null)
        #expect(value["s"]?.string == "x\"\\/\né😀")
        #expect(value["o"]?["n"]?.members?.isEmpty == true)
        #expect(value["e"]?.array?.isEmpty == true)
        #expect(value["missing"] == nil)
        #expect(value["a"]?["x"] == nil, "a member of an array is nil, not a crash")
    }

    @Test(arguments: [
        "", "{", "[1,]", "{\"a\" 1}", "{\"a\":1,}", "tru", "01x", "\"abc", "\"a\u{1}b\"", "1 2", "-", "1.", "1e", "\"\\q\"",
        "[" + String(repeating: "[", count: 300) + String(repeating: "]", count: 301),
    ])
    func badJSONIsRefusedWithItsOffset(_ text: String) {
        #expect(throws: JSONValue.ParseError.self) { try JSONValue(parsing: Array(text.utf8)) }
    }

    @Test func netrcFilesAreReadAsCurlAndTheHerokuCLIWriteThem() {
        let text = """
            # written by heroku login
            machine api.heroku.com
              login me@example.com
              password 01234567-89ab-cdef-0123-456789abcdef
            machine git.heroku.com login me@example.com password other
            macdef init
            cd /pub
            machine api.heroku.com password fake-inside-a-macro

            default login anonymous password guest
            machine "quoted host" password "a b\\"c"
            """
        let file = NetrcFile(text)
        #expect(file.entry(for: "api.heroku.com")?.password == "01234567-89ab-cdef-0123-456789abcdef")
        #expect(file.entry(for: "API.Heroku.com")?.login == "me@example.com")
        #expect(file.entry(for: "git.heroku.com")?.password == "other")
        #expect(file.entry(for: "elsewhere.example")?.password == "guest", "the default entry")
        #expect(file.entry(for: "quoted host")?.password == "a b\"c")
        #expect(!file.entries.contains { $0.password == "fake-inside-a-macro" })
    }

    @Test func theTokenComesFromTheEnvironmentFirstAndIsNeverDescribed() throws {
        let fromKey = try #require(try HerokuCredentials.find(in: ["HEROKU_API_KEY": "  tok-123  ", "NETRC": "/nonexistent"]))
        #expect(fromKey.token == "tok-123" && fromKey.source == "HEROKU_API_KEY")
        #expect(!"\(fromKey)".contains("tok-123"))
        #expect(try HerokuCredentials.find(in: ["HOME": "/nonexistent-home"]) == nil)
        #expect(throws: HerokuAPIError.self) { try HerokuCredentials.find(in: ["NETRC": "/nonexistent/netrc"]) }
    }

    @Test func errorsNameWhatIsWrongAndNeverTheToken() {
        let errors: [HerokuAPIError] = [
            .multipleConnections(app: "a-app", resources: ["r1", "r2"]),
            .noConnection(app: "a-app", resource: "r3", available: ["r1"]),
            .unauthorized(status: 401, message: "Invalid credentials provided."),
            .unavailable(endpoint: "https://api.example/x", status: 503, message: "", retries: 1),
        ]
        #expect(errors.map(\.description) == [
            "app a-app has several Heroku Connect connections: r1, r2",
            "app a-app has no Heroku Connect connection r3 (its connections: r1)",
            "the Heroku API refused the token (401): Invalid credentials provided.",
            "https://api.example/x answered 503 (after 1 retry)",
        ])
    }
}
