import Foundation
import Testing
import TestSupport

@testable import HCConnectCLI

extension IntegrationSuites {
    /// Random and mutated command lines, built from the completion grammar (every command,
    /// option and known value) plus random tokens: never a crash, never a hang, never an
    /// internal error; a refusal is exit 2 with its message on the last line.
    ///
    /// Seeded: `HCCONNECT_FUZZ_SEED` replays a run; every failure names the seed, the run's
    /// number and the command line. Everything runs in a throwaway schema (`--schema` only ever
    /// names it or a schema that does not exist, `--database-url` is never generated), beside a
    /// bystander schema that must come out unchanged, row by row.
    @Suite(.serialized, .tags(.process, .fault)) struct ArgumentFuzzFaultTests {
        /// A small, fast, reproducible generator (SplitMix64).
        typealias SplitMix64 = SeededRandom

        static let seed: UInt64 = SeededRandom.seed(from: "HCCONNECT_FUZZ_SEED")

        /// Values an option may get: plausible, borderline and junk.
        static let valuePool = [
            "1", "2", "0", "-1", "5", "100", "2147483648", "account", "contact", "user", "nosuch", "FAILED", "NEW", "failed",
            "UPDATE", "insert", "all", "live", "archive", "json", "csv", "table", "ids", "prometheus", "merged", "ordered", "30m",
            "2d", "1s", "100ms", "2026-11-24", "2026-11-24T10:00:00Z", "yesterday", "", " ", "-", "--", "=", ",", "a,,b", "1,2",
            "Name", "name", "0011x000003DGb2AAG", "001", "x'; --", "\u{202E}", "é", "UNABLE_TO_LOCK_ROW", "[", "(a|b",
        ]

        static let randomTokens = ["-", "--", "=", "-x", "---", "--=", "--help", "-h", "--version", "help", "x", "-1", "--no-such"]

        /// One random command line.
        static func commandLine(_ grammar: CompletionGrammar, schema: String, _ random: inout SplitMix64) -> [String] {
            var words: [String] = []
            let command = grammar.commands.randomElement(using: &random)!
            if Int.random(in: 0..<10, using: &random) > 0 { words.append(command.name) }
            let options = command.options.filter { $0.spec.name != "database-url" }
            for _ in 0..<Int.random(in: 0...5, using: &random) {
                let option = options.randomElement(using: &random)!
                var value: String?
                if option.spec.takesValue {
                    if option.values == .files {
                        // a checkpoint is written: only ever under the temporary folder
                        value = NSTemporaryDirectory() + "/hcconnect-fuzz-\(Int.random(in: 0..<4, using: &random)).checkpoint"
                    } else if option.spec.name == "schema" {
                        value = Bool.random(using: &random) ? schema : "nosuch_schema"
                    } else if case .words(let words) = option.values, Bool.random(using: &random) {
                        value = words.randomElement(using: &random)
                    } else {
                        value = valuePool.randomElement(using: &random)
                    }
                }
                switch Int.random(in: 0..<10, using: &random) {
                case 0: words.append(option.longName)  // value missing
                case 1: words.append(option.longName + "=" + (value ?? "x"))
                case 2: words.append(mutate(option.longName, &random))
                default:
                    words.append(option.longName)
                    if let value { words.append(value) }
                }
            }
            for _ in 0..<Int.random(in: 0...2, using: &random) {
                let token =
                    Bool.random(using: &random)
                    ? randomTokens.randomElement(using: &random)! : valuePool.randomElement(using: &random)!
                words.insert(token, at: Int.random(in: 0...words.count, using: &random))
            }
            if Int.random(in: 0..<8, using: &random) == 0, !words.isEmpty {
                words.swapAt(0, Int.random(in: 0..<words.count, using: &random))
            }
            if words.contains("watch") { words = bounded(words) }
            return words
        }

        /// A watch that ends: its own --timeout and --interval dropped, short ones added at the end.
        static func bounded(_ words: [String]) -> [String] {
            var result: [String] = []
            var skip = false
            for word in words {
                if skip {
                    skip = false
                    continue
                }
                if word == "--timeout" || word == "--interval" || word == "--count" {
                    skip = true
                    continue
                }
                if word.hasPrefix("--timeout=") || word.hasPrefix("--interval=") || word.hasPrefix("--count=") { continue }
                result.append(word)
            }
            return result + ["--interval", "100ms", "--timeout", "100ms"]
        }

        /// The option's name with a letter dropped, doubled or changed.
        static func mutate(_ name: String, _ random: inout SplitMix64) -> String {
            var characters = Array(name)
            let index = Int.random(in: 2..<characters.count, using: &random)
            switch Int.random(in: 0..<3, using: &random) {
            case 0: characters.remove(at: index)
            case 1: characters.insert(characters[index], at: index)
            default: characters[index] = "abcdefghijklmnopqrstuvwxyz-".randomElement(using: &random)!
            }
            return String(characters)
        }

        static let documented = Set(ExitStatus.allCases.map(\.rawValue)).subtracting([ExitStatus.internalError.rawValue])

        /// Checks one run's outcome.
        static func expectOutcome(_ status: Int32, stderr: String, elapsed: Duration, _ what: String) {
            #expect(documented.contains(status), "\(what): exit \(status): \(stderr.suffix(500))")
            #expect(elapsed < .seconds(15), "\(what): took \(elapsed)")
            if status == ExitStatus.usage.rawValue {
                let last = stderr.split(separator: "\n").last.map(String.init) ?? ""
                // with --log-format json the error is a JSON event
                #expect(
                    last.hasPrefix("hcconnect: ") || (last.hasPrefix("{") && last.contains("\"event\":\"error\"")),
                    "\(what): \(stderr.suffix(300))")
            }
        }

