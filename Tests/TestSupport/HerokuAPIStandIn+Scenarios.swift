import Foundation

// Ready-made apps for tests: one connection in each write mode, a paused one, a failing one,
// and two connections on one app. Their ids are fixed (so that outputs can be compared) and
// distinct between scenarios (so that several fit in one stand-in).

extension HerokuAPIStandIn {
    /// The bearer token the ready-made stand-ins accept.
    public static let demoToken = "5e1f7e57-70c3-4e11-8a4d-0000000000ff"

    /// A stand-in accepting ``demoToken`` with the app ``App/demo(name:databaseURL:schema:orderedWrites:idBase:)``:
    /// `demo-app`, one IDLE merged-writes connection whose `DATABASE_URL` is `databaseURL`.
    public static func demo(databaseURL: String, schema: String = "salesforce") -> HerokuAPIStandIn {
        let standIn = HerokuAPIStandIn(tokens: [demoToken])
        standIn.add(.demo(databaseURL: databaseURL, schema: schema))
        return standIn
    }

    /// A stand-in accepting ``demoToken`` with every scenario, one app each: `demo-app` (merged
    /// writes), `ordered-app` (ordered writes), `paused-app`, `failing-app` and `twin-app` (two
    /// connections, schemas `schema` and `schema_eu`), all on `databaseURL`.
    public static func scenarios(databaseURL: String, schema: String = "salesforce") -> HerokuAPIStandIn {
        let standIn = HerokuAPIStandIn(tokens: [demoToken])
        standIn.add(.demo(databaseURL: databaseURL, schema: schema))
        standIn.add(.demo(name: "ordered-app", databaseURL: databaseURL, schema: schema, orderedWrites: true, idBase: 200))
        standIn.add(.paused(databaseURL: databaseURL, schema: schema))
        standIn.add(.failing(databaseURL: databaseURL, schema: schema))
        standIn.add(.twoConnections(databaseURL: databaseURL, schemas: (schema, "\(schema)_eu")))
        return standIn
    }

    /// A fixed UUID whose last group is `n`.
    public static func fixedID(_ n: Int) -> String {
        let digits = String(n)
        return "5e1f0000-0000-4000-8000-" + String(repeating: "0", count: max(12 - digits.count, 0)) + digits
    }
}

extension HerokuAPIStandIn.App {
    /// `name` with one IDLE connection (`herokuconnect-<name>-<idBase>`), `DATABASE_URL` =
    /// `databaseURL`, schema `schema`, merged writes unless `orderedWrites`, and two synced
    /// read-write mappings, Account and Contact. Ids: connection `fixedID(idBase)`, mappings
    /// `fixedID(idBase + 1)` and `fixedID(idBase + 2)`.
    public static func demo(
        name: String = "demo-app", databaseURL: String, schema: String = "salesforce",
        orderedWrites: Bool = false, idBase: Int = 100
    ) -> Self {
        Self(
            name: name, id: HerokuAPIStandIn.fixedID(idBase + 90), configVars: ["DATABASE_URL": databaseURL],
            connections: [.demo(app: name, schema: schema, orderedWrites: orderedWrites, idBase: idBase)])
    }

    /// `paused-app`: like ``demo(name:databaseURL:schema:orderedWrites:idBase:)``, its connection PAUSED.
    public static func paused(name: String = "paused-app", databaseURL: String, schema: String = "salesforce") -> Self {
        var app = demo(name: name, databaseURL: databaseURL, schema: schema, idBase: 300)
        app.connections[0].state = "PAUSED"
        return app
    }

