import Foundation
import TestSupport
import Testing

extension IntegrationSuites {
    /// Help and listings go through a pager on a terminal, the way git does: HCCONNECT_PAGER,
    /// else PAGER, else less with LESS=FRX; never with --no-pager, an empty pager or cat, a
    /// command that is not a listing, or standard output that is not a terminal.
    @Suite(.tags(.process)) struct PagerTests {
        /// A pager that marks every line it shows, so the screen tells whether it ran.
        private let marking = "sed 's/^/PAGED: /'"

        private func screen(
            _ arguments: [String], _ environment: [String: String], stdoutToFile: Bool = false
        ) throws -> TerminalSession.Result {
            let terminal = try TerminalSession.hcconnect(
                arguments, environment: environment, stdoutToFile: stdoutToFile, pager: true)
            return try terminal.wait(timeout: .seconds(30))
        }

        @Test func thePagerIsChosenLikeGitChoosesIt() throws {
            let help = ["help", "retry"]
            let paged = try screen(help, ["HCCONNECT_PAGER": marking, "PAGER": "false"])
            #expect(paged.status == 0)
            #expect(paged.screen.hasPrefix("PAGED: hcconnect retry — "), "\(paged.screen.prefix(200))")
            #expect(paged.screen.split(separator: "\n").allSatisfy { $0.hasPrefix("PAGED: ") || $0.isEmpty == false })

            let fromPager = try screen(help, ["PAGER": marking])
            #expect(fromPager.screen.hasPrefix("PAGED: "), "PAGER when HCCONNECT_PAGER is not set")
            let dashH = try screen(["retry", "--help"], ["PAGER": marking])
            #expect(dashH.screen.hasPrefix("PAGED: hcconnect retry — "))

            for environment in [["HCCONNECT_PAGER": "", "PAGER": marking], ["PAGER": "cat"], ["PAGER": " "]] {
                let plain = try screen(help, environment)
                #expect(plain.screen.hasPrefix("hcconnect retry — "), "\(environment)")
            }
            let noPager = try screen(help + ["--no-pager"], ["PAGER": marking])
            #expect(noPager.screen.hasPrefix("hcconnect retry — "))
            // standard output is a file: no pager, whatever is set
            let file = try screen(help, ["PAGER": marking], stdoutToFile: true)
            #expect(file.stdout.hasPrefix("hcconnect retry — "))
            #expect(!file.screen.contains("PAGED"))
        }

        /// Without a pager set, less runs with LESS=FRX (unless LESS says otherwise).
        @Test func theDefaultIsLessWithFRX() throws {
            let directory = NSTemporaryDirectory() + "/hcconnect-pager-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let fake = directory + "/less"
            // written through a descriptor that closes on exec: a process that another test
            // spawns meanwhile would otherwise inherit it open for writing, and exec of the
            // fake would fail with ETXTBSY, which sends sh on to the real less in /usr/bin
            let script = Array("#!/bin/sh\necho \"less LESS=$LESS args=$*\"\ncat\n".utf8)
            let descriptor = open(fake, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o755)
            #expect(descriptor >= 0)
            #expect(script.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) } == script.count)
            close(descriptor)
            let path = directory + ":/usr/bin:/bin"
            let result = try screen(["help"], ["PATH": path])
            #expect(result.screen.hasPrefix("less LESS=FRX args=\nhcconnect "), "\(result.screen.prefix(100))")
            let own = try screen(["help"], ["PATH": path, "LESS": "-S"])
            #expect(own.screen.hasPrefix("less LESS=-S args="))
            // no less on the PATH: the text goes to the terminal
            let none = try screen(["help"], ["PATH": "/nonexistent"])
            #expect(none.screen.hasPrefix("hcconnect "), "\(none.screen.prefix(100))")
        }

        @Test func listingsArePagedAndRepairsAreNot() throws {
            try TestDatabase.withConnectSchema { schema in
                let id = try schema.insertEntry(message: "DUPLICATE_VALUE: dup")
                let environment = [
                    "PAGER": marking, "DATABASE_URL": try TestDatabase.url, "HEROKU_CONNECT_SCHEMA": schema.name,
                ]
                for command in [["failed"], ["errors"], ["stats"], ["tables"], ["show", String(id)], ["related", String(id)]] {
                    let result = try screen(command, environment)
                    #expect(result.status == 0, "\(command): \(result.screen)")
                    #expect(result.screen.hasPrefix("PAGED: "), "\(command): \(result.screen.prefix(100))")
                }
                for command in [["failed", "--format", "json"], ["check", "--max-failed", "5"], ["retry", "--failed", "--dry-run"]] {
                    let result = try screen(command, environment)
                    #expect(!result.screen.contains("PAGED"), "\(command): \(result.screen)")
                }
                // a person quitting the pager early is no failure
                let quit = try screen(["failed"], environment.merging(["PAGER": "head -c 1 >/dev/null"]) { $1 })
                #expect(quit.status == 0, "\(quit.screen)")
            }
        }
    }
}
