import Foundation
import Postgres
import TestSupport
import Testing

extension IntegrationSuites {
    /// Repairs run as real processes: two at once on the same selection, and one killed in the
    /// middle and run again. Each ends with the log checked row by row.
    @Suite(.tags(.process, .slow)) struct RepairProcessTests {
        /// Fills the archive with `archived` and the live log with `live` FAILED UPDATE entries,
        /// each with a unique sf_message ("failure N") that copies keep, so a copy can be traced
        /// to its source.
        private func fillFailures(_ schema: ConnectTestSchema, archived: Int, live: Int) throws {
            try schema.execute("""
                INSERT INTO _trigger_log_archive (id, txid, created_at, updated_at, processed_at, processed_tx, state,
                                                  action, table_name, record_id, sfid, old, "values", sf_result, sf_message)
                SELECT g, 1000 + g, now() - interval '2 days' + g * interval '1 second', now() - interval '1 day',
                       now() - interval '1 day', 5000 + g, 'FAILED', 'UPDATE', 'account', g, NULL,
                       '"name"=>"old ' || g || '"', '"name"=>"new ' || g || '", "phone"=>NULL', 1, 'failure ' || g
                FROM generate_series(1, \(archived)) AS g
                """)
            try schema.execute("""
                INSERT INTO _trigger_log (id, txid, created_at, state, action, table_name, record_id, "values", sf_message)
                SELECT \(archived) + g, 1000 + g, now() - interval '1 hour', 'FAILED', 'UPDATE', 'account', g,
                       '"name"=>"live ' || g || '"', 'failure ' || (\(archived) + g)
                FROM generate_series(1, \(live)) AS g
                """)
            try schema.execute("SELECT setval('_trigger_log_id_seq', \(archived + live + 1))")
            try schema.ensureRecords(1...max(archived, live, 1))
        }

        /// Checks the end state of a merged retry of everything `fillFailures` wrote: every
        /// archived entry REQUEUED with exactly one live copy identical but for id and state,
        /// every live entry NEW, nothing else in the live log.
        private func expectEveryFailureRetriedOnce(_ schema: ConnectTestSchema, archived: Int, live: Int) throws {
            let counts = try schema.connection.query("""
                SELECT (SELECT count(*) FROM \(schema.quoted)._trigger_log_archive WHERE state = 'REQUEUED'),
                       (SELECT count(*) FROM \(schema.quoted)._trigger_log_archive WHERE state <> 'REQUEUED'),
                       (SELECT count(*) FROM \(schema.quoted)._trigger_log WHERE state = 'NEW'),
                       (SELECT count(*) FROM \(schema.quoted)._trigger_log WHERE state <> 'NEW'),
                       (SELECT count(*) FROM (SELECT sf_message FROM \(schema.quoted)._trigger_log
                                              GROUP BY sf_message HAVING count(*) > 1) AS duplicated),
                       (SELECT count(*) FROM \(schema.quoted)._trigger_log_archive a
                        JOIN \(schema.quoted)._trigger_log l ON l.sf_message = a.sf_message
                        WHERE (l.txid, l.created_at, l.updated_at, l.processed_at, l.processed_tx, l.action, l.table_name,
                               l.record_id, l.sfid, l.old, l."values", l.sf_result)
                              IS NOT DISTINCT FROM
                              (a.txid, a.created_at, a.updated_at, a.processed_at, a.processed_tx, a.action, a.table_name,
                               a.record_id, a.sfid, a.old, a."values", a.sf_result)
                          AND l.id <> a.id)
                """)[0]
            #expect(try counts.int(0) == archived)
            #expect(try counts.int(1) == 0)
            #expect(try counts.int(2) == archived + live, "one NEW row per live failure and per archived copy")
            #expect(try counts.int(3) == 0)
            #expect(try counts.int(4) == 0, "no failure copied twice")
            #expect(try counts.int(5) == archived, "every copy identical to its source but for id and state")
        }

        private func environment(_ schema: ConnectTestSchema) throws -> [String: String] {
            ["DATABASE_URL": try TestDatabase.url, "HEROKU_CONNECT_SCHEMA": schema.name]
        }

        @Test func twoProcessesRetryingTheSameSelectionChangeEachEntryOnce() throws {
            try TestDatabase.withConnectSchema { schema in
                let archived = 6000
                let live = 2000
                try fillFailures(schema, archived: archived, live: live)
                // Each batch's change to the archive takes 20 ms, so that the two runs overlap
                // however fast hcconnect gets.
                try schema.execute("""
                    CREATE FUNCTION \(schema.quoted).hcconnect_test_slow() RETURNS trigger LANGUAGE plpgsql AS
                    $$ BEGIN PERFORM pg_sleep(0.02); RETURN NULL; END $$
                    """)
                try schema.execute("""
                    CREATE TRIGGER hcconnect_test_slow AFTER UPDATE ON \(schema.quoted)._trigger_log_archive
                    FOR EACH STATEMENT EXECUTE FUNCTION \(schema.quoted).hcconnect_test_slow()
                    """)
                let arguments = ["retry", "--failed", "--yes", "--batch-size", "50", "--format", "json"]
                let first = try BackgroundProcess.hcconnect(arguments, environment: try environment(schema))
                let second = try BackgroundProcess.hcconnect(arguments, environment: try environment(schema))
                let results = [try first.wait(timeout: .seconds(120)), try second.wait(timeout: .seconds(120))]
                var changed = 0
                var newIDs: [Int] = []
                for result in results {
                    #expect(result.status == 0 || result.status == 1, "\(result.stderr)")
                    let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
                    let changedHere = try #require(object["changed"] as? Int)
                    changed += changedHere
                    // Both selected everything and split the work; if one had finished before the
                    // other started, this test would not have tested anything.
                    #expect(changedHere > 0 && changedHere < archived + live, "both processes worked at once")
                    let created = try #require(object["created"] as? [[String: Any]])
                    newIDs += created.compactMap { $0["new_id"] as? Int }
                    // What one process skipped, the other changed: nothing is left FAILED.
                    let skipped = try #require(object["skipped"] as? Int)
                    #expect(try #require(object["requested"] as? Int) == (object["changed"] as? Int ?? 0) + skipped)
                }
                #expect(changed == archived + live, "each entry changed by exactly one of the two processes")
                #expect(Set(newIDs).count == archived)
                #expect(newIDs.count == archived)
                try expectEveryFailureRetriedOnce(schema, archived: archived, live: live)
            }
        }

        @Test func aRunKilledMidwayLeavesWholeBatchesAndARerunFinishesTheJob() throws {
            try TestDatabase.withConnectSchema { schema in
                let archived = 30000
                let batchSize = 10
                try fillFailures(schema, archived: archived, live: 0)
                let arguments = ["retry", "--failed", "--in", "archive", "--yes", "--batch-size", String(batchSize)]
                let run = try BackgroundProcess.hcconnect(arguments, environment: try environment(schema))
                let requeued = "SELECT count(*) FROM \(schema.quoted)._trigger_log_archive WHERE state = 'REQUEUED'"
                let deadline = ContinuousClock.now + .seconds(60)
                while try schema.connection.query(requeued)[0].int(0)! < 500, ContinuousClock.now < deadline {
                    Thread.sleep(forTimeInterval: 0.01)
                }
                run.send(SIGKILL)
                let killed = try run.wait(timeout: .seconds(120))
                #expect(killed.signalled, "the run was still going when it was killed (status \(killed.status))")

                // Every committed batch is whole: as many copies as REQUEUED sources, in whole batches.
                let state = try schema.connection.query("""
                    SELECT (SELECT count(*) FROM \(schema.quoted)._trigger_log_archive WHERE state = 'REQUEUED'),
                           (SELECT count(*) FROM \(schema.quoted)._trigger_log),
                           (SELECT count(*) FROM \(schema.quoted)._trigger_log l
                            JOIN \(schema.quoted)._trigger_log_archive a ON a.sf_message = l.sf_message AND a.state = 'REQUEUED')
                    """)[0]
                let done = try #require(try state.int(0))
                #expect(done > 0 && done < archived)
                #expect(done % batchSize == 0, "only whole batches committed (\(done))")
                #expect(try state.int(1) == done)
                #expect(try state.int(2) == done)

                let rerun = try hcconnectProcess(arguments + ["--format", "json"], environment: try environment(schema))
                #expect(rerun.status == 0, "\(rerun.stderr)")
                let object = try #require(try JSONSerialization.jsonObject(with: Data(rerun.stdout.utf8)) as? [String: Any])
                #expect(object["requested"] as? Int == archived - done, "the rerun selects only what is still FAILED")
                #expect(object["changed"] as? Int == archived - done)
                try expectEveryFailureRetriedOnce(schema, archived: archived, live: 0)
            }
        }
    }
}
