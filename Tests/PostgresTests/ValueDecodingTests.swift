@testable import Postgres
import TestSupport
import Testing

@Suite(.tags(.unit)) struct ValueDecodingTests {
    @Test(arguments: [
        ("2026-11-24 10:13:05+00", "2026-11-24T10:13:05+00:00", "2026-11-24 10:13:05+00"),
        ("2026-11-24 10:13:05.123456+00", "2026-11-24T10:13:05.123456+00:00", "2026-11-24 10:13:05+00"),
        ("2026-11-24 10:13:05.5+05:30", "2026-11-24T10:13:05.5+05:30", "2026-11-24 10:13:05+05:30"),
        ("1999-12-31 23:59:59-08", "1999-12-31T23:59:59-08:00", "1999-12-31 23:59:59-08"),
        ("2024-02-29 00:00:00+01", "2024-02-29T00:00:00+01:00", "2024-02-29 00:00:00+01"),
        ("infinity", "infinity", "infinity"),
        ("-infinity", "-infinity", "-infinity"),
    ])
    func timestampsRoundTripTheirOffset(text: String, iso: String, short: String) throws {
        let timestamp = try #require(PostgresTimestamp(text))
        #expect(timestamp.iso8601 == iso)
        #expect(timestamp.shortDescription == short)
    }

    @Test func timestampsKnowTheirInstant() throws {
        let utc = try #require(PostgresTimestamp("2026-11-24 10:00:00+00"))
        let berlin = try #require(PostgresTimestamp("2026-11-24 11:00:00+01"))
        #expect(utc.microsecondsSinceEpoch == berlin.microsecondsSinceEpoch)
        #expect(try #require(PostgresTimestamp("1970-01-01 00:00:00+00")).microsecondsSinceEpoch == 0)
        #expect(try #require(PostgresTimestamp("1969-12-31 23:59:59.5+00")).microsecondsSinceEpoch == -500_000)
        #expect(utc < (try #require(PostgresTimestamp("2026-11-24 10:00:00.000001+00"))))
    }

    @Test(arguments: ["", "2026-11-24", "2026-13-01 00:00:00+00", "2026-11-24 10:13+00", "2026-11-24 10:13:05+0x", "yesterday", "2026-11-24 10:13:05.+00"])
    func malformedTimestampsAreRejected(text: String) {
        #expect(PostgresTimestamp(text) == nil)
    }

    @Test func arrayLiteralsAreQuotedAndEscaped() {
        #expect(PostgresParameter.array(["a", "b c", "with \"quote\"", "back\\slash", nil, ""]).textValue
            == #"{"a","b c","with \"quote\"","back\\slash",NULL,""}"#)
        #expect(PostgresParameter.array([1, 2, 3]).textValue == "{1,2,3}")
        #expect(PostgresParameter.array([String?]()).textValue == "{}")
    }

    @Test func arrayOutputIsParsed() {
        #expect(PostgresRow.parseArray("{}") == [])
        #expect(PostgresRow.parseArray("{a,b}") == ["a", "b"])
        #expect(PostgresRow.parseArray(#"{"a b","c\"d","e\\f",NULL,"NULL"}"#) == ["a b", "c\"d", "e\\f", nil, "NULL"])
        #expect(PostgresRow.parseArray("a,b") == nil)
        #expect(PostgresRow.parseArray("{{1,2},{3,4}}") == nil)
    }

    @Test func identifiersAreQuotedSafely() throws {
        #expect(try SQLIdentifier("salesforce").quoted == "\"salesforce\"")
        #expect(try SQLIdentifier("user").quoted == "\"user\"")
        #expect(try SQLIdentifier("We\"ird; DROP TABLE x; --").quoted == "\"We\"\"ird; DROP TABLE x; --\"")
        #expect(try SQLIdentifier.qualified(SQLIdentifier("a\"b"), SQLIdentifier("c")) == "\"a\"\"b\".\"c\"")
        #expect(throws: PostgresError.self) { try SQLIdentifier("") }
        #expect(throws: PostgresError.self) { try SQLIdentifier("a\u{0}b") }
    }
}
