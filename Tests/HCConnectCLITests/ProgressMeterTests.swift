import Foundation
import TestSupport
import Testing

extension IntegrationSuites {
    /// The progress line of bulk work: drawn in place on a terminal's standard error, cleared
    /// at the end, and never written anywhere else.
    @Suite(.tags(.database)) struct ProgressMeterTests {
        private static let redraw = "\r\u{1B}[K"

        /// Runs a repair of 35 archived failures in batches of 10, each batch slowed down by
        /// 0.3 s so that the run lasts past the progress line's delay (0.5 s).
        private func repair(
            _ command: String, _ schema: ConnectTestSchema, terminal: Bool, columns: Int? = nil, extra: [String] = []
        ) throws -> CLIResult {
            let fixture = TriggerLogFixture(schema)
            try fixture.fillArchivedFailures(35)
            try fixture.slowDownArchiveUpdates(by: 0.3)
            return try hcconnect(
                [command, "--failed", "--yes", "--batch-size", "10"] + extra, schema: schema.name, terminal: terminal,
                columns: columns)
        }

        @Test(arguments: ["retry", "ignore"])
        func aTerminalSeesTheProgressLineRedrawnAndCleared(_ command: String) throws {
            try TestDatabase.withConnectSchema { schema in
                let result = try repair(command, schema, terminal: true, columns: 200)
                #expect(result.status == 0, "\(result.stderr)")
                // Not for the first batch (the run is younger than half a second then), then at
                // most ten times a second, and always for the last one.
                #expect(result.stderr.hasPrefix(Self.redraw + "\(command): "), "\(result.stderr)")
                #expect(!result.stderr.contains("\(command): 10 of 35"), "\(result.stderr)")
                #expect(result.stderr.contains(Self.redraw + "\(command): 35 of 35 entries (100%)"), "\(result.stderr)")
                // Cleared before the summary, which starts on a clean line.
                let cleared = try #require(result.stderr.range(of: Self.redraw, options: .backwards))
                let summary = result.stderr[cleared.upperBound...]
                #expect(summary.hasPrefix(command == "retry" ? "retry (merged writes): 35 requested" : "ignore: 35 requested"), "\(summary)")
                #expect(!summary.contains("\r"))
                #expect(!result.stdout.contains("\r"), "standard output has no progress")
            }
        }

        /// export counts what it will write, so its line has a total and the time left too.
        @Test func anExportShowsItsTotalAndTheTimeLeft() throws {
            try TestDatabase.withConnectSchema { schema in
                try schema.connection.execute("SELECT hcemu.generate_log($1, 40000, 0, 0.1)", [.text(schema.name)])
                let result = try hcconnect(["export", "--format", "csv"], schema: schema.name, terminal: true, columns: 200)
                #expect(result.status == 0, "\(result.stderr)")
                #expect(result.stderr.contains(Self.redraw + "export: "), "\(result.stderr.prefix(300))")
                #expect(result.stderr.contains(" of 40,000 entries ("), "\(result.stderr.prefix(300))")
                #expect(result.stderr.contains(" left"), "\(result.stderr.prefix(300))")
                #expect(result.stderr.hasSuffix("Exported 40,000 entries (ids 1 to 40000); the next export starts after id 40000\n")
                    || result.stderr.contains("Exported 40,000 entries"), "\(result.stderr.suffix(300))")
                #expect(!result.stdout.contains("\r\u{1B}"), "standard output has no progress")
            }
        }

        @Test func theLineIsCutToTheTerminalsWidth() throws {
            try TestDatabase.withConnectSchema { schema in
                let result = try repair("retry", schema, terminal: true, columns: 20)
                #expect(result.status == 0)
                let drawn = result.stderr.components(separatedBy: Self.redraw).dropFirst().dropLast()
                #expect(!drawn.isEmpty)
                #expect(drawn.allSatisfy { $0.count <= 19 }, "\(drawn)")
                #expect(drawn.first?.hasPrefix("retry: ") == true && drawn.first?.count == 19, "\(drawn)")
            }
        }

