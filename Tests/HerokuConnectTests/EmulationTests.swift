import HerokuConnect
import Postgres
import TestSupport
import Testing

extension IntegrationSuites {
    /// Proves against a real PostgreSQL that `Tests/Emulation/hcemu.sql` behaves like Heroku
    /// Connect's database side: tables, sequence and indexes, the notify trigger, the loggers,
    /// the status trigger, the capture procedures and the log generator. Every behaviour is
    /// proved in a plainly named schema and in one whose name needs quoting.
    @Suite(.tags(.database)) struct EmulationTests {
        /// How a test's schema is named: plainly, or so that it needs quoting everywhere.
        enum SchemaNaming: CaseIterable, Sendable {
            case plain, needsQuoting

            /// Runs `body` in a fresh standard connection schema named this way.
            func withSchema(_ body: (ConnectTestSchema) throws -> Void) throws {
                let unique = TestDatabase.uniqueSchemaName()
                try TestDatabase.withConnectSchema(named: self == .plain ? unique : "Weird \"Schema\" 'q' $$ \(unique)", body)
            }
        }

        /// The columns of both log tables as `name type [NOT NULL]`, in table order.
        static let logColumns = [
            "id integer NOT NULL", "txid bigint", "created_at timestamp with time zone", "updated_at timestamp with time zone",
            "processed_at timestamp with time zone", "processed_tx bigint", "state character varying(8)",
            "action character varying(7)", "table_name character varying(128)", "record_id integer",
            "sfid character varying(18)", "old text", "values text", "sf_result integer", "sf_message text",
        ]

        /// Both log tables have Connect's 15 columns and types, only `id` NOT NULL; `_hcmeta` and
        /// `_sf_event_log` are present with their columns.
        @Test(arguments: SchemaNaming.allCases)
        func tablesHaveConnectsColumns(_ naming: SchemaNaming) throws {
            try naming.withSchema { schema in
                let live = try schema.columns(of: "_trigger_log"), archive = try schema.columns(of: "_trigger_log_archive")
                #expect(live == Self.logColumns)
                #expect(archive == Self.logColumns)
                let meta = try schema.columns(of: "_hcmeta"), events = try schema.columns(of: "_sf_event_log")
                #expect(meta == ["id integer NOT NULL", "hcver integer", "org_id character varying(50)", "details text"])
                #expect(events == [
                    "id integer NOT NULL", "table_name character varying(128)", "action character varying(7)",
                    "synced_at timestamp with time zone", "sf_timestamp timestamp with time zone",
                    "sfid character varying(20)", "record text", "processed boolean",
                ])
            }
        }

        /// The live id comes from `_trigger_log_id_seq`, `AS integer` and owned by the column
        /// (created_at and updated_at default to now()); the archive, whose rows keep their live
        /// ids, has no default, no sequence and no trigger.
        @Test(arguments: SchemaNaming.allCases)
        func onlyTheLiveLogHasAnOwnedIntegerSequence(_ naming: SchemaNaming) throws {
            try naming.withSchema { schema in
                let facts = try schema.connection.query("""
                    SELECT n.nspname, c.relname, s.seqtypid::regtype::text, s.seqstart, s.seqincrement, s.seqmax,
                           (SELECT string_agg(d.deptype::text, ',') FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                              AND d.objid = c.oid AND d.refobjid = $1::regclass AND d.refobjsubid = 1), c.oid::regclass::text
                    FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE s.seqrelid = pg_get_serial_sequence($1::text, 'id')::regclass
                    """, [.text("\(schema.quoted)._trigger_log")])
                try #require(facts.count == 1, "pg_get_serial_sequence finds a sequence owned by id")
                let row = facts[0]
                #expect([row.string(0), row.string(1), row.string(2)] == [schema.name, "_trigger_log_id_seq", "integer"])
                #expect(try [row.int(3), row.int(4), row.int(5)] == [1, 1, 2_147_483_647])
                #expect(row.string(6) == "a", "an automatic (OWNED BY) dependency on _trigger_log.id")
                let sequence = row.string(7)!.replacingOccurrences(of: "'", with: "''")
                let defaults = try schema.defaults(of: "_trigger_log")
                #expect(defaults == ["id=nextval('\(sequence)'::regclass)", "created_at=now()", "updated_at=now()"])

                #expect(try schema.defaults(of: "_trigger_log_archive") == [])
                let archive = try schema.connection.query("""
                    SELECT (SELECT count(*) FROM pg_depend d JOIN pg_class c ON c.oid = d.objid AND c.relkind = 'S'
                             WHERE d.refobjid = $1::regclass), (SELECT count(*) FROM pg_trigger WHERE tgrelid = $1::regclass)
                    """, [.text("\(schema.quoted)._trigger_log_archive")])
                #expect(try [archive[0].int(0), archive[0].int(1)] == [0, 0], "archive: no owned sequence, no trigger")
            }
        }

        /// Both log tables carry exactly Connect's indexes: names, columns, partial predicates.
        @Test(arguments: SchemaNaming.allCases)
        func logIndexesMatchARealConnection(_ naming: SchemaNaming) throws {
            try naming.withSchema { schema in
                let s = try schema.identifier()
                func index(_ table: String, _ suffix: String, _ columns: String, _ predicate: String = "") -> String {
                    "CREATE \(suffix == "pkey" ? "UNIQUE " : "")INDEX \(table)_\(suffix) ON \(s).\(table) USING btree (\(columns))\(predicate)"
                }
                let live = try schema.indexes(of: "_trigger_log"), archive = try schema.indexes(of: "_trigger_log_archive")
                #expect(live == [
                    index("_trigger_log", "idx_created_at", "created_at"), index("_trigger_log", "idx_state_id", "state, id"),
                    index("_trigger_log", "idx_state_table_name", "state, table_name",
                          " WHERE (((state)::text = 'NEW'::text) OR ((state)::text = 'PENDING'::text))"),
                    index("_trigger_log", "pkey", "id"),
                ].sorted())
                #expect(archive == [
                    index("_trigger_log_archive", "idx_created_at", "created_at"),
                    index("_trigger_log_archive", "idx_record_id", "record_id"),
                    index("_trigger_log_archive", "idx_state_table_name", "state, table_name",
                          " WHERE ((state)::text = 'FAILED'::text)"),
                    index("_trigger_log_archive", "pkey", "id"),
                ].sorted())
            }
        }

        /// An AFTER INSERT FOR EACH ROW trigger on the live log calls `pg_notify('<schema>.hc_trigger_log',
        /// 'ping')`, a channel one can LISTEN on. (The Postgres layer cannot receive notifications yet, so
        /// delivery is not observed; ``notifyRunsForEveryLiveRow()`` shows pg_notify runs on each insert.)
        @Test(arguments: SchemaNaming.allCases)
        func notifyTriggerPingsTheSchemasChannel(_ naming: SchemaNaming) throws {
            try naming.withSchema { schema in
                let db = schema.connection
                let triggers = try db.query("""
                    SELECT trigger_name::text, event_manipulation::text, action_timing::text, action_orientation::text,
                           action_statement::text
                    FROM information_schema.triggers WHERE event_object_schema = $1 AND event_object_table = '_trigger_log'
                    """, [.text(schema.name)])
                let function = "\(try schema.identifier()).tlog_notify_trigger()"
                #expect(triggers.map { row in (0..<5).map { row.string($0) ?? "NULL" } } == [
                    ["tlog_insert_trigger", "INSERT", "AFTER", "ROW", "EXECUTE FUNCTION \(function)"],
                ])
                let source = try db.query("SELECT prosrc FROM pg_proc WHERE oid = $1::regproc",
                                          [.text("\(schema.quoted).tlog_notify_trigger")])[0].string(0) ?? ""
                let channel = schema.name + ".hc_trigger_log"
                let literal = "'" + channel.replacingOccurrences(of: "'", with: "''") + "'"
                #expect(source.contains("PERFORM pg_notify(\(literal), 'ping');"), "\(source)")
                try db.execute("LISTEN \"\(channel.replacingOccurrences(of: "\"", with: "\"\""))\"")
                #expect(try db.query("SELECT pg_listening_channels()").map { $0.string(0) } == [channel])
                try schema.insertAccount(name: "notified")
                #expect(try schema.logCount() == 1)
                try db.execute("UNLISTEN *")
            }
        }

        /// pg_notify really runs for every live row, from the logger and the capture procedures
        /// alike: with a schema name too long for a channel (over 48 bytes) each insert fails
        /// with pg_notify's own error, as it would on Heroku Connect.
        @Test func notifyRunsForEveryLiveRow() throws {
            let name = "notify_" + String(repeating: "n", count: 42) + TestDatabase.uniqueSchemaName()
            try #require((49...63).contains(name.utf8.count))
            try TestDatabase.withConnectSchema(named: name) { schema in
                let q = schema.quoted
                func expectChannelTooLong(_ sql: String, _ parameters: [PostgresParameter] = []) {
                    let error = #expect(throws: PostgresError.self) { try schema.connection.execute(sql, parameters) }
                    #expect(error?.sqlState == "22023" && error?.message == "channel name too long", "\(sql)")
                }
                expectChannelTooLong("INSERT INTO \(q).account (name) VALUES ('logged')")
                expectChannelTooLong("INSERT INTO \(q)._trigger_log (state) VALUES ('NEW')")
                let id = try schema.asConnect { try schema.insertAccount(name: "synced") }
                for kind in ["insert", "update"] {
                    expectChannelTooLong("SELECT \(q).hc_capture_\(kind)_from_row(public.hstore(t.*), 'account')"
                                         + " FROM \(q).account t WHERE t.id = $1", [.int(id)])
                }
            }
        }

        /// A user INSERT logs INSERT/NEW with the whole row (minus `_hc_lastop`/`_hc_err`) in
        /// values, no sfid, no old, no updated_at, and the writer's txid.
        @Test(arguments: SchemaNaming.allCases)
        func insertIsLoggedAsNewWithTheWholeRow(_ naming: SchemaNaming) throws {
            try naming.withSchema { schema in
                let name = "Acme, \"Quotes\" => and \\ backslash"
                let written = try schema.connection.query("""
                    INSERT INTO \(schema.quoted).account (name, billingcity, description, numberofemployees, annualrevenue,
                      lastmodifieddate) VALUES ($1, 'Zürich', $2, 42, 1.5e6, '2024-05-01 10:00:00') RETURNING id, txid_current()
                    """, [.text(name), .text("two\nlines")])
                let id = try written[0].int(0)!
                let entry = try schema.lastLogEntry()
                #expect(entry.state == "NEW" && entry.action == "INSERT" && entry.table == "account")
                #expect(entry.recordID == id && entry.sfid == nil && entry.old == nil)
                #expect(entry.values == wholeRow([
                    "id": "\(id)", "name": name, "billingcity": "Zürich", "description": "two\nlines",
                    "numberofemployees": "42", "annualrevenue": "1500000", "lastmodifieddate": "2024-05-01 10:00:00",
                ]))
                #expect(try entry.txid == written[0].int(1))
                #expect(entry.createdAt != nil && entry.updatedAt == nil && entry.processedAt == nil)
            }
        }

        /// A user UPDATE logs UPDATE/NEW with only the changed columns in values, the whole row
        /// before in old, and the row's sfid; one that changes nothing but `_hc_lastop` is IGNORE.
        @Test(arguments: SchemaNaming.allCases)
        func updateLogsChangedColumnsAndTheOldRow(_ naming: SchemaNaming) throws {
            try naming.withSchema { schema in
                let sfid = "0015e00000042stAAA"
                let id = try schema.insertAccount(name: "Globex", city: "Paris")
                try schema.asConnect { try schema.execute("UPDATE account SET sfid = $1 WHERE id = $2", [.text(sfid), .int(id)]) }
                try schema.execute("UPDATE account SET phone = '+41 44', billingcity = NULL WHERE id = $1", [.int(id)])
                let entry = try schema.lastLogEntry()
                #expect(entry.state == "NEW" && entry.action == "UPDATE" && entry.recordID == id && entry.sfid == sfid)
                #expect(entry.values == ["phone": "+41 44", "billingcity": nil])
                #expect(entry.old == wholeRow(["id": "\(id)", "sfid": sfid, "name": "Globex", "billingcity": "Paris"]))
                #expect(entry.updatedAt == nil && entry.txid != nil && entry.createdAt != nil)

                try schema.asConnect { try schema.execute("UPDATE account SET _hc_lastop = 'SYNCED' WHERE id = $1", [.int(id)]) }
                try schema.execute("UPDATE account SET name = name WHERE id = $1", [.int(id)])
                let noOp = try schema.lastLogEntry()
                #expect(noOp.state == "IGNORE" && noOp.action == "UPDATE" && noOp.recordID == id && noOp.sfid == sfid)
                #expect(try noOp.valuesText == "" && noOp.values == [:] && schema.logCount() == 3)
            }
        }

        /// A DELETE is logged with the old row: NEW when the row has an sfid, IGNORE when not.
        @Test(arguments: SchemaNaming.allCases)
        func deleteIsLoggedWithTheOldRow(_ naming: SchemaNaming) throws {
            try naming.withSchema { schema in
                let synced = try schema.asConnect { try schema.insertAccount(name: "Hooli", sfid: "0015e00000042svAAA") }
                let unsynced = try schema.insertAccount(name: "never synced")
                try schema.execute("DELETE FROM account WHERE id IN ($1, $2)", [.int(synced), .int(unsynced)])
                let entries = try schema.logEntries().filter { $0.action == "DELETE" }.sorted { $0.recordID! < $1.recordID! }
                #expect(entries.map(\.state) == ["NEW", "IGNORE"])
                #expect(entries.map(\.recordID) == [synced, unsynced])
                #expect(entries.map(\.sfid) == ["0015e00000042svAAA", nil])
                #expect(entries.allSatisfy { $0.values == nil && $0.updatedAt == nil })
                #expect(entries.map(\.old) == [
                    wholeRow(["id": "\(synced)", "sfid": "0015e00000042svAAA", "name": "Hooli"]),
                    wholeRow(["id": "\(unsynced)", "name": "never synced"]),
                ])
            }
        }

        /// On the read-only mapping "user", INSERT, UPDATE (even a no-op) and DELETE (even
        /// without sfid) are all logged as READONLY.
        @Test(arguments: SchemaNaming.allCases)
        func readOnlyMappingLogsReadonly(_ naming: SchemaNaming) throws {
            try naming.withSchema { schema in
                let id = try schema.connection.query("""
                    INSERT INTO \(schema.quoted)."user" (username, alias, isactive) VALUES ('ro@example.com', 'ro', true) RETURNING id
                    """)[0].int(0)!
                try schema.execute("UPDATE \"user\" SET alias = 'ro2' WHERE id = $1", [.int(id)])
                try schema.execute("UPDATE \"user\" SET alias = alias WHERE id = $1", [.int(id)])
                try schema.execute("DELETE FROM \"user\" WHERE id = $1", [.int(id)])
                let full = wholeRow(["id": "\(id)", "username": "ro@example.com", "alias": "ro", "isactive": "t"], of: userColumns)
                let after = full.merging(["alias": "ro2"]) { $1 }
                let entries = try schema.logEntries()
                #expect(entries.map(\.state) == ["READONLY", "READONLY", "READONLY", "READONLY"])
                #expect(entries.map(\.action) == ["INSERT", "UPDATE", "UPDATE", "DELETE"])
                #expect(entries.allSatisfy { $0.table == "user" && $0.recordID == id && $0.sfid == nil })
                #expect(entries.map(\.values) == [full, ["alias": "ro2"], [:], nil])
                #expect(entries.map(\.old) == [nil, full, after, after])
            }
        }

        /// The status trigger marks a user write PENDING and clears `_hc_err`.
        @Test(arguments: SchemaNaming.allCases)
        func statusTriggerMarksUserWritesPending(_ naming: SchemaNaming) throws {
            try naming.withSchema { schema in
                let id = try schema.insertAccount(name: "Soylent")
                #expect(try schema.status(of: id) == ["PENDING", nil])
                let connectFailure = "UPDATE account SET _hc_lastop = 'FAILED', _hc_err = 'boom' WHERE id = $1"
                try schema.asConnect { try schema.execute(connectFailure, [.int(id)]) }
                #expect(try schema.status(of: id) == ["FAILED", "boom"])
                try schema.execute("UPDATE account SET name = 'Soylent Corp' WHERE id = $1", [.int(id)])
                #expect(try schema.status(of: id) == ["PENDING", nil])
            }
        }

        /// Writes in a session with `xmlbinary = 'hex'` (Connect's worker) are not logged and
        /// mark the row SYNCED; the user session's writes are logged again afterwards.
        @Test(arguments: SchemaNaming.allCases)
        func connectsOwnWritesAreNotLoggedAndSynced(_ naming: SchemaNaming) throws {
            try naming.withSchema { schema in
                let user = try schema.insertAccount(name: "Tyrell")
                let before = try schema.logCount()
                let synced = try schema.asConnect {
                    try schema.execute("UPDATE account SET sfid = '0015e00000042swAAA' WHERE id = $1", [.int(user)])
                    let gone = try schema.insertAccount(name: "From Salesforce", sfid: "0015e00000042sxAAA")
                    try schema.execute("DELETE FROM account WHERE id = $1", [.int(gone)])
                    return try schema.insertAccount(name: "Kept", sfid: "0015e00000042syAAA")
                }
                #expect(try schema.logCount() == before)
                #expect(try schema.status(of: user) == ["SYNCED", nil])
                #expect(try schema.status(of: synced) == ["SYNCED", nil])
                try schema.execute("UPDATE account SET name = 'Tyrell Corp' WHERE id = $1", [.int(user)])
                #expect(try schema.logCount() == before + 1)
            }
        }

        /// `hc_capture_insert_from_row` writes a live INSERT/NEW row holding the whole row minus
        /// the exclusions (never id or sfid) and `_hc_*`, and returns its id.
        @Test(arguments: SchemaNaming.allCases)
        func captureInsertWritesTheRowMinusExclusions(_ naming: SchemaNaming) throws {
            try naming.withSchema { schema in
                let sfid = "0015e00000042szAAA"
                let id = try schema.asConnect { try schema.insertAccount(name: "Vandelay", city: "NYC", sfid: sfid, phone: "+1") }
                let returned = try schema.capture("insert", id: id, .array(["phone", "id", "sfid", "billingcity"]))
                let entry = try schema.lastLogEntry()
                #expect(try returned == entry.id && schema.logCount() == 1)
                #expect(entry.state == "NEW" && entry.action == "INSERT" && entry.table == "account" && entry.recordID == id)
                #expect(entry.sfid == nil && entry.old == nil)
                let whole = wholeRow(["id": "\(id)", "sfid": sfid, "name": "Vandelay"])
                #expect(entry.values == whole.filter { $0.key != "phone" && $0.key != "billingcity" })
            }
        }

        /// `hc_capture_update_from_row` writes a live UPDATE/NEW row with the row's sfid and only
        /// the listed columns; an empty list, or none, means all columns.
        @Test(arguments: SchemaNaming.allCases)
        func captureUpdateWritesTheListedColumns(_ naming: SchemaNaming) throws {
            try naming.withSchema { schema in
                let sfid = "0015e00000042t0AAA"
                let id = try schema.asConnect { try schema.insertAccount(name: "Stark", city: "Malibu", sfid: sfid) }
                let listed = try schema.capture("update", id: id, .array(["name", "billingcity"]))
                let empty = try schema.capture("update", id: id, .text("{}"))
                let omitted = try schema.capture("update", id: id, nil)
                let entries = try schema.logEntries()
                #expect(entries.map(\.id) == [listed, empty, omitted])
                #expect(entries.allSatisfy { $0.state == "NEW" && $0.action == "UPDATE" && $0.table == "account" })
                #expect(entries.allSatisfy { $0.recordID == id && $0.sfid == sfid && $0.old == nil })
                let all = wholeRow(["id": "\(id)", "sfid": sfid, "name": "Stark", "billingcity": "Malibu"])
                #expect(entries.map(\.values) == [["name": "Stark", "billingcity": "Malibu"], all, all])
            }
        }

        /// Both capture procedures return NULL and write nothing for a row without `id`.
        @Test(arguments: SchemaNaming.allCases)
        func captureWithoutIDReturnsNull(_ naming: SchemaNaming) throws {
            try naming.withSchema { schema in
                let q = schema.quoted
                let results = try schema.connection.query("""
                    SELECT \(q).hc_capture_insert_from_row(public.hstore('name', 'x'), 'account'),
                           \(q).hc_capture_update_from_row(public.hstore('name', 'x'), 'account', ARRAY['name']::text[])
                    """)
                #expect(results[0].isNull(0) && results[0].isNull(1))
                #expect(try schema.logCount() == 0)
            }
        }

        /// `hcemu.generate_log` writes exactly the requested rows, archive ids first, about the
        /// requested FAILED fraction, then the live sequence continues; every `values` and `old`
        /// is hstore in Postgres's own output form, decodes with ``HStore``, and has its action's shape.
        @Test(arguments: SchemaNaming.allCases)
        func generateLogWritesTheRequestedRows(_ naming: SchemaNaming) throws {
            try naming.withSchema { schema in
                let q = schema.quoted
                try schema.connection.execute("SELECT hcemu.generate_log($1, 2000, 500, 0.2)", [.text(schema.name)])
                for (table, range, states) in [
                    ("_trigger_log_archive", 1...2000, "{FAILED,IGNORED,MERGED,REQUEUED,SUCCESS}"),
                    ("_trigger_log", 2001...2500, "{FAILED,NEW,PENDING,SUCCESS}"),
                ] {
                    let facts = try schema.connection.query("""
                        SELECT count(*), min(id), max(id), count(*) FILTER (WHERE state = 'FAILED'),
                               array_agg(DISTINCT state ORDER BY state)::text,
                               bool_and(sf_message LIKE '%: %') FILTER (WHERE state = 'FAILED')
                        FROM \(q).\(table)
                        """)[0]
                    #expect(try [facts.int(0), facts.int(1), facts.int(2)] == [range.count, range.lowerBound, range.upperBound])
                    let failed = Double(try facts.int(3)!) / Double(range.count)
                    #expect((0.15...0.25).contains(failed), "\(table): FAILED fraction \(failed)")
                    #expect(facts.string(4) == states, "\(table)")
                    #expect(try facts.bool(5) == true, "\(table): FAILED rows carry a Salesforce error")
                }
                let rows = try schema.connection.query("""
                    SELECT id, action, record_id, "values", old,
                           coalesce(public.hstore("values")::text = "values", true) AND coalesce(public.hstore(old)::text = old, true)
                    FROM (SELECT * FROM \(q)._trigger_log_archive UNION ALL SELECT * FROM \(q)._trigger_log) l ORDER BY id
                    """)
                var misshapen: [Int] = []
                for row in rows {
                    let values = row.string(3).map(HStore.init(text:)), old = row.string(4).map(HStore.init(text:))
                    let canonical = [values, old].allSatisfy { $0.map { $0.isWellFormed && HStore(pairs: $0.pairs).text == $0.text } ?? true }
                    let id = row.string(2)
                    let shaped = switch row.string(1) {
                    case "INSERT": values?["id"] == .some(id) && old == nil
                    case "UPDATE": values.map { !$0.pairs.isEmpty && $0["id"] == nil } == true && old?["id"] == .some(id)
                    case "DELETE": values == nil && old?["id"] == .some(id)
                    default: false
                    }
                    if try !(canonical && shaped && row.bool(5) == true) { misshapen.append(try row.int(0)!) }
                }
                #expect(rows.count == 2500 && misshapen == [])
                let texts = rows.compactMap { $0.string(3) }
                #expect(texts.contains { $0.contains("\\\"") } && texts.contains { $0.contains("\n") })
                try schema.insertAccount(name: "after generate_log")
                #expect(try schema.lastLogEntry().id == 2501)
            }
        }

        /// `hcemu.generate_records` writes synced records with the next ids, the way Connect's
        /// worker writes them: no log rows, `SYNCED`, sfid from `hcemu.sfid`, the values
        /// generate_log uses for the same record (an account equals the `old` of its UPDATE and
        /// DELETE entries), contacts pointing at existing accounts; the sequence continues after
        /// them, and the session's own writes are logged again afterwards.
        @Test(arguments: SchemaNaming.allCases)
        func generateRecordsWritesSyncedRecordsWithoutLogRows(_ naming: SchemaNaming) throws {
            try naming.withSchema { schema in
                let q = schema.quoted, db = schema.connection
                try db.execute("SELECT hcemu.generate_log($1, 2000, 500, 0.2)", [.text(schema.name)])
                func logRows() throws -> Int {
                    try db.query("SELECT (SELECT count(*) FROM \(q)._trigger_log) + (SELECT count(*) FROM \(q)._trigger_log_archive)")[0].int(0)!
                }
                let before = try logRows()
                for (table, count) in [("account", 300), ("contact", 20), ("opportunity", 20), ("user", 20), ("account", 5), ("contact", 0)] {
                    try db.execute("SELECT hcemu.generate_records($1, $2, $3)", [.text(schema.name), .text(table), .int(count)])
                }
                #expect(try logRows() == before, "no log rows written")
                #expect(try db.query("SHOW xmlbinary")[0].string(0) == "base64", "xmlbinary is restored after the call")

                for (table, prefix, count) in [("account", "001", 305), ("contact", "003", 20), ("opportunity", "006", 20), ("user", "005", 20)] {
                    let facts = try db.query("""
                        SELECT count(*), min(id), max(id), count(*) FILTER (WHERE sfid = hcemu.sfid($1, id)),
                               count(*) FILTER (WHERE _hc_lastop = 'SYNCED' AND _hc_err IS NULL), count(DISTINCT createddate)
                        FROM \(q).\"\(table)\"
                        """, [.text(prefix)])[0]
                    #expect(try (0..<6).map { try facts.int($0) } == [count, 1, count, count, count, count], "\(table)")
                }
                let account = try db.query("SELECT public.hstore(a.*)::text FROM \(q).account a WHERE id = 1")[0].string(0)
                let fields = try #require(account.map(HStore.init(text:))).pairs.map { [$0.key, $0.value ?? "NULL"] }
                #expect(fields.sorted { $0[0] < $1[0] } == [
                    ["_hc_err", "NULL"], ["_hc_lastop", "SYNCED"], ["accountnumber", "AC-000001"], ["annualrevenue", "7919000"],
                    ["billingcity", "Munich"], ["billingcountry", "Germany"], ["createddate", "2023-01-02 08:07:13"],
                    ["description", "NULL"], ["external_id__c", "EXT-A-1"], ["id", "1"], ["industry", "Manufacturing"],
                    ["isdeleted", "f"], ["lastmodifieddate", "2023-01-05 08:07:13"], ["name", "Globex 1"],
                    ["numberofemployees", "38"], ["ownerid", "0055e0000004FRSAA2"], ["phone", "+49 30 0007919"],
                    ["sfid", "0015e00000042stAAA"], ["systemmodstamp", "2023-01-05 08:07:13"],
                ])
                let texts = try db.query("SELECT description FROM \(q).account WHERE id IN (11, 13) ORDER BY id").map { $0.string(0) }
                #expect(texts == ["Key account, renewal due in Q3 => call \"Anna\" first", "Line 1\nLine 2 with a backslash \\ and ünïcödé"])

                let history = try db.query("""
                    SELECT count(*), count(*) FILTER (WHERE public.hstore(l.old) = public.hstore(a.*) - ARRAY['_hc_lastop', '_hc_err'])
                    FROM (SELECT * FROM \(q)._trigger_log UNION ALL SELECT * FROM \(q)._trigger_log_archive) l
                    JOIN \(q).account a ON a.id = l.record_id
                    WHERE l.table_name = 'account' AND l.action IN ('UPDATE', 'DELETE')
                    """)[0]
                #expect(try history.int(0)! > 100 && history.int(0) == history.int(1), "accounts equal their entries' old rows")
                let contacts = try db.query("""
                    SELECT count(*) FILTER (WHERE c.accountid = hcemu.sfid('001', 1 + c.id % 300)
                                            AND EXISTS (SELECT 1 FROM \(q).account a WHERE a.sfid = c.accountid)
                                            AND c.email LIKE '%@example.com' AND c.lastname IS NOT NULL)
                    FROM \(q).contact c
                    """)[0]
                #expect(try contacts.int(0) == 20)

                #expect(try schema.insertAccount(name: "after generate_records") == 306)
                #expect(try logRows() == before + 1, "a user insert is logged again")
            }
        }

        /// `hcemu.generate_records` rejects a bad count, a schema without a connection, a table
        /// other than the standard mappings or missing from the schema, and ids past integer,
        /// each with its own error and without writing a record.
        @Test func generateRecordsRejectsBadArguments() throws {
            try TestDatabase.withConnectSchema { schema in
                let db = schema.connection, bare = TestDatabase.uniqueSchemaName(prefix: "bare_")
                try db.execute("SELECT hcemu.create_connection($1)", [.text(bare)])
                defer { _ = try? db.execute("SELECT hcemu.drop_connection($1)", [.text(bare)]) }
                try db.execute("SELECT hcemu.generate_records($1, 'account', 1)", [.text(schema.name)])
                let cases: [(schema: String, table: PostgresParameter, count: PostgresParameter, message: String)] = [
                    (schema.name, .text("account"), .int(-1), "hcemu.generate_records: n must be >= 0"),
                    (schema.name, .text("account"), .null, "hcemu.generate_records: n must be >= 0"),
                    ("no_such_schema", .text("account"), .int(1), "hcemu.generate_records: schema no_such_schema holds no connection"),
                    (schema.name, .text("lead"), .int(1),
                     "hcemu.generate_records: table 'lead' is not one of the standard mappings (account, contact, opportunity, user)"),
                    (schema.name, .text("_trigger_log"), .int(1),
                     "hcemu.generate_records: table '_trigger_log' is not one of the standard mappings (account, contact, opportunity, user)"),
                    (schema.name, .null, .int(1),
                     "hcemu.generate_records: table 'NULL' is not one of the standard mappings (account, contact, opportunity, user)"),
                    (bare, .text("account"), .int(1), "hcemu.generate_records: schema \(bare) has no table account"),
                    (schema.name, .text("account"), .int(2_147_483_647), "hcemu.generate_records: ids would overflow integer"),
                ]
                for bad in cases {
                    let error = #expect(throws: PostgresError.self) {
                        try db.execute("SELECT hcemu.generate_records($1, $2, $3)", [.text(bad.schema), bad.table, bad.count])
                    }
                    #expect(error?.message == bad.message)
                }
                let counts = try db.query("""
                    SELECT (SELECT count(*) FROM \(schema.quoted).account), (SELECT count(*) FROM \(schema.quoted).contact),
                           (SELECT count(*) FROM \(schema.quoted)._trigger_log)
                    """)[0]
                #expect(try [counts.int(0), counts.int(1), counts.int(2)] == [1, 0, 0])
            }
        }
    }
}

