import HerokuConnect
import Postgres
import TestSupport
import Testing

@Suite struct HStoreTests {
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
    }

    @Test(arguments: [
        (#""a"=>"1", "b"=>"unterminated"#, "unterminated quoted value"),
        (#""a"=>"1" "b"=>"2""#, "expected \",\""),
        (#""a"="1""#, "expected \"=>\""),
        (#""a"=>"1","#, "expected a key after \",\""),
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
}
