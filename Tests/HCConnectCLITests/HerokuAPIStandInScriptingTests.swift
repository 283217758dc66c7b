import Foundation
import Testing
import TestSupport

/// The stand-in's actions and their effect on state, its scripted faults (429, 500, delays),
/// its ready-made scenarios, and its lock.
@Suite(.tags(.unit)) struct HerokuAPIStandInScriptingTests {
    static let databaseURL = "postgres://u:secret@127.0.0.1:5432/hcconnect_test"
    let standIn = HerokuAPIStandIn.scenarios(databaseURL: Self.databaseURL)
    var calls: StandInCalls { StandInCalls(standIn: standIn) }

    func action(_ name: String, _ id: String) -> StandInResponse {
        calls.post("/api/v3/connections/\(id)/actions/\(name)")
    }

    func state(_ id: String) -> String? {
        standIn.connection(id)?.state
    }

    // MARK: Actions

    @Test func pauseThenResumeGoesIdlePausedIdle() {
        let id = HerokuAPIStandIn.fixedID(100)
        let paused = action("pause", id)
        #expect(paused.status == 202)
        #expect(paused.body.isEmpty)
        #expect(state(id) == "PAUSED")
        #expect(action("resume", id).status == 202)
        #expect(state(id) == "IDLE")
        #expect(standIn.actions == ["pause \(id)", "resume \(id)"])
    }

    @Test(arguments: ["PAUSED", "POLLING_DB_CHANGES", "SYSTEM_ERROR", "DB_UNAVAILABLE"])
    func aConnectionIsPausedOnlyFromIdle(state from: String) throws {
        let id = HerokuAPIStandIn.fixedID(100)
        standIn.update(connection: id) { $0.state = from }
        let refused = action("pause", id)
        #expect(refused.status == 400)
        #expect(try jsonObject(refused)["message"] as? String == "Cannot pause a connection in state \(from).")
        #expect(state(id) == from)
        #expect(standIn.actions == ["pause \(id) refused"])
    }

    @Test func onlyAPausedConnectionResumes() {
        let id = HerokuAPIStandIn.fixedID(100)
        #expect(action("resume", id).status == 400)
        #expect(state(id) == "IDLE")
        let paused = HerokuAPIStandIn.fixedID(300)
        #expect(action("resume", paused).status == 202)
        #expect(state(paused) == "IDLE")
    }

    @Test(arguments: [HerokuAPIStandIn.fixedID(400), HerokuAPIStandIn.fixedID(300), HerokuAPIStandIn.fixedID(100)])
    func restartLeavesAnyStateForIdle(id: String) {
        #expect(action("restart", id).status == 202)
        #expect(state(id) == "IDLE")
        #expect(standIn.actions == ["restart \(id)"])
    }

    @Test func unknownActionsAndConnectionsAre404() {
        #expect(action("explode", HerokuAPIStandIn.fixedID(100)).status == 404)
        #expect(action("pause", HerokuAPIStandIn.fixedID(999)).status == 404)
        #expect(standIn.actions.isEmpty)
    }

    @Test func reloadAnswers202AndPutsTheMappingInReloadTable() throws {
        let mapping = HerokuAPIStandIn.fixedID(402)
        let response = calls.post("/api/v3/mappings/\(mapping)/actions/reload")
        #expect(response.status == 202)
        #expect(standIn.connection(HerokuAPIStandIn.fixedID(400))?.mappings[1].state == "RELOAD_TABLE")
        let detail = try jsonObject(calls.get("/api/v3/connections/\(HerokuAPIStandIn.fixedID(400))", ["deep": "true"]))
        #expect(try objects(detail, "mappings")[1]["state"] as? String == "RELOAD_TABLE")
        #expect(standIn.actions == ["reload \(mapping)"])
    }

    @Test func reloadingAnUnknownMappingIs404() throws {
        let response = calls.post("/api/v3/mappings/\(HerokuAPIStandIn.fixedID(999))/actions/reload")
        #expect(response.status == 404)
        #expect(try jsonObject(response)["message"] as? String == "Mapping not found.")
        #expect(standIn.actions.isEmpty)
    }

    @Test func validationsAnswerAResultURLWhoseResultNamesTheFailingMapping() throws {
        standIn.baseURL = "http://127.0.0.1:4567"
        let id = HerokuAPIStandIn.fixedID(400)
        let started = calls.post("/api/v3/connections/\(id)/validations")
        #expect(started.status == 202)
        let url = try #require(try jsonObject(started)["result_url"] as? String)
        #expect(url == "http://127.0.0.1:4567/api/v3/connections/\(id)/validations/1")
        let result = try jsonObject(calls.get(String(url.dropFirst("http://127.0.0.1:4567".count))))
        let mappings = try #require(result["mappings"] as? [String: [String: Any]])
        #expect((mappings["Contact"]?["errors"] as? [Any])?.count == 1)
        #expect((mappings["Account"]?["errors"] as? [Any])?.isEmpty == true)
    }

    // MARK: Faults

    @Test func twoRateLimitedAnswersThenTheRealOne() throws {
        standIn.failNext(2, status: 429)
        for _ in 0..<2 {
            let limited = calls.get("/apps/demo-app/config-vars")
            #expect(limited.status == 429)
            #expect(limited.headers["Retry-After"] == "1")
            #expect(limited.headers["RateLimit-Remaining"] == "0")
            #expect(try jsonObject(limited)["id"] as? String == "rate_limit")
        }
        #expect(calls.get("/apps/demo-app/config-vars").status == 200)
        #expect(standIn.requests.count == 3)
    }

    @Test func aRateLimitWithoutRetryAfter() {
        standIn.failNext(1, status: 429, retryAfter: nil)
        let limited = calls.get("/connections", ["app": "demo-app"])
        #expect(limited.status == 429)
        #expect(limited.headers["Retry-After"] == nil)
    }

    @Test func failuresApplyUnderTheirPathPrefixOnly() throws {
        standIn.failNext(1, status: 500, pathPrefix: "/api/v3/")
        #expect(calls.get("/apps/demo-app/config-vars").status == 200)
        #expect(calls.get("/connections", ["app": "demo-app"]).status == 200)
        let failed = calls.get("/api/v3/connections/\(HerokuAPIStandIn.fixedID(100))")
        #expect(failed.status == 500)
        #expect(try jsonObject(failed)["id"] as? String == "internal_server_error")
        #expect(calls.get("/api/v3/connections/\(HerokuAPIStandIn.fixedID(100))").status == 200)
    }

    @Test func aFailedActionChangesNothing() {
        let id = HerokuAPIStandIn.fixedID(100)
        standIn.failNext(1, status: 503, pathPrefix: "/api/v3/connections/\(id)/actions")
        #expect(action("pause", id).status == 503)
        #expect(state(id) == "IDLE")
        #expect(standIn.actions.isEmpty)
        #expect(action("pause", id).status == 202)
    }

    @Test func scriptsAreUsedInTheOrderAdded() {
        standIn.failNext(1, status: 500)
        standIn.failNext(1, status: 429)
        #expect(calls.get("/connections", ["app": "demo-app"]).status == 500)
        #expect(calls.get("/connections", ["app": "demo-app"]).status == 429)
        #expect(calls.get("/connections", ["app": "demo-app"]).status == 200)
    }

    @Test func delaysTravelInTheAnswer() {
        standIn.delay(.milliseconds(1500), pathPrefix: "/connections")
        #expect(calls.get("/connections", ["app": "demo-app"]).delay == .milliseconds(1500))
        #expect(calls.get("/apps/demo-app/config-vars").delay == nil)
        standIn.failNext(1, status: 500, pathPrefix: "/connections")
        let failed = calls.get("/connections", ["app": "demo-app"])
        #expect(failed.status == 500)
        #expect(failed.delay == .milliseconds(1500), "a failure is delayed too")
        standIn.clearFaults()
        #expect(calls.get("/connections", ["app": "demo-app"]).delay == nil)
    }

    @Test func aConnectionThatStopsAnswering() {
        let id = HerokuAPIStandIn.fixedID(100)
        standIn.stopAnswering(pathPrefix: "/api/v3/connections/\(id)")
        #expect(calls.get("/api/v3/connections/\(id)").delay == .seconds(3600))
        #expect(calls.get("/api/v3/connections/\(HerokuAPIStandIn.fixedID(200))").delay == nil)
    }

    // MARK: Scenarios

    @Test func theScenariosCoverEachWriteModeAPausedAFailingAndATwinApp() throws {
        let merged = try #require(standIn.app("demo-app")?.connections.first)
        #expect(merged.orderedWrites == false && merged.state == "IDLE")
        let ordered = try #require(standIn.app("ordered-app")?.connections.first)
        #expect(ordered.orderedWrites && ordered.state == "IDLE")
        #expect(standIn.app("paused-app")?.connections.first?.state == "PAUSED")
        let failing = try #require(standIn.app("failing-app")?.connections.first)
        #expect(failing.state == "SYSTEM_ERROR")
        #expect(failing.mappings.map(\.state) == ["DATA_SYNCED", "SYSTEM_ERROR"])
        #expect(failing.mappings[1].counts.errors == 2 && failing.mappings[1].writeErrors.count == 2)
        let twins = try #require(standIn.app("twin-app")?.connections)
        #expect(twins.map(\.schemaName) == ["salesforce", "salesforce_eu"])
        #expect(Set(twins.map(\.resourceName)).count == 2)
        #expect(twins.map(\.orderedWrites) == [false, true])
        let ids = ["demo-app", "ordered-app", "paused-app", "failing-app", "twin-app"]
            .flatMap { standIn.app($0)?.connections ?? [] }.flatMap { [$0.id] + $0.mappings.map(\.id) }
        #expect(ids.count == 18 && Set(ids).count == 18, "ids are distinct across scenarios")
    }

    @Test func theDemoStandInHasOneMergedWritesConnectionOnTheGivenDatabase() throws {
        let demo = HerokuAPIStandIn.demo(databaseURL: Self.databaseURL, schema: "sf")
        let app = try #require(demo.app("demo-app"))
        #expect(app.configVars == ["DATABASE_URL": Self.databaseURL])
        #expect(app.connections.count == 1)
        #expect(app.connections[0].schemaName == "sf")
        #expect(app.connections[0].dbKey == "DATABASE_URL")
        #expect(app.connections[0].orderedWrites == false)
        #expect(demo.validTokens == [HerokuAPIStandIn.demoToken])
    }

    @Test func twinConnectionsCanHaveTwoDatabases() {
        let app = HerokuAPIStandIn.App.twoConnections(databaseURL: "postgres://a/1", secondDatabaseURL: "postgres://b/2")
        #expect(app.connections.map(\.dbKey) == ["DATABASE_URL", "HEROKU_POSTGRESQL_ORANGE_URL"])
        #expect(app.configVars["HEROKU_POSTGRESQL_ORANGE_URL"] == "postgres://b/2")
    }

    @Test func addingAnAppOfTheSameNameReplacesIt() {
        standIn.add(.paused(name: "demo-app", databaseURL: Self.databaseURL))
        #expect(standIn.app("demo-app")?.connections.first?.state == "PAUSED")
    }

    // MARK: The lock

    @Test func concurrentRequestsAreAllSeenAndCounted() {
        let id = HerokuAPIStandIn.fixedID(100)
        let calls = self.calls
        DispatchQueue.concurrentPerform(iterations: 200) { index in
            _ = index.isMultiple(of: 2)
                ? calls.get("/api/v3/connections/\(id)", ["deep": "true"])
                : calls.post("/api/v3/connections/\(id)/actions/\(index.isMultiple(of: 4) ? "pause" : "resume")")
        }
        #expect(standIn.requests.count == 200)
        #expect(standIn.actions.count == 100)
        #expect(["IDLE", "PAUSED"].contains(state(id) ?? ""))
    }

    @Test func theJSONHelperOfTheMessagesSetsTheContentType() {
        let response = StandInResponse.json(418, #"{"a":1}"#)
        #expect(response.status == 418)
        #expect(response.headers["Content-Type"] == "application/json")
        #expect(response.body == Array(#"{"a":1}"#.utf8))
        #expect(response.delay == nil)
    }
}
