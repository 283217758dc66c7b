import Foundation
import Postgres
import TestSupport
import Testing

extension IntegrationSuites {
    /// The recipes of docs/cron.md, run as written: each `sh` block is a script, run with
    /// /bin/sh, the built hcconnect first on PATH, against a schema of the emulation.
    @Suite(.serialized, .tags(.process)) struct CronRecipeTests {
        /// The `sh` blocks of docs/cron.md, by the script name their second line gives
        /// (`# check.sh: ...`).
        static func recipes() throws -> [String: String] {
            let text = try String(
                contentsOf: TestDatabase.packageRoot.appendingPathComponent("docs/cron.md"), encoding: .utf8)
            var recipes: [String: String] = [:]
            var current: [String]?
            for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
                if current == nil, line == "```sh" {
                    current = []
                } else if let lines = current, line == "```" {
                    let name = lines.first { $0.hasPrefix("# ") && $0.contains(".sh:") }
                        .map { String($0.dropFirst(2).prefix { $0 != ":" }) } ?? "unnamed \(recipes.count)"
                    recipes[name] = lines.joined(separator: "\n") + "\n"
                    current = nil
                } else if current != nil {
                    current!.append(String(line))
                }
            }
            return recipes
        }

        /// Runs a script with /bin/sh in `directory`, with the schema's database and the given
        /// variables.
        func run(_ script: String, schema: ConnectTestSchema, directory: URL, variables: [String: String] = [:]) throws -> CLIResult {
            let file = directory.appendingPathComponent("script-\(UUID().uuidString).sh")
            try script.write(to: file, atomically: true, encoding: .utf8)
            var environment = ["HOME": directory.path, "LANG": "C.UTF-8"]
            environment["PATH"] = TestDatabase.packageRoot.appendingPathComponent(".build/debug").path + ":/usr/bin:/bin"
            environment["DATABASE_URL"] = try TestDatabase.url
            environment["HEROKU_CONNECT_SCHEMA"] = schema.name
            environment.merge(variables) { $1 }
            return try runProcess("/bin/sh", [file.path], environment: environment, directory: directory)
        }

        func withDirectory<T>(_ body: (URL) throws -> T) throws -> T {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hcconnect-cron-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            return try body(directory)
        }

        /// Failures young and old, transient and not.
        func fill(_ schema: ConnectTestSchema) throws -> (lock: [Int], old: [Int], fresh: Int) {
            let lockMessage = "UNABLE_TO_LOCK_ROW: unable to obtain exclusive access to this record or 1 records: 0015e00000AbCdEAAV"
            let lock = [
                try schema.insertEntry(state: "FAILED", action: "UPDATE", table: "account", recordID: 1, message: lockMessage, createdAgo: "2 hours"),
                try schema.insertEntry(
                    archived: true, state: "FAILED", action: "UPDATE", table: "contact", recordID: 2,
                    message: "Request timed out after 120 seconds", createdAgo: "3 days"),
            ]
            let old = [
                try schema.insertEntry(
                    archived: true, state: "FAILED", action: "INSERT", table: "contact", recordID: 3,
                    message: "REQUIRED_FIELD_MISSING: Required fields are missing: [LastName]", createdAgo: "20 days"),
                try schema.insertEntry(
                    archived: true, state: "FAILED", action: "UPDATE", table: "account", recordID: 4,
                    message: "FIELD_CUSTOM_VALIDATION_EXCEPTION: Billing City is required", createdAgo: "15 days"),
            ]
            let fresh = try schema.insertEntry(
                state: "FAILED", action: "UPDATE", table: "account", recordID: 5,
                message: "DUPLICATE_VALUE: duplicate value found: External_Id__c", createdAgo: "30 minutes")
            try schema.insertEntry(state: "SUCCESS", recordID: 6, createdAgo: "10 minutes")
            return (lock, old, fresh)
        }