    /// `failing-app`: the connection in SYSTEM_ERROR, its Contact mapping in SYSTEM_ERROR with
    /// two write errors, and two unacknowledged notifications (the plugin's fixtures'
    /// `mapping-error` and `postgres-connection`).
    public static func failing(name: String = "failing-app", databaseURL: String, schema: String = "salesforce") -> Self {
        var app = demo(name: name, databaseURL: databaseURL, schema: schema, idBase: 400)
        app.connections[0].state = "SYSTEM_ERROR"
        app.connections[0].mappings[1].state = "SYSTEM_ERROR"
        app.connections[0].mappings[1].counts = .init(db: 120, sf: 118, pending: 3, errors: 2)
        // Table names as the trigger log writes them (bare, lower-case); the plugin's fixture has
        // `Account`, a placeholder.
        app.connections[0].mappings[1].writeErrors = [
            .init(id: "1042", tableName: "contact", recordID: "17",
                  message: "REQUIRED_FIELD_MISSING: Required fields are missing: [LastName]",
                  createdAt: "2025-07-16T19:22:08.288347Z"),
            .init(id: "1043", tableName: "contact", recordID: "18",
                  message: "FIELD_CUSTOM_VALIDATION_EXCEPTION: Email must be unique",
                  createdAt: "2025-07-16T19:23:10.000000Z"),
        ]
        app.connections[0].notifications = [
            .init(id: "5678", eventType: "mapping-error",
                  message: "Failed to sync Contact records due to validation error", createdAt: "2025-07-16T19:30:00Z"),
            .init(id: "9101", eventType: "postgres-connection", message: "Database cannot connect",
                  createdAt: "2025-07-16T18:45:00Z"),
        ]
        return app
    }

    /// `twin-app`: two IDLE connections, `herokuconnect-twin-app-500` (schema `schemas.0`, merged
    /// writes) and `herokuconnect-twin-app-600` (schema `schemas.1`, ordered writes), both on
    /// `DATABASE_URL`, or the second on `HEROKU_POSTGRESQL_ORANGE_URL` = `secondDatabaseURL`.
    /// Discovery without `resource_name` lists both (the plugin then says "Multiple connections found").
    public static func twoConnections(
        name: String = "twin-app", databaseURL: String, schemas: (String, String) = ("salesforce", "salesforce_eu"),
        secondDatabaseURL: String? = nil
    ) -> Self {
        var second = HerokuAPIStandIn.Connection.demo(app: name, schema: schemas.1, orderedWrites: true, idBase: 600)
        var vars = ["DATABASE_URL": databaseURL]
        if let secondDatabaseURL {
            vars["HEROKU_POSTGRESQL_ORANGE_URL"] = secondDatabaseURL
            second.dbKey = "HEROKU_POSTGRESQL_ORANGE_URL"
        }
        return Self(
            name: name, id: HerokuAPIStandIn.fixedID(590), configVars: vars,
            connections: [.demo(app: name, schema: schemas.0, idBase: 500), second])
    }
}

extension HerokuAPIStandIn.Connection {
    /// An IDLE connection of app `app` with the Account and Contact mappings, synced.
    public static func demo(app: String, schema: String, orderedWrites: Bool = false, idBase: Int) -> Self {
        Self(
            id: HerokuAPIStandIn.fixedID(idBase), serialID: 654_000 + idBase, name: "\(app)-connection",
            resourceName: "herokuconnect-\(app)-\(idBase)", schemaName: schema, dbKey: "DATABASE_URL",
            state: "IDLE", orderedWrites: orderedWrites,
            mappings: [
                .synced("Account", id: HerokuAPIStandIn.fixedID(idBase + 1), rows: 1000),
                .synced("Contact", id: HerokuAPIStandIn.fixedID(idBase + 2), rows: 120),
            ],
            lastWriteActivityTime: "2025-07-16T19:22:36.983896Z")
    }
}

extension HerokuAPIStandIn.Mapping {
    /// A read-write mapping of `objectName` in DATA_SYNCED with `rows` rows on both sides.
    public static func synced(_ objectName: String, id: String, rows: Int) -> Self {
        Self(
            id: id, serialID: 12_345_000 + rows, objectName: objectName, state: "DATA_SYNCED", access: "read_write",
            counts: .init(db: rows, sf: rows, pending: 0, errors: 0),
            times: .init(sfPoll: "2025-07-16 20:12:43.734321+00:00", sfWrite: "2025-07-16 19:22:06.661604+00:00",
                         dbPoll: "2025-07-16 20:12:40.000000+00:00", dbWrite: "2025-07-16 19:22:06.661604+00:00"))
    }
}
