@testable import HerokuConnect
import Postgres
import TestSupport
import Testing

extension IntegrationSuites {
    /// Proves `RecordCapture` against a real PostgreSQL holding the Heroku Connect emulation:
    /// column resolution, both capture procedures with and without column lists, the order and
    /// ids of the new entries, unknown records, dry runs and schemas without the procedures.
    /// Every test works in a schema of its own.
    @Suite(.tags(.database)) struct RecordCaptureTests {
        // MARK: Resolving columns

        /// Salesforce field names resolve to the table's columns ignoring case; exact column
        /// names are accepted; duplicates are dropped, first occurrence first.
        @Test func fieldNamesResolveToColumnsIgnoringCaseWithoutDuplicates() throws {
            try TestDatabase.withConnectSchema { schema in
                let store = try schema.captureStore()
                let columns = try store.columns(of: try store.schema.requireMappedTable(named: "account"))

                #expect(try RecordCapture.resolveColumns(
                    fields: ["BillingCity", "Name", "External_Id__c"], columns: [], in: "account", tableColumns: columns)
                    == ["billingcity", "name", "external_id__c"])
                #expect(try RecordCapture.resolveColumns(
                    fields: [], columns: ["phone", "billingcountry"], in: "account", tableColumns: columns)
                    == ["phone", "billingcountry"])
                #expect(try RecordCapture.resolveColumns(
                    fields: ["BillingCity", "billingcity", "NAME"], columns: ["name", "phone", "billingcity"], in: "account",
                    tableColumns: columns)
                    == ["billingcity", "name", "phone"])
                #expect(try RecordCapture.resolveColumns(fields: [], columns: [], in: "account", tableColumns: columns) == [])
            }
        }

        /// Where two columns differ only in case, a field name matches the lower-case one (the
        /// way Connect names columns) and an exact column name matches itself.
        @Test func aFieldPrefersTheLowerCaseColumn() throws {
            let columns = ["Name", "name", "Phone"]
            #expect(try RecordCapture.resolveColumns(fields: ["NAME"], columns: [], in: "t", tableColumns: columns) == ["name"])
            #expect(try RecordCapture.resolveColumns(fields: ["phone"], columns: [], in: "t", tableColumns: columns) == ["Phone"])
            #expect(try RecordCapture.resolveColumns(fields: [], columns: ["Name"], in: "t", tableColumns: columns) == ["Name"])
        }

        /// A misspelt field or column is an error naming the table, the name and the closest
        /// columns; an exact column name must match exactly.
        @Test func anUnknownNameIsAnErrorWithSuggestions() throws {
            try TestDatabase.withConnectSchema { schema in
                let store = try schema.captureStore()
                let columns = try store.columns(of: try store.schema.requireMappedTable(named: "account"))

                #expect(throws: HerokuConnectError.columnNotFound(table: "account", column: "BillingCty", suggestions: ["billingcity"])) {
                    try RecordCapture.resolveColumns(fields: ["Name", "BillingCty"], columns: [], in: "account", tableColumns: columns)
                }
                #expect(throws: HerokuConnectError.columnNotFound(table: "account", column: "BillingCity", suggestions: ["billingcity"])) {
                    try RecordCapture.resolveColumns(fields: [], columns: ["BillingCity"], in: "account", tableColumns: columns)
                }
                #expect(throws: HerokuConnectError.columnNotFound(table: "account", column: "Zzzzzzzz__c", suggestions: [])) {
                    try RecordCapture.resolveColumns(fields: ["Zzzzzzzz__c"], columns: [], in: "account", tableColumns: columns)
                }
            }
        }

        // MARK: Capturing

        /// `hc_capture_insert_from_row` with excluded columns: each record gets a live INSERT
        /// entry, NEW, sfid NULL, whose `values` is the whole current record but the excluded
        /// columns and `_hc_lastop`/`_hc_err`; `id` and `sfid` stay even when named. A record
        /// that has an sfid is in Salesforce already: it is not captured (an INSERT would
        /// create a duplicate) and is reported.
        @Test func captureInsertWritesTheWholeRecordButTheExcludedColumns() throws {
            try TestDatabase.withConnectSchema { schema in
                let first = try schema.addAccount(name: "Acme", city: "Berlin", phone: "+49 1")
                let second = try schema.addAccount(name: "Globex, \"the\" => one", city: nil, phone: "+49 2", description: "a\nb \\ ü")
                let synced = try schema.addAccount(name: "Synced", city: nil, phone: nil, sfid: "0015e00000AbCdEAAV")
                let store = try schema.captureStore()
                let account = try store.schema.requireMappedTable(named: "account")
                let columns = try RecordCapture.resolveColumns(
                    fields: ["Phone", "Description", "Id", "SFID"], columns: [], in: "account", tableColumns: try store.columns(of: account))

                let summary = try RecordCapture(store: store).capture(
                    .insert, table: account, recordIDs: [second, synced, first], columns: columns)

                let written = try schema.liveEntries()
                #expect(written.count == 2)
                #expect(summary.captured == [
                    RecordCapture.Captured(recordID: first, newID: written[0].id, sfid: nil, values: nil),
                    RecordCapture.Captured(recordID: second, newID: written[1].id, sfid: nil, values: nil),
                ])
                #expect(summary.alreadyInSalesforce == [
                    RecordCapture.Captured(recordID: synced, newID: nil, sfid: "0015e00000AbCdEAAV", values: nil)
                ])
                #expect(summary.procedure == .insert && summary.table == "account" && summary.columns == ["phone", "description", "id", "sfid"])
                #expect(summary.requested == 3 && summary.notFound == [] && summary.batches == 1 && !summary.isDryRun)
                for (entry, record) in zip(written, [first, second]) {
                    #expect(entry.action == .insert && entry.state == .new && entry.tableName == "account")
                    #expect(entry.recordID == record && entry.sfid == nil && entry.old == nil)
                    #expect(entry.values.map(sortedPairs) == (try schema.accountFields(record)).filter {
                        !["phone", "description", "_hc_lastop", "_hc_err"].contains($0.key)
                    })
                    #expect(entry.values?.keys.contains("id") == true && entry.values?.keys.contains("sfid") == true)
                    #expect(entry.values?.keys.count == 15)
                }
            }
        }

        /// `hc_capture_update_from_row` with a field subset: each record gets a live UPDATE
        /// entry, NEW, with the record's sfid and `values` holding exactly those columns.
        @Test func captureUpdateWritesExactlyTheNamedColumns() throws {
            try TestDatabase.withConnectSchema { schema in
                let record = try schema.addAccount(name: "Initech", city: "Zürich", phone: "+41 1", sfid: "0015e00000XyZaBAAV")
                let store = try schema.captureStore()
                let account = try store.schema.requireMappedTable(named: "account")
                let columns = try RecordCapture.resolveColumns(
                    fields: ["BillingCity", "Name", "BillingCountry"], columns: [], in: "account", tableColumns: try store.columns(of: account))

                let summary = try RecordCapture(store: store).capture(.update, table: account, recordIDs: [record], columns: columns)

                let entry = try #require(try schema.liveEntries().first)
                #expect(summary.captured == [RecordCapture.Captured(recordID: record, newID: entry.id, sfid: "0015e00000XyZaBAAV", values: nil)])
                #expect(entry.action == .update && entry.state == .new && entry.tableName == "account")
                #expect(entry.recordID == record && entry.sfid == "0015e00000XyZaBAAV" && entry.old == nil)
                #expect(entry.values.map(sortedPairs) == [
                    .init("billingcity", "Zürich"), .init("billingcountry", nil), .init("name", "Initech"),
                ])
            }
        }

        /// `hc_capture_update_from_row` without columns captures every column of the record but
        /// `_hc_lastop`/`_hc_err`.
        @Test func captureUpdateWithoutColumnsWritesEveryColumn() throws {
            try TestDatabase.withConnectSchema { schema in
                let record = try schema.addAccount(name: "Hooli", city: "Tokyo", sfid: "0015e00000XyZaBAAV")
                let store = try schema.captureStore()
                let account = try store.schema.requireMappedTable(named: "account")

                let summary = try RecordCapture(store: store).capture(.update, table: account, recordIDs: [record], columns: [])

                let entry = try #require(try schema.liveEntries().first)
                #expect(summary.captured.map(\.newID) == [entry.id])
                #expect(entry.action == .update && entry.sfid == "0015e00000XyZaBAAV")
                #expect(entry.values?.keys.sorted() == captureAccountColumns.sorted())
                #expect(entry.values.map(sortedPairs) == (try schema.accountFields(record)).filter {
                    !RecordCapture.bookkeepingColumns.contains($0.key)
                })
            }
        }

        /// The records are captured in record id order, whatever the order asked and however
        /// the rows lie in the table: new ids ascend with record ids.
        @Test(arguments: [CaptureProcedure.insert, .update])
        func newEntriesAreWrittenInRecordIDOrder(_ procedure: CaptureProcedure) throws {
            try TestDatabase.withConnectSchema { schema in
                let records = try (1...4).map { try schema.addAccount(name: "Account \($0)") }
                // Move the first records to the end of the heap: the table's physical order is 3, 4, 1, 2.
                try schema.withoutLogging {
                    try schema.execute("UPDATE account SET phone = '1' WHERE id IN (\(records[0]), \(records[1]))")
                }
                let store = try schema.captureStore()
                let account = try store.schema.requireMappedTable(named: "account")

                let summary = try RecordCapture(store: store).capture(
                    procedure, table: account, recordIDs: [records[2], records[0], records[3], records[1]], columns: [])

                #expect(summary.captured.map(\.recordID) == records)
                let written = try schema.liveEntries()
                #expect(summary.captured.map(\.newID) == written.map(\.id))
                #expect(written.map(\.recordID) == records)
            }
        }

        /// Across batches too, `captured` lists the records in record id order, as documented.
        @Test func capturedRecordsAreInRecordIDOrderAcrossBatches() throws {
            try TestDatabase.withConnectSchema { schema in
                let records = try (1...3).map { try schema.addAccount(name: "Account \($0)") }
                let store = try schema.captureStore()
                let account = try store.schema.requireMappedTable(named: "account")
                var observed: [[Int]] = []

                let summary = try RecordCapture(store: store).capture(
                    .update, table: account, recordIDs: [records[2], records[0], records[1]], columns: ["name"], batchSize: 1
                ) { _, batch in observed.append(batch.map(\.recordID)) }

                #expect(summary.batches == 3 && observed.count == 3)
                #expect(summary.captured.count == 3)
                // Across batches too, the records are captured in record id order, not the order given.
                #expect(summary.captured.map(\.recordID) == records)
            }
        }

        /// Record ids the table does not have are reported as not found; the others are captured.
        @Test func unknownRecordIDsAreReportedNotFound() throws {
            try TestDatabase.withConnectSchema { schema in
                let record = try schema.addAccount(name: "Only one")
                let store = try schema.captureStore()
                let account = try store.schema.requireMappedTable(named: "account")

                let summary = try RecordCapture(store: store).capture(
                    .update, table: account, recordIDs: [999, record, 998, record], columns: ["name"])

                #expect(summary.requested == 3)
                #expect(summary.notFound == [998, 999])
                #expect(summary.captured.map(\.recordID) == [record])
                #expect(try schema.liveEntries().map(\.recordID) == [record])
            }
        }

        /// A capture works on a table whose name is a reserved word (`user`), in a schema whose
        /// name needs quoting.
        @Test func captureQuotesTheSchemaAndTable() throws {
            let name = "Odd \"S\" 'q' $$ " + TestDatabase.uniqueSchemaName()
            try TestDatabase.withConnectSchema(named: name) { schema in
                let user = try schema.withoutLogging {
                    try schema.connection.query(
                        "INSERT INTO \(schema.quoted).\"user\" (username, sfid) VALUES ('ann', '0055e00000AbCdEAAV') RETURNING id"
                    )[0].int(0)!
                }
                let store = try schema.captureStore()
                let table = try store.schema.requireMappedTable(named: "user")

                let summary = try RecordCapture(store: store).capture(.update, table: table, recordIDs: [user], columns: ["username"])

                let entry = try #require(try schema.liveEntries().first)
                #expect(summary.captured.map(\.newID) == [entry.id])
                #expect(entry.tableName == "user" && entry.sfid == "0055e00000AbCdEAAV")
                #expect(entry.values.map(sortedPairs) == [.init("username", "ann")])
            }
        }

        // MARK: Dry run

        /// What a capture writes, in each of its forms.
        struct Form: Sendable, CustomTestStringConvertible {
            var procedure: CaptureProcedure
            var columns: [String]
            var testDescription: String { "\(procedure.rawValue) \(columns)" }
        }

        /// A dry run writes nothing (both log tables and the live sequence unchanged) and
        /// returns, for each record, exactly the `values` a real capture then writes.
        @Test(arguments: [
            Form(procedure: .insert, columns: []), Form(procedure: .insert, columns: ["phone", "description", "id", "sfid"]),
            Form(procedure: .update, columns: []), Form(procedure: .update, columns: ["billingcity", "name", "description"]),
        ])
        func aDryRunReturnsTheValuesARealCaptureWrites(_ form: Form) throws {
            try TestDatabase.withConnectSchema { schema in
                let records = [
                    try schema.addAccount(name: "Acme", city: "Berlin", phone: "+49 1", sfid: "0015e00000AbCdEAAV"),
                    try schema.addAccount(name: "Umbrella \"Corp\", => x", city: nil, description: "line 1\nline 2 \\ ünï"),
                ]
                let store = try schema.captureStore()
                let account = try store.schema.requireMappedTable(named: "account")
                let capture = RecordCapture(store: store)
                let before = try schema.logSnapshot()

                let dry = try capture.capture(form.procedure, table: account, recordIDs: records + [999], columns: form.columns, dryRun: true)

                #expect(try schema.logSnapshot() == before)
                #expect(dry.isDryRun && dry.notFound == [999])
                // an INSERT is not captured for the record that has an sfid (it is in Salesforce)
                let captured = form.procedure == .insert ? [records[1]] : records
                #expect(dry.captured.map(\.recordID) == captured)
                #expect(dry.captured.map(\.newID) == captured.map { _ in nil })
                #expect(dry.alreadyInSalesforce.map(\.recordID) == (form.procedure == .insert ? [records[0]] : []))

                let real = try capture.capture(form.procedure, table: account, recordIDs: records + [999], columns: form.columns)

                let written = try schema.liveEntries()
                #expect(real.captured.map(\.newID) == written.map(\.id))
                #expect(written.count == captured.count)
                #expect(real.alreadyInSalesforce == dry.alreadyInSalesforce)
                #expect(dry.captured.map { $0.values?.text } == written.map { $0.values?.text })
                #expect(dry.captured.map { $0.values.map(sortedPairs) } == written.map { $0.values.map(sortedPairs) })
            }
        }

        /// A dry run reports the same records and sfids as the real capture (only the new ids
        /// and the values differ: the first are not known yet, the second are not read back).
        @Test(arguments: [CaptureProcedure.insert, .update])
        func aDryRunReportsTheSameSfidsAsARealCapture(_ procedure: CaptureProcedure) throws {
            try TestDatabase.withConnectSchema { schema in
                let records = [try schema.addAccount(name: "Acme", sfid: "0015e00000AbCdEAAV"), try schema.addAccount(name: "New")]
                let store = try schema.captureStore()
                let account = try store.schema.requireMappedTable(named: "account")
                let capture = RecordCapture(store: store)

                let dry = try capture.capture(procedure, table: account, recordIDs: records, columns: [], dryRun: true)
                let real = try capture.capture(procedure, table: account, recordIDs: records, columns: [])

                #expect(real.captured.map(\.sfid) == (procedure == .insert ? [nil] : ["0015e00000AbCdEAAV", nil]))
                #expect(real.alreadyInSalesforce.map(\.sfid) == (procedure == .insert ? ["0015e00000AbCdEAAV"] : []))
                // The dry run reports the record's sfid, as the real capture does (insert included).
                #expect(dry.captured.map(\.sfid) == real.captured.map(\.sfid))
                #expect(dry.alreadyInSalesforce == real.alreadyInSalesforce)
            }
        }

        // MARK: Procedures

        /// A schema without a capture procedure refuses that capture before writing anything;
        /// the other procedure, and a dry run, still work.
        @Test func aMissingCaptureProcedureIsAnError() throws {
            try TestDatabase.withConnectSchema { schema in
                let record = try schema.addAccount(name: "Acme")
                try schema.execute("DROP FUNCTION hc_capture_insert_from_row(public.hstore, varchar, text[])")
                let store = try schema.captureStore()
                let account = try store.schema.requireMappedTable(named: "account")
                let capture = RecordCapture(store: store)
                let before = try schema.logSnapshot()

                #expect(throws: HerokuConnectError.captureProcedureMissing(schema: schema.name, procedure: "hc_capture_insert_from_row")) {
                    try capture.capture(.insert, table: account, recordIDs: [record], columns: [])
                }
                #expect(try schema.logSnapshot() == before)
                #expect(try capture.capture(.insert, table: account, recordIDs: [record], columns: [], dryRun: true).captured.count == 1)
                #expect(try capture.capture(.update, table: account, recordIDs: [record], columns: []).captured.count == 1)
                #expect(try schema.liveEntries().map(\.action) == [.update])
            }
        }
    }
}

