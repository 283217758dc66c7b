@testable import HCConnectCLI
import HerokuConnect
import Postgres
import TestSupport
import Testing

@Suite(.tags(.unit)) struct OutputFormattingTests {
    @Test func csvFollowsRFC4180() {
        #expect(CSVWriter.text(["a", "b"]) == "a,b\r\n")
        #expect(CSVWriter.text(["x,y", "say \"hi\"", "two\nlines", "cr\rhere"]) == "\"x,y\",\"say \"\"hi\"\"\",\"two\nlines\",\"cr\rhere\"\r\n")
        #expect(CSVWriter.text([nil, "", " padded "]) == ",\"\",\" padded \"\r\n")
        #expect(CSVWriter.text(["ünï 東京"]) == "ünï 東京\r\n")
    }

    @Test func jsonStringsAreEscaped() {
        var object = JSONObjectWriter()
        object.add("text", "quote \" backslash \\ newline \n tab \t bell \u{7} ünï 🚀 \u{1F}")
        object.add("none", nil as String?)
        object.add("number", 42)
        object.add("flag", true)
        #expect(object.text == #"{"text":"quote \" backslash \\ newline \n tab \t bell \u0007 ünï 🚀 \u001f","none":null,"number":42,"flag":true}"#)
    }

    @Test func entriesBecomeJSONWithObjectsForFields() {
        let entry = TriggerLogEntry(
            id: 7, createdAt: PostgresTimestamp("2026-11-24 10:13:05.5+01"), state: .failed, action: .update,
            tableName: "account", recordID: 3, old: HStore(text: #""a"=>"1", "b"=>NULL"#),
            values: HStore(text: #""a"=>"2""#), sfMessage: "boom", isArchived: true)
        #expect(EntryWriters.json(entry).text == """
            {"id":7,"txid":null,"created_at":"2026-11-24T10:13:05.5+01:00","updated_at":null,"processed_at":null,\
            "processed_tx":null,"state":"FAILED","action":"UPDATE","table_name":"account","record_id":3,"sfid":null,\
            "old":{"a":"1","b":null},"values":{"a":"2"},"sf_result":null,"sf_message":"boom","archived":true}
            """)
        let malformed = TriggerLogEntry(id: 8, values: HStore(text: "broken\"=>"))
        #expect(EntryWriters.json(malformed).text.contains(#""values":"broken\"=>""#))
    }

    @Test func terminalTextIsSanitisedAndMeasured() {
        #expect(DisplayText.sanitized("a\nb\tc\u{1B}[31md") == "a b c\u{FFFD}[31md")
        #expect(DisplayText.sanitized("a\r\nb", markLineBreaks: true) == "a⏎ b")
        #expect(DisplayText.width("abc") == 3)
        #expect(DisplayText.width("東京") == 4)
        #expect(DisplayText.width("e\u{301}") == 1)
        #expect(DisplayText.truncated("abcdefghij", toColumns: 5) == "abcd…")
        #expect(DisplayText.truncated("東京東京", toColumns: 5) == "東京…")
        #expect(DisplayText.truncated("short", toColumns: 10) == "short")
        #expect(DisplayText.padded("東", toColumns: 4) == "東  ")
    }

    @Test func tablesAlignAndCutOnlyTheLastColumn() {
        var table = TextTable(columns: [.init(title: "ID", alignRight: true), .init(title: "NAME"), .init(title: "MESSAGE")])
        table.append([.init("7"), .init("account"), .init("a long message that goes on and on")])
        table.append([.init("1234"), .init("x"), .init("short")])
        let text = table.render(header: true, maxWidth: 30, style: .plain)
        #expect(text == """
              ID  NAME     MESSAGE
               7  account  a long message…
            1234  x        short

            """)
    }

    /// Too narrow: the fit steps are taken in order (a column dropped, another narrowed)
    /// until the last column keeps its minimum; what goes stays gone in later blocks.
    @Test func aNarrowTableDropsAndNarrowsColumnsInTheirOrder() {
        func table() -> TextTable {
            var table = TextTable(
                columns: [.init(title: "ID", alignRight: true), .init(title: "NAME"), .init(title: "WHERE"), .init(title: "MESSAGE")],
                fitSteps: [.drop("WHERE"), .narrow("NAME", to: 6), .drop("ID")], lastMinimum: 10)
            table.append([.init("7"), .init("opportunity"), .init("archive"), .init("a long message that goes on and on")])
            return table
        }
        var wide = table()
        #expect(wide.render(header: false, maxWidth: 50, style: .plain) == " 7  opportunity  archive  a long message that goe…\n")
        var dropOne = table()
        #expect(dropOne.render(header: true, maxWidth: 30, style: .plain) == """
            ID  NAME         MESSAGE
             7  opportunity  a long messa…

            """)
        #expect(dropOne.droppedTitles == ["WHERE"])
        var narrowToo = table()
        #expect(narrowToo.render(header: true, maxWidth: 22, style: .plain) == """
            ID  NAME    MESSAGE
             7  oppor…  a long me…

            """)
        var dropAll = table()
        let narrowest = dropAll.render(header: true, maxWidth: 16, style: .plain)
        #expect(narrowest.split(separator: "\n").allSatisfy { DisplayText.width(String($0)) <= 16 }, "\(narrowest)")
        #expect(dropAll.droppedTitles == ["ID", "WHERE"])
        // a later block keeps the layout
        dropAll.append([.init("123456"), .init("x"), .init("y"), .init("z")])
        #expect(dropAll.render(header: false, maxWidth: 16, style: .plain) == "x       z\n")
    }

    @Test func coloursOnlyForATerminalThatWantsThem() {
        let terminal = OutputChannel(memoryAsTerminal: true)
        let pipe = OutputChannel(memoryAsTerminal: false)
        #expect(TextStyle(output: terminal, environment: [:], noColorFlag: false).isEnabled)
        #expect(!TextStyle(output: pipe, environment: [:], noColorFlag: false).isEnabled)
        #expect(!TextStyle(output: terminal, environment: ["NO_COLOR": "1"], noColorFlag: false).isEnabled)
        #expect(!TextStyle(output: terminal, environment: ["TERM": "dumb"], noColorFlag: false).isEnabled)
        #expect(!TextStyle(output: terminal, environment: [:], noColorFlag: true).isEnabled)
        #expect(TextStyle(isEnabled: true).red("x") == "\u{1B}[31mx\u{1B}[0m")
        #expect(TextStyle.plain.red("x") == "x")
    }

    @Test func everyFailureMapsToItsDocumentedExitStatus() {
        #expect(FailureReport(ArgumentError.missingCommand).status == .usage)
        #expect(FailureReport(HerokuConnectError.entryNotFound(id: 1)).status == .notFound)
        #expect(FailureReport(HerokuConnectError.tableNotMapped(table: "x", schema: "s", suggestions: [])).status == .notFound)
        #expect(FailureReport(HerokuConnectError.schemaNotFound(schema: "s", connectSchemas: [])).status == .unusableSchema)
        #expect(FailureReport(HerokuConnectError.hstoreMissing(schema: "s")).status == .unusableSchema)
        #expect(FailureReport(PostgresError(.connectionFailed, message: "refused")).status == .unavailable)
        #expect(FailureReport(PostgresError(.authenticationFailed, message: "no")).status == .permissionDenied)
        #expect(FailureReport(PostgresError(.connectionLost, message: "gone")).status == .temporaryFailure)
        #expect(FailureReport(PostgresError(.invalidConnectionString, message: "bad")).status == .usage)
        #expect(FailureReport(PostgresError(.server, message: "denied", sqlState: "42501")).status == .permissionDenied)
        #expect(FailureReport(PostgresError(.server, message: "lock", sqlState: "55P03")).status == .temporaryFailure)
        #expect(FailureReport(PostgresError(.server, message: "timeout", sqlState: "57014")).status == .temporaryFailure)
        #expect(FailureReport(PostgresError(.server, message: "gone", sqlState: "08006")).status == .unavailable)
        #expect(FailureReport(PostgresError(.server, message: "bug", sqlState: "42601")).status == .internalError)
        struct Odd: Error {}
        #expect(FailureReport(Odd()).status == .internalError)
    }
}
