/// A Heroku Connect connection as the Connect API describes it: what discovery lists
/// (`GET /connections?app=APP`) merged with its detail (`GET <detail_url>?deep=true`), as the
/// Heroku CLI's connect plugin merges them (src/lib/connect/api.ts, `withConnection`).
public struct HerokuConnection: Sendable, Equatable {
    /// The connection's id (a UUID).
    public var id: String
    /// The add-on's resource name (`herokuconnect-shallow-12345`): `--resource` names it.
    public var resourceName: String
    /// The app it belongs to.
    public var appName: String
    /// The Connect API of the connection's region (`https://connect-us.heroku.com`).
    public var regionURL: String
    /// Where its detail is read (absolute, from discovery).
    public var detailURL: String
    /// The connection's name in the dashboard; nil until the detail is read.
    public var name: String?
    /// The schema of its tables and trigger log (`salesforce`); nil until the detail is read.
    public var schemaName: String?
    /// The config var that holds the database URL (`DATABASE_URL`); nil until the detail is
    /// read, or when the connection has none.
    public var dbKey: String?
    /// IDLE, POLLING_DB_CHANGES, PAUSED, SYSTEM_ERROR, DB_UNAVAILABLE, ... (Dev Center's
    /// connection states); nil until the detail is read.
    public var state: String?
    /// `features.poll_db_no_merge`: the connection writes in order (ordered writes), and a
    /// failed change must be re-captured, not replayed (django-heroku-connect reads the write
    /// algorithm this way); nil until the detail is read.
    public var orderedWrites: Bool?
    /// The mappings, from a deep detail.
    public var mappings: [HerokuMapping] = []

    public init(id: String, resourceName: String, appName: String, regionURL: String, detailURL: String) {
        self.id = id
        self.resourceName = resourceName
        self.appName = appName
        self.regionURL = regionURL
        self.detailURL = detailURL
    }

    /// The states that mean the connection is not syncing as it should.
    public static let troubledStates: Set<String> = [
        "SYSTEM_ERROR", "DB_UNAVAILABLE", "TOO_MANY_ROWS", "UNAUTHORIZED", "NEEDS_CONFIGURATION",
    ]
}

/// One mapping of a connection (an object synced with a table).
public struct HerokuMapping: Sendable, Equatable {
    public var id: String
    /// The Salesforce object (`Account`); its table is the lower-cased name.
    public var objectName: String
    /// DATA_SYNCED, SYSTEM_ERROR, ...
    public var state: String
    /// Rows in the database and in Salesforce, changes waiting, and errors.
    public var counts: Counts
    /// When it last polled and wrote Salesforce and the database (ISO 8601, as sent).
    public var times: Times
    public var activelyWriting: Bool?

    public struct Counts: Sendable, Equatable {
        public var database: Int?
        public var salesforce: Int?
        public var pending: Int?
        public var errors: Int?

        public init(database: Int? = nil, salesforce: Int? = nil, pending: Int? = nil, errors: Int? = nil) {
            self.database = database
            self.salesforce = salesforce
            self.pending = pending
            self.errors = errors
        }
    }

    public struct Times: Sendable, Equatable {
        public var salesforcePoll: String?
        public var salesforceWrite: String?
        public var databasePoll: String?
        public var databaseWrite: String?

        public init(salesforcePoll: String? = nil, salesforceWrite: String? = nil, databasePoll: String? = nil, databaseWrite: String? = nil) {
            self.salesforcePoll = salesforcePoll
            self.salesforceWrite = salesforceWrite
            self.databasePoll = databasePoll
            self.databaseWrite = databaseWrite
        }
    }

    public init(id: String, objectName: String, state: String, counts: Counts = Counts(), times: Times = Times(), activelyWriting: Bool? = nil) {
        self.id = id
        self.objectName = objectName
        self.state = state
        self.counts = counts
        self.times = times
        self.activelyWriting = activelyWriting
    }

