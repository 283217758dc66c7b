import Foundation
import TestSupport
import Testing

extension IntegrationSuites {
    /// `TmuxTerminal` (TestSupport), the terminal the console's tests drive, checked on small
    /// shell programs that do what a full-screen program does (alternate screen, hidden
    /// cursor, raw input) and undo it or not, and on `less`. It needs no database: it is in
    /// the process lane because it starts tmux, which `make` installs (`Tests/Scripts/deps.sh`).
    @Suite(.tags(.process)) struct TmuxTerminalTests {
        /// A full-screen program in sh: switches to the alternate screen, hides the cursor,
        /// turns echo and canonical input off, says READY, reads a line and prints it back;
        /// then undoes it all when `restoring`.
        static func fullScreenProgram(restoring: Bool) -> [String] {
            let restore = restoring ? "tput rmcup; tput cnorm; stty echo icanon" : ""
            return ["/bin/sh", "-c", "tput smcup; tput civis; stty -echo -icanon; echo READY; read line; echo \"got $line\"; \(restore)"]
        }

        @Test func seesTheFullScreenStateAndItsUndoingAfterTheProgramEnds() throws {
            let terminal = try TmuxTerminal(Self.fullScreenProgram(restoring: true))
            defer { terminal.close() }
            try terminal.waitFor("READY")
            #expect(try terminal.isAlternateScreenOn)
            #expect(try !terminal.isCursorVisible)
            let during = try terminal.modes()
            #expect(!during.echo && !during.canonical)

            try terminal.type("hello")
            try terminal.sendKeys("Enter")
            let exit = try terminal.waitForExit()
            #expect(exit.status == 0)
            #expect(try !terminal.isAlternateScreenOn)
            #expect(try terminal.isCursorVisible)
            let after = try terminal.modes()
            #expect(after.echo && after.canonical, "\(after)")
        }

        /// A program that ends without undoing anything leaves all three visible to the test:
        /// what a console test must catch.
        @Test func seesAProgramThatLeavesTheTerminalAsItSetIt() throws {
            let terminal = try TmuxTerminal(Self.fullScreenProgram(restoring: false))
            defer { terminal.close() }
            try terminal.waitFor("READY")
            try terminal.type("x")
            try terminal.sendKeys("Enter")
            let exit = try terminal.waitForExit()
            #expect(exit.status == 0)
            #expect(exit.screen.contains("got x"))
            #expect(try terminal.isAlternateScreenOn)
            #expect(try !terminal.isCursorVisible)
            let after = try terminal.modes()
            #expect(!after.echo && !after.canonical)
        }

        /// SIGTERM reaches the program itself (not its shell), whose handler restores the terminal.
        @Test func signalsReachTheProgram() throws {
            let script = """
                trap 'tput rmcup; tput cnorm; stty echo icanon; exit 143' TERM
                tput smcup; tput civis; stty -echo -icanon; echo RUNNING
                while :; do sleep 0.05; done
                """
            let terminal = try TmuxTerminal(["/bin/sh", "-c", script])
            defer { terminal.close() }
            try terminal.waitFor("RUNNING")
            #expect(try terminal.isAlternateScreenOn)
            try terminal.sendSignal(SIGTERM)
            let exit = try terminal.waitForExit()
            #expect(exit.status == 143)
            #expect(try !terminal.isAlternateScreenOn)
            #expect(try terminal.isCursorVisible)
            #expect(try terminal.modes().echo)
        }

        /// 80×24 is 24 rows of at most 80 columns; after a resize the program sees the new
        /// size (`tput`, on SIGWINCH) and the screen has its rows.
        @Test func hasTheSizeItWasGivenAndTheSizeItIsResizedTo() throws {
            let script = """
                trap 'echo "size $(tput cols)x$(tput lines)"' WINCH
                echo "size $(tput cols)x$(tput lines)"
                while :; do sleep 0.05; done
                """
            let terminal = try TmuxTerminal(["/bin/sh", "-c", script], columns: 80, rows: 24)
            defer { terminal.close() }
            let screen = try terminal.waitFor("size 80x24")
            #expect(screen.count == 24)
            #expect(screen.allSatisfy { $0.count <= 80 })
            let size = try terminal.size()
            #expect(size.columns == 80 && size.rows == 24)

            try terminal.resize(columns: 100, rows: 30)
            let resized = try terminal.waitFor("size 100x30")
            #expect(resized.count == 30)
            let newSize = try terminal.size()
            #expect(newSize.columns == 100 && newSize.rows == 30)
        }

        @Test func typesTextAndCapturesAttributesOnRequest() throws {
            let script = "tput bold; echo BOLD; tput sgr0; read line; echo \"read [$line]\"; exec sleep 60"
            let terminal = try TmuxTerminal(["/bin/sh", "-c", script])
            defer { terminal.close() }
            try terminal.waitFor("BOLD")
            #expect(try terminal.capture(escapes: true).contains { $0.contains("\u{1B}[1mBOLD") })
            #expect(try !terminal.capture().contains { $0.contains("\u{1B}") })
            try terminal.type("Enter C-c 'quoted' $HOME")
            try terminal.sendKeys("Enter")
            try terminal.waitFor("read [Enter C-c 'quoted' $HOME]")
        }

        /// The program gets only what it is given, plus TERM, LANG and PATH.
        @Test func theProgramGetsItsOwnEnvironment() throws {
            let terminal = try TmuxTerminal(
                ["/bin/sh", "-c", "env | sort | tr '\\n' ' '; echo; exec sleep 60"], columns: 200,
                environment: ["HCCONNECT_EXAMPLE": "1"])
            defer { terminal.close() }
            let line = try terminal.waitFor("TERM=").first { $0.contains("TERM=") } ?? ""
            #expect(line.contains("TERM=xterm-256color"))
            #expect(line.contains("LANG=C.UTF-8"))
            #expect(line.contains("HCCONNECT_EXAMPLE=1"))
            #expect(!line.contains("TMUX"))
            #expect(!line.contains("HCCONNECT_TEST_DATABASE_URL"))
        }

        @Test func aWaitThatTimesOutShowsTheScreen() throws {
            let terminal = try TmuxTerminal(["/bin/sh", "-c", "echo something else; exec sleep 60"])
            defer { terminal.close() }
            try terminal.waitFor("something else")
            let error = #expect(throws: TmuxTerminal.Failure.self) {
                try terminal.waitFor("never shown", timeout: .milliseconds(100))
            }
            #expect(error?.screen.first == "something else")
            #expect(error?.description.contains("something else") == true)
        }

