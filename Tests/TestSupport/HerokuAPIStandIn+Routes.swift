import Foundation

// The routes of the three services the stand-in answers (sources: HerokuAPIStandIn+Bodies.swift).
//
//   Platform API       GET  /apps/{app}/config-vars
//   discovery          GET  /connections?app=APP[&resource_name=R][&addon_type=N]
//                      POST /auth/{app}
//   Connect API v3     GET  /api/v3/connections?app=APP
//                      GET  /api/v3/connections/{id}[?deep=true]
//                      GET  /api/v3/connections/{id}/notifications[?after&before&event_type&page_size]
//                      POST /api/v3/connections/{id}/notifications/acknowledge[?same filters]
//                      GET  /api/v3/connections/{id}/errors
//                      POST /api/v3/connections/{id}/actions/pause|resume|restart
//                      POST /api/v3/connections/{id}/validations, GET …/validations/{n}
//                      GET  /api/v3/mappings/{id}/errors
//                      POST /api/v3/mappings/{id}/actions/reload
//
// Every route wants `Authorization: Bearer TOKEN` with a token of ``HerokuAPIStandIn/validTokens``
// ([devcenter-api] Authentication; [plugin] clients send it on every call).

extension HerokuAPIStandIn {
    /// The answer of the route `request` names (called holding the lock).
    func route(_ request: StandInRequest) -> StandInResponse {
        guard authorized(request) else {
            // [platform-errors] 401 unauthorized. The Connect services take the same Platform
            // token ([devcenter-api]); their 401 body is not shown anywhere, so it is the Platform's.
            return Self.json(401, Self.platformError("unauthorized", "Invalid credentials provided."))
        }
        var route = RouteMatch(method: request.method.uppercased(), path: request.path)
        if let c = route.match("GET", "apps/*/config-vars") { return configVars(app: c[0], request) }
        if route.match("GET", "connections") != nil { return searchConnections(request.query) }
        if let c = route.match("POST", "auth/*") { return requestAppAccess(app: c[0]) }
        if route.match("GET", "api/v3/connections") != nil {
            let found = apps.filter { $0.name == request.query["app"] || $0.id == request.query["app"] }
                .flatMap { app in app.connections.map { ($0, app) } }
            return Self.json(200, regionListBody(found))
        }
        if let c = route.match("GET", "api/v3/connections/*") {
            return withConnection(c[0]) { connection, app in
                Self.json(200, detailBody(connection, of: app, deep: Self.isTrue(request.query["deep"])))
            }
        }
        if let c = route.match("GET", "api/v3/connections/*/notifications") {
            return withConnection(c[0]) { connection, _ in
                let listed = Self.matching(connection.notifications, request.query)
                    .sorted { $0.createdAt > $1.createdAt }
                let limit = request.query["page_size"].flatMap { Int($0) } ?? listed.count
                return Self.json(200, Self.notificationsBody(Array(listed.prefix(max(limit, 0)))))
            }
        }
        if let c = route.match("POST", "api/v3/connections/*/notifications/acknowledge") {
            return acknowledge(connection: c[0], request.query)
        }
        if let c = route.match("GET", "api/v3/connections/*/errors") {
            return withConnection(c[0]) { connection, _ in
                Self.json(200, Self.writeErrorsBody(connection.mappings.flatMap(\.writeErrors)))
            }
        }
        if let c = route.match("POST", "api/v3/connections/*/actions/*") { return act(c[1], connection: c[0]) }
        if let c = route.match("POST", "api/v3/connections/*/validations") {
            return withConnection(c[0]) { connection, _ in
                actionLog.append("validate \(connection.id)")
                return Self.json(202, ["result_url": "\(base)/api/v3/connections/\(connection.id)/validations/1"])
            }
        }
        if let c = route.match("GET", "api/v3/connections/*/validations/*") {
            return withConnection(c[0]) { connection, _ in Self.json(200, validationsBody(connection)) }
        }
        if let c = route.match("GET", "api/v3/mappings/*/errors") {
            guard let at = locate(mapping: c[0]) else { return Self.json(404, Self.connectError("Mapping not found.")) }
            return Self.json(200, Self.writeErrorsBody(apps[at.app].connections[at.connection].mappings[at.mapping].writeErrors))
        }
        if let c = route.match("POST", "api/v3/mappings/*/actions/reload") { return reload(mapping: c[0]) }
        if route.pathMatched {
            return Self.json(405, Self.connectError("Method \(request.method) not allowed on \(request.path)."))
        }
        return Self.json(404, Self.connectError("No route for \(request.method) \(request.path)."))
    }