/// The columns of the standard `account` and read-only `user` mappings, in `values`/`old`.
private let accountColumns = [
    "name", "accountnumber", "billingcity", "billingcountry", "phone", "industry", "numberofemployees",
    "annualrevenue", "external_id__c", "description", "ownerid", "lastmodifieddate", "createddate",
    "systemmodstamp", "isdeleted", "sfid", "id",
]
private let userColumns = [
    "username", "email", "firstname", "lastname", "alias", "isactive", "createddate", "systemmodstamp", "isdeleted",
    "sfid", "id",
]

/// A whole row as hstore fields: `fields` set, every other column NULL.
private func wholeRow(_ fields: [String: String?], of columns: [String] = accountColumns) -> [String: String?] {
    Dictionary(uniqueKeysWithValues: columns.map { ($0, String?.none) }).merging(fields) { $1 }
}

/// One live trigger log row, with `values` and `old` decoded.
private struct LogEntry {
    var id: Int?, txid: Int?, recordID: Int?
    var createdAt: String?, updatedAt: String?, processedAt: String?
    var state: String?, action: String?, table: String?, sfid: String?
    var valuesText: String?, values: [String: String?]?, old: [String: String?]?
}

/// The reads and writes these tests need.
extension ConnectTestSchema {
    /// The live log's rows, by `order`.
    fileprivate func logEntries(_ order: String = "ORDER BY id") throws -> [LogEntry] {
        func fields(_ text: String?) -> [String: String?]? {
            guard let text else { return nil }
            let decoded = HStore(text: text)
            #expect(decoded.isWellFormed, "\(text)")
            return Dictionary(decoded.pairs.map { ($0.key, $0.value) }) { first, _ in first }
        }
        return try connection.query("""
            SELECT id, txid, record_id, created_at, updated_at, processed_at, state, action, table_name, sfid, "values", old
            FROM \(quoted)._trigger_log \(order)
            """).map { row in
            LogEntry(
                id: try row.int(0), txid: try row.int(1), recordID: try row.int(2), createdAt: row.string(3),
                updatedAt: row.string(4), processedAt: row.string(5), state: row.string(6), action: row.string(7),
                table: row.string(8), sfid: row.string(9), valuesText: row.string(10), values: fields(row.string(10)),
                old: fields(row.string(11)))
        }
    }

