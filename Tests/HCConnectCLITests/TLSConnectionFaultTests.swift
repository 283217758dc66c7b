import Foundation
import Postgres
import TestSupport
import Testing

extension IntegrationSuites {
    /// TLS: libpq's `sslmode` and `sslrootcert` in the URL pass through hcconnect to libpq. A
    /// private server with `ssl=on` and a certificate for `localhost` and 127.0.0.1, signed by a
    /// test CA made with openssl, accepts only TLS connections (`hostssl` in pg_hba.conf,
    /// `hostnossl ... reject`), so a command that works proves TLS was used; the session's
    /// `pg_stat_ssl` row says so too. A wrong host name under `verify-full` and `sslmode=require`
    /// against a server without TLS each give one clear line and exit 69.
    @Suite(.serialized, .tags(.process, .fault)) struct TLSConnectionFaultTests {
        /// A CA and a server certificate in a fresh directory readable by the server's owner;
        /// returns the directory.
        static func makeCertificates() throws -> String {
            let script = """
                set -euo pipefail
                dir=$(mktemp -d /tmp/hcconnect-tls.XXXXXX)
                chmod 755 "$dir"
                cd "$dir"
                openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 -subj /CN=hcconnect-test-ca 2>/dev/null
                openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=localhost 2>/dev/null
                printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n' > san.ext
                openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 2 \\
                    -extfile san.ext 2>/dev/null
                chmod 600 server.key
                chmod 644 ca.crt server.crt
                if [ "$(id -u)" -eq 0 ]; then chown postgres: server.key server.crt; fi
                printf '%s\\n' "$dir"
                """
            let result = try BackgroundProcess.bash(script, timeout: .seconds(60))
            guard result.status == 0 else { throw TestSetupError("openssl failed: \(result.stderr)") }
            return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }

        /// Runs `body` with a TLS-only private server and the certificates' directory.
        static func withTLSServer(_ body: (PrivateServer, String) throws -> Void) throws {
            let directory = try makeCertificates()
            defer { _ = try? FileManager.default.removeItem(atPath: directory) }
            try PrivateServer.with(
                serverOptions: "-c ssl=on -c ssl_cert_file=\(directory)/server.crt -c ssl_key_file=\(directory)/server.key"
            ) { server in
                let admin = try server.connect()
                try admin.execute("SELECT hcemu.create_standard_connection('salesforce')")
                try EnvironmentFaultTests.fill(admin, schema: "salesforce")
                try server.setHostBasedAuthentication([
                    "hostssl all all 127.0.0.1/32 trust",
                    "hostnossl all all 127.0.0.1/32 reject",
                ])
                try body(server, directory)
            }
        }

        @Test func requireAndVerifyFullReachATLSServer() throws {
            try Self.withTLSServer { server, directory in
                let verifyFull = "sslmode=verify-full&sslrootcert=\(directory)/ca.crt"
                let urls = [
                    ("require", "postgresql://postgres@127.0.0.1:\(server.port)/postgres?sslmode=require"),
                    ("verify-full by IP", "postgresql://postgres@127.0.0.1:\(server.port)/postgres?\(verifyFull)"),
                    ("verify-full by name", "postgresql://postgres@localhost:\(server.port)/postgres?\(verifyFull)"),
                ]
                for (name, url) in urls {
                    let result = try hcconnect(
                        ["failed", "--format", "ids", "--verbose"], environment: ["DATABASE_URL": url, "HEROKU_CONNECT_SCHEMA": "salesforce"])
                    #expect(result.status == 0, "\(name): \(result.stderr)")
                    #expect(Set(result.lines) == ["1", "2", "3", "11", "12", "13"], "\(name): \(result.stdout)")
                    #expect(result.stderr.contains("sslmode="), "the URL shown keeps its settings: \(result.stderr)")
                    // the same settings through the Postgres layer: the session is encrypted
                    let connection = try PostgresConnection(settings: ConnectionSettings(connectionString: url))
                    let ssl = try connection.query("SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
                    #expect(try ssl[0].bool(0) == true, "\(name)")
                    #expect(ssl[0].string(1)?.hasPrefix("TLS") == true, "\(name): \(ssl[0].string(1) ?? "nil")")
                }
                // the control: without TLS the same server refuses the login (pg_hba.conf)
                let plain = try hcconnect(
                    ["failed", "--retries", "0"],
                    environment: ["DATABASE_URL": "postgresql://postgres@127.0.0.1:\(server.port)/postgres?sslmode=disable",
                                  "HEROKU_CONNECT_SCHEMA": "salesforce"])
                #expect(plain.status == 77, "\(plain.stderr)")
                #expect(plain.stderr.contains("no encryption"), "\(plain.stderr)")
            }
        }

        @Test func verifyFullAgainstAnotherHostNameFails() throws {
            try Self.withTLSServer { server, directory in
                let url = "postgresql://postgres@wrong-name.invalid:\(server.port)/postgres?hostaddr=127.0.0.1"
                    + "&sslmode=verify-full&sslrootcert=\(directory)/ca.crt"
                let result = try hcconnect(
                    ["retry", "--failed", "--yes", "--retries", "0"], environment: ["DATABASE_URL": url, "HEROKU_CONNECT_SCHEMA": "salesforce"])
                #expect(result.status == 69, "\(result.stderr)")
                #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
                #expect(result.stderr.hasPrefix("hcconnect: cannot connect to the database: "), "\(result.stderr)")
                #expect(result.stderr.contains("does not match host name \"wrong-name.invalid\""), "\(result.stderr)")
                #expect(result.stdout.isEmpty)
                let failed = try server.connect().query(
                    "SELECT count(*) FROM salesforce._trigger_log_archive WHERE state = 'FAILED'")[0].int(0)
                #expect(failed == 3, "nothing was retried")
            }
        }

        /// The shared test server has no TLS.
        @Test func requireAgainstAServerWithoutTLSFails() throws {
            let url = try TestDatabase.url + (try TestDatabase.url.contains("?") ? "&" : "?") + "sslmode=require"
            let result = try hcconnect(["failed", "--retries", "0"], environment: ["DATABASE_URL": url])
            #expect(result.status == 69, "\(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
            #expect(result.stderr.hasPrefix("hcconnect: cannot connect to the database: "), "\(result.stderr)")
            #expect(result.stderr.contains("server does not support SSL, but SSL was required"), "\(result.stderr)")
            #expect(result.stdout.isEmpty)
        }
    }
}