// MARK: - Helpers

/// The columns of the standard `account` mapping but `_hc_lastop` and `_hc_err`.
private let captureAccountColumns = [
    "name", "accountnumber", "billingcity", "billingcountry", "phone", "industry", "numberofemployees",
    "annualrevenue", "external_id__c", "description", "ownerid", "lastmodifieddate", "createddate",
    "systemmodstamp", "isdeleted", "sfid", "id",
]

/// An hstore's pairs sorted by key.
private func sortedPairs(_ hstore: HStore) -> [HStore.Pair] { hstore.pairs.sorted { $0.key < $1.key } }

extension ConnectTestSchema {
    fileprivate func captureStore() throws -> TriggerLogStore { try TriggerLogStore(connection: connection, schemaName: name) }

    /// The live log's entries, by id.
    fileprivate func liveEntries() throws -> [TriggerLogEntry] {
        try captureStore().entries(matching: TriggerLogQuery().source(.live).ordered(.idAscending))
    }

    /// Both log tables, every row as text, and the live sequence's state.
    fileprivate func logSnapshot() throws -> [String?] {
        try ["_trigger_log", "_trigger_log_archive"].map { table in
            try connection.query("SELECT string_agg(t::text, E'\\n' ORDER BY id) FROM \(quoted).\(table) AS t")[0].string(0)
        } + [try connection.query("SELECT last_value || ',' || is_called FROM \(quoted)._trigger_log_id_seq")[0].string(0)]
    }