    /// The newest live log row.
    fileprivate func lastLogEntry() throws -> LogEntry { try #require(try logEntries("ORDER BY id DESC LIMIT 1").first) }

    /// The number of live log rows.
    fileprivate func logCount() throws -> Int { try connection.query("SELECT count(*) FROM \(quoted)._trigger_log")[0].int(0)! }

    /// Runs `body` as Connect's worker writes: with `xmlbinary` set to `hex`.
    fileprivate func asConnect<T>(_ body: () throws -> T) throws -> T {
        try connection.execute("SET xmlbinary = 'hex'")
        defer { _ = try? connection.execute("RESET xmlbinary") }
        return try body()
    }

    /// Inserts an account and returns its id.
    @discardableResult
    fileprivate func insertAccount(name: String, city: String? = nil, sfid: String? = nil, phone: String? = nil) throws -> Int {
        try connection.query(
            "INSERT INTO \(quoted).account (name, billingcity, sfid, phone) VALUES ($1, $2, $3, $4) RETURNING id",
            [.text(name), .optional(city), .optional(sfid), .optional(phone)])[0].int(0)!
    }

    /// `[_hc_lastop, _hc_err]` of an account.
    fileprivate func status(of id: Int) throws -> [String?] {
        let row = try connection.query("SELECT _hc_lastop, _hc_err FROM \(quoted).account WHERE id = $1", [.int(id)])[0]
        return [row.string(0), row.string(1)]
    }

    /// Calls `hc_capture_<kind>_from_row` on an account's current row with a column list
    /// (nil: the two-argument form) and returns its result.
    fileprivate func capture(_ kind: String, id: Int, _ columns: PostgresParameter?) throws -> Int? {
        let list = columns == nil ? "" : ", $2::text[]"
        return try connection.query(
            "SELECT \(quoted).hc_capture_\(kind)_from_row(public.hstore(t.*), 'account'\(list)) FROM \(quoted).account t WHERE t.id = $1",
            [.int(id)] + (columns.map { [$0] } ?? []))[0].int(0)
    }

    /// A table's columns as `name type [NOT NULL]`, in order (pg_attribute).
    fileprivate func columns(of table: String) throws -> [String] {
        try connection.query("""
            SELECT a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END
            FROM pg_attribute a WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum
            """, [.text("\(quoted).\(table)")]).map { $0.string(0) ?? "?" }
    }

    /// A table's column defaults as `column=expression`, in column order.
    fileprivate func defaults(of table: String) throws -> [String] {
        try connection.query("""
            SELECT a.attname || '=' || pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef d
            JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum WHERE d.adrelid = $1::regclass ORDER BY a.attnum
            """, [.text("\(quoted).\(table)")]).map { $0.string(0) ?? "?" }
    }

    /// A table's index definitions (pg_indexes), sorted.
    fileprivate func indexes(of table: String) throws -> [String] {
        try connection.query("SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND tablename = $2",
                             [.text(name), .text(table)]).map { $0.string(0) ?? "?" }.sorted()
    }

    /// The schema name as Postgres prints it in definitions (`quote_ident`).
    fileprivate func identifier() throws -> String { try connection.query("SELECT quote_ident($1)", [.text(name)])[0].string(0)! }
}
