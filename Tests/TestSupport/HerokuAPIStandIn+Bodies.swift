import Foundation

// The JSON bodies the stand-in answers with, each citing where its shape comes from. Sources:
//
// [plugin-fixtures] heroku/heroku-connect-plugin, test/support/test-fixtures.ts and
//     src/lib/types.ts at commit 1590a7c3edbf585734793022416c43330b2da083 (branch
//     prerelease/v1.0.0, "Adding relevant interfaces and types based on API endpoint responses").
// [plugin] heroku/heroku-connect-plugin (main, 0.13.3): src/lib/connect/api.ts,
//     src/lib/clients/discovery.ts, src/lib/clients/connect.ts, src/commands/connect/*.ts and
//     test/commands/connect/*.ts.
// [django] Thermondo/django-heroku-connect, heroku_connect/utils.py (get_connections,
//     get_connection, _write_algorithm_from_connection_info) and tests/fixtures.py.
// [devcenter-api] https://devcenter.heroku.com/articles/heroku-connect-api
// [platform-errors] the error table of https://devcenter.heroku.com/articles/platform-api-reference
//     (as quoted at https://forum.shakacode.com/t/understanding-heroku-api-errors/2186): every
//     error is `{"id": …, "message": …}`; 401 unauthorized, 404 not_found, 406 not_acceptable
//     ("set Accept: application/vnd.heroku+json; version=3"), 429 rate_limit.

extension HerokuAPIStandIn {
    /// `value`, or JSON null.
    static func orNull(_ value: String?) -> Any {
        value.map { $0 as Any } ?? NSNull()
    }

    // MARK: Platform API

    /// `GET /apps/{app}/config-vars`: a flat object of config var names to string values
    /// (https://devcenter.heroku.com/articles/platform-api-reference#config-vars-info-for-app).
    static func configVarsBody(_ app: App) -> [String: Any] {
        app.configVars
    }

    /// A Platform API error: `{"id", "message"}` ([platform-errors]). The messages of 401
    /// ("Invalid credentials provided.") and 404 ("Couldn't find that app.") are the ones the
    /// Heroku CLI prints for them; the source shows the ids, not these texts.
    static func platformError(_ id: String, _ message: String) -> [String: Any] {
        ["id": id, "message": message]
    }

    // MARK: Discovery service (hc-central)

    /// One connection as discovery lists it, exactly the fields of
    /// `singleConnectionResponse.results[0]` in [plugin-fixtures]. Discovery does NOT show
    /// `name`, `schema_name`, `db_key` or `state` there: the plugin gets them from the detail
    /// (`withConnection` merges `{...summary, ...detail}`, [plugin] src/lib/connect/api.ts), and
    /// so must a client of this stand-in.
    func summaryBody(_ connection: Connection, of app: App) -> [String: Any] {
        [
            "id": connection.id,
            "resource_name": connection.resourceName,
            "display_name": app.name,
            "addon_type": "Sync",
            "app_name": app.name,
            "app_id": app.id,
            "region": "us",
            "region_url": base,
            "region_flag": "united-states",
            "region_label": "Region (US)",
            "cell_label": "Stand-in (US)",
            "cell": "stand-in",
            "detail_url": "\(base)/api/v3/connections/\(connection.id)",
        ]
    }

    /// The `regions` and `cells` objects that come with discovery's answers ([plugin-fixtures]).
    func regionsAndCells() -> (regions: [String: Any], cells: [String: Any]) {
        (
            ["us": ["flag": "united-states", "label": "Region (US)"]],
            ["stand-in": ["url": base, "flag": "united-states", "label": "Stand-in (US)"]]
        )
    }

    /// `GET /connections?app=APP[&resource_name=R]`: `{results, regions, cells, next, previous,
    /// count}` (`SearchConnectionsResponse`, [plugin-fixtures]); no match is `results: []` with
    /// 200 (`emptyConnectionResponse`, and the test "returns an empty list when the resourceName
    /// parameter does not exist", test/lib/discovery.test.ts there).
    func searchBody(_ found: [(Connection, App)]) -> [String: Any] {
        let (regions, cells) = regionsAndCells()
        return [
            "results": found.map { summaryBody($0.0, of: $0.1) },
            "regions": regions, "cells": cells,
            "next": NSNull(), "previous": NSNull(), "count": found.count,
        ]
    }