        @Test func aQuickRunLeavesNoProgressOnTheTerminal() throws {
            try TestDatabase.withConnectSchema { schema in
                try TriggerLogFixture(schema).fillArchivedFailures(35)
                let result = try hcconnect(["retry", "--failed", "--yes", "--batch-size", "10"], schema: schema.name, terminal: true)
                #expect(result.status == 0)
                #expect(!result.stderr.contains("\r"), "\(result.stderr.debugDescription)")
            }
        }

        @Test func noProgressWithoutATerminalWithVerboseOrForASingleBatch() throws {
            try TestDatabase.withConnectSchema { schema in
                let piped = try repair("retry", schema, terminal: false)
                #expect(piped.status == 0)
                #expect(!piped.stderr.contains("\r"), "\(piped.stderr)")
                #expect(!piped.stderr.contains("of 35 entries"))
            }
            try TestDatabase.withConnectSchema { schema in
                let verbose = try repair("retry", schema, terminal: true, extra: ["--verbose"])
                #expect(verbose.status == 0)
                #expect(!verbose.stderr.contains("\r"), "the event lines would tear it")
                #expect(!verbose.stderr.contains("retry: 10 of 35"))
            }
            try TestDatabase.withConnectSchema { schema in
                // As many entries as a batch holds: one batch, no progress line.
                try TriggerLogFixture(schema).fillArchivedFailures(35)
                let oneBatch = try hcconnect(["retry", "--failed", "--yes", "--batch-size", "35"], schema: schema.name, terminal: true)
                #expect(oneBatch.status == 0)
                #expect(!oneBatch.stderr.contains("\r"), "\(oneBatch.stderr)")
            }
        }

        @Test func aJSONSummaryOnATerminalStillGetsTheProgressOnStandardError() throws {
            try TestDatabase.withConnectSchema { schema in
                let result = try repair("retry", schema, terminal: true, extra: ["--json"])
                #expect(result.status == 0)
                #expect(result.stderr.contains("retry: 35 of 35 entries (100%)"))
                #expect(result.stderr.hasSuffix(Self.redraw), "cleared at the end: \(result.stderr.debugDescription)")
                let summary = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
                #expect(summary?["changed"] as? Int == 35)
            }
        }

        /// A run that fails midway clears the line before it reports what was done.
        @Test func aFailedRunClearsTheLineBeforeTheSummarySoFar() throws {
            try TestDatabase.withConnectSchema { schema in
                let fixture = TriggerLogFixture(schema)
                try fixture.fillLiveFailures(40, firstID: 1)
                try fixture.fillArchivedFailures(60, firstID: 41)
                // The two live batches take 0.4 s each, so the line is drawn before the archive's lock stops the run.
                try schema.execute(
                    "CREATE FUNCTION slow_live() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(0.4); RETURN NULL; END $$")
                try schema.execute(
                    "CREATE TRIGGER slow_live AFTER UPDATE ON _trigger_log FOR EACH STATEMENT EXECUTE FUNCTION slow_live()")
                let holder = try TestDatabase.plainConnection()
                try holder.execute("BEGIN")
                try holder.execute("LOCK TABLE \(schema.quoted)._trigger_log_archive IN EXCLUSIVE MODE")
                defer { _ = try? holder.execute("COMMIT") }
                let result = try hcconnect(
                    ["retry", "--failed", "--yes", "--batch-size", "20", "--lock-timeout", "100ms", "--retries", "0"],
                    schema: schema.name, terminal: true, columns: 200)
                #expect(result.status == 75, "\(result.stderr)")
                #expect(result.stderr.hasPrefix(Self.redraw + "retry: 40 of 100 entries (40%)"), "\(result.stderr)")
                let cleared = try #require(result.stderr.range(of: Self.redraw, options: .backwards))
                #expect(result.stderr[cleared.upperBound...].hasPrefix("Stopped after 2 batches;"), "\(result.stderr)")
            }
        }
    }
}