    /// Runs `body` the way Connect's worker writes (`xmlbinary` = hex), unlogged.
    fileprivate func withoutLogging<T>(_ body: () throws -> T) throws -> T {
        try connection.execute("SET xmlbinary = 'hex'")
        defer { _ = try? connection.execute("RESET xmlbinary") }
        return try body()
    }

    /// Inserts an account without logging it and returns its id.
    fileprivate func addAccount(
        name: String, city: String? = nil, phone: String? = nil, description: String? = nil, sfid: String? = nil
    ) throws -> Int {
        try withoutLogging {
            try connection.query("""
                INSERT INTO \(quoted).account (name, billingcity, phone, description, sfid, numberofemployees, annualrevenue,
                  isdeleted, createddate, systemmodstamp)
                VALUES ($1, $2, $3, $4, $5, 7, 99.25, false, '2024-01-02 03:04:05', '2024-05-06 07:08:09.5')
                RETURNING id
                """, [.text(name), .optional(city), .optional(phone), .optional(description), .optional(sfid)])[0].int(0)!
        }
    }

    /// An account's columns and their text values (`SELECT *`), sorted by column name.
    fileprivate func accountFields(_ record: Int) throws -> [HStore.Pair] {
        let row = try connection.query("SELECT * FROM \(quoted).account WHERE id = $1", [.int(record)])[0]
        return (0..<row.columnCount).map { HStore.Pair(row.columnName($0), row.string($0)) }.sorted { $0.key < $1.key }
    }
}
