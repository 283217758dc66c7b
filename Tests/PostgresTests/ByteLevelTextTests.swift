@testable import Postgres
import TestSupport
import Testing

extension IntegrationSuites {
    /// Quoting, redaction and search compare bytes (or scalars), as PostgreSQL and libpq read
    /// them. Swift's own `contains` and `firstRange(of:)` compare characters, and a combining
    /// mark after a quote, an `@` or a password's last letter makes them one character with it:
    /// the quote went undoubled into SQL text and the password unmasked into messages.
    @Suite(.tags(.database)) struct ByteLevelTextTests {
        /// A quote, an at sign and a letter, each followed by a combining acute accent.
        static let combining = "\u{301}"

        @Test func containsFindsTextThatACombiningMarkFollows() {
            #expect("x\"\(Self.combining)y".containsUTF8("\""))
            #expect("se\(Self.combining)cret".containsUTF8("se"))
            #expect("password\(Self.combining)=x".containsUTF8("password"))
            #expect(!"passwor".containsUTF8("password"))
            #expect(!"".containsUTF8("a"))
            #expect("abc".containsUTF8(""))
            #expect("abc"[...].containsUTF8("bc"))
            // the characters' way, for contrast: this is what went wrong
            #expect(!"x\"\(Self.combining)y".contains("\""))
        }

        @Test func replacingAllReplacesEveryByteMatchLeftToRight() {
            #expect("a\"b\"\"c".replacingAll("\"", with: "\"\"") == "a\"\"b\"\"\"\"c")
            #expect("aaa".replacingAll("aa", with: "X") == "Xa")
            #expect("héllo wörld".replacingAll("ö", with: "o") == "héllo world")
            #expect("x\"\(Self.combining)".replacingAll("\"", with: "\"\"") == "x\"\"\(Self.combining)")
            #expect("abc".replacingAll("", with: "X") == "abc")
            #expect("abc".replacingAll("zz", with: "X") == "abc")
            #expect("".replacingAll("a", with: "X") == "")
        }

        @Test func replacingAllAgreesWithASplitOnBytes() {
            let seed = SeededRandom.seed(from: "HCCONNECT_TEXT_SEED")
            var random = SeededRandom(seed: seed)
            let pieces = ["a", "\"", "\"\"", Self.combining, "é", "🇩🇪", "\\", " ", "x"]
            for _ in 0..<2_000 {
                let text = (0..<random.below(12)).map { _ in pieces[random.below(pieces.count)] }.joined()
                let expected = Array(text.utf8).split(separator: UInt8(ascii: "\""), omittingEmptySubsequences: false)
                    .map { String(decoding: $0, as: UTF8.self) }.joined(separator: "''")
                #expect(text.replacingAll("\"", with: "''") == expected, "seed \(seed) (HCCONNECT_TEXT_SEED): \(text.debugDescription)")
            }
        }

        @Test func identifiersWithACombiningMarkAfterAQuoteStayOneIdentifier() throws {
            let name = "x\"\(Self.combining); SELECT 1 AS \"y"
            let identifier = try SQLIdentifier(name)
            #expect(identifier.quoted == "\"x\"\"\(Self.combining); SELECT 1 AS \"\"y\"")
            // the server reads the quoted form back as exactly that name
            let connection = try TestDatabase.plainConnection()
            let rows = try connection.query("SELECT 1 AS \(identifier.quoted)")
            #expect(rows.columnNames == [name])
        }

        @Test func urlPasswordsNextToCombiningMarksAreMasked() throws {
            for url in [
                "postgres://app:\(Self.combining)hunter2@db/prod",
                "postgres://app:hunter2@\(Self.combining)db/prod",
                "postgresql://app:hun\(Self.combining)ter2@db:5432/prod?sslmode=disable",
            ] {
                let settings = ConnectionSettings(connectionString: url)
                let password = try #require(try settings.explicitParameters()["password"])
                #expect(password.containsUTF8("hun"))
                let redacted = settings.redactedConnectionString
                #expect(!redacted.containsUTF8("hunter2") && !redacted.containsUTF8("ter2"), "\(redacted.debugDescription)")
                #expect(redacted.containsUTF8(":***@"))
                #expect(!settings.redactor().redact("could not connect with \(url)").containsUTF8("ter2"))
            }
        }

        @Test func secretsThatACombiningMarkFollowsAreMasked() {
            let redactor = Redactor(secrets: ["hunter22"])
            #expect(redactor.redact("password hunter22\(Self.combining) was wrong") == "password ***\(Self.combining) was wrong")
            #expect(redactor.redact("hunter22hunter22") == "******")
            // the same password in two Unicode spellings (a URL's and PGPASSWORD's, say):
            // equal as Swift strings, different as bytes; both are masked
            let twoSpellings = Redactor(secrets: ["caf\u{E9}!", "cafe\u{301}!"])
            #expect(twoSpellings.redact("caf\u{E9}! and cafe\u{301}!") == "*** and ***")
        }

        /// Bytes that are valid UTF-8 are what `String(decoding:as:)` keeps unchanged.
        static func isValidBySwift(_ bytes: [UInt8]) -> Bool {
            Array(String(decoding: bytes, as: UTF8.self).utf8) == bytes
        }

        @Test func utf8ValidationAgreesWithSwiftsRepair() {
            var random = SeededRandom(seed: SeededRandom.seed(from: "HCCONNECT_TEXT_SEED"))
            // lead bytes, continuation bytes at the edges of their ranges, and ASCII
            let pieces: [[UInt8]] = [
                [0x41], [0x7F], [0x00], [0x80], [0xBF], [0xC0], [0xC1], [0xC2], [0xDF], [0xE0], [0xE0, 0xA0], [0xE0, 0x9F],
                [0xED, 0x9F], [0xED, 0xA0], [0xEF, 0xBF, 0xBF], [0xF0, 0x90], [0xF0, 0x8F], [0xF4, 0x8F], [0xF4, 0x90],
                [0xF5], [0xFF], Array("é東🚀".utf8), Array("plain ascii text".utf8),
            ]
            for _ in 0..<20_000 {
                let bytes = (0..<random.below(8)).flatMap { _ in pieces[random.below(pieces.count)] }
                let valid = bytes.withUnsafeBufferPointer { UTF8Validation.isValid($0) }
                #expect(valid == Self.isValidBySwift(bytes), "\(bytes)")
            }
            for _ in 0..<20_000 {
                let bytes = (0..<random.below(24)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
                let valid = bytes.withUnsafeBufferPointer { UTF8Validation.isValid($0) }
                #expect(valid == Self.isValidBySwift(bytes), "\(bytes)")
            }
        }
    }
}