        @Test func theGuideHasTheRecipesItDescribes() throws {
            #expect(Set(try Self.recipes().keys) == [
                "check.sh", "hcconnect-metrics.sh", "export-failures.sh", "retry-transient.sh", "ignore-old.sh",
            ])
        }

        @Test func theMonitoringCheckAlertsOnlyWhenALimitIsCrossed() throws {
            let script = try #require(try Self.recipes()["check.sh"])
            try TestDatabase.withConnectSchema { schema in
                try withDirectory { directory in
                    let healthy = try run(script, schema: schema, directory: directory)
                    #expect(healthy.status == 0, "\(healthy.stderr)")
                    #expect(healthy.stdout.isEmpty && healthy.stderr.isEmpty, "a healthy check says nothing: \(healthy)")
                    _ = try fill(schema)
                    let unhealthy = try run(script, schema: schema, directory: directory)
                    #expect(unhealthy.status == 0, "\(unhealthy.stderr)")
                    #expect(unhealthy.stdout.contains("Heroku Connect needs attention"), "\(unhealthy.stdout)")
                    #expect(unhealthy.stdout.contains("limit 1d"), "\(unhealthy.stdout)")
                    let down = try run(
                        script, schema: schema, directory: directory,
                        variables: ["DATABASE_URL": "postgresql://no-such-host.invalid/none"])
                    #expect(down.status == 0, "an unreachable database is reported, not an alert: \(down)")
                    #expect(down.stderr.contains("could not check now (exit 69)"), "\(down.stderr)")
                }
            }
        }

        @Test func theMetricsFileIsReplacedWholeEvenWhenALimitIsCrossed() throws {
            let script = try #require(try Self.recipes()["hcconnect-metrics.sh"])
            try TestDatabase.withConnectSchema { schema in
                _ = try fill(schema)
                // A stuck sync: an entry waiting for an hour, over the 15 minutes allowed.
                try schema.insertEntry(state: "NEW", recordID: 7, createdAgo: "1 hour", processed: false)
                try withDirectory { directory in
                    let result = try run(script, schema: schema, directory: directory, variables: ["TEXTFILE_DIR": directory.path])
                    #expect(result.status == 0, "\(result.stderr)")
                    let metrics = try String(contentsOf: directory.appendingPathComponent("hcconnect.prom"), encoding: .utf8)
                    #expect(metrics.contains("hcconnect_check_healthy{schema=\"\(schema.name)\"} 0"), "\(metrics)")
                    #expect(metrics.contains("# TYPE hcconnect_failed_entries gauge"))
                    #expect(metrics.contains("hcconnect_check_threshold_crossed{schema=\"\(schema.name)\",check=\"max_backlog_age\"} 1"))
                    let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.path)
                        .filter { $0.hasPrefix("hcconnect.prom.") }
                    #expect(leftovers.isEmpty)
                }
            }
        }

        @Test func theNightlyExportKeepsEachFailureOnce() throws {
            let script = try #require(try Self.recipes()["export-failures.sh"])
            try TestDatabase.withConnectSchema { schema in
                let (lock, old, fresh) = try fill(schema)
                try withDirectory { directory in
                    let exports = directory.appendingPathComponent("exports")
                    let first = try run(script, schema: schema, directory: directory, variables: ["EXPORT_DIR": exports.path])
                    #expect(first.status == 0, "\(first.stderr)")
                    func exportedIDs() throws -> [Int] {
                        try FileManager.default.contentsOfDirectory(atPath: exports.path).filter { $0.hasSuffix(".jsonl") }
                            .flatMap { name in
                                try jsonLines(String(contentsOf: exports.appendingPathComponent(name), encoding: .utf8))
                            }
                            .map { $0["id"] as! Int }
                    }
                    #expect(try exportedIDs().sorted() == (lock + old + [fresh]).sorted())
                    #expect(FileManager.default.fileExists(atPath: exports.appendingPathComponent("failed.checkpoint").path))
                    // The next night, only what failed since.
                    let newer = try schema.insertEntry(state: "FAILED", recordID: 9, message: "ENTITY_IS_DELETED: entity is deleted", createdAgo: "1 minute")
                    let second = try run(script, schema: schema, directory: directory, variables: ["EXPORT_DIR": exports.path])
                    #expect(second.status == 0, "\(second.stderr)")
                    #expect(try exportedIDs().sorted() == (lock + old + [fresh, newer]).sorted())
                }
            }
        }

        @Test func theTransientErrorPolicyRetriesLockErrorsAndTimeoutsOnly() throws {
            let script = try #require(try Self.recipes()["retry-transient.sh"])
            try TestDatabase.withConnectSchema { schema in
                let (lock, old, fresh) = try fill(schema)
                try withDirectory { directory in
                    let result = try run(script, schema: schema, directory: directory, variables: ["LOG_DIR": directory.path])
                    #expect(result.status == 0, "\(result.stderr)")
                    #expect(result.stdout.isEmpty && result.stderr.isEmpty, "\(result)")
                    let tables = LogTables(schema)
                    #expect(try tables.state(lock[0]) == "NEW")
                    #expect(try tables.state(lock[1], archived: true) == "REQUEUED")
                    #expect(try old.map { try tables.state($0, archived: true) } == ["FAILED", "FAILED"])
                    #expect(try tables.state(fresh) == "FAILED")
                    let log = try jsonLines(String(contentsOf: directory.appendingPathComponent("cleanup.jsonl"), encoding: .utf8))
                    #expect(log.count == 1)
                    #expect((log.first?["retry"] as? [String: Any])?["changed"] as? Int == 2)
                }
            }
        }

        @Test func theWeeklyIgnoreSilencesFailuresOlderThanTwoWeeks() throws {
            let script = try #require(try Self.recipes()["ignore-old.sh"])
            try TestDatabase.withConnectSchema { schema in
                let (lock, old, fresh) = try fill(schema)
                try withDirectory { directory in
                    let result = try run(script, schema: schema, directory: directory)
                    #expect(result.status == 0, "\(result.stderr)")
                    #expect(result.stdout.isEmpty)
                    let tables = LogTables(schema)
                    #expect(try old.map { try tables.state($0, archived: true) } == ["IGNORED", "IGNORED"])
                    #expect(try tables.state(lock[0]) == "FAILED")
                    #expect(try tables.state(fresh) == "FAILED")
                }
            }
        }
    }
}