        @Test func closingEndsTheServerAndTheProgram() throws {
            let terminal = try TmuxTerminal(["/bin/sh", "-c", "echo UP; exec sleep 60"])
            try terminal.waitFor("UP")
            let pid = try terminal.programID()
            terminal.close()
            let gone = (0..<250).contains { _ in
                if kill(pid, 0) != 0 { return true }
                Thread.sleep(forTimeInterval: 0.02)
                return false
            }
            #expect(gone)
            #expect(!FileManager.default.fileExists(atPath: terminal.folder))
        }

        /// A real full-screen program: `less` pages a file, keys move it, `q` leaves it and
        /// the alternate screen.
        @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/less"), "less is not installed"))
        func drivesLess() throws {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("hcconnect-less-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            let file = folder.appendingPathComponent("lines.txt").path
            try (1...100).map { "line \($0)" }.joined(separator: "\n").appending("\n")
                .write(toFile: file, atomically: true, encoding: .utf8)

            let terminal = try TmuxTerminal(["less", file], columns: 80, rows: 24)
            defer { terminal.close() }
            let first = try terminal.waitFor("line 23")
            #expect(first.first == "line 1")
            #expect(first.count == 24)
            #expect(try terminal.isAlternateScreenOn)
            #expect(try !terminal.modes().echo)

            try terminal.sendKeys("Space")
            let second = try terminal.waitFor("line 46")
            #expect(second.first == "line 24")
            try terminal.sendKeys("G")
            try terminal.waitFor("(END)")
            try terminal.sendKeys("q")
            let exit = try terminal.waitForExit()
            #expect(exit.status == 0)
            #expect(try !terminal.isAlternateScreenOn)
            let after = try terminal.modes()
            #expect(after.echo && after.canonical)
        }
    }
}
