import Foundation
import HerokuConnect
import Postgres
import TestSupport
import Testing

@Suite(.tags(.unit)) struct HStoreTests {
    @Test func decodesHstoreOutputInOrder() {
        let fields = HStore(text: #""name"=>"Acme", "phone"=>NULL, "empty"=>"", "id"=>"42""#)
        #expect(fields.isWellFormed)
        #expect(fields.pairs == [.init("name", "Acme"), .init("phone", nil), .init("empty", ""), .init("id", "42")])
        #expect(fields["phone"] == .some(nil))
        #expect(fields["empty"] == .some(""))
        #expect(fields["missing"] == nil)
    }

    @Test func nullIsDistinctFromTheTextNull() {
        let fields = HStore(text: #""a"=>NULL, "b"=>"NULL", "c"=>null, "d"=>"null""#)
        #expect(fields.pairs == [.init("a", nil), .init("b", "NULL"), .init("c", nil), .init("d", "null")])
    }

    @Test func handlesQuotesBackslashesCommasArrowsNewlinesAndUnicode() {
        let text = #""quote\"d"=>"say \"hi\"", "back\\slash"=>"C:\\temp\\", "comma, key"=>"a, b, c", "arrow=>key"=>"x=>y", "multi"=>"line one"# + "\n" + #"line two", "ünï"=>"東京 🚀""#
        let fields = HStore(text: text)
        #expect(fields.isWellFormed)
        #expect(fields.pairs == [
            .init("quote\"d", "say \"hi\""), .init("back\\slash", "C:\\temp\\"), .init("comma, key", "a, b, c"),
            .init("arrow=>key", "x=>y"), .init("multi", "line one\nline two"), .init("ünï", "東京 🚀"),
        ])
    }

    @Test func acceptsHstoreInputSyntax() {
        #expect(HStore(text: "").pairs.isEmpty)
        #expect(HStore(text: "  ").isWellFormed)
        #expect(HStore(text: "a=>1, b => 2 ,c=>NULL").pairs == [.init("a", "1"), .init("b", "2"), .init("c", nil)])
        #expect(HStore(text: #"a\ b=>c\,d"#).pairs == [.init("a b", "c,d")])
        // as hstore_in reads them: a comma at the end, commas in unquoted keys, quotes and
        // "=>" in unquoted values
        #expect(HStore(text: #""a"=>"1","#).pairs == [.init("a", "1")])
        #expect(HStore(text: "a=>b,,c=>d").pairs == [.init("a", "b"), .init(",c", "d")])
        #expect(HStore(text: #"k"ey=>v"al=>ue"#).pairs == [.init("k\"ey", "v\"al=>ue")])
    }

    @Test(arguments: [
        (#""a"=>"1", "b"=>"unterminated"#, "unterminated quoted value"),
        (#""a"=>"1" "b"=>"2""#, "expected \",\""),
        (#""a"="1""#, "expected \"=>\""),
        (#"a=>\"#, "a backslash at the end of an unquoted value"),
        (#"=>b"#, "expected a key"),
        (#""unterminated"#, "unterminated quoted key"),
        (#""a"=>"#, "expected a value"),
    ])
    func malformedTextIsReportedNotFatal(text: String, reason: String) throws {
        let fields = HStore(text: text)
        #expect(!fields.isWellFormed)
        #expect(fields.text == text)
        #expect(try #require(fields.error).reason == reason)
    }

    @Test func keepsPairsBeforeAFault() {
        let fields = HStore(text: #""a"=>"1", "b"=>"2" garbage"#)
        #expect(fields.pairs == [.init("a", "1"), .init("b", "2")])
        #expect(!fields.isWellFormed)
    }

    @Test func buildsHstoreOutputFromPairs() {
        let fields = HStore(pairs: [.init("a\"b", "c\\d"), .init("e", nil)])
        #expect(fields.text == #""a\"b"=>"c\\d", "e"=>NULL"#)
        #expect(HStore(text: fields.text).pairs == fields.pairs)
    }

    @Test func invalidUTF8IsRepairedNotFatal() {
        let bytes: [UInt8] = Array(#""k"=>""#.utf8) + [0xFF, 0xFE] + Array(#"""#.utf8)
        let fields = HStore(text: String(decoding: bytes, as: UTF8.self))
        #expect(fields.isWellFormed)
        #expect(fields.pairs.count == 1)
    }
}

extension IntegrationSuites {
    /// The reader against PostgreSQL's own hstore: on values written by hstore itself, and
    /// against its parser (`text::hstore`) on thousands of seeded random texts, valid and not:
    /// where PostgreSQL accepts a text, hcconnect reads the same pairs; where it refuses one,
    /// hcconnect reports the text as malformed.
    @Suite(.tags(.database)) struct HStoreAgainstPostgresTests {
        /// The parser agrees with PostgreSQL's own hstore on values written by hstore itself.
        @Test func agreesWithPostgres() throws {
            let connection = try TestDatabase.connect()
            let samples: [[String: String?]] = [
                ["name": "Acme \"Inc\"", "path": "C:\\x\\y", "note": "a, b => c\nnext line", "nil": nil, "": ""],
                ["ключ": "значение", "emoji 🚀": "東京", "tab\tkey": "tab\tvalue", "comma,key": ",,,"],
                ["only": nil],
                [:],
            ]
            for sample in samples {
                let keys = Array(sample.keys)
                let values = keys.map { sample[$0]! }
                let rows = try connection.query(
                    "SELECT hstore($1::text[], $2::text[])::text", [.array(keys), .array(values)])
                let text = try #require(rows[0].string(0))
                let fields = HStore(text: text)
                #expect(fields.isWellFormed, "\(text)")
                #expect(fields.pairs.count == sample.count)
                for pair in fields.pairs {
                    #expect(sample[pair.key] == .some(pair.value), "\(pair.key)")
                }
                // And PostgreSQL reads our own output back to the same hstore.
                let roundTrip = try connection.query(
                    "SELECT $1::hstore = $2::hstore", [.text(HStore(pairs: fields.pairs).text), .text(text)])
                #expect(try roundTrip[0].bool(0) == true)
            }
        }

        /// SplitMix64, so that a failing text can be made again from the seed.
        typealias Random = SeededRandom

        /// Pieces that hit every state of both parsers.
        static let pieces = [
            "\"", "\\", "=", ">", "=>", ",", " ", "\n", "\t", "a", "b", "key", "Value", "NULL", "null", "nUlL",
            "é", "東京", "🚀", "\"\"", "\\\"", "\\\\", "=>\"x\"", "\"k\"=>", ", ", "''",
        ]

        static func randomText(_ random: inout Random) -> String {
            if random.below(3) == 0 {
                // a valid text in hstore's own form, then mutated
                var text = (0..<random.below(4) + 1).map { n in
                    "\"k\(n)\(pieces[random.below(pieces.count)])\"=>" + (random.below(4) == 0 ? "NULL" : "\"v\(n)\"")
                }.joined(separator: ", ")
                for _ in 0..<random.below(3) {
                    var characters = Array(text)
                    let at = random.below(characters.count + 1)
                    switch random.below(3) {
                    case 0 where at < characters.count: characters.remove(at: at)
                    default: characters.insert(contentsOf: pieces[random.below(pieces.count)], at: at)
                    }
                    text = String(characters)
                }
                return text
            }
            return (0..<random.below(12)).map { _ in pieces[random.below(pieces.count)] }.joined()
        }

        @Test func theReaderAgreesWithPostgresOnRandomTexts() throws {
            let connection = try TestDatabase.connect()
            let seed = SeededRandom.seed(from: "HCCONNECT_HSTORE_SEED", fallback: 20261124)
            var random = Random(seed: seed)
            var accepted = 0
            var refused = 0
            for round in 0..<3_000 {
                let text = Self.randomText(&random)
                let fields = HStore(text: text)
                let json: String?
                do throws(PostgresError) {
                    json = try connection.query("SELECT hstore_to_json($1::hstore)::text", [.text(text)])[0].string(0)
                } catch {
                    #expect(error.sqlState == "XX000" || error.sqlState == "42601", "\(error) for \(text.debugDescription)")
                    json = nil
                }
                let context = "seed \(seed), round \(round), text \(text.debugDescription)"
                guard let json else {
                    refused += 1
                    #expect(!fields.isWellFormed, "PostgreSQL refuses, hcconnect reads \(fields.pairs): \(context)")
                    continue
                }
                accepted += 1
                #expect(fields.isWellFormed, "PostgreSQL accepts, hcconnect says \(String(describing: fields.error)): \(context)")
                let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
                let expected = object.mapValues { $0 is NSNull ? nil : $0 as? String }
                // PostgreSQL keeps one of duplicated keys; compare the keys, and the values of the others
                #expect(Set(fields.pairs.map(\.key)) == Set(expected.keys), "\(context)")
                let counts = Dictionary(fields.pairs.map { ($0.key, 1) }, uniquingKeysWith: +)
                for pair in fields.pairs where counts[pair.key] == 1 {
                    #expect(expected[pair.key] == .some(pair.value), "\(pair.key): \(context)")
                }
            }
            #expect(accepted > 500 && refused > 500, "both kinds of text were tried: \(accepted) accepted, \(refused) refused")
        }
    }
}
