import Foundation
import Postgres
import TestSupport
import Testing

extension IntegrationSuites {
    /// A bulk retry of a generated log whose records have many FAILED entries each, later
    /// SUCCESS entries, records that were deleted and records not yet in Salesforce: the dry run
    /// and the real run report the same outcomes, and under ordered writes the real run writes
    /// at most one new entry per record.
    @Suite(.tags(.database)) struct GeneratedLogRepairTests {
        @Test(arguments: ["ordered", "merged"])
        func aDryRunAndTheRealRunAgreeAndEachRecordIsRetriedOnce(mode: String) throws {
            try TestDatabase.withConnectSchema { schema in
                // 18,000 entries, 30% FAILED, over about 360 accounts, 900 contacts, 180 opportunities
                try schema.execute("SELECT hcemu.generate_log($1, 15000, 3000, 0.3)", [.text(schema.name)])
                for (table, count) in [("account", 360), ("contact", 900), ("opportunity", 180)] {
                    try schema.execute("SELECT hcemu.generate_records($1, $2, $3)", [.text(schema.name), .text(table), .int(count)])
                }
                // deleted records, and accounts not in Salesforce yet (their INSERTs still count),
                // written as Connect writes (no log entries)
                let log = LogTables(schema)
                try log.insertRecords("DELETE FROM contact WHERE id % 13 = 0")
                try log.insertRecords("DELETE FROM account WHERE id % 17 = 0")
                try log.insertRecords("UPDATE account SET sfid = NULL WHERE id % 5 = 0")
                let highest = try schema.connection.query(
                    "SELECT greatest((SELECT max(id) FROM \(schema.quoted)._trigger_log), (SELECT max(id) FROM \(schema.quoted)._trigger_log_archive))"
                )[0].int(0)!
                let failed = try schema.connection.query(
                    "SELECT (SELECT count(*) FROM \(schema.quoted)._trigger_log WHERE state = 'FAILED') + (SELECT count(*) FROM \(schema.quoted)._trigger_log_archive WHERE state = 'FAILED')"
                )[0].int(0)!
                let arguments = ["retry", "--failed", "--write-mode", mode, "--yes", "--format", "json", "--batch-size", "500"]

                let dry = try hcconnect(arguments + ["--dry-run"], schema: schema.name)
                let real = try hcconnect(arguments, schema: schema.name)

                #expect(dry.status == 1 && real.status == 1, "\(dry.stderr) \(real.stderr)")
                let planned = try singleJSONObject(dry.stdout)
                let done = try singleJSONObject(real.stdout)
                #expect(done["requested"] as? Int == failed)
                for key in ["requested", "changed", "not_retried"] {
                    #expect(planned[key] as? Int == done[key] as? Int, "\(key)")
                }
                #expect(planned["steps"] as? [String: Int] == done["steps"] as? [String: Int])
                for key in ["superseded", "record_missing", "record_exists", "read_only", "table_not_mapped", "coalesced"] {
                    let ids = { (object: [String: Any]) in
                        ((object[key] as? [[String: Any]]) ?? []).compactMap { $0["id"] as? Int }.sorted()
                    }
                    #expect(ids(planned) == ids(done), "\(key)")
                    let expected = ["superseded", "record_missing", "record_exists"] + (mode == "ordered" ? ["coalesced"] : [])
                    #expect(!expected.contains(key) || !ids(done).isEmpty, "the log has \(key) entries")
                }
                // the dry run lists each entry it would change, once
                #expect((planned["entries"] as? [Any])?.count == done["changed"] as? Int)

                // what was written: at most one new entry per record under ordered writes
                let written = try schema.connection.query(
                    """
                    SELECT table_name, record_id, action, count(*)::int FROM \(schema.quoted)._trigger_log
                    WHERE id > $1 GROUP BY 1, 2, 3 ORDER BY 4 DESC
                    """, [.int(highest)])
                if mode == "ordered" {
                    #expect(try written.first?.int(3) == 1, "a record and action captured twice")
                    let records = try schema.connection.query(
                        "SELECT count(DISTINCT (table_name, record_id))::int, count(*)::int FROM \(schema.quoted)._trigger_log WHERE id > $1",
                        [.int(highest)])[0]
                    #expect(try records.int(0) == records.int(1), "one new entry per record")
                }
                // no INSERT or UPDATE sent for a record whose row is gone, no DELETE for one whose row
                // is there, no INSERT for one that has an sfid
                let wrong = try schema.connection.query(
                    """
                    SELECT count(*)::int FROM \(schema.quoted)._trigger_log AS l
                    WHERE l.id > $1 AND (
                      (l.table_name = 'contact'
                       AND (l.action = 'DELETE') = EXISTS (SELECT 1 FROM \(schema.quoted).contact c WHERE c.id = l.record_id))
                      OR (l.table_name = 'account'
                       AND (l.action = 'DELETE') = EXISTS (SELECT 1 FROM \(schema.quoted).account c WHERE c.id = l.record_id))
                      OR (l.table_name = 'account' AND l.action = 'INSERT'
                          AND EXISTS (SELECT 1 FROM \(schema.quoted).account a WHERE a.id = l.record_id AND a.sfid IS NOT NULL)))
                    """, [.int(highest)])
                #expect(try wrong[0].int(0) == 0)
                // and none of a live entry set back to NEW in place, under merged writes
                let revived = try schema.connection.query(
                    """
                    SELECT count(*)::int FROM \(schema.quoted)._trigger_log AS l
                    WHERE l.id <= $1 AND l.state = 'NEW' AND l.updated_at >= now() - interval '10 minutes' AND l.table_name = 'contact'
                      AND (l.action = 'DELETE') = EXISTS (SELECT 1 FROM \(schema.quoted).contact c WHERE c.id = l.record_id)
                    """, [.int(highest)])
                #expect(try revived[0].int(0) == 0)
                // nothing was changed beyond what the run reported
                let changedRows = try schema.connection.query(
                    """
                    SELECT (SELECT count(*) FROM \(schema.quoted)._trigger_log WHERE id <= $1 AND state IN ('NEW', 'REQUEUED')
                              AND updated_at >= now() - interval '10 minutes')
                         + (SELECT count(*) FROM \(schema.quoted)._trigger_log_archive WHERE state IN ('REQUEUED', 'REQUEUE')
                              AND updated_at >= now() - interval '10 minutes')
                    """, [.int(highest)])[0].int(0)
                #expect(changedRows == done["changed"] as? Int)
            }
        }
    }
}
