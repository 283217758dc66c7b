import TestSupport
import Testing

@testable import HCConnectCLI

/// The console's pure parts: the frame it draws into, the bytes that update the terminal,
/// the keys decoded from the terminal's bytes, and the one key table.
@Suite(.tags(.unit)) struct ConsoleScreenTests {
    @Test func wideCharactersTakeTwoColumnsAndKeepTheColumnsAligned() {
        var screen = ConsoleScreen(columns: 12, rows: 3)
        let end = screen.put("取引先é😀x", row: 0, column: 0)
        // 取 引 先 are 2 columns each, é 1, 😀 2, x 1
        #expect(end == 10)
        screen.put("|", row: 0, column: 10)
        #expect(screen.lines[0] == "取引先é😀x|")
        // a wide character that does not fit whole leaves its column blank
        let cut = screen.put("ab取", row: 1, column: 0, width: 3)
        #expect(cut == 3)
        #expect(screen.lines[1] == "ab")
        screen.put("Z", row: 1, column: 3)
        #expect(screen.text(ofRow: 1).prefix(4) == "ab Z")
        // combining marks join their letter
        screen.put("e\u{301}|", row: 2, column: 0)
        #expect(screen.lines[2] == "e\u{301}|")
    }

    @Test func controlCharactersInDataCannotMoveTheCursor() {
        var screen = ConsoleScreen(columns: 30, rows: 1)
        screen.put("a\u{1B}[2Jb\nc\u{7}d", row: 0, column: 0)
        let bytes = screen.update(from: nil)
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(!text.contains("\u{7}"))
        #expect(screen.lines[0] == "a\u{FFFD}[2Jb c\u{FFFD}d")
    }

    @Test func textStyleColourCodesBecomeCellStyles() {
        var screen = ConsoleScreen(columns: 20, rows: 1)
        let style = TextStyle(isEnabled: true)
        screen.put("x " + style.red("FAILED") + " y", row: 0, column: 0)
        #expect(screen.lines[0] == "x FAILED y")
        #expect(screen.cells[0][0].style == .plain)
        #expect(screen.cells[0][2].style.foreground == 31)
        #expect(screen.cells[0][7].style.foreground == 31)
        #expect(screen.cells[0][9].style == .plain)
    }

    @Test func onlyTheRowsThatChangedAreWritten() {
        var first = ConsoleScreen(columns: 10, rows: 4)
        for row in 0..<4 { first.put("row \(row)", row: row, column: 0) }
        let full = String(decoding: first.update(from: nil), as: UTF8.self)
        #expect(full.contains("\u{1B}[2J"))
        #expect(full.contains("row 0") && full.contains("row 3"))
        var second = first
        second.put("ROW 2", row: 2, column: 0)
        let diff = String(decoding: second.update(from: first), as: UTF8.self)
        #expect(diff.contains("\u{1B}[3;1H"))
        #expect(diff.contains("ROW 2"))
        #expect(!diff.contains("row 0") && !diff.contains("row 3") && !diff.contains("\u{1B}[2J"))
        #expect(second.update(from: second).isEmpty)
        // a new size redraws everything
        let resized = ConsoleScreen(columns: 12, rows: 4)
        #expect(String(decoding: resized.update(from: second), as: UTF8.self).contains("\u{1B}[2J"))
    }

    @Test func withoutColoursOnlyBoldDimAndReverseAreWritten() {
        var screen = ConsoleScreen(columns: 10, rows: 1, showsColors: false)
        screen.put("red", row: 0, column: 0, style: .init(foreground: 31, reverse: true))
        let text = String(decoding: screen.update(from: nil), as: UTF8.self)
        #expect(!text.contains(";31m") && !text.contains("[31m"))
        #expect(text.contains("\u{1B}[0;7m"))
    }

    @Test func keysAreDecodedFromBothCursorModesAndSplitReads() {
        var decoder = ConsoleKeyDecoder()
        #expect(decoder.keys(from: Array("jk\r".utf8)) == [.character("j"), .character("k"), .enter])
        #expect(decoder.keys(from: [0x1B, 0x5B, 0x41, 0x1B, 0x4F, 0x42]) == [.up, .down])
        #expect(decoder.keys(from: Array("\u{1B}[5~\u{1B}[6~\u{1B}[H\u{1B}[4~\u{1B}[Z".utf8)) == [.pageUp, .pageDown, .home, .end, .backTab])
        #expect(decoder.keys(from: [0x03, 0x12, 0x7F, 0x09]) == [.control("c"), .control("r"), .backspace, .tab])
        // a sequence split across reads waits for its end
        #expect(decoder.keys(from: [0x1B, 0x5B]).isEmpty)
        #expect(decoder.pendingEscape)
        #expect(decoder.keys(from: [0x42]) == [.down])
        // a lone ESC is Escape once nothing follows
        #expect(decoder.keys(from: [0x1B]).isEmpty)
        #expect(decoder.flushEscape() == [.escape])
        #expect(!decoder.pendingEscape)
        // UTF-8 typed into a search, also split
        #expect(decoder.keys(from: [0xC3]).isEmpty)
        #expect(decoder.keys(from: [0xA9]) == [.character("é")])
        // an unknown sequence is dropped whole, not typed
        #expect(decoder.keys(from: Array("\u{1B}[99;5Xq".utf8)) == [.character("q")])
    }

    @Test func everyBindingHasAKeyAndNoKeyHasTwoMeanings() {
        let bound = Set(ConsoleKeyMap.lines.map(\.binding))
        #expect(bound == Set(ConsoleKeyMap.Binding.allCases))
        var seen: [ConsoleKey: ConsoleKeyMap.Binding] = [:]
        for line in ConsoleKeyMap.lines {
            for key in line.keys {
                #expect(seen[key] == nil, "\(key.name) is bound twice")
                seen[key] = line.binding
            }
        }
        // the help page lists every line of the table
        let help = ConsoleKeyMap.helpText().joined(separator: "\n")
        for line in ConsoleKeyMap.lines { #expect(help.contains(line.text)) }
        #expect(Help.command(ConsoleCommand.self).contains("Keys:\n"))
    }

    @Test func withoutATerminalTheConsoleSaysWhatToUseInstead() throws {
        let piped = try hcconnect(["console"])
        #expect(piped.status == 2)
        #expect(piped.stderr == "hcconnect: the console needs a terminal on standard input and output; for scripts use hcconnect failed, errors or trend\n")
        let dumb = try hcconnect(["console"], environment: ["TERM": "dumb"], terminal: true, columns: 300, inputIsTerminal: true)
        #expect(dumb.status == 2)
        #expect(dumb.stderr.contains("TERM is dumb; use hcconnect failed or errors instead"))
        #expect(dumb.stdout.isEmpty && !dumb.stderr.contains("\u{1B}["), "the screen was not touched")
        let extra = try hcconnect(["console", "account"], terminal: true, columns: 300, inputIsTerminal: true)
        #expect(extra.status == 2)
        #expect(extra.stderr.contains("account"))
        let mode = try hcconnect(["console", "--write-mode", "sideways"], terminal: true, columns: 300, inputIsTerminal: true)
        #expect(mode.status == 2)
        #expect(mode.stderr.contains("--write-mode") && mode.stderr.contains("sideways"))
        #expect([piped, dumb, extra, mode].allSatisfy { $0.stderr.split(separator: "\n").count == 1 })
    }

    @Test func theKeyListIsSearchable() {
        var help = ConsoleHelpState()
        help.search = "retry"
        let lines = help.lines
        #expect(lines.contains { $0.contains("retry the marked entries") })
        #expect(lines.contains("Actions:"))
        #expect(!lines.contains { $0.contains("down one line") })
        #expect(!lines.contains("Moving:"))
    }
}