        static func describe(_ words: [String], run: Int) -> String {
            "seed \(seed) run \(run): hcconnect " + words.map(\.debugDescription).joined(separator: " ")
        }

        /// The bystander's rows, in order.
        static func rows(_ schema: ConnectTestSchema) throws -> String {
            try schema.connection.query("""
                SELECT (SELECT string_agg(t::text, E'\\n' ORDER BY id) FROM \(schema.quoted)._trigger_log t)
                    || (SELECT string_agg(t::text, E'\\n' ORDER BY id) FROM \(schema.quoted)._trigger_log_archive t)
                    || (SELECT string_agg(t::text, E'\\n' ORDER BY id) FROM \(schema.quoted).account t)
                """)[0].string(0) ?? ""
        }

        @Test func randomCommandLinesInProcess() throws {
            print("argument fuzz (in process): seed \(Self.seed) (HCCONNECT_FUZZ_SEED=\(Self.seed) replays it)")
            try TestDatabase.withConnectSchema { bystander in
                try TriggerLogFixture(bystander).fillArchivedFailures(20)
                try bystander.connection.execute("SELECT hcemu.generate_records($1, 'account', 5)", [.text(bystander.name)])
                let before = try Self.rows(bystander)
                try TestDatabase.withConnectSchema { schema in
                    let fixture = TriggerLogFixture(schema)
                    try fixture.fillArchivedFailures(50)
                    try fixture.fillLiveFailures(50, firstID: 1001)
                    try schema.connection.execute("SELECT hcemu.generate_records($1, 'account', 5)", [.text(schema.name)])
                    var random = SplitMix64(seed: Self.seed)
                    let grammar = CompletionGrammar.hcconnect
                    var statuses: [Int32: Int] = [:]
                    let runs = 4000
                    for run in 1...runs {
                        let words = Self.commandLine(grammar, schema: schema.name, &random)
                        let start = ContinuousClock.now
                        let result = try hcconnect(words, schema: schema.name)
                        statuses[result.status, default: 0] += 1
                        Self.expectOutcome(
                            result.status, stderr: result.stderr, elapsed: .now - start, Self.describe(words, run: run))
                    }
                    print("argument fuzz (in process): \(runs) runs, seed \(Self.seed), exit codes \(statuses.sorted { $0.key < $1.key })")
                    let states = try schema.connection.query("""
                        SELECT DISTINCT state FROM (SELECT state FROM \(schema.quoted)._trigger_log
                                                    UNION ALL SELECT state FROM \(schema.quoted)._trigger_log_archive) s
                        """).map { $0.string(0) ?? "NULL" }
                    #expect(Set(states).isSubset(of: ["FAILED", "NEW", "IGNORED", "REQUEUED", "REQUEUE"]), "\(states)")
                }
                #expect(try Self.rows(bystander) == before, "the bystander schema is unchanged, row by row")
            }
        }

        @Test func randomCommandLinesAsProcesses() throws {
            print("argument fuzz (processes): seed \(Self.seed)")
            try TestDatabase.withConnectSchema { schema in
                try TriggerLogFixture(schema).fillArchivedFailures(20)
                var random = SplitMix64(seed: Self.seed ^ 0x5555)
                let grammar = CompletionGrammar.hcconnect
                var statuses: [Int32: Int] = [:]
                let runs = 1000
                let environment = [
                    "DATABASE_URL": try TestDatabase.url, "HEROKU_CONNECT_SCHEMA": schema.name, "PATH": "/usr/bin:/bin",
                ]
                for run in 1...runs {
                    let words = Self.commandLine(grammar, schema: schema.name, &random)
                    let what = Self.describe(words, run: run)
                    let result = try BackgroundProcess.hcconnect(words, environment: environment).wait(timeout: .seconds(20))
                    #expect(!result.signalled, "\(what): killed by signal \(result.status): \(result.stderr.suffix(500))")
                    statuses[result.signalled ? -result.status : result.status, default: 0] += 1
                    if !result.signalled {
                        Self.expectOutcome(result.status, stderr: result.stderr, elapsed: result.elapsed, what)
                    }
                }
                print("argument fuzz (processes): \(runs) runs, seed \(Self.seed), exit codes \(statuses.sorted { $0.key < $1.key })")
            }
        }
    }
}
