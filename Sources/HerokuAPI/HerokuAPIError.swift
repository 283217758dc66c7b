import HTTP

/// What can go wrong talking to the Heroku APIs. Descriptions name the app, the resource or
/// the endpoint, never the token.
public enum HerokuAPIError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No token in `HEROKU_API_KEY` or the netrc file, or a netrc file that cannot be used.
    case credentials(String)
    /// The API refused the token (401), or the token may not see the app (403).
    case unauthorized(status: Int, message: String)
    /// No such app (404 from the Platform API).
    case unknownApp(app: String, message: String)
    /// The app has no Heroku Connect connection (or none with that resource name).
    case noConnection(app: String, resource: String?, available: [String])
    /// Several connections and no `--resource` to choose.
    case multipleConnections(app: String, resources: [String])
    /// The connection's database is in a config var the app does not have.
    case missingConfigVar(app: String, name: String)
    /// No mapping of that object in the connection.
    case unknownMapping(name: String, available: [String])
    /// The API could not be reached (name resolution, connection, timeout, TLS).
    case network(endpoint: String, error: HTTPError)
    /// 429 or 5xx until the retries ran out.
    case unavailable(endpoint: String, status: Int, message: String, retries: Int)
    /// An answer that is not what the API documents (not JSON, fields missing).
    case unexpectedResponse(endpoint: String, detail: String)
    /// The API refused an action (pause from a state that cannot pause, ...): its status and message.
    case refused(endpoint: String, status: Int, message: String)

    public var description: String {
        switch self {
        case .credentials(let text): "no Heroku API token: \(text)"
        case .unauthorized(let status, let message):
            status == 403
                ? "the Heroku API token may not do this (403): \(message)"
                : "the Heroku API refused the token (\(status)): \(message)"
        case .unknownApp(let app, let message): "no Heroku app \(app): \(message)"
        case .noConnection(let app, let resource, let available):
            if let resource {
                "app \(app) has no Heroku Connect connection \(resource)"
                    + (available.isEmpty ? "" : " (its connections: " + available.joined(separator: ", ") + ")")
            } else {
                "app \(app) has no Heroku Connect connection"
            }
        case .multipleConnections(let app, let resources):
            "app \(app) has several Heroku Connect connections: " + resources.joined(separator: ", ")
        case .missingConfigVar(let app, let name): "app \(app) has no config var \(name), which holds the connection's database"
        case .unknownMapping(let name, let available):
            "the connection has no mapping \(name)" + (available.isEmpty ? "" : " (mappings: " + available.joined(separator: ", ") + ")")
        case .network(let endpoint, let error): "cannot reach \(endpoint): \(error.message)"
        case .unavailable(let endpoint, let status, let message, let retries):
            "\(endpoint) answered \(status)\(message.isEmpty ? "" : ": " + message)"
                + (retries > 0 ? " (after \(retries) \(retries == 1 ? "retry" : "retries"))" : "")
        case .unexpectedResponse(let endpoint, let detail): "unexpected answer from \(endpoint): \(detail)"
        case .refused(let endpoint, let status, let message): "\(endpoint) refused (\(status)): \(message)"
        }
    }
}
