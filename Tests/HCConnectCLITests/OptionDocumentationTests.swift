import Foundation
@testable import HCConnectCLI
import TestSupport
import Testing

/// Every option of every command is where a person looks for it: in the command's usage
/// lines and option list (`hcconnect help COMMAND`) and in the man page, under the command.
/// The lists come from the commands' own specs, so an option added without its usage line
/// or its man page text fails here. No database is needed.
@Suite(.tags(.unit)) struct OptionDocumentationTests {
    /// The options a command shows: its own, without hidden ones (those belong to a sibling
    /// command and are accepted only to say so).
    static func shownOptions(_ command: any Command.Type) -> [OptionSpec] {
        command.options.filter { !$0.isHidden }
    }

    static let commandNames = HCConnect.commands.map { $0.help.name }

    static func command(named name: String) -> any Command.Type {
        HCConnect.commands.first { $0.help.name == name }!
    }

    @Test(arguments: commandNames)
    func everyOptionIsInTheUsageAndTheOptionsOfHelp(name: String) throws {
        let command = Self.command(named: name)
        let help = try hcconnect(["help", name])
        #expect(help.status == 0)
        let usage = Self.section("Usage:", of: help.stdout)
        let options = Self.section("Options:", of: help.stdout)
        #expect(!usage.isEmpty, "help \(name) has no usage")
        for spec in Self.shownOptions(command) {
            #expect(Self.mentions(usage, spec.longForm), "the usage of \(name) lacks \(spec.longForm)")
            #expect(Self.mentions(options, spec.longForm), "the options of \(name) lack \(spec.longForm)")
        }
        // --help prints the same page
        #expect(try hcconnect([name, "--help"]).stdout == help.stdout)
    }

    @Test(arguments: commandNames)
    func usageLinesNameOnlyOptionsTheCommandTakes(name: String) {
        let command = Self.command(named: name)
        let accepted = Self.shownOptions(command) + GlobalOptions.specs
        for usage in command.help.usage {
            for spec in usage.options {
                #expect(
                    accepted.contains { $0.name == spec.name && $0.kind == spec.kind },
                    "the usage of \(name) names \(spec.longForm), which \(name) does not take as written")
            }
        }
    }

    @Test(arguments: commandNames)
    func optionNamesAreUniqueWithinACommand(name: String) {
        let names = (GlobalOptions.specs + Self.command(named: name).options).map(\.name)
        #expect(Set(names).count == names.count, "\(name) has two options of one name: \(names)")
    }

    @Test(arguments: commandNames)
    func everyOptionIsInTheManPageUnderItsCommand(name: String) {
        let text = ManPage.text(of: name)
        #expect(!text.isEmpty, "the man page has nothing under \(name)")
        let missing = Self.shownOptions(Self.command(named: name)).filter {
            !Self.mentions(text, ManPageTests.roff($0.longForm))
        }
        #expect(missing.isEmpty, "the man page lacks, under \(name): \(missing.map(\.longForm))")
    }

    @Test func theUsageIsMadeOfTheSpecs() {
        let table = OptionSpec("table", .list("TABLE"), "", usageValue: "T")
        let all = OptionSpec("all", .flag, "")
        let pattern = OptionSpec("matching", .repeated("PATTERN"), "")
        let usage = Usage(
            .argument("ID..."), .required(all), .optionals([table, pattern]),
            .oneOf([table.shown(as: "T[,T...]"), all]), .optionalWith(all, table))
        #expect(
            usage.text
                == "ID... --all [--table T] [--matching PATTERN]... [--table T[,T...] | --all] [--all [--table T]]")
        #expect(usage.options.map(\.name) == ["all", "table", "matching", "table", "all", "all", "table"])
    }

    /// The lines of a help page's section, from its heading to the next empty line.
    static func section(_ heading: String, of page: String) -> String {
        let lines = page.split(separator: "\n", omittingEmptySubsequences: false)
        guard let start = lines.firstIndex(where: { $0 == heading }) else { return "" }
        return lines[(start + 1)...].prefix { !$0.isEmpty }.joined(separator: "\n")
    }

    /// True when `text` names `option` (`--max`, or roff's `\-\-max`) as a whole, not as the
    /// start of a longer name (`--max-attempts`).
    static func mentions(_ text: String, _ option: String) -> Bool {
        var rest = Substring(text)
        while let range = rest.range(of: option) {
            let after = rest[range.upperBound...]
            let continues =
                after.first.map { $0.isLetter || $0.isNumber || $0 == "_" } ?? false
                || (after.hasPrefix("-") && !after.hasPrefix("--")) || after.hasPrefix("\\-")
            if !continues { return true }
            rest = after
        }
        return false
    }
}

/// docs/hcconnect.1 as it documents one command.
enum ManPage {
    /// What the man page says about a command: its SYNOPSIS line, its entry under COMMANDS,
    /// the sections these refer to (`[FILTERS]`, `see CLEANUP OPTIONS`) and the section named
    /// after it (`EXPORT OPTIONS`).
    static func text(of command: String) -> String {
        let name = ManPageTests.roff(command)
        var parts = [synopsis(of: name), entry(of: name)]
        for heading in headings where heading != "SYNOPSIS" && heading != "COMMANDS" {
            let referred = parts.contains { $0.contains("\\fI\(heading)\\fR") || $0.contains("\\fB\(heading)\\fR") }
            if referred || heading == command.uppercased() + " OPTIONS" { parts.append(ManPageTests.section(heading)) }
        }
        return parts.joined(separator: "\n")
    }

    /// The names of the page's sections.
    static let headings: [String] = ManPageTests.page.split(separator: "\n").compactMap { line in
        line.hasPrefix(".SH ") ? String(line.dropFirst(4)) : nil
    }

    /// The command's line in SYNOPSIS: `.B hcconnect NAME` and what follows, up to `.br`.
    static func synopsis(of name: String) -> String {
        let section = ManPageTests.section("SYNOPSIS")
        guard let start = section.range(of: ".B hcconnect \(name)\n") else { return "" }
        return String(section[start.lowerBound...]).components(separatedBy: "\n.br").first ?? ""
    }

    /// The command's entry under COMMANDS: from its `.TP` and `.B NAME` to the next `.TP`.
    static func entry(of name: String) -> String {
        let entries = ManPageTests.section("COMMANDS").components(separatedBy: ".TP\n")
        return entries.first { entry in
            guard entry.hasPrefix(".B \(name)") else { return false }
            let after = entry.dropFirst(".B \(name)".count)
            return after.hasPrefix(" ") || after.hasPrefix("\\f") || after.hasPrefix("\n")
        } ?? ""
    }
}
