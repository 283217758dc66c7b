import Foundation
import Postgres
import TestSupport
import Testing

extension IntegrationSuites {
    /// `export`: every column round-trips (JSON compared column by column with the database,
    /// CSV loaded back with psql's \copy), resuming with --after-id and --checkpoint, and
    /// failed runs that leave the checkpoint as it was.
    @Suite(.tags(.database)) struct ExportCommandTests {
        /// One log row, every column as SQL text (nil is NULL).
        struct Row {
            var archived = false
            var id: Int
            var txid: String? = nil, createdAt: String? = nil, updatedAt: String? = nil, processedAt: String? = nil
            var processedTx: String? = nil, state: String? = nil, action: String? = nil, table: String? = nil
            var recordID: String? = nil, sfid: String? = nil, old: String? = nil, values: String? = nil
            var sfResult: String? = nil, message: String? = nil
        }

        static func insert(_ row: Row, into schema: ConnectTestSchema) throws {
            let table = row.archived ? "_trigger_log_archive" : "_trigger_log"
            try schema.connection.execute(
                """
                INSERT INTO \(schema.quoted).\(table) (id, txid, created_at, updated_at, processed_at, processed_tx, state,
                  action, table_name, record_id, sfid, old, "values", sf_result, sf_message)
                VALUES ($1::int, $2::bigint, $3::timestamptz, $4::timestamptz, $5::timestamptz, $6::bigint, $7, $8, $9,
                  $10::int, $11, $12, $13, $14::int, $15)
                """,
                [.int(row.id)] + [
                    row.txid, row.createdAt, row.updatedAt, row.processedAt, row.processedTx, row.state, row.action, row.table,
                    row.recordID, row.sfid, row.old, row.values, row.sfResult, row.message,
                ].map(PostgresParameter.optional))
        }

        /// hstore's own text for these pairs.
        static func hstoreText(_ pairs: [(String, String?)], _ connection: PostgresConnection) throws -> String {
            try connection.query(
                "SELECT public.hstore($1::text[], $2::text[])::text", [.array(pairs.map(\.0)), .array(pairs.map(\.1))]
            )[0].string(0)!
        }

        /// Rows with every awkward value a log can hold, in both tables; id 3 is in both.
        static func awkwardLog(_ schema: ConnectTestSchema) throws {
            let c = schema.connection
            let tricky = try hstoreText([
                ("name", "Acme \"Quoted\", Inc."), ("path", #"C:\temp\new"#), ("arrow", "a=>b, \"c\"=>NULL"),
                ("lines", "one\ntwo\r\nthree\tfour"), ("unicode", "Zoë 🚀 日本 e\u{301}"), ("empty", ""), ("gone", nil),
                ("", "empty key"), ("ctrl", "bell\u{7} unit\u{1f}"), ("end", "\\"),
            ], c)
            let message = "FIELD_CUSTOM_VALIDATION_EXCEPTION: \"Name\", please\nline two\r\n\\.\n\\.\ttab, comma"
            let rows = [
                Row(id: 1, txid: "1001", createdAt: "2026-11-24 10:13:05.123456+00", updatedAt: "2026-11-24 10:13:05+00",
                    processedAt: "2026-11-24 10:14:00.000001+00", processedTx: "1002", state: "FAILED", action: "UPDATE",
                    table: "account", recordID: "17", sfid: "0015e00000AbCdEAAV", old: tricky, values: tricky,
                    sfResult: "1", message: message),
                Row(archived: true, id: 2, txid: "9007199254740993", createdAt: "2026-01-01 00:00:00+05:30",
                    processedTx: "9223372036854775807", state: "SUCCESS", action: "DELETE", table: "contact",
                    recordID: "-7", sfid: "", old: tricky, sfResult: "0"),
                Row(id: 3),
                Row(archived: true, id: 3, state: "FAILED", message: "the same id in both tables"),
                Row(archived: true, id: 4),
                Row(id: 5, state: "weird", action: "MERGE", table: "Ünïcode_täble", old: "a=>b", values: #""a"=>"#,
                    sfResult: "-1"),
                Row(id: 6, createdAt: "infinity", updatedAt: "-infinity", processedAt: "0044-03-15 12:00:00+00 BC",
                    state: "", action: "", table: "", old: " ", values: "", message: ""),
                Row(archived: true, id: 7, createdAt: "1850-01-01 00:00:00+00", updatedAt: "2026-06-30 23:59:59.999999+00",
                    state: "failed", action: "insert", old: #""a" => "1", "a"=>null"#, values: #""b"=>"1", "a"=>"2""#),
            ]
            for row in rows { try insert(row, into: schema) }
            // And real captures, written by the emulated logger trigger.
            try c.execute("SELECT setval('\(schema.quoted)._trigger_log_id_seq', 100)")
            try schema.execute("INSERT INTO account (name, description) VALUES ($1, $2)", [.text("O'Brien \"&\" Co"), .text("a\nb")])
            try schema.execute("UPDATE account SET name = 'Renamed, \"again\"', numberofemployees = NULL")
        }

        /// The database URL with the session time zone set, so offsets are not all +00.
        static func urlInKolkata() throws -> String {
            let url = try TestDatabase.url
            return url + (url.contains("?") ? "&" : "?") + "options=-c%20TimeZone%3DAsia%2FKolkata"
        }

        /// The log's rows in the export's order (id, live first), as JSON-comparable values.
        static func databaseRows(_ schema: ConnectTestSchema) throws -> [[String: Any]] {
            let c = schema.connection
            try c.execute("SET TimeZone TO 'Asia/Kolkata'")
            defer { _ = try? c.execute("RESET TimeZone") }
            let text = #"id, txid::text, to_json(created_at)#>>'{}', to_json(updated_at)#>>'{}', to_json(processed_at)#>>'{}', processed_tx::text, state, action, table_name, record_id, sfid, old, "values", sf_result, sf_message"#
            let rows = try c.query(
                "SELECT \(text), false FROM \(schema.quoted)._trigger_log UNION ALL SELECT \(text), true FROM \(schema.quoted)._trigger_log_archive ORDER BY 1, 16")
            let names = ["id", "txid", "created_at", "updated_at", "processed_at", "processed_tx", "state", "action",
                         "table_name", "record_id", "sfid", "old", "values", "sf_result", "sf_message", "archived"]
            return try rows.map { row in
                var object: [String: Any] = [:]
                for (index, name) in names.enumerated() {
                    object[name] = row.isNull(index) ? NSNull() : name == "archived" ? try row.bool(index)! as Any : row.string(index)!
                }
                return object
            }
        }

        /// Checks one exported object against the database's row, column by column.
        static func expectSame(_ exported: [String: Any], as stored: [String: Any], _ connection: PostgresConnection) throws {
            let id = "id \(stored["id"]!) archived \(stored["archived"]!)"
            #expect(Set(exported.keys) == Set(stored.keys), "\(id)")
            for (name, value) in stored {
                let out = exported[name]
                if value is NSNull {
                    #expect(out is NSNull, "\(id) \(name): \(String(describing: out))")
                    continue
                }
                switch name {
                case "archived":
                    #expect(out as? Bool == value as? Bool, "\(id)")
                case "id", "txid", "processed_tx", "record_id", "sf_result":
                    #expect((out as? NSNumber)?.stringValue == value as? String, "\(id) \(name): \(String(describing: out))")
                case "old", "values":
                    let text = value as! String
                    let hstoreWrote = (try? connection.query("SELECT public.hstore($1::text)::text = $1", [.text(text)])[0].bool(0)) == true
                    if let object = out as? [String: Any] {
                        #expect(hstoreWrote, "\(id) \(name): an object for text hstore would not write")
                        let keys = Array(object.keys)
                        let values: [String?] = keys.map { object[$0] as? String }
                        #expect(keys.allSatisfy { object[$0] is String || object[$0] is NSNull })
                        let rebuilt = try connection.query(
                            "SELECT public.hstore($1::text[], $2::text[])::text", [.array(keys), .array(values)])[0].string(0)
                        #expect(rebuilt == text, "\(id) \(name)")
                    } else {
                        #expect(out as? String == text, "\(id) \(name): \(String(describing: out))")
                        #expect(!hstoreWrote, "\(id) \(name): text hstore writes should be an object")
                    }
                default:
                    #expect(out as? String == value as? String, "\(id) \(name): \(String(describing: out))")
                }
            }
        }

        @Test func jsonLinesHoldEveryColumnExactlyAsStored() throws {
            try TestDatabase.withConnectSchema { schema in
                try Self.awkwardLog(schema)
                let result = try hcconnect(["export"], schema: schema.name, environment: ["DATABASE_URL": try Self.urlInKolkata()])
                #expect(result.status == 0, "\(result.stderr)")
                #expect(result.stderr.isEmpty)
                let exported = try jsonLines(result.stdout)
                let stored = try Self.databaseRows(schema)
                #expect(exported.count == stored.count)
                #expect(stored.count == 10)
                for (out, row) in zip(exported, stored) { try Self.expectSame(out, as: row, schema.connection) }
                // Spot checks that the comparison itself sees what matters.
                #expect(exported.map { $0["id"] as? Int } == [1, 2, 3, 3, 4, 5, 6, 7, 101, 102])
                #expect(exported.map { $0["archived"] as? Bool } == [false, true, false, true, true, false, false, true, false, false])
                #expect(exported[0]["created_at"] as? String == "2026-11-24T15:43:05.123456+05:30")
                #expect((exported[0]["values"] as? [String: Any])?["gone"] is NSNull)
                #expect((exported[0]["values"] as? [String: Any])?["empty"] as? String == "")
                #expect(exported[5]["values"] as? String == #""a"=>"#)
                #expect(exported[6]["values"] as? [String: Any] != nil)
                #expect(exported[7]["created_at"] as? String == "1850-01-01T05:53:28+05:53:28")
            }
        }

        @Test func csvLoadsBackWithPsqlCopyIntoTheSameRows() throws {
            try TestDatabase.withConnectSchema { schema in
                try Self.awkwardLog(schema)
                // COPY before PostgreSQL 18 takes a line holding just \. for the end of the data,
                // even inside a quoted CSV field (its own COPY TO writes such a field the same way).
                try schema.execute(#"UPDATE _trigger_log SET sf_message = replace(sf_message, E'\n\\.\n', E'\n \\.\n')"#)
                #expect(try schema.connection.query(
                    #"SELECT count(*) FROM \#(schema.quoted)._trigger_log WHERE sf_message LIKE E'%\n \\\\.\n%'"#)[0].int(0) == 1)
                let result = try hcconnect(["export", "--format", "csv"], schema: schema.name, environment: ["DATABASE_URL": try Self.urlInKolkata()])
                #expect(result.status == 0, "\(result.stderr)")
                let file = FileManager.default.temporaryDirectory.appendingPathComponent("export-\(schema.name).csv")
                try Data(result.stdout.utf8).write(to: file)
                defer { try? FileManager.default.removeItem(at: file) }
                try schema.execute("CREATE TABLE scratch (LIKE _trigger_log_archive, archived boolean)")
                let copy = try psql(["-c", "\\copy \(schema.quoted).scratch FROM '\(file.path)' CSV HEADER"])
                #expect(copy.status == 0, "\(copy.stderr)")
                #expect(copy.stdout.hasPrefix("COPY 10"), "\(copy.stdout)")
                let both = "SELECT *, false FROM \(schema.quoted)._trigger_log UNION ALL SELECT *, true FROM \(schema.quoted)._trigger_log_archive"
                let scratch = "SELECT * FROM \(schema.quoted).scratch"
                for sql in ["(\(both)) EXCEPT ALL (\(scratch))", "(\(scratch)) EXCEPT ALL (\(both))"] {
                    #expect(try schema.connection.query("SELECT count(*) FROM (\(sql)) AS difference")[0].int(0) == 0, "\(sql)")
                }
                #expect(try schema.connection.query("SELECT count(*) FROM (\(scratch)) AS loaded")[0].int(0) == 10)

                let bare = try hcconnect(["export", "--format", "csv", "--no-header", "--after-id", "100"], schema: schema.name)
                #expect(bare.stdout.hasPrefix("101,"), "\(bare.stdout)")
            }
        }

        /// Runs psql against the test database.
        func psql(_ arguments: [String]) throws -> CLIResult {
            try runProcess(
                "/usr/bin/env", ["psql", "-X", "-v", "ON_ERROR_STOP=1", try TestDatabase.url] + arguments,
                environment: ProcessInfo.processInfo.environment)
        }
    }
}
