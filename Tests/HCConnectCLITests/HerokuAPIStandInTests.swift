import Foundation
import Testing
import TestSupport

/// The stand-in's routes, called directly: the shapes of its answers (the fields the sources
/// cited in `HerokuAPIStandIn+Bodies.swift` show), authentication, unknown apps and ids, and
/// discovery's filters.
@Suite(.tags(.unit)) struct HerokuAPIStandInTests {
    static let databaseURL = "postgres://u:secret@db.example.com:6543/hcdb"
    let standIn: HerokuAPIStandIn
    let calls: StandInCalls

    init() {
        standIn = HerokuAPIStandIn.scenarios(databaseURL: Self.databaseURL)
        standIn.baseURL = "http://127.0.0.1:4567/"
        calls = StandInCalls(standIn: standIn)
    }

    // MARK: Platform API

    @Test func configVarsAreAnObjectOfStringsWithARateLimitHeader() throws {
        let response = calls.get("/apps/demo-app/config-vars")
        #expect(response.status == 200)
        #expect(response.headers["Content-Type"] == "application/json")
        #expect(try jsonObject(response) as? [String: String] == ["DATABASE_URL": Self.databaseURL])
        #expect(response.headers["RateLimit-Remaining"] == "4499")
        #expect(calls.get("/apps/demo-app/config-vars").headers["RateLimit-Remaining"] == "4498")
    }

    @Test func configVarsFindTheAppByItsID() throws {
        let id = try #require(standIn.app("twin-app")).id
        #expect(calls.get("/apps/\(id)/config-vars").status == 200)
    }

    @Test func configVarsOfAnUnknownAppAre404WithThePlatformBody() throws {
        let response = calls.get("/apps/no-such-app/config-vars")
        #expect(response.status == 404)
        #expect(try jsonObject(response) as? [String: String] == ["id": "not_found", "message": "Couldn't find that app."])
    }

    @Test(arguments: ["application/json", "application/vnd.heroku+json", ""])
    func configVarsWithoutTheVersion3AcceptHeaderAre406(accept: String) throws {
        let response = calls.get("/apps/demo-app/config-vars", accept: accept)
        #expect(response.status == 406)
        #expect(try jsonObject(response)["id"] as? String == "not_acceptable")
    }

    // MARK: Authentication

    static let everyRoute: [(String, String)] = [
        ("GET", "/apps/demo-app/config-vars"), ("GET", "/connections"), ("POST", "/auth/demo-app"),
        ("GET", "/api/v3/connections"), ("GET", "/api/v3/connections/\(HerokuAPIStandIn.fixedID(100))"),
        ("GET", "/api/v3/connections/\(HerokuAPIStandIn.fixedID(100))/notifications"),
        ("POST", "/api/v3/connections/\(HerokuAPIStandIn.fixedID(100))/notifications/acknowledge"),
        ("GET", "/api/v3/connections/\(HerokuAPIStandIn.fixedID(100))/errors"),
        ("POST", "/api/v3/connections/\(HerokuAPIStandIn.fixedID(100))/actions/pause"),
        ("POST", "/api/v3/connections/\(HerokuAPIStandIn.fixedID(100))/validations"),
        ("GET", "/api/v3/mappings/\(HerokuAPIStandIn.fixedID(101))/errors"),
        ("POST", "/api/v3/mappings/\(HerokuAPIStandIn.fixedID(101))/actions/reload"),
        ("GET", "/no/such/route"),
    ]

    @Test(arguments: everyRoute)
    func everyRouteWantsAValidBearerToken(method: String, path: String) throws {
        for token in [nil, "not-a-token", ""] as [String?] {
            let response = StandInCalls(standIn: standIn, token: token).call(method, path, ["app": "demo-app"])
            #expect(response.status == 401, "\(method) \(path) with \(token ?? "no token")")
            #expect(try jsonObject(response) as? [String: String] == ["id": "unauthorized", "message": "Invalid credentials provided."])
        }
        let basic = standIn.handle(StandInRequest(
            method: method, path: path, headers: ["authorization": "Basic \(HerokuAPIStandIn.demoToken)"]))
        #expect(basic.status == 401)
        #expect(standIn.actions.isEmpty, "a refused request changed nothing")
    }

    @Test func tokensCanBeRevoked() {
        standIn.validTokens = ["another"]
        #expect(calls.get("/connections", ["app": "demo-app"]).status == 401)
        #expect(StandInCalls(standIn: standIn, token: "another").get("/connections", ["app": "demo-app"]).status == 200)
    }

    // MARK: Discovery

    @Test func discoveryListsTheSummaryFieldsThePluginsFixtureShows() throws {
        let response = calls.get("/connections", ["app": "demo-app"])
        #expect(response.status == 200)
        let body = try jsonObject(response)
        #expect(Set(body.keys) == ["results", "regions", "cells", "next", "previous", "count"])
        #expect(body["count"] as? Int == 1)
        #expect(body["next"] is NSNull)
        let summary = try #require(try objects(body, "results").first)
        #expect(Set(summary.keys) == [
            "id", "resource_name", "display_name", "addon_type", "app_name", "app_id", "region", "region_url",
            "region_flag", "region_label", "cell_label", "cell", "detail_url",
        ])
        let id = HerokuAPIStandIn.fixedID(100)
        #expect(summary["id"] as? String == id)
        #expect(summary["resource_name"] as? String == "herokuconnect-demo-app-100")
        #expect(summary["region_url"] as? String == "http://127.0.0.1:4567")
        #expect(summary["detail_url"] as? String == "http://127.0.0.1:4567/api/v3/connections/\(id)")
    }

    @Test func discoveryListsBothConnectionsOfAnAppAndFiltersByResourceName() throws {
        let both = try objects(jsonObject(calls.get("/connections", ["app": "twin-app"])), "results")
        #expect(both.compactMap { $0["resource_name"] as? String } == ["herokuconnect-twin-app-500", "herokuconnect-twin-app-600"])
        let one = try objects(jsonObject(calls.get(
            "/connections", ["app": "twin-app", "resource_name": "herokuconnect-twin-app-600"])), "results")
        #expect(one.compactMap { $0["id"] as? String } == [HerokuAPIStandIn.fixedID(600)])
        let none = try jsonObject(calls.get("/connections", ["app": "twin-app", "resource_name": "nope"]))
        #expect(none["count"] as? Int == 0)
    }

    @Test(arguments: [["app": "no-such-app"], ["app": "demo-app", "addon_type": "2"]])
    func discoveryFindsNothingWithA200(query: [String: String]) throws {
        let response = calls.get("/connections", query)
        #expect(response.status == 200)
        #expect(try objects(jsonObject(response), "results").isEmpty)
    }

    @Test func discoveryWithoutAnAppIs400() {
        #expect(calls.get("/connections").status == 400)
    }

    @Test func discoveryFindsAnAppsConnectionsOnlyOnceTheUserAskedForAccess() throws {
        var app = HerokuAPIStandIn.App.demo(name: "private-app", databaseURL: Self.databaseURL, idBase: 700)
        app.accessGranted = false
        standIn.add(app)
        #expect(try objects(jsonObject(calls.get("/connections", ["app": "private-app"])), "results").isEmpty)
        let access = calls.post("/auth/private-app")
        #expect(access.status == 200)
        let body = try jsonObject(access)
        #expect(Set(body.keys) == ["user", "connections", "regions", "cells"])
        #expect(try objects(body, "connections").count == 1)
        #expect(try objects(jsonObject(calls.get("/connections", ["app": "private-app"])), "results").count == 1)
        #expect(calls.post("/auth/no-such-app").status == 404)
    }

    // MARK: Connection detail

    @Test func deepDetailHasMappingsCountsTimesAndTheWriteMode() throws {
        let id = HerokuAPIStandIn.fixedID(100)
        let detail = try jsonObject(calls.get("/api/v3/connections/\(id)", ["deep": "true"]))
        #expect(detail["id"] as? String == id)
        #expect(detail["schema_name"] as? String == "salesforce")
        #expect(detail["db_key"] as? String == "DATABASE_URL")
        #expect(detail["state"] as? String == "IDLE")
        #expect(detail["name"] as? String == "demo-app-connection")
        #expect(detail["detail_url"] as? String == "/api/v3/connections/\(id)")
        let features = try #require(detail["features"] as? [String: Any])
        #expect(features["poll_db_no_merge"] as? Bool == false)
        let database = try #require(detail["database"] as? [String: Any])
        #expect(database["host"] as? String == "db.example.com")
        #expect(database["port"] as? Int == 6543)
        #expect(database["database"] as? String == "hcdb")
        let mappings = try objects(detail, "mappings")
        #expect(mappings.compactMap { $0["object_name"] as? String } == ["Account", "Contact"])
        let account = mappings[0]
        #expect(account["id"] as? String == HerokuAPIStandIn.fixedID(101))
        #expect(account["state"] as? String == "DATA_SYNCED")
        #expect(account["actively_writing"] as? Bool == false)
        #expect(account["counts"] as? [String: Int] == ["db": 1000, "sf": 1000, "pending": 0, "errors": 0])
        let times = try #require(account["times"] as? [String: String])
        #expect(Set(times.keys) == ["sf_poll", "sf_write", "db_poll", "db_write"])
    }

    @Test(arguments: ["true", "True", "1"])
    func orderedWritesShowAsPollDBNoMerge(deep: String) throws {
        let detail = try jsonObject(calls.get("/api/v3/connections/\(HerokuAPIStandIn.fixedID(200))", ["deep": deep]))
        #expect((detail["features"] as? [String: Any])?["poll_db_no_merge"] as? Bool == true)
        #expect(detail["mappings"] != nil)
    }

    @Test func shallowDetailHasNoMappingsAndNullsWhatIsUnset() throws {
        standIn.update(connection: HerokuAPIStandIn.fixedID(100)) {
            $0.dbKey = nil
            $0.lastWriteActivityTime = nil
        }
        let detail = try jsonObject(calls.get("/api/v3/connections/\(HerokuAPIStandIn.fixedID(100))"))
        #expect(detail["mappings"] == nil)
        #expect(detail["db_key"] is NSNull)
        #expect(detail["database"] is NSNull)
        #expect((detail["metrics"] as? [String: Any])?["last_write_activity_time"] is NSNull)
    }

    @Test func anUnknownConnectionIs404WithAMessage() throws {
        for path in ["", "/notifications", "/errors"] {
            let response = calls.get("/api/v3/connections/\(HerokuAPIStandIn.fixedID(999))\(path)")
            #expect(response.status == 404)
            #expect(try jsonObject(response)["message"] is String)
        }
        // A resource name is not an id on the region API.
        #expect(calls.get("/api/v3/connections/herokuconnect-demo-app-100").status == 404)
    }

    @Test func theRegionListIsDjangoHerokuConnectsShape() throws {
        let body = try jsonObject(calls.get("/api/v3/connections", ["app": "ordered-app"]))
        #expect(body["count"] as? Int == 1)
        let connection = try #require(try objects(body, "results").first)
        #expect((connection["features"] as? [String: Any])?["poll_db_no_merge"] as? Bool == true)
        #expect(connection["mappings"] == nil)
    }

    // MARK: Notifications and errors

    @Test func notificationsAreTheUnacknowledgedOnesNewestFirst() throws {
        let id = HerokuAPIStandIn.fixedID(400)
        let path = "/api/v3/connections/\(id)/notifications"
        let all = try objects(jsonObject(calls.get(path, ["page_size": "1000"])), "results")
        #expect(all.compactMap { $0["id"] as? String } == ["5678", "9101"])
        #expect(Set(all[0].keys) == ["id", "event_type", "message", "created_at"])
        let typed = try objects(jsonObject(calls.get(path, ["event_type": "postgres-connection"])), "results")
        #expect(typed.compactMap { $0["id"] as? String } == ["9101"])
        let dated = try objects(jsonObject(calls.get(path, ["after": "2025-07-16T19:00", "before": "2025-07-16"])), "results")
        #expect(dated.compactMap { $0["id"] as? String } == ["5678"])
        #expect(try objects(jsonObject(calls.get(path, ["before": "2025-07-15"])), "results").isEmpty)
        #expect(try objects(jsonObject(calls.get(path, ["page_size": "1"])), "results").count == 1)
    }

    @Test func acknowledgingAnswers204AndHidesWhatTheFiltersChose() throws {
        let id = HerokuAPIStandIn.fixedID(400)
        let response = calls.post("/api/v3/connections/\(id)/notifications/acknowledge", ["event_type": "mapping-error", "page_size": "1000"])
        #expect(response.status == 204)
        #expect(response.body.isEmpty)
        let left = try objects(jsonObject(calls.get("/api/v3/connections/\(id)/notifications")), "results")
        #expect(left.compactMap { $0["id"] as? String } == ["9101"])
        #expect(standIn.actions == ["acknowledge \(id)"])
        #expect(calls.post("/api/v3/connections/\(HerokuAPIStandIn.fixedID(999))/notifications/acknowledge").status == 404)
    }

    @Test func writeErrorsOfAConnectionAndOfAMapping() throws {
        let connection = try jsonObject(calls.get("/api/v3/connections/\(HerokuAPIStandIn.fixedID(400))/errors"))
        #expect(connection["count"] as? Int == 2)
        let first = try #require(try objects(connection, "results").first)
        #expect(Set(first.keys) == ["id", "table_name", "record_id", "message", "created_at"])
        #expect(first["table_name"] as? String == "contact")
        let contact = try jsonObject(calls.get("/api/v3/mappings/\(HerokuAPIStandIn.fixedID(402))/errors"))
        #expect(contact["count"] as? Int == 2)
        let account = try jsonObject(calls.get("/api/v3/mappings/\(HerokuAPIStandIn.fixedID(401))/errors"))
        #expect(account["count"] as? Int == 0)
        #expect(try objects(account, "results").isEmpty)
        #expect(calls.get("/api/v3/mappings/\(HerokuAPIStandIn.fixedID(999))/errors").status == 404)
    }

    // MARK: Routing

    @Test func aKnownPathWithAnotherMethodIs405AndAnUnknownOne404() {
        #expect(calls.post("/apps/demo-app/config-vars").status == 405)
        #expect(calls.get("/api/v3/connections/\(HerokuAPIStandIn.fixedID(100))/actions/pause").status == 405)
        #expect(calls.get("/api/v3/nothing").status == 404)
        // A client that joins a region URL ending in / with /api/v3 must not be served.
        #expect(calls.get("//api/v3/connections/\(HerokuAPIStandIn.fixedID(100))").status == 404)
        #expect(calls.get("/connections/", ["app": "demo-app"]).status == 404)
    }

    @Test func pathSegmentsArePercentDecoded() {
        #expect(calls.get("/apps/demo%2Dapp/config-vars").status == 200)
    }

    @Test func theBaseURLIsReadWhenAnswering() throws {
        standIn.baseURL = "http://127.0.0.1:9"
        let summary = try #require(try objects(jsonObject(calls.get("/connections", ["app": "demo-app"])), "results").first)
        #expect(summary["region_url"] as? String == "http://127.0.0.1:9")
    }
}
