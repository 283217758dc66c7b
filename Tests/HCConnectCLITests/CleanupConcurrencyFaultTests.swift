import Foundation
import Postgres
import TestSupport
import Testing

extension IntegrationSuites {
    /// Four `hcconnect cleanup` processes started at once over the same failures. The first
    /// batch of whichever takes the lock is held at a gate (a trigger polling a table) until
    /// the other three have ended, so the overlap is certain rather than likely: one works, the
    /// others exit 75 naming the session that holds the lock, and the log, compared row by row
    /// and through an audit trail of every change, shows each entry handled once.
    @Suite(.serialized, .tags(.process, .fault)) struct CleanupConcurrencyFaultTests {
        private let lockFailures = 600
        /// Rounds of four cleanups with nothing to do, after the first.
        private let rounds = 25
        private let lock = "UNABLE_TO_LOCK_ROW: unable to obtain exclusive access to this record"

        /// Lock errors (ids 1...lockFailures, two in three archived), 10-day-old validation
        /// errors (ignored by age), fresh validation errors and entries in other states (left).
        private func fill(_ schema: ConnectTestSchema) throws {
            for (table, condition) in [("_trigger_log_archive", "g % 3 <> 0"), ("_trigger_log", "g % 3 = 0")] {
                try schema.execute("""
                    INSERT INTO \(table) (id, txid, created_at, updated_at, state, action, table_name, record_id, "values",
                                          sf_result, sf_message)
                    SELECT g, 1000 + g, now() - interval '1 day', now() - interval '20 hours', 'FAILED', 'UPDATE', 'account', g,
                           '"name"=>"new ' || g || '"', 1, $1 || ' (' || g || ')'
                    FROM generate_series(1, \(lockFailures)) AS g WHERE \(condition)
                    """, [.text(lock)])
                try schema.execute("""
                    INSERT INTO \(table) (id, created_at, state, action, table_name, record_id, sf_message)
                    SELECT \(lockFailures) + g, now() - CASE WHEN g % 2 = 0 THEN interval '10 days' ELSE interval '1 hour' END,
                           CASE WHEN g % 5 = 0 THEN 'SUCCESS' ELSE 'FAILED' END, 'UPDATE', 'contact', g,
                           'FIELD_CUSTOM_VALIDATION_EXCEPTION: Email must be set (' || g || ')'
                    FROM generate_series(1, 200) AS g WHERE \(condition)
                    """)
            }
            try schema.execute("SELECT setval('_trigger_log_id_seq', \(lockFailures + 200))")
            try schema.ensureRecords(1...lockFailures)
            try schema.ensureRecords(table: "contact", 1...200)
        }

        private let arguments = [
            "cleanup", "--yes", "--retry-matching", "UNABLE_TO_LOCK_ROW", "--ignore-older-than", "7d", "--batch-size", "25", "--json",
        ]

        @Test func fourCleanupsAtOnceOneWorksTheOthersNameItsSessionAndEachEntryIsHandledOnce() throws {
            let started = ContinuousClock.now
            try TestDatabase.withConnectSchema { schema in
                try fill(schema)
                let audit = try AuditTrail(connection: schema.connection, quoted: schema.quoted)
                let gate = try BatchGate(connection: schema.connection, quoted: schema.quoted)
                let before = try LogSnapshot(schema.connection, quoted: schema.quoted)
                let oldIDs = Set(try schema.connection.query(
                    "SELECT id FROM \(schema.quoted)._trigger_log_archive WHERE created_at < now() - interval '7 days' AND state = 'FAILED' UNION ALL SELECT id FROM \(schema.quoted)._trigger_log WHERE created_at < now() - interval '7 days' AND state = 'FAILED'"
                ).map { try $0.int(0)! })

                let environment = try faultEnvironment(schema: schema.name)
                let runs = try (0..<4).map { _ in try BackgroundProcess.hcconnect(arguments, environment: environment) }
                let threeEnded = try waitUntil(timeout: .seconds(60)) {
                    try runs.filter { !$0.isRunning }.count >= 3 && !gate.waiting().isEmpty
                }
                #expect(threeEnded, "three cleanups ended while the fourth waits at the gate")
                let holder = try schema.connection.query("""
                    SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 2
                      AND classid = hashtext('hcconnect cleanup')::oid AND objid = hashtext($1)::oid
                    """, [.text(schema.name)]).first.map { try $0.int(0)! }
                #expect(holder != nil, "a session holds the cleanup lock")
                // Nothing is committed yet: the losers changed nothing, the winner is inside its first batch.
                #expect(try audit.changes().isEmpty)

                let losers = runs.filter { !$0.isRunning }
                let winner = try #require(runs.first { $0.isRunning })
                for loser in losers {
                    let result = try loser.wait(timeout: .seconds(5))
                    #expect(result.status == 75, "\(result.stderr)")
                    #expect(result.stderrLines.count == 1, "\(result.stderr)")
                    #expect(result.stderr.hasPrefix("hcconnect: another cleanup (hcconnect, pid \(holder ?? -1) "), "\(result.stderr)")
                    #expect(result.stderr.contains("is running on schema \(schema.name); try again when it is done"), "\(result.stderr)")
                }
                try gate.open()
                let result = try winner.wait(timeout: .seconds(120))
                #expect(result.status == 0, "\(result.stderr)")
                let summary = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
                #expect((summary["retry"] as? [String: Any])?["changed"] as? Int == lockFailures, "\(summary)")
                #expect((summary["ignore"] as? [String: Any])?["changed"] as? Int == oldIDs.count, "\(summary)")
                #expect(summary["completed"] as? Bool == true)

                // Row by row: each lock error retried (archived: REQUEUED with one identical copy;
                // live: NEW in place), each old validation error IGNORED, everything else as it was.
                let after = try LogSnapshot(schema.connection, quoted: schema.quoted)
                var copies: [String: Int] = [:]
                for (key, old) in before.rows {
                    let message = old["sf_message"] as? String ?? ""
                    var expected = old["state"] as! String
                    if expected == "FAILED" {
                        if message.hasPrefix("UNABLE_TO_LOCK_ROW") {
                            expected = key.table == "archive" ? "REQUEUED" : "NEW"
                        } else if oldIDs.contains(key.id) {
                            expected = "IGNORED"
                        }
                    }
                    #expect(after.state(key) == expected, "\(key): \(after.state(key) ?? "gone"), expected \(expected)")
                    // a change stamps updated_at (the backlog age counts from it); nothing else moves
                    let changed = expected != old["state"] as? String
                    #expect(
                        LogSnapshot.equal(old, after.rows[key], except: changed ? ["state", "updated_at"] : []),
                        "\(key) changed beyond its state")
                    if changed {
                        #expect(!LogSnapshot.equal(old, after.rows[key], except: ["state"]), "\(key): updated_at not stamped")
                    }
                }
                let maxBefore = before.rows.keys.map(\.id).max()!
                for (key, row) in after.rows where before.rows[key] == nil {
                    #expect(key.table == "live" && key.id > maxBefore && row["state"] as? String == "NEW", "\(key)")
                    let message = row["sf_message"] as? String ?? ""
                    copies[message, default: 0] += 1
                    let source = before.rows.first { $0.key.table == "archive" && $0.value["sf_message"] as? String == message }
                    #expect(LogSnapshot.equal(source?.value, row, except: ["id", "state", "updated_at"]), "copy \(key) equals its source")
                }
                let archivedLockFailures = before.rows.filter {
                    $0.key.table == "archive" && ($0.value["sf_message"] as? String ?? "").hasPrefix("UNABLE_TO_LOCK_ROW")
                }.count
                #expect(copies.count == archivedLockFailures && copies.values.allSatisfy { $0 == 1 }, "one copy per archived lock error")

                // The audit trail: every change made by one session, in one process, each entry once.
                let changes = try audit.changes()
                let updates = changes.filter { $0.operation == "UPDATE" }
                #expect(Set(changes.map(\.pid)).count == 1, "one session made every change")
                #expect(updates.allSatisfy { $0.oldState == "FAILED" }, "only FAILED entries were changed")
                #expect(Set(updates.map { "\($0.table) \($0.id)" }).count == updates.count, "no entry changed twice")
                #expect(updates.count == lockFailures + oldIDs.count)
                #expect(changes.filter { $0.operation == "INSERT" }.count == archivedLockFailures)
                #expect(!changes.contains { $0.operation == "DELETE" })

                // Rounds of four more at once, with nothing left to do and no gate: here the lock is
                // held for a few ms only, so a cleanup that fails to take it often finds it
                // released by the time it looks for the holder. Each ends 0, or 75 naming the
                // holder (never "another cleanup is running" with nobody running); nothing changes.
                var exits: [Int32: Int] = [:]
                for round in 1...rounds {
                    let again = try (0..<4).map { _ in try BackgroundProcess.hcconnect(arguments, environment: environment) }
                        .map { try $0.wait(timeout: .seconds(60)) }
                    for result in again {
                        exits[result.status, default: 0] += 1
                        #expect(result.status == 0 || result.status == 75, "round \(round): \(result.stderr)")
                        if result.status == 75 {
                            #expect(result.stderr.hasPrefix("hcconnect: another cleanup (hcconnect, pid "), "round \(round): \(result.stderr)")
                        }
                    }
                }
                #expect(try audit.changes().count == changes.count, "the later rounds changed nothing")
                print(
                    "CleanupConcurrencyFaultTests: 4 cleanups, 1 worked, \(losers.count) exited 75 naming pid \(holder ?? -1); "
                        + "\(before.rows.count) rows compared, \(changes.count) audited changes; \(rounds) more rounds of 4 "
                        + "with nothing to do exit \(exits), \(ContinuousClock.now - started)")
            }
        }
    }
}
