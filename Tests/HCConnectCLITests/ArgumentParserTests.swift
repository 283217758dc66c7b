@testable import HCConnectCLI
import TestSupport
import Testing

@Suite(.tags(.unit)) struct ArgumentParserTests {
    let table = OptionSpec("table", .list("T"), "")
    let limit = OptionSpec("limit", .value("N"), "")
    let all = OptionSpec("all", .flag, "")
    let help = OptionSpec("help", short: "h", .flag, "")
    let message = OptionSpec("message", .value("TEXT"), "")
    var specs: [OptionSpec] { [table, limit, all, help, message] }

    @Test func valuesFlagsListsAndPositionals() throws {
        let parsed = try ArgumentParser.parse(
            ["4711", "--table", "account,contact", "--table=opportunity", "--limit=5", "--all", "-", "-h"], options: specs)
        #expect(parsed.positionals == ["4711", "-"])
        #expect(parsed.list(table) == ["account", "contact", "opportunity"])
        #expect(parsed.value(limit) == "5")
        #expect(parsed.flag(all) && parsed.flag(help))
        #expect(!parsed.has(message))
    }

    @Test func doubleDashEndsOptions() throws {
        let parsed = try ArgumentParser.parse(["--limit", "1", "--", "--all", "-h"], options: specs)
        #expect(parsed.positionals == ["--all", "-h"])
        #expect(!parsed.flag(all))
    }

    @Test func valuesMayLookOdd() throws {
        #expect(try ArgumentParser.parse(["--message", "-x"], options: specs).value(message) == "-x")
        #expect(try ArgumentParser.parse(["--message=--all"], options: specs).value(message) == "--all")
        #expect(try ArgumentParser.parse(["--message="], options: specs).value(message) == "")
        #expect(try ArgumentParser.parse(["--message", "a=b"], options: specs).value(message) == "a=b")
    }

    @Test(arguments: [
        (["--tabel", "x"], ArgumentError.unknownOption("--tabel", suggestions: ["--table"])),
        (["--tab", "x"], ArgumentError.unknownOption("--tab", suggestions: ["--table"])),
        (["--zzzzzzzz"], ArgumentError.unknownOption("--zzzzzzzz", suggestions: [])),
        (["-x"], ArgumentError.unknownOption("-x", suggestions: [])),
        (["--limit"], ArgumentError.missingValue(option: "--limit")),
        (["--limit", "--all"], ArgumentError.missingValue(option: "--limit")),
        (["--all=yes"], ArgumentError.unexpectedValue(option: "--all")),
        (["--limit", "1", "--limit", "2"], ArgumentError.duplicateOption("--limit")),
        (["--table", "a,,b"], ArgumentError.invalidValue(option: "--table", value: "a,,b", reason: "has an empty item")),
        (["--table", ""], ArgumentError.invalidValue(option: "--table", value: "", reason: "has an empty item")),
    ])
    func badCommandLinesNameTheArgument(arguments: [String], expected: ArgumentError) {
        #expect(throws: expected) { try ArgumentParser.parse(arguments, options: specs) }
    }

    @Test func abbreviationsAreNeverAccepted() {
        #expect(throws: ArgumentError.self) { try ArgumentParser.parse(["--lim", "3"], options: specs) }
    }

    @Test func messagesAreOneLineAndNeverShowAPassword() {
        let error = ArgumentError.unexpectedArgument("postgres://admin:hunter2secret@db.example.com/prod")
        #expect(error.description == "unexpected argument 'postgres://admin:***@db.example.com/prod'")
        let control = ArgumentError.invalidValue(option: "--limit", value: "1\n\u{1B}[2J", reason: "is not a limit")
        #expect(!control.description.contains("\n"))
        #expect(!control.description.contains("\u{1B}"))
        let long = ArgumentError.unexpectedArgument(String(repeating: "x", count: 10_000))
        #expect(long.description.count < 300)
    }
}

/// Timeouts as `--lock-timeout` and `--statement-timeout` read them.
@Suite(.tags(.unit)) struct TimeoutParsingTests {
    @Test(arguments: [
        ("0", Duration.zero), ("0s", .zero), ("0ms", .zero), ("500ms", .milliseconds(500)), ("10s", .seconds(10)),
        ("5min", .seconds(300)), ("5m", .seconds(300)), ("2h", .seconds(7200)), (" 3 sec ", .seconds(3)),
    ])
    func goodTimeouts(text: String, expected: Duration) throws {
        #expect(try GlobalOptions.timeout(text, option: "--lock-timeout") == expected)
    }

    @Test(arguments: ["10", "-1s", "abc", "", "1.5s", "10 days", "s", "99999999h"])
    func badTimeoutsNameTheOption(text: String) {
        #expect(throws: ArgumentError.self) { try GlobalOptions.timeout(text, option: "--lock-timeout") }
        do {
            _ = try GlobalOptions.timeout(text, option: "--lock-timeout")
        } catch {
            #expect(error.description.hasPrefix("--lock-timeout: '\(text)' is not a timeout"))
        }
    }
}
