import TestSupport
import Testing

extension IntegrationSuites {
    /// Bad input: a clear one-line message, the documented exit status, and nothing written to
    /// standard output.
    @Suite(.tags(.database)) struct CommandLineErrorTests {
        @Test(arguments: [
            ([], 2, "hcconnect: no command given; run 'hcconnect help' to see the commands"),
            (["faild"], 2, "hcconnect: unknown command 'faild'; did you mean 'failed'?"),
            (["failed", "--tabel", "x"], 2, "hcconnect: unknown option '--tabel'; did you mean '--table'?"),
            (["failed", "--limit"], 2, "hcconnect: --limit needs a value"),
            (["failed", "--limit", "0"], 2, "hcconnect: --limit: '0' is not a limit (a whole number above 0)"),
            (["failed", "--limit", "ten"], 2, "hcconnect: --limit: 'ten' is not a limit (a whole number above 0)"),
            (["failed", "--limit", "3", "--all"], 2, "hcconnect: --all and --limit cannot be used together"),
            (["failed", "--in", "both"], 2, "hcconnect: --in: 'both' is not live, archive or all"),
            (["failed", "--action", "UPSERT"], 2, "hcconnect: --action: 'UPSERT' is not INSERT, UPDATE or DELETE"),
            (["failed", "--since", "yesterday"], 2,
             "hcconnect: --since: 'yesterday' is not a time; use ISO 8601 (2026-11-24, 2026-11-24T10:00:00Z) or an age (30m, 6h, 2d, 1w)"),
            (["failed", "--since", "2026-02-30"], 2,
             "hcconnect: --since: '2026-02-30' is not a time; use ISO 8601 (2026-11-24, 2026-11-24T10:00:00Z) or an age (30m, 6h, 2d, 1w)"),
            (["failed", "--since", "1h", "--until", "2h"], 2, "hcconnect: --since (1h) is not before --until (2h)"),
            (["failed", "--record-id", "x1"], 2, "hcconnect: --record-id: 'x1' is not a record id (a whole number above 0)"),
            (["failed", "--sfid", "001"], 2, "hcconnect: --sfid: '001' is not a Salesforce id (15 or 18 letters and digits)"),
            (["failed", "--message", ""], 2, "hcconnect: --message: '' is empty"),
            (["failed", "extra"], 2, "hcconnect: unexpected argument 'extra'"),
            (["failed", "--state", "NEW"], 2,
             "hcconnect: failed has no --state option; failed lists FAILED entries only; for other states use hcconnect list --state STATE (NEW, PENDING, ...)"),
            (["retry", "--failed", "--limit", "5"], 2,
             "hcconnect: retry has no --limit option; to change at most N entries (the lowest ids first), use --max N"),
            (["ignore", "--failed", "--limit=5"], 2,
             "hcconnect: ignore has no --limit option; to change at most N entries (the lowest ids first), use --max N"),
            (["ignore", "--failed", "--all"], 2,
             "hcconnect: ignore has no --all option; --failed takes every FAILED entry the filters select; --max N caps them"),
            (["retry", "--failed", "--state", "NEW"], 2,
             "hcconnect: retry has no --state option; a repair changes FAILED entries only; see other states with hcconnect list --state STATE"),
            (["list", "--max", "5"], 2, "hcconnect: list has no --max option; to list at most N entries, use --limit N"),
            (["list", "--state", "FAILD"], 2,
             "hcconnect: --state: 'FAILD' is not a trigger log state; did you mean 'FAILED'? (states: NEW, PENDING, SUCCESS, FAILED, MERGED, IGNORE, IGNORED, READONLY, REQUEUE, REQUEUED)"),
            (["failed", "--format", "xml"], 2, "hcconnect: --format: 'xml' is not a format; use table, json, csv, ids, prometheus"),
            (["failed", "--json", "--format", "csv"], 2, "hcconnect: --json and --format csv cannot be used together"),
            (["failed", "--schema", ""], 2, "hcconnect: --schema: '' is empty; name a schema"),
            (["history", "account"], 2, "hcconnect: missing RECORD_ID or --sfid SFID"),
            (["history"], 2, "hcconnect: missing TABLE (a mapped table)"),
            (["history", "account", "1", "--sfid", "0015e00000AbCdEAAV"], 2, "hcconnect: RECORD_ID and --sfid cannot be used together"),
            (["related"], 2, "hcconnect: missing ID (a trigger log id)"),
            (["tables", "x"], 2, "hcconnect: unexpected argument 'x'"),
        ] as [([String], Int32, String)])
        func usageErrorsAreOneClearLine(arguments: [String], status: Int32, message: String) throws {
            let result = try hcconnect(arguments, environment: ["DATABASE_URL": "postgresql://127.0.0.1:1/never"])
            #expect(result.status == status)
            #expect(result.stderr.split(separator: "\n").last.map(String.init) == message)
            if !arguments.isEmpty { #expect(result.stderr.split(separator: "\n").count == 1) }
            #expect(result.stdout.isEmpty)
        }

        /// Every option that takes a duration answers an overflowing one (`2147483647w`
        /// repeated, or a number beyond 64 bits) with a usage error, never a crash.
        @Test(arguments: [
            ["failed", "--since"], ["failed", "--until"], ["list", "--since"], ["check", "--max-failed-age"],
            ["check", "--max-backlog-age"], ["cleanup", "--ignore-older-than"], ["watch", "--interval"],
            ["watch", "--timeout"], ["export", "--processed", "--stuck-after"], ["failed", "--lock-timeout"],
            ["retry", "--failed", "--statement-timeout"],
        ])
        func overflowingDurationsAreUsageErrors(_ command: [String]) throws {
            let option = command.last!
            for value in [
                String(repeating: "2147483647w", count: 8000), "9223372036854775807w", "99999999999999999999999s",
                "9223372036854775807ms", "1w" + String(repeating: "9", count: 30) + "d", "5200000w",
            ] {
                let result = try hcconnect(command + [value], environment: ["DATABASE_URL": "postgresql://127.0.0.1:1/never"])
                #expect(result.status == 2, "\(option) \(value.prefix(40)): \(result.stderr)")
                #expect(result.stderr.hasPrefix("hcconnect: \(option): '"), "\(result.stderr.prefix(200))")
                #expect(result.stderr.split(separator: "\n").count == 1)
            }
        }

        @Test func unknownTablesAreNotFoundWithSuggestions() throws {
            try TestDatabase.withConnectSchema { schema in
                let result = try hcconnect(["failed", "--table", "acount"], schema: schema.name)
                #expect(result.status == 3)
                #expect(result.stderr == "hcconnect: no table \"acount\" in schema \"\(schema.name)\" is mapped or has trigger log entries; did you mean \"account\"?\n")
                #expect(try hcconnect(["history", "nope", "1"], schema: schema.name).status == 3)
                #expect(try hcconnect(["failed", "--table", "x'; DROP TABLE account; --"], schema: schema.name).status == 3)
            }
        }

        @Test func aSchemaThatIsNotHerokuConnectIsRefused() throws {
            try TestDatabase.withConnectSchema { schema in
                let missing = try hcconnect(["failed"], schema: "no_such_schema_here")
                #expect(missing.status == 65)
                #expect(missing.stderr.hasPrefix("hcconnect: schema \"no_such_schema_here\" does not exist; "))
                #expect(missing.stderr.contains("\"\(schema.name)\""))
                #expect(try hcconnect(["failed"], schema: "public").stderr.contains("is not a Heroku Connect schema (no _trigger_log, _trigger_log_archive, _hcmeta)"))
                #expect(try hcconnect(["tables"], schema: "pg_catalog").status == 65)
            }
        }

        @Test func aNonDefaultSchemaComesFromTheOptionOrTheEnvironment() throws {
            try TestDatabase.withConnectSchema(named: "sf " + TestDatabase.uniqueSchemaName()) { schema in
                let id = try schema.insertEntry(state: "FAILED", message: "boom")
                let url = try TestDatabase.url
                let byOption = try hcconnect(["--schema", schema.name, "failed", "--format", "ids"], environment: ["DATABASE_URL": url])
                #expect(byOption.stdout == "\(id)\n")
                let byEnvironment = try hcconnect(["failed", "--format", "ids"], environment: ["DATABASE_URL": url, "HEROKU_CONNECT_SCHEMA": schema.name])
                #expect(byEnvironment.stdout == "\(id)\n")
                let optionWins = try hcconnect(["failed", "--schema", schema.name, "--format", "ids"],
                                               environment: ["DATABASE_URL": url, "HEROKU_CONNECT_SCHEMA": "elsewhere"])
                #expect(optionWins.stdout == "\(id)\n")
                let urlOption = try hcconnect(["--database-url", url, "failed", "--schema", schema.name, "--format", "ids"],
                                              environment: ["DATABASE_URL": "postgresql://127.0.0.1:1/never"])
                #expect(urlOption.stdout == "\(id)\n")
            }
        }

        @Test func aDatabaseThatIsDownIsUnavailableAndThePasswordStaysHidden() throws {
            let result = try hcconnect(
                ["failed", "--verbose", "--retries", "0"],
                environment: ["DATABASE_URL": "postgresql://admin:S3cretPassw0rd@127.0.0.1:1/db?connect_timeout=2"])
            #expect(result.status == 69)
            #expect(result.stderr.contains("hcconnect: cannot connect to the database: connection to server at \"127.0.0.1\", port 1 failed"))
            #expect(result.stderr.contains("postgresql://admin:***@127.0.0.1:1/db"))
            #expect(!result.stderr.contains("S3cretPassw0rd"))
            #expect(result.stdout.isEmpty)
            let malformed = try hcconnect(["failed"], environment: ["DATABASE_URL": "postgresql://admin:S3cretPassw0rd@[::1/db"])
            #expect(malformed.status == 2)
            #expect(malformed.stderr.hasPrefix("hcconnect: invalid database URL: "))
            #expect(!malformed.stderr.contains("S3cretPassw0rd"))
            let unknownHost = try hcconnect(["failed"], environment: ["DATABASE_URL": "postgresql://u:S3cretPassw0rd@no-such-host.invalid/db"])
            #expect(unknownHost.status == 69)
            #expect(!unknownHost.stderr.contains("S3cretPassw0rd"))
        }

        /// A read-only session (a follower, a hot standby, default_transaction_read_only): the
        /// reading commands work, and every change is refused with 77 and a message that says
        /// so, the data untouched.
        @Test func aReadOnlyDatabaseRefusesChangesWithAClearMessage() throws {
            try TestDatabase.withConnectSchema { schema in
                let id = try schema.insertEntry(state: "FAILED", message: "REQUIRED_FIELD_MISSING: Required fields are missing")
                let url = try TestDatabase.url
                let readOnly = url + (url.contains("?") ? "&" : "?") + "options=-c%20default_transaction_read_only%3Don"
                let environment = ["DATABASE_URL": readOnly]
                let listing = try hcconnect(["failed", "--format", "ids"], schema: schema.name, environment: environment)
                #expect(listing.status == 0, "\(listing.stderr)")
                #expect(listing.stdout == "\(id)\n")
                for command in [
                    ["retry", String(id)], ["ignore", String(id)], ["retry", "--failed", "--yes"], ["ignore", "--failed", "--yes"],
                    ["capture-update", "account", "1", "--fields", "name"],
                    ["cleanup", "--ignore-matching", "REQUIRED_FIELD_MISSING", "--yes"],
                ] {
                    let result = try hcconnect(command, schema: schema.name, environment: environment)
                    #expect(result.status == 77, "\(command): \(result.stderr)")
                    #expect(
                        result.stderr.contains("hcconnect: the database is read-only (a follower, a standby, or "
                            + "default_transaction_read_only), so nothing can be changed there; use the primary's URL"),
                        "\(command): \(result.stderr)")
                }
                let state = try schema.connection.query(
                    "SELECT state FROM \(schema.quoted)._trigger_log WHERE id = $1", [.int(id)])[0].string(0)
                #expect(state == "FAILED")
            }
        }

        @Test func anUnknownRoleIsAPermissionProblem() throws {
            let otherUser = try TestDatabase.roleURL("no_such_role_hc")
            let result = try hcconnect(["failed"], environment: ["DATABASE_URL": otherUser])
            #expect(result.status == 77)
            #expect(result.stderr.hasPrefix("hcconnect: the database refused the login: "))
        }

        @Test func aRoleWithoutAccessIsAPermissionProblem() throws {
            try TestDatabase.withConnectSchema { schema in
                let role = TestDatabase.uniqueSchemaName(prefix: "reader_")
                try schema.connection.execute("CREATE ROLE \(role) LOGIN")
                defer {
                    _ = try? schema.connection.execute("DROP OWNED BY \(role)")
                    _ = try? schema.connection.execute("DROP ROLE \(role)")
                }
                try schema.connection.execute("GRANT USAGE ON SCHEMA \(schema.quoted) TO \(role)")
                let url = try TestDatabase.roleURL(role)
                let result = try hcconnect(["failed"], schema: schema.name, environment: ["DATABASE_URL": url])
                #expect(result.status == 77)
                #expect(result.stderr.contains("permission denied"))
            }
        }
    }
}