    /// The states of a mapping that syncs.
    public static let healthyStates: Set<String> = ["DATA_SYNCED", "POLLING_DB_CHANGES", "IDLE"]

    /// True when the mapping's state is an error state.
    public var isInError: Bool { state.contains("ERROR") || state == "UNAUTHORIZED" }
}

/// A notification of a connection that nobody acknowledged yet.
public struct HerokuNotification: Sendable, Equatable {
    public var id: String
    public var eventType: String
    public var message: String
    public var createdAt: String

    public init(id: String, eventType: String, message: String, createdAt: String) {
        self.id = id
        self.eventType = eventType
        self.message = message
        self.createdAt = createdAt
    }
}

extension HerokuConnection {
    /// A connection from one of discovery's `results` (fields of the plugin's
    /// `singleConnectionResponse`: id, resource_name, app_name, region_url, detail_url).
    init?(summary: JSONValue) {
        guard let id = summary["id"]?.string ?? summary["id"]?.int.map(String.init) else { return nil }
        self.init(
            id: id, resourceName: summary["resource_name"]?.string ?? "", appName: summary["app_name"]?.string ?? "",
            regionURL: summary["region_url"]?.string ?? "", detailURL: summary["detail_url"]?.string ?? "")
        // discovery may carry more; the detail is read for them anyway
        name = summary["name"]?.string
        schemaName = summary["schema_name"]?.string
        dbKey = summary["db_key"]?.string
        state = summary["state"]?.string
    }

    /// This connection with what its detail says (`connectionDetailsResponse` of the plugin's
    /// fixtures: name, schema_name, db_key, state, features, mappings).
    func merged(detail: JSONValue) -> HerokuConnection {
        var connection = self
        connection.name = detail["name"]?.string ?? name
        connection.schemaName = detail["schema_name"]?.string ?? schemaName
        connection.dbKey = detail["db_key"]?.string ?? dbKey
        connection.state = detail["state"]?.string ?? state
        connection.orderedWrites = detail["features"]?["poll_db_no_merge"]?.bool ?? false
        if let mappings = detail["mappings"]?.array {
            connection.mappings = mappings.compactMap(HerokuMapping.init(json:))
        }
        return connection
    }
}

extension HerokuMapping {
    init?(json: JSONValue) {
        guard let id = json["id"]?.string ?? json["id"]?.int.map(String.init), let object = json["object_name"]?.string else {
            return nil
        }
        let counts = json["counts"]
        let times = json["times"]
        self.init(
            id: id, objectName: object, state: json["state"]?.string ?? "",
            counts: Counts(
                database: counts?["db"]?.int, salesforce: counts?["sf"]?.int, pending: counts?["pending"]?.int,
                errors: counts?["errors"]?.int),
            times: Times(
                salesforcePoll: times?["sf_poll"]?.string, salesforceWrite: times?["sf_write"]?.string,
                databasePoll: times?["db_poll"]?.string, databaseWrite: times?["db_write"]?.string),
            activelyWriting: json["actively_writing"]?.bool)
    }
}

/// A write to Salesforce that failed in the last 24 hours, as the Connect API lists it
/// (`WriteErrorsResponse` of the plugin's fixtures: id, table_name, record_id, message,
/// created_at; the ids are trigger log and table ids, sent as strings).
public struct HerokuWriteError: Sendable, Equatable {
    public var id: String
    public var tableName: String
    public var recordID: String
    public var message: String
    public var createdAt: String

    public init(id: String, tableName: String, recordID: String, message: String, createdAt: String) {
        self.id = id
        self.tableName = tableName
        self.recordID = recordID
        self.message = message
        self.createdAt = createdAt
    }

    init(json: JSONValue) {
        func text(_ key: String) -> String { json[key]?.string ?? json[key]?.int.map(String.init) ?? "" }
        self.init(
            id: text("id"), tableName: text("table_name"), recordID: text("record_id"), message: text("message"),
            createdAt: text("created_at"))
    }
}
