import Foundation
import Postgres
import TestSupport
import Testing

extension IntegrationSuites {
    /// `--audit-log` and `HCCONNECT_AUDIT_LOG`: a JSON line per committed batch, compared with
    /// what the database holds afterwards; and the ids every repair reports.
    @Suite(.tags(.database)) struct AuditLogTests {
        private func temporaryFile(_ name: String) -> String {
            NSTemporaryDirectory() + "/hcconnect-audit-\(getpid())-\(UUID().uuidString)-\(name)"
        }

        private func lines(_ path: String) throws -> [[String: Any]] {
            guard FileManager.default.fileExists(atPath: path) else { return [] }
            return try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map {
                try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
            }
        }

        private func state(_ schema: ConnectTestSchema, _ id: Int, archived: Bool = false) throws -> String? {
            try schema.connection.query(
                "SELECT state FROM \(schema.quoted).\(archived ? "_trigger_log_archive" : "_trigger_log") WHERE id = $1",
                [.int(id)]
            ).first?.string(0)
        }

        @Test func everyCommittedBatchIsOneLineThatMatchesTheDatabase() throws {
            try TestDatabase.withConnectSchema { schema in
                let live = try (1...3).map { try schema.insertEntry(recordID: $0, message: "UNABLE_TO_LOCK_ROW: lock") }
                let archived = try (4...5).map {
                    try schema.insertEntry(archived: true, recordID: $0, message: "UNABLE_TO_LOCK_ROW: lock", createdAgo: "2 days")
                }
                let file = temporaryFile("retry")
                defer { unlink(file) }
                let url = try TestDatabase.url
                let result = try hcconnect(
                    ["retry", "--failed", "--yes", "--batch-size", "2", "--audit-log", file, "--database-url", url, "--json"],
                    schema: schema.name, environment: ["USER": "ana"])
                #expect(result.status == 0, "\(result.stderr)")
                let logged = try lines(file)
                #expect(logged.count == 3, "5 entries in batches of 2: \(logged)")
                #expect(logged.map { $0["batch"] as? Int } == [1, 2, 3])
                let role = try schema.connection.query("SELECT current_user::text")[0].string(0)
                for line in logged {
                    #expect(line["user"] as? String == "ana")
                    #expect(line["database_role"] as? String == role)
                    #expect(line["schema"] as? String == schema.name)
                    #expect(line["action"] as? String == "retry")
                    #expect(line["write_mode"] as? String == "merged")
                    #expect((line["time"] as? String)?.hasSuffix("Z") == true)
                    let command = try #require(line["command"] as? [String])
                    #expect(command.prefix(4) == ["hcconnect", "retry", "--failed", "--yes"])
                    #expect(command.contains(ConnectionSettings(connectionString: url).redactedConnectionString))
                }
                // the changes logged are the changes made, no more, no less
                let changes = logged.flatMap { $0["changes"] as? [[String: Any]] ?? [] }
                #expect(changes.count == 5)
                for change in changes {
                    let id = try #require(change["id"] as? Int)
                    if change["in"] as? String == "live" {
                        #expect(live.contains(id))
                        #expect(change["step"] as? String == "live-to-new")
                        #expect(change["new_id"] == nil)
                        #expect(try state(schema, id) == "NEW")
                    } else {
                        #expect(archived.contains(id))
                        #expect(change["step"] as? String == "archive-copied")
                        #expect(try state(schema, id, archived: true) == "REQUEUED")
                        let newID = try #require(change["new_id"] as? Int)
                        #expect(try state(schema, newID) == "NEW")
                    }
                }
                #expect(Set(changes.compactMap { $0["id"] as? Int }) == Set(live + archived))
                // the JSON result lists the same changes
                let object = try #require(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
                let reported = try #require(object["changes"] as? [[String: Any]])
                #expect(reported.count == 5)
                #expect(Set(reported.compactMap { $0["new_id"] as? Int }) == Set(changes.compactMap { $0["new_id"] as? Int }))
            }
        }

        @Test func theEnvironmentNamesItForIgnoreCleanupAndCaptures() throws {
            try TestDatabase.withConnectSchema { schema in
                let failed = try schema.insertEntry(recordID: 1, message: "DUPLICATE_VALUE: dup")
                let old = try schema.insertEntry(recordID: 2, message: "UNABLE_TO_LOCK_ROW: lock")
                try schema.ensureRecord(table: "account", id: 42)
                let file = temporaryFile("env")
                defer { unlink(file) }
                let environment = ["HCCONNECT_AUDIT_LOG": file, "LOGNAME": "ops"]
                #expect(try hcconnect(["ignore", String(failed)], schema: schema.name, environment: environment).status == 0)
                #expect(try hcconnect(
                    ["cleanup", "--retry-matching", "UNABLE_TO_LOCK_ROW", "--yes"], schema: schema.name, environment: environment
                ).status == 0)
                let capture = try hcconnect(
                    ["capture-update", "account", "42", "--fields", "Name"], schema: schema.name, environment: environment)
                #expect(capture.status == 0)
                let newID = try #require(Int(capture.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
                let logged = try lines(file)
                #expect(logged.map { $0["action"] as? String } == ["ignore", "retry", "capture-update"])
                #expect(logged.allSatisfy { $0["user"] as? String == "ops" })
                #expect((logged[0]["changes"] as? [[String: Any]])?.first?["id"] as? Int == failed)
                #expect((logged[0]["changes"] as? [[String: Any]])?.first?["step"] as? String == "ignored")
                #expect((logged[1]["changes"] as? [[String: Any]])?.first?["id"] as? Int == old)
                let captured = try #require((logged[2]["changes"] as? [[String: Any]])?.first)
                #expect(captured["record_id"] as? Int == 42)
                #expect(captured["new_id"] as? Int == newID)
                #expect(try schema.connection.query(
                    "SELECT action, record_id FROM \(schema.quoted)._trigger_log WHERE id = $1", [.int(newID)]
                ).first.map { [$0.string(0), try $0.int(1).map(String.init)] } == ["UPDATE", "42"])

                // reading commands and dry runs write nothing, and do not mind an unwritable path
                let before = try String(contentsOfFile: file, encoding: .utf8)
                #expect(try hcconnect(["ignore", "--failed", "--dry-run"], schema: schema.name, environment: environment).status == 0)
                #expect(try hcconnect(
                    ["failed"], schema: schema.name, environment: ["HCCONNECT_AUDIT_LOG": "/nonexistent/dir/audit"]
                ).status == 0)
                #expect(try String(contentsOfFile: file, encoding: .utf8) == before)
            }
        }

        @Test func aLogThatCannotBeOpenedChangesNothing() throws {
            try TestDatabase.withConnectSchema { schema in
                let id = try schema.insertEntry(message: "DUPLICATE_VALUE: dup")
                for arguments in [["ignore", String(id)], ["retry", "--failed", "--yes"], ["cleanup", "--ignore-older-than", "1m", "--yes"]] {
                    let result = try hcconnect(
                        arguments + ["--audit-log", "/nonexistent/dir/audit.jsonl"], schema: schema.name)
                    #expect(result.status == 74, "\(arguments): \(result.stderr)")
                    #expect(result.stderr == """
                        hcconnect: cannot open the audit log /nonexistent/dir/audit.jsonl: No such file or directory; \
                        nothing was changed

                        """)
                    #expect(try state(schema, id) == "FAILED")
                }
                // with --format json, the result says so on standard output
                let json = try hcconnect(
                    ["ignore", "--failed", "--yes", "--json", "--audit-log", "/nonexistent/dir/audit.jsonl"], schema: schema.name)
                let object = try #require(JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
                #expect(object["command"] as? String == "ignore")
                #expect(object["completed"] as? Bool == false)
                #expect(object["exit_status"] as? Int == 74)
                #expect((object["error"] as? String)?.hasPrefix("cannot open the audit log") == true)
            }
        }

        /// A full disk: the batch in hand is committed, its line is lost, and the run stops
        /// there with 74 (the rest untouched).
        @Test func aFailedWriteStopsTheRunAfterThatBatch() throws {
            try TestDatabase.withConnectSchema { schema in
                let ids = try (1...6).map { try schema.insertEntry(recordID: $0, message: "DUPLICATE_VALUE: dup") }
                let result = try hcconnect(
                    ["ignore", "--failed", "--yes", "--batch-size", "2", "--audit-log", "/dev/full"], schema: schema.name)
                #expect(result.status == 74, "\(result.stderr)")
                #expect(result.stderr.contains("Stopped after 1 batch; the batches done are committed, the rest is untouched."))
                #expect(result.stderr.hasSuffix(
                    "hcconnect: cannot write the audit log /dev/full: No space left on device; stopped after batch 1, which is "
                        + "committed but not logged\n"), "\(result.stderr)")
                let states = try ids.map { try state(schema, $0) }
                #expect(states.filter { $0 == "IGNORED" }.count == 2, "\(states)")
                #expect(states.filter { $0 == "FAILED" }.count == 4)
            }
        }

        /// A JSON run that fails before its first batch still writes its one result object.
        @Test func aJSONRunThatFailsEarlyWritesItsResult() throws {
            try TestDatabase.withConnectSchema { schema in
                for (arguments, status) in [
                    (["retry", "--failed", "--json"], Int32(2)), (["cleanup", "--ignore-older-than", "1d", "--json"], 2),
                    (["ignore", "--failed", "--yes", "--json", "--table", "nosuch"], 3),
                    (["capture-update", "nosuch", "1", "--json"], 3),
                ] {
                    let result = try hcconnect(arguments, schema: schema.name)
                    #expect(result.status == status, "\(arguments): \(result.stderr)")
                    let object = try #require(
                        JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(arguments)")
                    #expect(object["command"] as? String == arguments[0])
                    #expect(object["completed"] as? Bool == false)
                    #expect(object["exit_status"] as? Int == Int(status))
                    #expect(result.stderr.hasPrefix("hcconnect: \(object["error"] as? String ?? "?")"), "\(result.stderr)")
                }
            }
        }
    }
}