    /// `POST /auth/{app}`: `{user, connections, regions, cells}` (`RequestAppAccessResponse`,
    /// [plugin-fixtures]); [devcenter-api]: "This returns all Connect add-ons across all regions
    /// that you have access to."
    func appAccessBody(_ app: App) -> [String: Any] {
        let (regions, cells) = regionsAndCells()
        return [
            "user": ["id": "stand-in-user", "email": "user@example.com"],
            "connections": app.connections.map { summaryBody($0, of: app) },
            "regions": regions, "cells": cells,
        ]
    }

    // MARK: Connect API v3 (region)

    /// `GET /api/v3/connections/{id}[?deep=true]`: the fields of `connectionDetailsResponse`
    /// ([plugin-fixtures]) that describe the connection. Left out: `sf_info`, `user_info`, `odata`,
    /// `tags` and the other Salesforce account fields, which hcconnect does not read. Its
    /// `detail_url` is relative there (`/api/v3/connections/{id}`), unlike discovery's absolute
    /// one: a client that merges summary and detail the plugin's way loses the host.
    /// `mappings` only with `deep=true` ([django] get_connection: "deep (bool): Return
    /// information about the connection's mappings").
    func detailBody(_ connection: Connection, of app: App, deep: Bool) -> [String: Any] {
        var body: [String: Any] = [
            "id": connection.id,
            "_id": connection.serialID,
            "name": connection.name,
            "app_name": app.name,
            "app_id": app.id,
            "internal_name": app.name,
            "resource_name": connection.resourceName,
            "schema_name": connection.schemaName,
            "db_key": Self.orNull(connection.dbKey),
            "database": databaseBody(connection, of: app),
            "state": connection.state,
            "mappings_summary_state": connection.mappings.contains { $0.state != "DATA_SYNCED" } ? "ERROR" : "OK",
            "detail_url": "/api/v3/connections/\(connection.id)",
            "notifications_url": "/api/v3/connections/\(connection.id)/notifications",
            "plan": connection.plan,
            "created_at": "2025-07-15T20:52:20.121851Z",
            "metrics": ["last_write_activity_time": Self.orNull(connection.lastWriteActivityTime)],
            "features": featuresBody(connection),
        ]
        if deep { body["mappings"] = connection.mappings.map { mappingBody($0, of: connection) } }
        return body
    }

    /// `features`: the keys of [plugin-fixtures] with its values, except `poll_db_no_merge`,
    /// which is ``Connection/orderedWrites`` ([django] `_write_algorithm_from_connection_info`:
    /// true means ordered writes, absent or false merged writes).
    func featuresBody(_ connection: Connection) -> [String: Any] {
        var features: [String: Any] = [:]
        for key in [
            "cdc_for_accelerated_polling", "disable_bulk_writes", "drift_max_batches_in_parallel_override",
            "early_sf_api_access", "force_picklist_255", "get_deleted_latest_date_check",
            "increased_query_cursor_limit", "log_memory_usage", "mtls_shield_connection", "poll_external_ids",
            "rest_count_only", "retry_failed_create_soap_call", "set_odata_extra_float_digits_to_0",
            "sync_repair_unlimited_query_all", "temp_tables_in_transactions", "testing_flag_only",
            "use_assignment_rules", "verbose_sfnotifier_logging",
        ] { features[key] = false }
        features["retry_get_query_batch_result_ids"] = true
        features["ucs_basic_collation_index"] = true
        features["poll_db_no_merge"] = connection.orderedWrites
        return features
    }

    /// `database`: `{host, database, port}` ([plugin-fixtures]), read here from the URL in the
    /// config var the connection's `db_key` names; null when there is none.
    func databaseBody(_ connection: Connection, of app: App) -> Any {
        guard let key = connection.dbKey, let text = app.configVars[key], let url = URLComponents(string: text),
            let host = url.host
        else { return NSNull() }
        return ["host": host, "database": String(url.path.drop { $0 == "/" }), "port": url.port ?? 5432]
    }

