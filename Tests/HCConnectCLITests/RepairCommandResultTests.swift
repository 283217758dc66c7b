import Foundation
import Postgres
import TestSupport
import Testing

/// `retry` and `ignore`: the result in every format, --max and --batch-size, wrong command
/// lines, ignore's own forms, and help.
extension IntegrationSuites.RepairCommandTests {
    // MARK: - The result

    @Test func theJSONResultIsOneObjectWithEveryCount() throws {
        try TestDatabase.withConnectSchema { schema in
            let f = try Fixture(schema)
            let result = try hcconnect(
                ["retry", String(f.liveFailed), String(f.archivedFailed), String(f.archivedOtherFailed), String(f.liveNew), "424242",
                 "--format", "json"],
                schema: schema.name)
            #expect(result.status == 3)
            #expect(result.stderr == "")
            let object = try singleJSONObject(result.stdout)
            #expect(Set(object.keys) == [
                "command", "write_mode", "via_connect", "dry_run", "requested", "changed", "skipped", "not_found", "steps",
                "created", "changes", "coalesced", "not_retried", "skipped_not_failed", "skipped_no_longer_matching", "skipped_locked",
                "skipped_gone", "read_only", "table_not_mapped", "no_log_trigger", "superseded", "record_missing",
                "record_exists", "values_unreadable", "unknown_action", "not_found_ids",
                "batches",
            ])
            #expect(object["command"] as? String == "retry")
            #expect(object["write_mode"] as? String == "merged")
            #expect(object["via_connect"] as? Bool == false)
            #expect(object["dry_run"] as? Bool == false)
            #expect(object["requested"] as? Int == 5)
            #expect(object["changed"] as? Int == 3)
            #expect(object["skipped"] as? Int == 1)
            #expect(object["not_found"] as? Int == 1)
            #expect(object["steps"] as? [String: Int] == ["live-to-new": 1, "archive-copied": 2])
            #expect(object["batches"] as? Int == 1)
            #expect(object["not_found_ids"] as? [Int] == [424242])
            #expect((object["skipped_gone"] as? [Any])?.isEmpty == true)
            let first = f.liveIgnored + 1
            let created = try #require(object["created"] as? [[String: Any]])
            #expect(created.count == 2)
            #expect(created.map { $0["id"] as? Int } == [f.archivedFailed, f.archivedOtherFailed])
            #expect(created.map { $0["new_id"] as? Int } == [first, first + 1])
            #expect(created.map { $0["in"] as? String } == ["archive", "archive"])
            #expect(created.map { $0["step"] as? String } == ["archive-copied", "archive-copied"])
            let skipped = try #require(object["skipped_not_failed"] as? [[String: Any]])
            #expect(skipped.count == 1)
            #expect(skipped.first?["id"] as? Int == f.liveNew)
            #expect(skipped.first?["state"] as? String == "NEW")
            #expect(skipped.first?["table_name"] as? String == "opportunity")
            #expect(skipped.first?["record_id"] as? Int == 9)
            #expect(try f.log.row(first)?["sf_message"] as? String == "REQUIRED_FIELD_MISSING: Required fields are missing: [LastName]")
            #expect(try f.log.row(first + 1)?["sf_message"] as? String == "FIELD_CUSTOM_VALIDATION_EXCEPTION: Billing City is required")

