import HerokuAPI

/// What `--app` resolved to in one run: the API client, the app's connection and where the
/// database and the write mode came from. Each is read once.
struct HerokuState {
    var client: HerokuAPIClient?
    var connection: HerokuConnection?
    var resolved = false
}

extension CommandContext {
    /// The app `--app` (or `HEROKU_APP`) names; nil without one. Several apps are for the
    /// commands that read several connections at once.
    var herokuApp: String? { options.apps.first }

    /// The Heroku API client: the token from `HEROKU_API_KEY` or the netrc file, the base
    /// URLs from `HCCONNECT_HEROKU_API_URL` and `HCCONNECT_CONNECT_API_URL` (tests point them
    /// at a stand-in), the retry policy of `--retries`; with `--verbose`, each request is
    /// logged (method, URL, status, time: never the token).
    ///
    /// - Throws: ``HerokuAPIError/credentials(_:)`` when there is no token.
    func herokuClient() throws -> HerokuAPIClient {
        if let client = heroku.client { return client }
        guard let credentials = try HerokuCredentials.find(in: environment) else {
            throw HerokuAPIError.credentials("HEROKU_API_KEY is not set and no netrc file has api.heroku.com")
        }
        var endpoints = HerokuAPIClient.Endpoints.heroku
        if let url = environment["HCCONNECT_HEROKU_API_URL"], !url.isEmpty { endpoints.platform = Self.trimmedURL(url) }
        if let url = environment["HCCONNECT_CONNECT_API_URL"], !url.isEmpty { endpoints.discovery = Self.trimmedURL(url) }
        let client = try HerokuAPIClient(
            credentials: credentials, endpoints: endpoints, policy: options.retryPolicy,
            userAgent: "hcconnect/\(HCConnect.version)")
        client.shouldStop = { [interruption] in interruption.isRequested }
        if let text = environment["HCCONNECT_HEROKU_API_TIMEOUT"], !text.isEmpty {
            let timeout = try GlobalOptions.timeout(text, option: "HCCONNECT_HEROKU_API_TIMEOUT")
            guard timeout > .zero else {
                throw ArgumentError.invalidValue(option: "HCCONNECT_HEROKU_API_TIMEOUT", value: text, reason: "is 0; give the longest a request may take")
            }
            client.timeout = timeout
        }
        if events.isEnabled {
            events.record("heroku", "Heroku API token from \(credentials.source)", ["token_source": .string(credentials.source)])
            client.observer = { [events] exchange in
                let outcome = exchange.status.map { "\($0)" } ?? "no answer"
                var text = "\(exchange.method) \(exchange.url) -> \(outcome) in \(CommandContext.milliseconds(exchange.duration))"
                if let wait = exchange.retryIn { text += "; retry in \(CommandContext.milliseconds(wait))" }
                events.record(
                    "http", text,
                    [
                        "method": .string(exchange.method), "url": .string(exchange.url),
                        "status": exchange.status.map { .int($0) } ?? .string(nil),
                        "duration_ms": .milliseconds(exchange.duration), "authorization": .string("Bearer " + HerokuCredentials.redacted),
                    ])
            }
        }
        heroku.client = client
        return client
    }

    /// The app's Connect connection, with its detail and mappings (read once); nil without `--app`.
    func herokuConnection() throws -> HerokuConnection? {
        guard let app = herokuApp else { return nil }
        if let connection = heroku.connection { return connection }
        let connection = try herokuClient().connection(app: app, resource: options.resource)
        heroku.connection = connection
        events.record(
            "heroku",
            "app \(app): connection \(connection.resourceName) (\(connection.state ?? "state unknown")), schema "
                + "\(connection.schemaName ?? "?"), database in \(connection.dbKey ?? "?"), "
                + ((connection.orderedWrites ?? false) ? "ordered" : "merged") + " writes",
            [
                "app": .string(app), "resource": .string(connection.resourceName), "state": .string(connection.state),
                "schema": .string(connection.schemaName), "db_key": .string(connection.dbKey),
            ])
        return connection
    }

    /// With `--app`: makes the app's connection the command's database and schema (unless
    /// `--database-url`, `--schema` say otherwise), once, before the first connection.
    func resolveHerokuTarget() throws {
        guard !heroku.resolved, let app = herokuApp else { return }
        heroku.resolved = true
        guard let connection = try herokuConnection() else { return }
        if !options.databaseURLGiven {
            guard let key = connection.dbKey, !key.isEmpty else {
                throw HerokuAPIError.missingConfigVar(app: app, name: "(the connection names none)")
            }
            let vars = try herokuClient().configVars(app: app)
            guard let url = vars[key], !url.isEmpty else { throw HerokuAPIError.missingConfigVar(app: app, name: key) }
            options.databaseURL = url
        }
        if !options.schemaGiven, let schema = connection.schemaName, !schema.isEmpty {
            options.schema = schema
        }
    }

    /// A base URL without its trailing slashes.
    static func trimmedURL(_ url: String) -> String {
        var url = url
        while url.hasSuffix("/") { url.removeLast() }
        return url
    }
}