    /// One mapping of a deep detail: the fields of `connectionDetailsResponse.mappings[0]`
    /// ([plugin-fixtures]) but `config`, `schema_url`, `sync_flags`, `upsert_field` and the count
    /// dates, which hcconnect does not read.
    func mappingBody(_ mapping: Mapping, of connection: Connection) -> [String: Any] {
        [
            "id": mapping.id,
            "_id": mapping.serialID,
            "object_name": mapping.objectName,
            "state": mapping.state,
            "state_description": mapping.state == "DATA_SYNCED" ? "OK" : mapping.state,
            "access": mapping.access,
            "detail_url": "/api/v3/mappings/\(mapping.id)",
            "errors_url": "/api/v3/mappings/\(mapping.id)/errors",
            "connection": ["id": connection.id],
            "counts": [
                "db": mapping.counts.db, "sf": mapping.counts.sf,
                "pending": mapping.counts.pending, "errors": mapping.counts.errors,
            ],
            "times": [
                "sf_poll": Self.orNull(mapping.times.sfPoll), "sf_write": Self.orNull(mapping.times.sfWrite),
                "db_poll": Self.orNull(mapping.times.dbPoll), "db_write": Self.orNull(mapping.times.dbWrite),
            ],
            "actively_writing": mapping.activelyWriting,
            "is_polling": false,
            "sf_notify_enabled": false,
            "sf_polling_seconds": 600,
            "has_hc_columns": true,
            "created_at": "2025-07-16T19:21:56.317415Z",
            "updated_at": "2025-07-16T19:21:56.317427Z",
        ]
    }

    /// `GET /api/v3/connections?app=APP`: `{count, results}` with each connection's shallow
    /// detail ([django] get_connections and tests/fixtures.py `connections`; django-heroku-connect
    /// reads `features` from these results).
    func regionListBody(_ found: [(Connection, App)]) -> [String: Any] {
        ["count": found.count, "results": found.map { detailBody($0.0, of: $0.1, deep: false) }]
    }

    /// `GET …/notifications`: `{results: [{id, event_type, message, created_at}]}` ([plugin]
    /// test/commands/connect/notifications.ts; the fixture shows no `count`, so none is sent).
    static func notificationsBody(_ notifications: [Notification]) -> [String: Any] {
        [
            "results": notifications.map {
                ["id": $0.id, "event_type": $0.eventType, "message": $0.message, "created_at": $0.createdAt]
            }
        ]
    }

    /// `GET /api/v3/connections/{id}/errors` and `/api/v3/mappings/{id}/errors`: `{count,
    /// results: [{id, table_name, record_id, message, created_at}]}` (`WriteErrorsResponse`,
    /// [plugin-fixtures]; [plugin] getWriteErrors says "No write errors in the last 24 hours" on
    /// `count == 0`).
    static func writeErrorsBody(_ errors: [WriteError]) -> [String: Any] {
        [
            "count": errors.count,
            "results": errors.map {
                [
                    "id": $0.id, "table_name": $0.tableName, "record_id": $0.recordID,
                    "message": $0.message, "created_at": $0.createdAt,
                ]
            },
        ]
    }

    /// A Connect API error: `{"message"}` ([plugin] test/commands/connect/notifications-acknowledge.ts
    /// answers 400 `{message: 'Invalid request parameters'}`, and the commands throw
    /// `response.data.message || 'unknown error'`). The status codes of refused actions (400) and
    /// unknown ids (404) are the stand-in's choice: no source shows them.
    static func connectError(_ message: String) -> [String: Any] {
        ["message": message]
    }

    /// `POST /api/v3/connections/{id}/validations`: 202 `{result_url}`; the result, once ready,
    /// `{errors, warnings, passes, skips, mappings}` ([plugin] test/commands/connect/diagnose.ts).
    /// The stand-in's result is ready at once and lists one error per mapping in SYSTEM_ERROR.
    func validationsBody(_ connection: Connection) -> [String: Any] {
        var mappings: [String: Any] = [:]
        for mapping in connection.mappings {
            let errors: [[String: Any]] = mapping.state == "SYSTEM_ERROR"
                ? [["display_name": "Mapping State", "message": "The mapping is in SYSTEM_ERROR.", "status": "FAILED"]] : []
            mappings[mapping.objectName] = ["errors": errors, "warnings": [], "passes": [], "skips": []]
        }
        return ["errors": [], "warnings": [], "passes": [], "skips": [], "mappings": mappings]
    }
}
