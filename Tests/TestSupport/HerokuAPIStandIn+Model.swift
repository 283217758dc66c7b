import Foundation

// What the stand-in knows: apps with config vars, and their Heroku Connect connections with
// mappings, notifications and write errors. The field names follow the JSON the real services
// answer with (HerokuAPIStandIn+Bodies.swift cites where each shape comes from).

extension HerokuAPIStandIn {
    /// A Heroku app: its config vars (Platform API) and its Heroku Connect add-ons.
    public struct App: Sendable {
        /// The app's name (`demo-app`); the Platform API and `POST /auth/{app}` also accept ``id``.
        public var name: String
        /// The app's UUID.
        public var id: String
        /// What `GET /apps/{app}/config-vars` answers; a connection's ``Connection/dbKey`` names one.
        public var configVars: [String: String]
        /// The app's connections, in the order discovery lists them.
        public var connections: [Connection]
        /// False until `POST /auth/{app}` is called: discovery then finds none of the app's
        /// connections ("By default, no users are present on a Heroku Connect add-on", Dev Center,
        /// Heroku Connect API). True (the default) for a user already on the access list.
        public var accessGranted: Bool

        /// An app.
        public init(
            name: String, id: String = UUID().uuidString.lowercased(), configVars: [String: String] = [:],
            connections: [Connection] = [], accessGranted: Bool = true
        ) {
            self.name = name
            self.id = id
            self.configVars = configVars
            self.connections = connections
            self.accessGranted = accessGranted
        }
    }

    /// A Heroku Connect connection (one add-on).
    public struct Connection: Sendable {
        /// The connection's UUID, used in every region API path.
        public var id: String
        /// The connection's integer id (`_id` in the detail).
        public var serialID: Int
        /// The connection's name (`name`; the plugin prints it in "Retrieving write errors for …").
        public var name: String
        /// The add-on's resource name (`herokuconnect-angular-12345`), which `--resource` filters on.
        public var resourceName: String
        /// The Postgres schema the connection syncs into.
        public var schemaName: String
        /// The config var holding the database URL (`DATABASE_URL`), or nil before one is set.
        public var dbKey: String?
        /// The connection state: IDLE, POLLING_DB_CHANGES, PAUSED, SYSTEM_ERROR, DB_UNAVAILABLE, …
        public var state: String
        /// The ordered-writes algorithm (`features.poll_db_no_merge == true`); false is merged writes.
        public var orderedWrites: Bool
        /// The connection's mappings.
        public var mappings: [Mapping]
        /// The connection's notifications, acknowledged or not.
        public var notifications: [Notification]
        /// `metrics.last_write_activity_time`, or nil.
        public var lastWriteActivityTime: String?
        /// The add-on plan (`plan`: `demo` in the plugin's fixture).
        public var plan: String

        /// A connection.
        public init(
            id: String = UUID().uuidString.lowercased(), serialID: Int = 654_321, name: String,
            resourceName: String, schemaName: String = "salesforce", dbKey: String? = "DATABASE_URL",
            state: String = "IDLE", orderedWrites: Bool = false, mappings: [Mapping] = [],
            notifications: [Notification] = [], lastWriteActivityTime: String? = nil, plan: String = "enterprise"
        ) {
            self.id = id
            self.serialID = serialID
            self.name = name
            self.resourceName = resourceName
            self.schemaName = schemaName
            self.dbKey = dbKey
            self.state = state
            self.orderedWrites = orderedWrites
            self.mappings = mappings
            self.notifications = notifications
            self.lastWriteActivityTime = lastWriteActivityTime
            self.plan = plan
        }
    }

