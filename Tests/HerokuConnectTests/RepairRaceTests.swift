import HerokuConnect
import Postgres
import TestSupport
import Testing

extension IntegrationSuites {
    /// What happens when Heroku Connect changes entries between the moment a selection is
    /// resolved and the moment a batch changes them.
    @Suite(.tags(.database)) struct RepairRaceTests {
        @Test func anEntryMovedToTheArchiveMeanwhileIsReportedGoneAndARerunRetriesItThere() throws {
            try TestDatabase.withConnectSchema { schema in
                let moved = try schema.insertEntry(state: "FAILED", message: "moved")
                let stays = try schema.insertEntry(state: "FAILED", message: "stays")
                let store = try TriggerLogStore(connection: schema.connection, schemaName: schema.name)
                let repair = TriggerLogRepair(store: store)
                let candidates = try repair.candidates(for: .failed(.failed()))
                #expect(candidates.targets == [.init(id: moved, location: .live), .init(id: stays, location: .live)])

                // Heroku Connect archives the entry (a move keeps the id).
                try schema.execute("INSERT INTO _trigger_log_archive SELECT * FROM _trigger_log WHERE id = \(moved)")
                try schema.execute("DELETE FROM _trigger_log WHERE id = \(moved)")

                let summary = try repair.run(.retry(.merged, viaConnect: false), on: candidates)
                #expect(summary.requested == 2)
                #expect(summary.changed == 1)
                #expect(summary.gone.map(\.id) == [moved])
                #expect(summary.skipped == 1)
                #expect(!summary.isComplete)

                let rerun = try repair.run(.retry(.merged, viaConnect: false), on: try repair.candidates(for: .failed(.failed())))
                #expect(rerun.requested == 1)
                #expect(rerun.steps == [.copiedToLive: 1])
                #expect(rerun.created.map(\.sourceID) == [moved])
                let states = try schema.connection.query(
                    "SELECT state FROM \(schema.quoted)._trigger_log_archive WHERE id = $1", [.int(moved)])
                #expect(states.first?.string(0) == "REQUEUED")
            }
        }

        @Test func anEntryThatConnectSucceededMeanwhileIsLeftAloneAndReportedWithItsNewState() throws {
            try TestDatabase.withConnectSchema { schema in
                let id = try schema.insertEntry(state: "FAILED")
                let store = try TriggerLogStore(connection: schema.connection, schemaName: schema.name)
                let repair = TriggerLogRepair(store: store)
                let candidates = try repair.candidates(for: .failed(.failed()))
                try schema.execute("UPDATE _trigger_log SET state = 'SUCCESS' WHERE id = \(id)")

                for action in [RepairAction.ignore, .retry(.merged, viaConnect: false), .retry(.ordered, viaConnect: false)] {
                    let summary = try repair.run(action, on: candidates)
                    #expect(summary.changed == 0)
                    #expect(summary.notFailed.map(\.state) == [.success])
                }
                let state = try schema.connection.query("SELECT state FROM \(schema.quoted)._trigger_log WHERE id = $1", [.int(id)])
                #expect(state.first?.string(0) == "SUCCESS")
            }
        }
    }
}