    /// Whether `request` carries `Authorization: Bearer T` with a valid `T`.
    func authorized(_ request: StandInRequest) -> Bool {
        guard let value = request.headers["authorization"] else { return false }
        let parts = value.split(separator: " ", maxSplits: 1)
        return parts.count == 2 && parts[0].lowercased() == "bearer" && tokens.contains(String(parts[1]))
    }

    static func isTrue(_ value: String?) -> Bool {
        ["true", "1"].contains(value?.lowercased() ?? "")
    }

    // MARK: Platform API

    func configVars(app name: String, _ request: StandInRequest) -> StandInResponse {
        rateLimitRemaining -= 1
        let headers = ["RateLimit-Remaining": String(max(rateLimitRemaining, 0))]
        // [platform-errors] 406 not_acceptable: "set Accept: application/vnd.heroku+json; version=3".
        let accept = request.headers["accept"] ?? ""
        guard accept.contains("application/vnd.heroku+json"), accept.contains("version=3") else {
            return Self.json(406, Self.platformError("not_acceptable", "Please specify a version along with Heroku's API MIME type. For example, `Accept: application/vnd.heroku+json; version=3`."), headers: headers)
        }
        guard let app = apps.first(where: { $0.name == name || $0.id == name }) else {
            return Self.json(404, Self.platformError("not_found", "Couldn't find that app."), headers: headers)
        }
        return Self.json(200, Self.configVarsBody(app), headers: headers)
    }

    // MARK: Discovery

    /// An unknown app, an app whose access list lacks the user, a resource name that matches
    /// nothing and an `addon_type` other than 1 (Sync) all find nothing: 200 with no results.
    func searchConnections(_ query: [String: String]) -> StandInResponse {
        guard let name = query["app"] else { return Self.json(400, Self.connectError("The app parameter is required.")) }
        var found: [(Connection, App)] = []
        if let app = apps.first(where: { $0.name == name || $0.id == name }), app.accessGranted,
            query["addon_type"].map({ $0 == "1" }) ?? true
        {
            let resource = query["resource_name"]
            found = app.connections.filter { resource == nil || $0.resourceName == resource }.map { ($0, app) }
        }
        return Self.json(200, searchBody(found))
    }

    /// Puts the user on the app's access list. An unknown app: 404 with the Platform's body
    /// (not shown by any source: the stand-in's choice).
    func requestAppAccess(app name: String) -> StandInResponse {
        guard let index = apps.firstIndex(where: { $0.name == name || $0.id == name }) else {
            return Self.json(404, Self.platformError("not_found", "Couldn't find that app."))
        }
        apps[index].accessGranted = true
        return Self.json(200, appAccessBody(apps[index]))
    }

    // MARK: Connect API v3

    func withConnection(_ id: String, _ body: (Connection, App) -> StandInResponse) -> StandInResponse {
        guard let at = locate(connection: id), apps[at.app].connections[at.connection].id == id else {
            return Self.json(404, Self.connectError("Connection not found."))
        }
        return body(apps[at.app].connections[at.connection], apps[at.app])
    }

    /// The unacknowledged notifications the filters of [plugin] connect:notifications select:
    /// `event_type` exactly; `after` and `before` compared with `created_at` cut to their length,
    /// so that a date (`2024-01-31`) takes in its whole day, bounds included (the stand-in's reading).
    static func matching(_ notifications: [Notification], _ query: [String: String]) -> [Notification] {
        notifications.filter { notification in
            guard !notification.acknowledged else { return false }
            if let type = query["event_type"], notification.eventType != type { return false }
            if let after = query["after"], String(notification.createdAt.prefix(after.count)) < after { return false }
            if let before = query["before"], String(notification.createdAt.prefix(before.count)) > before { return false }
            return true
        }
    }

