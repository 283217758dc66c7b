import Foundation
@testable import HCConnectCLI
import TestSupport
import Testing

/// docs/hcconnect.1 covers every command, option, environment variable and exit code that
/// hcconnect has: the list comes from hcconnect's own tables, so a new option without a
/// line in the man page fails here.
@Suite(.tags(.unit)) struct ManPageTests {
    static let page: String = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/hcconnect.1")
        return (try? String(contentsOf: url, encoding: .utf8)) ?? ""
    }()

    /// A name as roff writes it: every `-` escaped.
    static func roff(_ text: String) -> String { text.replacingOccurrences(of: "-", with: "\\-") }

    /// The text of one `.SH` section.
    static func section(_ name: String) -> String {
        guard let start = page.range(of: ".SH \(name)\n") else { return "" }
        let rest = page[start.upperBound...]
        let end = rest.range(of: "\n.SH ")?.lowerBound ?? rest.endIndex
        return String(rest[..<end])
    }

    @Test func theConsoleSectionListsEveryKey() {
        let console = Self.section("CONSOLE")
        for line in ConsoleKeyMap.lines {
            #expect(console.contains(".B " + Self.roff(ConsoleKeyMap.keyNames(line)) + "\n" + Self.roff(line.text)), "CONSOLE lacks \(line.text)")
        }
    }

    @Test func everyCommandHasASynopsisLineAndAnEntry() {
        #expect(!Self.page.isEmpty)
        for command in HCConnect.commands {
            let name = Self.roff(command.help.name)
            #expect(Self.section("SYNOPSIS").contains(".B hcconnect \(name)\n"), "SYNOPSIS lacks \(name)")
            #expect(Self.section("COMMANDS").contains(".B \(name)"), "COMMANDS lacks \(name)")
        }
    }

    @Test func everyOptionIsDescribed() {
        var missing: [String] = []
        var specs = GlobalOptions.specs
        for command in HCConnect.commands { specs += command.options }
        for spec in specs where !spec.isHidden {
            if !Self.page.contains("\\-\\-" + Self.roff(spec.name)) { missing.append("--" + spec.name) }
        }
        #expect(missing.isEmpty, "options missing from the man page: \(Set(missing).sorted())")
    }

    @Test func everyExitStatusIsListed() {
        let section = Self.section("EXIT STATUS")
        for status in ExitStatus.allCases {
            #expect(section.contains(".B \(status.rawValue)\n"), "EXIT STATUS lacks \(status.rawValue)")
        }
    }

    @Test func everyEnvironmentVariableIsListed() throws {
        let section = Self.section("ENVIRONMENT")
        // Every variable the sources read from the environment dictionary.
        let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources")
        var names: Set<String> = []
        let files = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)!
        for case let file as URL in files where file.pathExtension == "swift" {
            let text = try String(contentsOf: file, encoding: .utf8)
            var rest = Substring(text)
            while let range = rest.range(of: "environment[\"") {
                let name = rest[range.upperBound...].prefix { $0 != "\"" }
                names.insert(String(name))
                rest = rest[range.upperBound...]
            }
        }
        #expect(names.contains("DATABASE_URL"))
        for name in names {
            #expect(section.contains(Self.roff(name)), "ENVIRONMENT lacks \(name)")
        }
    }
}
