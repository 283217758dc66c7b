@testable import HerokuConnect
import Postgres
import TestSupport
import Testing

extension IntegrationSuites {
    /// A selection is checked again when its entries are changed, not only when the run starts
    /// (issue 13, finding 8): a long `ignore --failed --message X` must not silence an entry that
    /// Connect retried meanwhile and that failed again for another reason.
    @Suite(.tags(.database)) struct RepairRecheckTests {
        @Test(arguments: [RepairAction.ignore, .retry(.merged, viaConnect: false), .retry(.ordered, viaConnect: false)])
        func anEntryThatFailedAgainWithAnotherMessageIsLeftFailed(_ action: RepairAction) throws {
            try TestDatabase.withConnectSchema { schema in
                let record = try schema.makeAccount(name: "Acme", sfid: "0015e00000AbCdEAAV")
                let changed = try schema.insertEntry(
                    action: "UPDATE", recordID: record, values: #""name"=>"x""#,
                    message: "FIELD_CUSTOM_VALIDATION_EXCEPTION: Billing City is required")
                let other = try schema.makeAccount(name: "Globex", sfid: "0015e00000XyZaBAAV")
                let same = try schema.insertEntry(
                    action: "UPDATE", recordID: other, values: #""name"=>"y""#,
                    message: "FIELD_CUSTOM_VALIDATION_EXCEPTION: Billing City is required")
                let repair = TriggerLogRepair(store: try schema.store())
                let candidates = try repair.candidates(
                    for: .failed(TriggerLogQuery.failed().message(containing: "FIELD_CUSTOM_VALIDATION")))
                #expect(candidates.targets.map(\.id) == [changed, same])

                // Meanwhile Connect retried the first one, and it failed again, for another reason.
                try schema.execute(
                    "UPDATE _trigger_log SET sf_message = 'UNABLE_TO_LOCK_ROW: unable to obtain exclusive access' WHERE id = $1",
                    [.int(changed)])

                let summary = try repair.run(action, on: candidates)

                #expect(summary.changed == 1)
                let states = try schema.states()
                #expect(states.contains("live \(changed) FAILED"), "the new failure is kept: \(states)")
                #expect(!states.contains("live \(same) FAILED"), "the entry that still matches is changed: \(states)")
                #expect(try schema.connection.query(
                    "SELECT sf_message FROM \(schema.quoted)._trigger_log WHERE id = $1", [.int(changed)]
                )[0].string(0)?.hasPrefix("UNABLE_TO_LOCK_ROW") == true)
            }
        }

        /// The same for the age and table filters: an entry outside the selection's bounds at
        /// the moment of the change is left alone, and the outcome says why.
        @Test func theChangeReChecksEveryFilterAndSaysWhyAnEntryWasLeft() throws {
            try TestDatabase.withConnectSchema { schema in
                let moved = try schema.insertEntry(action: "UPDATE", recordID: 1, values: #""name"=>"x""#, createdAgo: "3 days")
                let kept = try schema.insertEntry(action: "UPDATE", recordID: 2, values: #""name"=>"y""#, createdAgo: "3 days")
                let repair = TriggerLogRepair(store: try schema.store())
                let candidates = try repair.candidates(
                    for: .failed(TriggerLogQuery.failed().tables(["account"]).until(.ago(seconds: 86_400))))
                #expect(candidates.targets.map(\.id) == [moved, kept])
                // the relative bound was fixed when the selection was made
                guard case .absolute? = candidates.recheck.first?.createdUntil else {
                    Issue.record("--until 1d was not fixed to a time: \(candidates.recheck)")
                    return
                }
                try schema.execute("UPDATE _trigger_log SET created_at = now() WHERE id = $1", [.int(moved)])

                let summary = try repair.run(.ignore, on: candidates)

                #expect(summary.noLongerMatching.map(\.id) == [moved])
                #expect(summary.steps == [.ignored: 1])
                #expect(try schema.states() == ["live \(moved) FAILED", "live \(kept) IGNORED"])
            }
        }

        /// The live log's later entries are read once when a run starts (it has no index on
        /// record_id); a batch still sees those added since and those that were waiting then and
        /// succeeded since, so an entry superseded during a long run is not retried.
        @Test(arguments: [WriteMode.merged, .ordered])
        func aChangeThatSucceedsDuringTheRunSupersedesTheEntriesOfLaterBatches(_ mode: WriteMode) throws {
            try TestDatabase.withConnectSchema { schema in
                let records = try (0..<3).map { try schema.makeAccount(name: "Account \($0)", sfid: nil) }
                let failures = try records.map { record in
                    try schema.insertEntry(action: "UPDATE", recordID: record, values: #""name"=>"x""#, createdAgo: "2 hours")
                }
                // record 2 has a change waiting when the run starts
                let waiting = try schema.insertEntry(
                    state: "NEW", action: "UPDATE", recordID: records[2], values: #""name"=>"y""#, createdAgo: "1 hour",
                    processed: false)
                let repair = TriggerLogRepair(store: try schema.store())
                let candidates = try repair.candidates(for: .failed(.failed()))
                var added: Int?
                let summary = try repair.run(.retry(mode, viaConnect: false), on: candidates, batchSize: 1) { summary, _, _ in
                    guard summary.batches == 1 else { return }
                    // after the first batch: a new change of record 1 succeeds, and record 2's waiting one
                    added = try schema.insertEntry(
                        state: "SUCCESS", action: "UPDATE", recordID: records[1], values: #""name"=>"z""#, createdAgo: "1 minute")
                    try schema.execute("UPDATE _trigger_log SET state = 'SUCCESS' WHERE id = $1", [.int(waiting)])
                }
                #expect(summary.changed == 1)
                #expect(summary.superseded.map(\.id) == [failures[1], failures[2]])
                #expect(summary.superseded.map(\.supersededBy) == [added, waiting])
            }
        }
    }
}