    /// 204, no body ([plugin] notifications/acknowledge.ts throws unless the status is 204).
    func acknowledge(connection id: String, _ query: [String: String]) -> StandInResponse {
        guard let at = locate(connection: id), apps[at.app].connections[at.connection].id == id else {
            return Self.json(404, Self.connectError("Connection not found."))
        }
        let chosen = Set(Self.matching(apps[at.app].connections[at.connection].notifications, query).map(\.id))
        for index in apps[at.app].connections[at.connection].notifications.indices
        where chosen.contains(apps[at.app].connections[at.connection].notifications[index].id) {
            apps[at.app].connections[at.connection].notifications[index].acknowledged = true
        }
        actionLog.append("acknowledge \(id)")
        return StandInResponse(status: 204)
    }

    /// pause (only from IDLE: Dev Center's connection states, "a connection can be paused only
    /// from IDLE"), resume (PAUSED to IDLE), restart (any state to IDLE; the plugin's
    /// connect:recover, alias connect:restart). Accepted: 202 with no body (pause and resume
    /// answer 202 Accepted per https://freedom-man.com/blog/heroku-connect-api/; the body is not
    /// shown, and the plugin ignores it). Refused: 400 `{message}` (the stand-in's choice).
    func act(_ action: String, connection id: String) -> StandInResponse {
        guard let at = locate(connection: id), apps[at.app].connections[at.connection].id == id else {
            return Self.json(404, Self.connectError("Connection not found."))
        }
        let state = apps[at.app].connections[at.connection].state
        let next: String?
        switch action {
        case "pause": next = state == "IDLE" ? "PAUSED" : nil
        case "resume": next = state == "PAUSED" ? "IDLE" : nil
        case "restart": next = "IDLE"
        default: return Self.json(404, Self.connectError("No action \(action)."))
        }
        guard let next else {
            actionLog.append("\(action) \(id) refused")
            return Self.json(400, Self.connectError("Cannot \(action) a connection in state \(state)."))
        }
        apps[at.app].connections[at.connection].state = next
        actionLog.append("\(action) \(id)")
        return StandInResponse(status: 202)
    }

    /// 202 with no body ([plugin] mapping/reload.ts throws unless the status is 202); the mapping
    /// goes to RELOAD_TABLE, the state Connect logs for a reload (Dev Center, Heroku Connect
    /// Logging and Maintenance Operations: `object_type=mapping … state=RELOAD_TABLE`).
    /// An unknown mapping: 404.
    func reload(mapping id: String) -> StandInResponse {
        guard let at = locate(mapping: id) else { return Self.json(404, Self.connectError("Mapping not found.")) }
        apps[at.app].connections[at.connection].mappings[at.mapping].state = "RELOAD_TABLE"
        actionLog.append("reload \(id)")
        return StandInResponse(status: 202)
    }
}

/// Matches a request's path, segment by segment, against patterns such as
/// `api/v3/connections/*/errors` (`*` is one non-empty segment, percent-decoded). Strict: a
/// doubled or trailing `/` matches nothing, as a client's path-joining mistake should show.
struct RouteMatch {
    let method: String
    let segments: [String]
    /// Whether some pattern matched the path under another method (405 rather than 404).
    private(set) var pathMatched = false

    init(method: String, path: String) {
        self.method = method
        segments = path.hasPrefix("/")
            ? path.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map(String.init) : []
    }

    /// The segments `*` matched, when `method` and `pattern` match the request.
    mutating func match(_ method: String, _ pattern: String) -> [String]? {
        let parts = pattern.split(separator: "/").map(String.init)
        guard parts.count == segments.count else { return nil }
        var captured: [String] = []
        for (part, segment) in zip(parts, segments) {
            if part == "*" {
                guard !segment.isEmpty else { return nil }
                captured.append(segment.removingPercentEncoding ?? segment)
            } else if part != segment {
                return nil
            }
        }
        guard method == self.method else {
            pathMatched = true
            return nil
        }
        return captured
    }
}