    /// A mapping of one Salesforce object to a table of the connection's schema.
    public struct Mapping: Sendable {
        /// The mapping's UUID (`/api/v3/mappings/{id}/…`).
        public var id: String
        /// The mapping's integer id (`_id`).
        public var serialID: Int
        /// The Salesforce object (`Account`); its table is the lower-cased name.
        public var objectName: String
        /// DATA_SYNCED, SYSTEM_ERROR, RELOAD_TABLE, …
        public var state: String
        /// `read_write` or `read_only`.
        public var access: String
        /// `counts`.
        public var counts: Counts
        /// `times`.
        public var times: Times
        /// `actively_writing`.
        public var activelyWriting: Bool
        /// The write errors `/api/v3/mappings/{id}/errors` lists (the last 24 hours, for Connect).
        public var writeErrors: [WriteError]

        /// A mapping.
        public init(
            id: String = UUID().uuidString.lowercased(), serialID: Int = 12_345_678, objectName: String,
            state: String = "DATA_SYNCED", access: String = "read_write", counts: Counts = Counts(),
            times: Times = Times(), activelyWriting: Bool = false, writeErrors: [WriteError] = []
        ) {
            self.id = id
            self.serialID = serialID
            self.objectName = objectName
            self.state = state
            self.access = access
            self.counts = counts
            self.times = times
            self.activelyWriting = activelyWriting
            self.writeErrors = writeErrors
        }
    }

    /// A mapping's `counts`: rows in the database and in Salesforce, changes pending, errors.
    public struct Counts: Sendable, Equatable {
        public var db: Int
        public var sf: Int
        public var pending: Int
        public var errors: Int

        /// Counts (all zero by default).
        public init(db: Int = 0, sf: Int = 0, pending: Int = 0, errors: Int = 0) {
            self.db = db
            self.sf = sf
            self.pending = pending
            self.errors = errors
        }
    }

    /// A mapping's `times`: the last Salesforce poll and write, the last database poll and write.
    /// Connect writes them as `2025-07-16 20:12:43.734321+00:00` (a space, not a `T`), or null.
    public struct Times: Sendable, Equatable {
        public var sfPoll: String?
        public var sfWrite: String?
        public var dbPoll: String?
        public var dbWrite: String?

        /// Times (all null by default).
        public init(sfPoll: String? = nil, sfWrite: String? = nil, dbPoll: String? = nil, dbWrite: String? = nil) {
            self.sfPoll = sfPoll
            self.sfWrite = sfWrite
            self.dbPoll = dbPoll
            self.dbWrite = dbWrite
        }
    }

    /// A connection notification (`/api/v3/connections/{id}/notifications`).
    public struct Notification: Sendable, Equatable {
        public var id: String
        /// `mapping-error`, `postgres-connection`, … (the plugin's fixtures).
        public var eventType: String
        public var message: String
        /// ISO 8601, `2024-01-15T10:30:00Z`.
        public var createdAt: String
        /// Set by `POST …/notifications/acknowledge`; acknowledged ones are no longer listed.
        public var acknowledged: Bool

        /// A notification.
        public init(id: String, eventType: String, message: String, createdAt: String, acknowledged: Bool = false) {
            self.id = id
            self.eventType = eventType
            self.message = message
            self.createdAt = createdAt
            self.acknowledged = acknowledged
        }
    }

    /// A write error (`/api/v3/…/errors`). The plugin prints `id` as "Trigger Log ID" and
    /// `record_id` as "Table ID", but its fixture has strings (`error-id`, `record-id`) and its
    /// type says "needs further refinement": they are strings here, and a test may put digits in them.
    public struct WriteError: Sendable, Equatable {
        public var id: String
        /// The table (`Account` in the plugin's fixture).
        public var tableName: String
        public var recordID: String
        /// Salesforce's message.
        public var message: String
        /// ISO 8601, `2025-07-16T19:22:08.288347Z`.
        public var createdAt: String

        /// A write error.
        public init(id: String, tableName: String, recordID: String, message: String, createdAt: String) {
            self.id = id
            self.tableName = tableName
            self.recordID = recordID
            self.message = message
            self.createdAt = createdAt
        }
    }
}
