import Foundation
import Postgres
import TestSupport
import Testing

/// `retry` and `ignore`: the guards (states, locks, confirmation) and dry runs.
extension IntegrationSuites.RepairCommandTests {
    // MARK: - Guards

    @Test(arguments: ["retry", "ignore"])
    func entriesThatAreNotFailedAreSkippedAndReported(command: String) throws {
        try TestDatabase.withConnectSchema { schema in
            let f = try Fixture(schema)
            let before = try f.log.dump()
            let ids = [f.liveSuccess, f.liveNew, f.livePending, f.liveIgnored, f.archivedSuccess, f.liveFailed]
            let result = try hcconnect([command] + ids.map(String.init) + ["--format", "json"], schema: schema.name)
            #expect(result.status == 1)
            let object = try singleJSONObject(result.stdout)
            #expect(object["requested"] as? Int == 6)
            #expect(object["changed"] as? Int == 1)
            #expect(object["skipped"] as? Int == 5)
            #expect(object["not_found"] as? Int == 0)
            let skipped = try #require(object["skipped_not_failed"] as? [[String: Any]])
            #expect(skipped.map { $0["id"] as? Int } == [f.archivedSuccess, f.liveSuccess, f.liveNew, f.livePending, f.liveIgnored])
            #expect(skipped.map { $0["state"] as? String } == ["SUCCESS", "SUCCESS", "NEW", "PENDING", "IGNORED"])
            #expect(skipped.map { $0["in"] as? String } == ["archive", "live", "live", "live", "live"])
            #expect(try f.log.state(f.liveFailed) == (command == "retry" ? "NEW" : "IGNORED"))
            expectUnchanged(before, try f.log.dump(), except: ["live \(f.liveFailed)"])

            let text = try hcconnect([command, String(f.liveSuccess), String(f.liveNew)], schema: schema.name)
            #expect(text.status == 1)
            let title = command == "retry" ? "retry (merged writes)" : "ignore"
            #expect(text.stderr == """
                \(title): 2 requested, 0 changed, 2 left alone
                  skipped, not FAILED: 2 (\(f.liveSuccess) SUCCESS, \(f.liveNew) NEW)

                """)
            #expect(try f.log.state(f.liveSuccess) == "SUCCESS")
            #expect(try f.log.state(f.liveNew) == "NEW")
        }
    }

    @Test(arguments: ["retry", "ignore"])
    func anUnknownIdIsNotFoundWhileTheOthersAreHandled(command: String) throws {
        try TestDatabase.withConnectSchema { schema in
            let f = try Fixture(schema)
            let before = try f.log.dump()
            let result = try hcconnect([command, "999999", String(f.liveFailed)], schema: schema.name)
            #expect(result.status == 3)
            #expect(result.stdout == "")
            let title = command == "retry" ? "retry (merged writes)" : "ignore"
            let step = command == "retry" ? "live FAILED → NEW" : "FAILED → IGNORED"
            #expect(result.stderr == """
                \(title): 2 requested, 1 changed, 1 not found
                  \(step): 1
                  not found: 1 (999999)

                """)
            #expect(try f.log.state(f.liveFailed) == (command == "retry" ? "NEW" : "IGNORED"))
            expectUnchanged(before, try f.log.dump(), except: ["live \(f.liveFailed)"])

            let json = try hcconnect([command, "999998", "999999", String(f.archivedOtherFailed), "--json"], schema: schema.name)
            #expect(json.status == 3)
            let object = try singleJSONObject(json.stdout)
            #expect(object["requested"] as? Int == 3)
            #expect(object["changed"] as? Int == 1)
            #expect(object["not_found"] as? Int == 2)
            #expect(object["not_found_ids"] as? [Int] == [999998, 999999])
            #expect(try f.log.state(f.archivedOtherFailed, archived: true) == (command == "retry" ? "REQUEUED" : "IGNORED"))
        }
    }

    /// Holds `FOR UPDATE` on an entry in a second session while `body` runs.
    func holdingLock<T>(_ schema: ConnectTestSchema, on id: Int, archived: Bool = false, _ body: () throws -> T) throws -> T {
        let other = try TestDatabase.connect()
        let table = archived ? "_trigger_log_archive" : "_trigger_log"
        return try other.withTransaction {
            let locked = try other.query("SELECT id FROM \(schema.quoted).\(table) WHERE id = $1 FOR UPDATE", [.int(id)])
            #expect(locked.count == 1)
            return try body()
        }
    }

    @Test(arguments: [("retry", false), ("retry", true), ("ignore", false), ("ignore", true)])
    func aSingleLockedIdIsATemporaryFailureWithAClearMessage(command: String, archived: Bool) throws {
        try TestDatabase.withConnectSchema { schema in
            let f = try Fixture(schema)
            let id = archived ? f.archivedFailed : f.liveFailed
            let before = try f.log.dump()
            let result = try holdingLock(schema, on: id, archived: archived) {
                try hcconnect([command, String(id)], schema: schema.name)
            }
            #expect(result.status == 75)
            #expect(result.stdout == "")
            #expect(result.stderr == """
                hcconnect: trigger log entry \(id) is locked by another session (Heroku Connect's worker or another hcconnect is working on it); try again in a moment

                """)
            #expect(try f.log.dump() == before, "nothing changed")
            // Once the lock is gone, the same command works.
            #expect(try hcconnect([command, String(id)], schema: schema.name).status == 0)
        }
    }

    @Test func anOrderedRetryOfASingleLockedIdIsATemporaryFailureToo() throws {
        try TestDatabase.withConnectSchema { schema in
            let log = LogTables(schema)
            try log.insertRecords("INSERT INTO account (id, name) VALUES (1, 'Acme') ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name")
            let id = try schema.insertEntry(state: "FAILED", action: "UPDATE", recordID: 1, values: #""name"=>"x""#)
            let before = try log.dump()
            let result = try holdingLock(schema, on: id) {
                try hcconnect(["retry", String(id), "--write-mode", "ordered"], schema: schema.name)
            }
            #expect(result.status == 75)
            #expect(result.stderr.hasPrefix("hcconnect: trigger log entry \(id) is locked by another session"))
            #expect(try log.dump() == before)
        }
    }

    @Test(arguments: ["merged", "ordered"])
    func aBulkRunSkipsAndCountsLockedEntries(mode: String) throws {
        try TestDatabase.withConnectSchema { schema in
            let f = try Fixture(schema)
            try f.log.insertRecords("INSERT INTO account (id, name) VALUES (1, 'Acme') ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name")
            let before = try f.log.dump()
            let result = try holdingLock(schema, on: f.liveFailed) {
                try hcconnect(
                    ["retry", String(f.liveFailed), String(f.liveOtherFailed), "--write-mode", mode, "--format", "json"],
                    schema: schema.name)
            }
            #expect(result.status == 1, "\(result.stderr)")
            let object = try singleJSONObject(result.stdout)
            #expect(object["requested"] as? Int == 2)
            #expect(object["changed"] as? Int == 1)
            #expect(object["skipped"] as? Int == 1)
            #expect((object["skipped_locked"] as? [[String: Any]])?.map { $0["id"] as? Int } == [f.liveFailed])
            #expect(try f.log.state(f.liveFailed) == "FAILED")
            #expect(try f.log.state(f.liveOtherFailed) == "NEW", "a DELETE is re-queued in both modes")
            expectUnchanged(before, try f.log.dump(), except: ["live \(f.liveOtherFailed)"])

            // A --failed selection, as text.
            let text = try holdingLock(schema, on: f.archivedFailed, archived: true) {
                try hcconnect(["ignore", "--failed", "--in", "archive", "--yes"], schema: schema.name)
            }
            #expect(text.status == 1)
            #expect(text.stderr == """
                ignore: 2 requested, 1 changed, 1 left alone
                  FAILED → IGNORED: 1
                  skipped, locked or changed by another session (try again): 1 (\(f.archivedFailed))

                """)
            #expect(try f.log.state(f.archivedFailed, archived: true) == "FAILED")
            #expect(try f.log.state(f.archivedOtherFailed, archived: true) == "IGNORED")
        }
    }

    // MARK: - Confirmation

    @Test(arguments: ["retry", "ignore"])
    func aSelectionNeedsYesOrAConfirmationTypedAtATerminal(command: String) throws {
        try TestDatabase.withConnectSchema { schema in
            let f = try Fixture(schema)
            let before = try f.log.dump()
            let title = command == "retry" ? "retry (merged writes)" : "ignore"
            let what = command == "retry" ? "retry 2 FAILED entries (merged writes)" : "ignore 2 FAILED entries"

            // refused before connecting: the URL leads nowhere
            let refused = try hcconnect(
                [command, "--failed", "--in", "live"], environment: ["DATABASE_URL": "postgresql://127.0.0.1:1/never"])
            #expect(refused.status == 2)
            #expect(refused.stdout == "")
            #expect(refused.stderr == """
                hcconnect: \(command) --failed changes every entry it selects and there is no terminal to confirm at: \
                add --yes to go ahead (or --dry-run to see what it would change)

                """)
            #expect(try f.log.dump() == before)

            // Output on a terminal is not enough: the answer must come from a person.
            let piped = try hcconnect([command, "--failed", "--in", "live"], schema: schema.name, input: "yes\n", terminal: true)
            #expect(piped.status == 2)
            #expect(try f.log.dump() == before)

            let preview = """
                hcconnect: about to \(what):
                  TABLE        ERROR CODE          ENTRIES
                  account      UNABLE_TO_LOCK_ROW        1
                  opportunity  ENTITY_IS_DELETED         1
                \(command == "retry" ? "Retry" : "Ignore") these 2 entries? Type yes to go ahead, no to cancel: 
                """
            for (answer, ending) in [
                ("no\n", "hcconnect: not confirmed; nothing was changed"), ("\n", "hcconnect: not confirmed; nothing was changed"),
                ("", "\nhcconnect: not confirmed (no answer); nothing was changed"),
                ("y\n", "hcconnect: not confirmed ('y' is not yes); nothing was changed"),
                ("YES\n", "hcconnect: not confirmed ('YES' is not yes); nothing was changed"),
                ("yess\n", "hcconnect: not confirmed ('yess' is not yes); nothing was changed"),
            ] {
                let declined = try hcconnect(
                    [command, "--failed", "--in", "live", "--no-color"], schema: schema.name, input: answer, terminal: true,
                    inputIsTerminal: true)
                #expect(declined.status == 1, "\(answer.debugDescription)")
                #expect(declined.stderr == preview + ending + "\n", "\(answer.debugDescription)")
                #expect(declined.stdout == "")
                #expect(try f.log.dump() == before)
            }

            let confirmed = try hcconnect(
                [command, "--failed", "--in", "live", "--no-color"], schema: schema.name, input: " yes \n", terminal: true,
                inputIsTerminal: true)
            #expect(confirmed.status == 0, "\(confirmed.stderr)")
            #expect(confirmed.stderr.hasPrefix(preview))
            #expect(confirmed.stderr.contains("\(title): 2 requested, 2 changed\n"))
            let state = command == "retry" ? "NEW" : "IGNORED"
            #expect(try f.log.state(f.liveFailed) == state)
            #expect(try f.log.state(f.liveOtherFailed) == state)
            expectUnchanged(before, try f.log.dump(), except: ["live \(f.liveFailed)", "live \(f.liveOtherFailed)"])

            // One entry: the question says so.
            let one = try hcconnect(
                [command, "--failed", "--table", "contact", "--no-color"], schema: schema.name, input: "yes\n", terminal: true,
                inputIsTerminal: true)
            #expect(one.status == 0)
            #expect(one.stderr.contains(
                "\(command == "retry" ? "Retry" : "Ignore") this entry? Type yes to go ahead, no to cancel: "), "\(one.stderr)")
        }
    }

    @Test func explicitIdsNeedNoConfirmationAndAnEmptySelectionHasNothingToDo() throws {
        try TestDatabase.withConnectSchema { schema in
            let f = try Fixture(schema)
            let before = try f.log.dump()
            let empty = try hcconnect(["retry", "--failed", "--message", "no such message", "--yes"], schema: schema.name)
            #expect(empty.status == 0)
            #expect(empty.stdout == "")
            #expect(empty.stderr == "No FAILED entries match; nothing to do.\n")
            let emptyJSON = try hcconnect(["ignore", "--failed", "--table", "user", "--json", "--yes"], schema: schema.name)
            #expect(emptyJSON.status == 0)
            let object = try singleJSONObject(emptyJSON.stdout)
            #expect(object["requested"] as? Int == 0)
            #expect(object["changed"] as? Int == 0)
            #expect(object["batches"] as? Int == 0)
            #expect(try f.log.dump() == before)

            let explicit = try hcconnect(["ignore", String(f.liveFailed)], schema: schema.name, inputIsTerminal: true)
            #expect(explicit.status == 0)
            #expect(explicit.stderr == "ignore: 1 requested, 1 changed\n  FAILED → IGNORED: 1\n")
            #expect(try f.log.state(f.liveFailed) == "IGNORED")
        }
    }

    // MARK: - Dry run

    /// A dry run that matches nothing says so, instead of an empty table's header.
    @Test func aDryRunThatMatchesNothingSaysSo() throws {
        try TestDatabase.withConnectSchema { schema in
            _ = try Fixture(schema)
            for command in ["retry", "ignore"] {
                let table = try hcconnect([command, "--failed", "--dry-run", "--message", "no such text"], schema: schema.name)
                #expect(table.status == 0)
                #expect(table.stdout == "")
                #expect(table.stderr == "No FAILED entries match; nothing to do.\n")
                // every entry left alone: the summary says so, and no header is printed
                let alone = try hcconnect([command, "--failed", "--dry-run", "--table", "user"], schema: schema.name)
                #expect(alone.stdout == "", "\(alone.stdout)")
                let csv = try hcconnect(
                    [command, "--failed", "--dry-run", "--message", "no such text", "--format", "csv"], schema: schema.name)
                #expect(csv.stdout.hasPrefix("id,txid,"), "CSV keeps its header")
            }
            let capture = try hcconnect(["capture-update", "account", "99999", "--dry-run"], schema: schema.name)
            #expect(capture.stdout == "")
            #expect(capture.stderr.contains("would capture 0 of 1 records"))
        }
    }

    @Test(arguments: ["table", "csv", "ids", "json"])
    func aDryRunListsWhatWouldChangeAndChangesNothing(format: String) throws {
        try TestDatabase.withConnectSchema { schema in
            let f = try Fixture(schema)
            let before = try f.log.dump()
            // A --failed selection: only FAILED rows anyway.
            let selection = try hcconnect(
                ["retry", "--failed", "--table", "account,contact", "--dry-run", "--format", format], schema: schema.name)
            #expect(selection.status == 0, "\(selection.stderr)")
            #expect(try f.log.dump() == before, "nothing changed, the sequence did not move")
            let selected = [f.archivedFailed, f.archivedOtherFailed, f.liveFailed]
            try expectListing(selection.stdout, format: format, ids: selected)
            if format != "json" {
                #expect(selection.stderr == """
                    retry (merged writes), dry run (nothing changed): 3 requested, 3 would change
                      live FAILED → NEW: 1
                      archived FAILED → copied to the live log as NEW, archived entry REQUEUED: 2

                    """)
            }

            // Explicit ids, some of which would not change.
            let explicit = try hcconnect(
                ["ignore", String(f.liveSuccess), String(f.liveFailed), String(f.archivedFailed), "999999", "--dry-run", "--format", format],
                schema: schema.name)
            #expect(explicit.status == 3)
            #expect(try f.log.dump() == before)
            if format == "json" {
                let object = try singleJSONObject(explicit.stdout)
                #expect(object["dry_run"] as? Bool == true)
                #expect(object["requested"] as? Int == 4)
                #expect(object["changed"] as? Int == 2)
                #expect(object["skipped"] as? Int == 1)
                #expect(object["not_found"] as? Int == 1)
                let entries = try #require(object["entries"] as? [[String: Any]])
                let would = Dictionary(uniqueKeysWithValues: entries.map { ($0["id"] as! Int, $0["would"] as? String) })
                // Only entries that would change are listed; the SUCCESS one is counted as skipped.
                #expect(would == [f.archivedFailed: "ignored", f.liveFailed: "ignored"])
                #expect((object["skipped_not_failed"] as? [[String: Any]])?.map { $0["id"] as? Int } == [f.liveSuccess])
            } else {
                // Only what would change: piping --format ids into 'ignore -' names failures only.
                try expectListing(explicit.stdout, format: format, ids: [f.archivedFailed, f.liveFailed])
                #expect(explicit.stderr == """
                    ignore, dry run (nothing changed): 4 requested, 2 would change, 1 would be left alone, 1 not found
                      FAILED → IGNORED: 2
                      skipped, not FAILED: 1 (\(f.liveSuccess) SUCCESS)
                      not found: 1 (999999)

                    """)
            }
        }
    }

    /// Checks a dry run's listing names exactly `ids`, in that order.
    func expectListing(
        _ stdout: String, format: String, ids: [Int], sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let lines = stdout.split(whereSeparator: \.isNewline).map(String.init)
        switch format {
        case "ids":
            #expect(lines == ids.map(String.init), sourceLocation: sourceLocation)
        case "csv":
            #expect(lines.first?.hasPrefix("id,txid,created_at,") == true, sourceLocation: sourceLocation)
            #expect(lines.dropFirst().map { String($0.prefix { $0 != "," }) } == ids.map(String.init), sourceLocation: sourceLocation)
        case "table":
            #expect(lines.first?.hasPrefix("ID") == true, sourceLocation: sourceLocation)
            #expect(
                lines.dropFirst().map { $0.split(separator: " ").first.map(String.init) } == ids.map(String.init),
                sourceLocation: sourceLocation)
        default:
            let object = try singleJSONObject(stdout, sourceLocation: sourceLocation)
            let entries = try #require(object["entries"] as? [[String: Any]], sourceLocation: sourceLocation)
            #expect(entries.map { $0["id"] as? Int } == ids, sourceLocation: sourceLocation)
            #expect(entries.allSatisfy { ($0["would"] as? String)?.hasPrefix("skip") == false }, sourceLocation: sourceLocation)
            #expect(object["command"] as? String != nil, sourceLocation: sourceLocation)
            #expect(object["changed"] as? Int == ids.count, sourceLocation: sourceLocation)
        }
    }

    @Test func anOrderedDryRunSaysWhatEachEntryWouldGet() throws {
        try TestDatabase.withConnectSchema { schema in
            let log = LogTables(schema)
            try log.insertRecords("INSERT INTO account (id, name) VALUES (1, 'Acme') ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name")
            let update = try schema.insertEntry(state: "FAILED", action: "UPDATE", recordID: 1, values: #""name"=>"x""#)
            let insert = try schema.insertEntry(archived: true, state: "FAILED", action: "INSERT", recordID: 1)
            let delete = try schema.insertEntry(archived: true, state: "FAILED", action: "DELETE", recordID: 7)
            let gone = try schema.insertEntry(
                state: "FAILED", action: "UPDATE", recordID: 42, values: #""name"=>"x""#, withRecord: false)
            let before = try log.dump()
            let result = try hcconnect(
                ["retry", "--failed", "--dry-run", "--write-mode", "ordered", "--via-connect", "--json"], schema: schema.name)
            #expect(result.status == 1)
            let object = try singleJSONObject(result.stdout)
            #expect(object["write_mode"] as? String == "ordered")
            #expect(object["via_connect"] as? Bool == true)
            let entries = try #require(object["entries"] as? [[String: Any]])
            // Only the entries that would change are listed; the one left alone is in record_missing.
            // Account 1's UPDATE and INSERT are one capture of the whole record, carried by the
            // newer entry (the INSERT); the UPDATE is coalesced into it.
            #expect(entries.map { $0["id"] as? Int } == [update, insert, delete])
            #expect(entries.map { $0["would"] as? String } == ["coalesced", "capture-insert", "archive-requeue"])
            #expect(entries.map { $0["into"] as? Int } == [insert, nil, nil])
            #expect(entries.map { $0["archived"] as? Bool } == [false, true, true])
            #expect(object["steps"] as? [String: Int] == ["coalesced": 1, "capture-insert": 1, "archive-requeue": 1])
            #expect((object["record_missing"] as? [[String: Any]])?.map { $0["id"] as? Int } == [gone])
            #expect(try log.dump() == before)
        }
    }

    @Test func csvListsEntriesOnlyInADryRun() throws {
        try TestDatabase.withConnectSchema { schema in
            let f = try Fixture(schema)
            let before = try f.log.dump()
            for command in ["retry", "ignore"] {
                let result = try hcconnect([command, String(f.liveFailed), "--format", "csv"], schema: schema.name)
                #expect(result.status == 2)
                #expect(result.stdout == "")
                #expect(result.stderr == "hcconnect: --format: 'csv' lists entries, which only --dry-run does; use table, json or ids\n")
            }
            #expect(try f.log.dump() == before)
        }
    }
}
