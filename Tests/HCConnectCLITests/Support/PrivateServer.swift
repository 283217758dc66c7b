import Foundation
import Postgres
import TestSupport

/// A throwaway PostgreSQL server for one test, started with `Tests/Scripts/pg.sh`, with the
/// Heroku Connect emulation loaded: for tests that restart the server, change its
/// authentication rules or turn TLS on, which would break the tests running beside them on
/// the shared server.
final class PrivateServer {
    /// pg.sh's state directory, under the package's `.build`.
    let stateDirectory: String
    /// The URL of its `postgres` database, as the superuser `postgres` (trust
    /// authentication), with the test suite's password in it when the suite has one.
    let url: String
    /// The TCP port it listens on (127.0.0.1 only).
    let port: Int
    /// Its data directory (also the Unix socket's directory and the home of server.log).
    let dataDirectory: String

    /// Tests/Scripts/pg.sh.
    static let pgScript = TestDatabase.packageRoot.appendingPathComponent("Tests/Scripts/pg.sh").path

    /// Starts a server.
    ///
    /// - Parameter serverOptions: Extra options for `postgres` (pg.sh's
    ///   `HCCONNECT_PG_OPTIONS`), e.g. `-c ssl=on -c ssl_cert_file=...`.
    init(serverOptions: String = "") throws {
        stateDirectory = TestDatabase.packageRoot
            .appendingPathComponent(".build/pg-private-\(UUID().uuidString.prefix(8).lowercased())").path
        let started = try BackgroundProcess.bash(
            #"HCCONNECT_PG_OPTIONS="$3" bash "$2" start "$1""#, [stateDirectory, Self.pgScript, serverOptions])
        guard started.status == 0, !started.timedOut else {
            _ = try? BackgroundProcess.bash(#"bash "$2" stop "$1""#, [stateDirectory, Self.pgScript])
            throw TestSetupError("cannot start a private server with pg.sh: \(started.stderr)")
        }
        let plainURL = started.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        url = TestDatabase.withSuitePassword(plainURL)
        port = Int(try String(contentsOfFile: stateDirectory + "/port", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        dataDirectory = try String(contentsOfFile: stateDirectory + "/datadir", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        do {
            try connect().executeUnsafeScript(try TestDatabase.emulationSQL())
            guard binaries.hasPrefix("/") else { throw TestSetupError("cannot find the server's pg_ctl") }
        } catch {
            stop()
            throw error
        }
    }

    /// A connection to its `postgres` database as the superuser.
    func connect() throws -> PostgresConnection {
        try PostgresConnection(settings: ConnectionSettings(connectionString: url))
    }

    /// The URL of a database of this server for a user, with a password or none.
    func url(user: String, password: String? = nil, database: String = "postgres", query: String = "") -> String {
        let secret = password.map { ":" + $0 } ?? ""
        return "postgresql://\(user)\(secret)@127.0.0.1:\(port)/\(database)" + (query.isEmpty ? "" : "?" + query)
    }

    /// Replaces `pg_hba.conf` with `lines` (the Unix socket stays `trust`, for the test's
    /// own administration through `psql`) and reloads the configuration.
    func setHostBasedAuthentication(_ lines: [String]) throws {
        let text = (["local all all trust"] + lines).joined(separator: "\n") + "\n"
        let file = dataDirectory + "/pg_hba.conf"
        try text.write(toFile: file, atomically: false, encoding: .utf8)
        let connection = try PostgresConnection(
            settings: ConnectionSettings(connectionString: nil, overrides: [
                .init("host", dataDirectory), .init("port", String(port)), .init("user", "postgres"), .init("dbname", "postgres"),
            ]))
        try connection.execute("SELECT pg_reload_conf()")
        // the postmaster rereads the file on SIGHUP, shortly after pg_reload_conf returns
        Thread.sleep(forTimeInterval: 0.3)
    }

    /// Restarts the server (`pg_ctl restart -m fast`, or `-m immediate`: no clean shutdown,
    /// crash recovery at start), as its owner, which ends every session, and returns when it
    /// accepts connections again. The server keeps its options.
    func restart(mode: String = "fast") throws -> Duration {
        try control(#"restart -m \#(mode) -w -t 60 -l "$datadir/server.log""#)
    }

    /// Stops the server (`pg_ctl stop -m fast`) but keeps its data directory.
    func halt() throws {
        _ = try control("stop -m fast -w -t 60")
    }

    /// Starts a halted server again on its port, with pg.sh's settings.
    func resume() throws {
        _ = try control(
            #"start -w -t 60 -l "$datadir/server.log" -o "-p $(head -n 1 "$1/port") -k $datadir "#
                + #"-c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off""#)
    }

    /// The directory of the server's binaries: the running postmaster's (its process id
    /// is the first line of postmaster.pid).
    private lazy var binaries: String = {
        let result = try? BackgroundProcess.bash(
            #"dirname "$(readlink "/proc/$(head -n 1 "$(head -n 1 "$1/datadir")/postmaster.pid")/exe")""#,
            [stateDirectory])
        return result?.stdout.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
    }()

    /// Runs `pg_ctl` on the server's data directory, as the server's owner.
    private func control(_ arguments: String) throws -> Duration {
        let script = """
            set -euo pipefail
            datadir=$(head -n 1 "$1/datadir")
            if [ "$(id -u)" -eq 0 ]; then
                cd / && runuser -u postgres -- "$2/pg_ctl" \(arguments) -D "$datadir" >/dev/null
            else
                "$2/pg_ctl" \(arguments) -D "$datadir" >/dev/null
            fi
            """
        let result = try BackgroundProcess.bash(script, [stateDirectory, binaries])
        guard result.status == 0 else { throw TestSetupError("pg_ctl \(arguments) failed: \(result.stderr)") }
        return result.elapsed
    }

    /// Stops the server and removes its files.
    func stop() {
        _ = try? BackgroundProcess.bash(#"bash "$2" stop "$1" && rmdir "$1""#, [stateDirectory, Self.pgScript])
    }

    /// Runs `body` with a private server, stopped afterwards whatever happens.
    static func with<T>(serverOptions: String = "", _ body: (PrivateServer) throws -> T) throws -> T {
        let server = try PrivateServer(serverOptions: serverOptions)
        defer { server.stop() }
        return try body(server)
    }
}