            let ignore = try hcconnect(["ignore", String(f.liveOtherFailed), "--json"], schema: schema.name)
            let ignored = try singleJSONObject(ignore.stdout)
            #expect(ignored["command"] as? String == "ignore")
            #expect(ignored["write_mode"] == nil)
            #expect(ignored["via_connect"] == nil)
            #expect(ignored["steps"] as? [String: Int] == ["ignored": 1])
            #expect((ignored["created"] as? [Any])?.isEmpty == true)
        }
    }

    @Test func formatIdsPrintsTheIdsChangedOrCreated() throws {
        try TestDatabase.withConnectSchema { schema in
            let f = try Fixture(schema)
            let result = try hcconnect(
                ["retry", String(f.archivedFailed), String(f.archivedOtherFailed), String(f.liveSuccess), "--format", "ids"],
                schema: schema.name)
            #expect(result.status == 1)
            let first = f.liveIgnored + 1
            #expect(result.stdout == "\(first)\n\(first + 1)\n")
            #expect(try f.log.liveIDs().suffix(2) == [first, first + 1])
            #expect(result.stderr.hasPrefix("retry (merged writes): 3 requested, 2 changed, 1 left alone\n"))

            // A live entry set back to NEW keeps its id: that id is the one now queued.
            let live = try hcconnect(["retry", String(f.liveFailed), "--format", "ids"], schema: schema.name)
            #expect(live.status == 0, "\(live.stderr)")
            #expect(live.stdout == "\(f.liveFailed)\n")
            // An ignored entry is changed in place: its own id.
            let ignored = try hcconnect(["ignore", String(f.liveOtherFailed), "--format", "ids"], schema: schema.name)
            #expect(ignored.status == 0, "\(ignored.stderr)")
            #expect(ignored.stdout == "\(f.liveOtherFailed)\n")
            // Nothing changed, nothing printed: the same id again is IGNORED already.
            let again = try hcconnect(["ignore", String(f.liveOtherFailed), "--format", "ids"], schema: schema.name)
            #expect(again.status == 1)
            #expect(again.stdout == "")
        }
    }

    // MARK: - --max and --batch-size

    @Test func maxCapsHowManyEntriesChangeLowestIdsFirst() throws {
        try TestDatabase.withConnectSchema { schema in
            let log = LogTables(schema)
            let ids = try (0..<5).map { _ in try schema.insertEntry(state: "FAILED", message: "boom") }
            let before = try log.dump()
            let result = try hcconnect(["ignore", "--failed", "--yes", "--max", "2", "--json"], schema: schema.name)
            #expect(result.status == 0)
            let object = try singleJSONObject(result.stdout)
            #expect(object["requested"] as? Int == 2)
            #expect(object["changed"] as? Int == 2)
            #expect(try ids.map { try log.state($0) } == ["IGNORED", "IGNORED", "FAILED", "FAILED", "FAILED"])
            expectUnchanged(before, try log.dump(), except: ["live \(ids[0])", "live \(ids[1])"])

            let explicit = try hcconnect(["retry", String(ids[4]), String(ids[3]), String(ids[2]), "--max", "1"], schema: schema.name)
            #expect(explicit.status == 0)
            #expect(try ids.map { try log.state($0) } == ["IGNORED", "IGNORED", "NEW", "FAILED", "FAILED"])
        }
    }

    @Test func smallBatchesEndInTheSameStateAsOne() throws {
        func run(_ options: [String]) throws -> (rows: [String], batches: Int?, created: [[String: Any]]) {
            try TestDatabase.withConnectSchema { schema in
                for n in 1...3 {
                    try schema.insertEntry(archived: true, state: "FAILED", recordID: n, message: "archived \(n)", createdAgo: "\(n) days")
                }
                try schema.insertEntry(state: "SUCCESS", recordID: 9)
                for n in 4...5 { try schema.insertEntry(state: "FAILED", recordID: n, message: "live \(n)") }
                let result = try hcconnect(["retry", "--failed", "--yes", "--json"] + options, schema: schema.name)
                #expect(result.status == 0, "\(result.stderr)")
                let object = try singleJSONObject(result.stdout)
                let rows = try schema.connection.query("""
                    SELECT 'live', id, state, record_id, sf_message FROM \(schema.quoted)._trigger_log
                    UNION ALL SELECT 'archive', id, state, record_id, sf_message FROM \(schema.quoted)._trigger_log_archive
                    ORDER BY 1, 2
                    """).map { row in (0..<5).map { row.string($0) ?? "NULL" }.joined(separator: " ") }
                return (rows, object["batches"] as? Int, object["created"] as? [[String: Any]] ?? [])
            }
        }
        let batched = try run(["--batch-size", "2"])
        let single = try run([])
        #expect(batched.batches == 3)
        #expect(single.batches == 1)
        #expect(batched.rows == single.rows)
        #expect(batched.rows.count == 9)
        #expect(batched.rows.filter { $0.hasPrefix("archive") }.allSatisfy { $0.contains(" REQUEUED ") })
        #expect(batched.created.map { $0["new_id"] as? Int } == single.created.map { $0["new_id"] as? Int })
        #expect(batched.created.count == 3)
    }

    // MARK: - Wrong command lines

    struct UsageCase: Sendable, CustomStringConvertible {
        let arguments: [String]
        let message: String
        var description: String { arguments.joined(separator: " ") }
    }

    /// "ID" stands for a FAILED entry's id.
    static let usageCases: [UsageCase] = [
        UsageCase(arguments: ["retry", "--failed", "ID"],
                  message: "--failed selects entries by filters; it cannot be combined with ids ('ID')"),
        UsageCase(arguments: ["ignore", "ID", "--failed", "--yes"],
                  message: "--failed selects entries by filters; it cannot be combined with ids ('ID')"),
        UsageCase(arguments: ["retry", "--table", "account"],
                  message: "--table filters a selection: use it with --failed (hcconnect retry --failed --table ...)"),
        UsageCase(arguments: ["ignore", "ID", "--message", "boom"],
                  message: "--message filters a selection: use it with --failed (hcconnect ignore --failed --message ...), not with ids"),
        UsageCase(arguments: ["retry"], message: "missing trigger log ids (or - to read them from standard input), or --failed [filters]"),
        UsageCase(arguments: ["ignore", "--yes"], message: "missing trigger log ids (or - to read them from standard input), or --failed [filters]"),
        UsageCase(arguments: ["retry", "ID", "--batch-size", "0"], message: "--batch-size: '0' is not a batch size (a whole number above 0)"),
        UsageCase(arguments: ["retry", "ID", "--max", "-1"], message: "--max: '-1' is not a count (a whole number above 0)"),
        UsageCase(arguments: ["ignore", "--failed", "--yes", "--max", "abc"], message: "--max: 'abc' is not a count (a whole number above 0)"),
        UsageCase(
            arguments: ["retry", "--state", "NEW"],
            message: "retry has no --state option; a repair changes FAILED entries only; see other states with hcconnect list --state STATE"),
        UsageCase(arguments: ["ignore", "--write-mode", "merged", "ID"], message: "unknown option '--write-mode'"),
        UsageCase(arguments: ["ignore", "ID", "--via-connect"], message: "unknown option '--via-connect'"),
        UsageCase(arguments: ["retry", "ID", "abc"], message: "ID: 'abc' is not a trigger log id (a whole number above 0)"),
        UsageCase(arguments: ["retry", "0"], message: "ID: '0' is not a trigger log id (a whole number above 0)"),
        UsageCase(arguments: ["ignore", "99999999999"],
                  message: "ID: '99999999999' is too large for a trigger log id (at most 2147483647)"),
        UsageCase(arguments: ["retry", "-", "-"], message: "- (standard input) is given more than once"),
        UsageCase(arguments: ["retry", "--failed", "--yes", "--in", "both"], message: "--in: 'both' is not live, archive or all"),
        UsageCase(arguments: ["ignore", "--failed", "--yes", "--action", "UPSERT"], message: "--action: 'UPSERT' is not INSERT, UPDATE or DELETE"),
        UsageCase(arguments: ["retry", "--failed", "--yes", "--sfid", "001"],
                  message: "--sfid: '001' is not a Salesforce id (15 or 18 letters and digits)"),
        UsageCase(
            arguments: ["retry", "--failed", "--yes", "--limit", "3"],
            message: "retry has no --limit option; to change at most N entries (the lowest ids first), use --max N"),
    ]

    @Test(arguments: usageCases)
    func wrongCommandLinesAreOneLineAndChangeNothing(usage: UsageCase) throws {
        try TestDatabase.withConnectSchema { schema in
            let f = try Fixture(schema)
            let before = try f.log.dump()
            let arguments = usage.arguments.map { $0 == "ID" ? String(f.liveFailed) : $0 }
            let result = try hcconnect(arguments, schema: schema.name, input: "\(f.liveFailed)\n")
            #expect(result.status == 2)
            #expect(result.stdout == "")
            #expect(result.stderr == "hcconnect: " + usage.message.replacingOccurrences(of: "'ID'", with: "'\(f.liveFailed)'") + "\n")
            #expect(try f.log.dump() == before)
        }
    }

    // MARK: - ignore

    @Test func ignoreSetsLiveAndArchivedFailuresToIgnoredAndCopiesNothing() throws {
        try TestDatabase.withConnectSchema { schema in
            let f = try Fixture(schema)
            let before = try f.log.dump()
            let liveBefore = try f.log.row(f.liveFailed)
            let archivedBefore = try f.log.row(f.archivedFailed, archived: true)
            let result = try hcconnect(["ignore", String(f.archivedFailed), String(f.liveFailed)], schema: schema.name)
            #expect(result.status == 0)
            #expect(result.stdout == "")
            #expect(result.stderr == "ignore: 2 requested, 2 changed\n  FAILED → IGNORED: 2\n")
            let liveAfter = try f.log.row(f.liveFailed)
            let archivedAfter = try f.log.row(f.archivedFailed, archived: true)
            #expect(liveAfter?["state"] as? String == "IGNORED")
            #expect(archivedAfter?["state"] as? String == "IGNORED")
            #expect(sameColumns(liveBefore, liveAfter, except: ["state", "updated_at"]))
            #expect(sameColumns(archivedBefore, archivedAfter, except: ["state", "updated_at"]))
            expectUnchanged(before, try f.log.dump(), except: ["live \(f.liveFailed)", "archive \(f.archivedFailed)"])

            // Running it again changes nothing more.
            let again = try hcconnect(["ignore", String(f.archivedFailed), "--format", "ids"], schema: schema.name)
            #expect(again.status == 1)
            #expect(again.stdout == "")
            // a single id left alone says why, in one line
            #expect(again.stderr == "hcconnect: entry \(f.archivedFailed) (archive) was not ignored: it is IGNORED, not FAILED\n")
        }
    }

    // MARK: - Help

    @Test(arguments: [
        ("retry", ["--write-mode MODE", "--via-connect", "--failed", "--table", "--in", "--action", "--since", "--until",
                   "--message", "--record-id", "--sfid", "--dry-run", "--yes", "--max N", "--batch-size N"]),
        ("ignore", ["--failed", "--table", "--in", "--action", "--since", "--until", "--message", "--record-id", "--sfid",
                    "--dry-run", "--yes", "--max N", "--batch-size N"]),
        ("capture-insert", ["--exclude FIELD", "--sfid SFID", "--dry-run", "--batch-size N"]),
        ("capture-update", ["--fields FIELD", "--columns COLUMN", "--sfid SFID", "--dry-run", "--batch-size N"]),
    ])
    func helpShowsUsageAndOptions(command: String, options: [String]) throws {
        for arguments in [["help", command], [command, "--help"]] {
            let result = try hcconnect(arguments, environment: ["DATABASE_URL": "postgresql://127.0.0.1:1/never"])
            #expect(result.status == 0)
            #expect(result.stderr == "")
            #expect(result.stdout.hasPrefix("hcconnect \(command) — "))
            #expect(result.stdout.contains("\nUsage:\n  hcconnect \(command) "))
            #expect(result.stdout.contains("\nOptions:\n"))
            for option in options {
                #expect(
                    result.stdout.contains("\n  \(option)") || result.stdout.contains(", \(option)"),
                    "\(command) help lists \(option)")
            }
        }
        let insertHelp = try hcconnect(["help", "capture-insert"])
        #expect(!insertHelp.stdout.contains("--fields"), "capture-update's options are not shown for capture-insert")
        let updateHelp = try hcconnect(["help", "capture-update"])
        #expect(!updateHelp.stdout.contains("--exclude"))
        let ignoreHelp = try hcconnect(["help", "ignore"])
        #expect(!ignoreHelp.stdout.contains("--write-mode"))
    }
}
