import Foundation
import Testing
import TestSupport

/// Calls a ``HerokuAPIStandIn`` directly (no socket) the way hcconnect's clients will: a
/// bearer token, and the Platform API's `Accept` header on Platform paths.
struct StandInCalls {
    let standIn: HerokuAPIStandIn
    var token: String? = HerokuAPIStandIn.demoToken

    /// `GET path`.
    func get(_ path: String, _ query: [String: String] = [:], accept: String? = nil) -> StandInResponse {
        call("GET", path, query, accept: accept)
    }

    /// `POST path`.
    func post(_ path: String, _ query: [String: String] = [:]) -> StandInResponse {
        call("POST", path, query)
    }

    /// A request with `method`; Platform paths (`/apps/…`) get the version 3 `Accept` unless `accept` is given.
    func call(_ method: String, _ path: String, _ query: [String: String] = [:], accept: String? = nil) -> StandInResponse {
        var headers: [String: String] = [:]
        if let token { headers["authorization"] = "Bearer \(token)" }
        headers["accept"] = accept ?? (path.hasPrefix("/apps/") ? "application/vnd.heroku+json; version=3" : "application/json")
        return standIn.handle(StandInRequest(method: method, path: path, query: query, headers: headers))
    }
}

/// The JSON object in `response`'s body.
func jsonObject(_ response: StandInResponse, sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
    let value = try JSONSerialization.jsonObject(with: Data(response.body))
    return try #require(value as? [String: Any], "not a JSON object: \(String(decoding: response.body, as: UTF8.self))", sourceLocation: sourceLocation)
}

/// The objects of the array `key` of `object`.
func objects(_ object: [String: Any], _ key: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> [[String: Any]] {
    try #require(object[key] as? [[String: Any]], "no array \(key) in \(object)", sourceLocation: sourceLocation)
}
