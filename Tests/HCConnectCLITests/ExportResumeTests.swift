import Foundation
import Postgres
import TestSupport
import Testing

extension IntegrationSuites {
    /// `export` run after run: --after-id, --checkpoint, --processed, --limit, failed runs
    /// that leave the checkpoint as it was, and command lines it refuses.
    @Suite(.tags(.database)) struct ExportResumeTests {
        /// A fresh directory for checkpoint files, removed afterwards.
        func withDirectory<T>(_ body: (URL) throws -> T) throws -> T {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hc-export-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            return try body(directory)
        }

        func ids(_ result: CLIResult) throws -> [Int] {
            try jsonLines(result.stdout).map { try #require($0["id"] as? Int) }
        }

        func contents(_ file: URL) -> String? {
            (try? Data(contentsOf: file)).map { String(decoding: $0, as: UTF8.self) }
        }

        func files(in directory: URL) throws -> [String] {
            try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        }

        @Test func afterIdExportsExactlyTheEntriesAddedSince() throws {
            try TestDatabase.withConnectSchema { schema in
                let first = [
                    try schema.insertEntry(state: "SUCCESS"), try schema.insertEntry(archived: true, state: "FAILED"),
                    try schema.insertEntry(state: "FAILED"),
                ]
                let all = try hcconnect(["export"], schema: schema.name)
                #expect(all.status == 0, "\(all.stderr)")
                #expect(try ids(all) == first)
                let added = [
                    try schema.insertEntry(state: "NEW", processed: false), try schema.insertEntry(archived: true, state: "SUCCESS"),
                    try schema.insertEntry(state: "FAILED"),
                ]
                let since = try hcconnect(["export", "--after-id", String(first.last!)], schema: schema.name)
                #expect(since.status == 0, "\(since.stderr)")
                #expect(try ids(since) == added)
                let none = try hcconnect(["export", "--after-id=\(added.last!)"], schema: schema.name)
                #expect(none.status == 0)
                #expect(none.stdout.isEmpty)
                #expect(none.stderr.isEmpty)
                let failed = try hcconnect(["export", "--after-id", String(first[0]), "--state", "FAILED", "--format", "csv"], schema: schema.name)
                #expect(failed.lines.map { $0.prefix { $0 != "," } } == ["id", "\(first[1])", "\(first[2])", "\(added[2])"])
            }
        }

        @Test func aCheckpointResumesWhereTheLastRunEndedAndIsReplacedAtomically() throws {
            try TestDatabase.withConnectSchema { schema in
                try withDirectory { directory in
                    let file = directory.appendingPathComponent("export.id")
                    let first = [try schema.insertEntry(state: "SUCCESS"), try schema.insertEntry(archived: true, state: "FAILED")]
                    let run1 = try hcconnect(["export", "--checkpoint", file.path], schema: schema.name)
                    #expect(run1.status == 0, "\(run1.stderr)")
                    #expect(try ids(run1) == first)
                    #expect(run1.stderr.isEmpty)
                    #expect(contents(file) == "\(first[1])\n")

                    let run2 = try hcconnect(["export", "--checkpoint", file.path], schema: schema.name)
                    #expect(run2.status == 0, "\(run2.stderr)")
                    #expect(run2.stdout.isEmpty)
                    #expect(contents(file) == "\(first[1])\n")

                    let added = [try schema.insertEntry(state: "FAILED"), try schema.insertEntry(archived: true, state: "IGNORED")]
                    let run3 = try hcconnect(["export", "--checkpoint", file.path, "--summary"], schema: schema.name)
                    #expect(run3.status == 0, "\(run3.stderr)")
                    #expect(try ids(run3) == added)
                    #expect(contents(file) == "\(added[1])\n")
                    #expect(run3.stderr == "Exported 2 entries (ids \(added[0]) to \(added[1])) after id \(first[1]); "
                        + "the next export starts after id \(added[1]) (saved in \(file.path))\n")
                    #expect(try files(in: directory) == ["export.id"])

                    // A limit stores the last id written, so the next run goes on from there.
                    let more = [try schema.insertEntry(state: "FAILED"), try schema.insertEntry(state: "FAILED")]
                    let limited = try hcconnect(["export", "--checkpoint", file.path, "--limit", "1"], schema: schema.name)
                    #expect(try ids(limited) == [more[0]])
                    #expect(contents(file) == "\(more[0])\n")
                    let rest = try hcconnect(["export", "--checkpoint", file.path], schema: schema.name)
                    #expect(try ids(rest) == [more[1]])
                }
            }
        }

        @Test func processedHoldsTheCheckpointBeforeAnEntryConnectHasNotProcessed() throws {
            try TestDatabase.withConnectSchema { schema in
                try withDirectory { directory in
                    let file = directory.appendingPathComponent("processed.id")
                    let done = try schema.insertEntry(state: "SUCCESS")
                    let waiting = try schema.insertEntry(state: "NEW", createdAgo: "2 minutes", processed: false)
                    let failed = try schema.insertEntry(state: "FAILED")
                    let run1 = try hcconnect(["export", "--checkpoint", file.path, "--processed", "--state", "FAILED", "--summary"], schema: schema.name)
                    #expect(run1.status == 0, "\(run1.stderr)")
                    #expect(run1.stdout.isEmpty)
                    #expect(contents(file) == "\(done)\n")
                    #expect(run1.stderr.hasSuffix("; entry \(waiting) is not processed yet\n"))

                    try schema.execute("UPDATE _trigger_log SET state = 'FAILED', sf_message = 'later' WHERE id = $1", [.int(waiting)])
                    let run2 = try hcconnect(["export", "--checkpoint", file.path, "--processed", "--state", "FAILED"], schema: schema.name)
                    #expect(try ids(run2) == [waiting, failed])
                    #expect(contents(file) == "\(failed)\n")

                    // An entry NEW for longer than --stuck-after holds nothing back.
                    let stuck = try schema.insertEntry(state: "NEW", createdAgo: "3 hours", processed: false)
                    let after = try schema.insertEntry(state: "SUCCESS")
                    let run3 = try hcconnect(["export", "--checkpoint", file.path, "--processed", "--stuck-after", "2h"], schema: schema.name)
                    #expect(try ids(run3) == [stuck, after])
                }
            }
        }

        @Test func aSummaryIsWrittenOnATerminalOnly() throws {
            try TestDatabase.withConnectSchema { schema in
                let id = try schema.insertEntry(state: "FAILED")
                let piped = try hcconnect(["export"], schema: schema.name)
                #expect(piped.stderr.isEmpty)
                let terminal = try hcconnect(["export"], schema: schema.name, terminal: true)
                #expect(terminal.stderr == "Exported 1 entry (id \(id)); the next export starts after id \(id)\n")
                #expect(try ids(terminal) == [id])
            }
        }

        @Test func failedRunsLeaveTheCheckpointAsItWas() throws {
            try TestDatabase.withConnectSchema { schema in
                try withDirectory { directory in
                    let file = directory.appendingPathComponent("kept.id")
                    try Data("3\n".utf8).write(to: file)
                    let inserted = try (0..<5).map { _ in try schema.insertEntry(state: "FAILED") }
                    func expectKept(_ result: CLIResult, _ status: Int32, _ message: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
                        #expect(result.status == status, "\(result.stderr)", sourceLocation: sourceLocation)
                        #expect(result.stdout.isEmpty, sourceLocation: sourceLocation)
                        #expect(result.stderr.hasPrefix("hcconnect: ") && result.stderr.contains(message), "\(result.stderr)", sourceLocation: sourceLocation)
                        #expect(result.stderr.split(separator: "\n").count == 1, sourceLocation: sourceLocation)
                        #expect(contents(file) == "3\n", sourceLocation: sourceLocation)
                        #expect(try files(in: directory) == ["kept.id"], sourceLocation: sourceLocation)
                    }
                    try expectKept(try hcconnect(["export", "--checkpoint", file.path, "--table", "acount"], schema: schema.name), 3, "acount")
                    try expectKept(
                        try hcconnect(["export", "--checkpoint", file.path, "--retries", "0"], schema: schema.name,
                                      environment: ["DATABASE_URL": "postgresql://127.0.0.1:1/nowhere", "PGCONNECT_TIMEOUT": "2"]),
                        69, "cannot connect")

                    // A transaction writing the log stays open longer than the export waits.
                    let writer = try TestDatabase.connect()
                    try writer.execute("BEGIN")
                    try writer.execute("INSERT INTO \(schema.quoted)._trigger_log (state) VALUES ('NEW')")
                    try expectKept(
                        try hcconnect(["export", "--checkpoint", file.path, "--wait-for-writers", "0"], schema: schema.name),
                        75, "1 transaction(s) writing the trigger log were still open after 0 s (pid ")
                    try writer.execute("ROLLBACK")

                    // Standard output cannot be written (a full disk).
                    let full = try exportToDevFull(["export", "--checkpoint", file.path, "--schema", schema.name])
                    #expect(full.status == 75)
                    #expect(full.stderr == "hcconnect: cannot write the output: No space left on device; the checkpoint \(file.path) was left as it was\n")
                    #expect(contents(file) == "3\n")
                    #expect(try files(in: directory) == ["kept.id"])

                    let good = try hcconnect(["export", "--checkpoint", file.path], schema: schema.name)
                    #expect(good.status == 0, "\(good.stderr)")
                    #expect(try ids(good) == inserted.filter { $0 > 3 })
                    #expect(contents(file) == "\(inserted.last!)\n")
                }
            }
        }

        /// Runs the built executable with standard output on /dev/full.
        func exportToDevFull(_ arguments: [String]) throws -> CLIResult {
            let process = Process()
            process.executableURL = TestDatabase.packageRoot.appendingPathComponent(".build/debug/hcconnect")
            process.arguments = arguments
            process.environment = ["DATABASE_URL": try TestDatabase.url]
            let full = try #require(FileHandle(forWritingAtPath: "/dev/full"))
            let err = Pipe()
            process.standardOutput = full
            process.standardError = err
            try process.run()
            let stderr = err.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            let result = CLIResult(status: process.terminationStatus, stdout: "", stderr: String(decoding: stderr, as: UTF8.self))
            PasswordLeakGuard.check(
                stdout: "", stderr: result.stderr, environment: process.environment ?? [:], arguments: arguments,
                sourceLocation: #_sourceLocation)
            return result
        }

        @Test func badCommandLinesAndCheckpointsAreRefusedBeforeAnythingIsRead() throws {
            try TestDatabase.withConnectSchema { schema in
                try withDirectory { directory in
                    try schema.insertEntry(state: "FAILED")
                    let good = directory.appendingPathComponent("good.id")
                    try Data("1\n".utf8).write(to: good)
                    var cases: [([String], String)] = [
                        (["--after-id", "-1"], "--after-id: '-1' is not a trigger log id (a whole number, 0 or more)"),
                        (["--after-id", "abc"], "--after-id: 'abc' is not a trigger log id"),
                        (["--after-id", "2147483648"], "is too large for a trigger log id (at most 2147483647)"),
                        (["--after-id", "1", "--checkpoint", good.path], "--after-id and --checkpoint cannot be used together"),
                        (["--no-header"], "--no-header applies only to --format csv"),
                        (["--stuck-after", "2d"], "--stuck-after applies only with --processed"),
                        (["--processed", "--stuck-after", "soon"], "--stuck-after: 'soon' is not an age"),
                        (["--wait-for-writers", "x"], "--wait-for-writers: 'x' is not a number of seconds"),
                        (["--format", "table"], "is not available for export; use json, csv"),
                        (["--state", "FIALED"], "did you mean 'FAILED'?"),
                        (["--limit", "0"], "--limit: '0' is not a limit"),
                        (["extra"], "unexpected argument 'extra'"),
                        (["--checkpoint", directory.path], "is not a regular file"),
                        (["--checkpoint", directory.path + "/"], "is not a file name"),
                        (["--checkpoint", "/nonexistent-hc-dir/state.id"], "cannot be written: no file can be created in /nonexistent-hc-dir: No such file or directory"),
                        (["--checkpoint", "/proc/hc-state.id"], "cannot be written: no file can be created in /proc"),
                    ]
                    for (name, text, reason) in [
                        ("garbage.id", "abc\n", "does not hold a trigger log id but 'abc'; fix it or delete it"),
                        ("two.id", "12 13\n", "does not hold a trigger log id but '12 13'"),
                        ("negative.id", "-3\n", "does not hold a trigger log id but '-3'"),
                        ("huge.id", "99999999999\n", "does not hold a trigger log id but '99999999999'"),
                        ("empty.id", "", "is empty; delete it to export from the first entry"),
                    ] {
                        let file = directory.appendingPathComponent(name)
                        try Data(text.utf8).write(to: file)
                        cases.append((["--checkpoint", file.path], "--checkpoint: '\(file.path)' " + reason))
                    }
                    let before = try files(in: directory)
                    for (arguments, message) in cases {
                        let result = try hcconnect(["export"] + arguments, schema: schema.name)
                        #expect(result.status == 2, "\(arguments): \(result.stderr)")
                        #expect(result.stdout.isEmpty, "\(arguments)")
                        #expect(result.stderr.hasPrefix("hcconnect: ") && result.stderr.contains(message), "\(arguments): \(result.stderr)")
                        #expect(result.stderr.split(separator: "\n").count == 1, "\(arguments): \(result.stderr)")
                    }
                    #expect(try files(in: directory) == before)
                    #expect(contents(good) == "1\n")
                    #expect(contents(directory.appendingPathComponent("garbage.id")) == "abc\n")
                }
            }
        }
    }
}