extension IntegrationSuites {
    @Suite(.tags(.database)) struct VerboseAndNotFoundTests {
        @Test func verboseSaysWhereAndWhatButNeverValues() throws {
            try TestDatabase.withConnectSchema { schema in
                try schema.insertEntry(state: "FAILED", message: "boom")
                let result = try hcconnect(["failed", "--verbose", "--message", "needle-value-42"], schema: schema.name)
                #expect(result.status == 0)
                #expect(result.stderr.contains("hcconnect: connecting to postgresql://"))
                #expect(result.stderr.contains("hcconnect: connected to postgres@127.0.0.1:"))
                // a listing reads no catalog before its query, and unless --table names some,
                // no mapped tables; then only their names, not their triggers
                #expect(!result.stderr.contains("hcconnect: schema "))
                let byTable = try hcconnect(["failed", "--verbose", "--table", "Account"], schema: schema.name)
                #expect(byTable.stderr.contains("hcconnect: sql: SELECT c.relname::text FROM pg_catalog.pg_class c"))
                #expect(!byTable.stderr.contains("pg_trigger"))
                #expect(byTable.status == 0 && byTable.stdout.contains("boom"))
                #expect(result.stderr.contains("hcconnect: sql: SELECT * FROM (SELECT id, txid"))
                #expect(result.stderr.contains("state = $1 AND sf_message ILIKE $2"))
                #expect(!result.stderr.contains("needle-value-42"))
                #expect(result.stdout.split(separator: "\n").count == 1)
            }
        }

        @Test func aRecordWithNoHistoryAndNoRowIsNotFound() throws {
            try TestDatabase.withConnectSchema { schema in
                let missing = try hcconnect(["history", "account", "424242"], schema: schema.name)
                #expect(missing.status == 3)
                #expect(missing.stderr == "hcconnect: account has no record with id 424242, and the trigger log has no entries for one\n")
                // A record that exists but has no entries is an empty history, not an error.
                try schema.execute("SET xmlbinary = 'hex'")
                try schema.execute("INSERT INTO account (id, name) VALUES (5, 'quiet')")
                let quiet = try hcconnect(["history", "account", "5"], schema: schema.name, terminal: true)
                #expect(quiet.status == 0)
                #expect(quiet.stderr == "No entries for account 5.\n")
            }
        }
    }
}
