import Foundation
import HCConnectCLI
import TestSupport
import Testing

/// What one run of the command line produced.
struct CLIResult {
    let status: Int32
    let stdout: String
    let stderr: String

    /// Standard output split into lines.
    var lines: [String] { stdout.split(whereSeparator: \.isNewline).map(String.init) }
}

/// Runs hcconnect in-process, as `main` would, with captured streams.
///
/// - Parameters:
///   - arguments: The command line after `hcconnect`.
///   - schema: When given, `--schema` and the test database's URL are passed through the
///     environment (`HEROKU_CONNECT_SCHEMA`, `DATABASE_URL`), as an operator would set them.
///   - environment: Extra variables.
///   - input: Standard input's text.
///   - terminal: Whether standard output and error are terminals, and how wide.
///   - inputIsTerminal: Whether standard input is a terminal (a person answering prompts).
///
/// What it wrote is checked for passwords (``PasswordLeakGuard``); one there fails the test.
func hcconnect(
    _ arguments: [String], schema: String? = nil, environment: [String: String] = [:], input: String = "",
    terminal: Bool = false, columns: Int? = nil, inputIsTerminal: Bool = false,
    sourceLocation: SourceLocation = #_sourceLocation
) throws -> CLIResult {
    var env = environment
    if let schema {
        if env["DATABASE_URL"] == nil { env["DATABASE_URL"] = try TestDatabase.url }
        env["HEROKU_CONNECT_SCHEMA"] = schema
    }
    let output = OutputChannel(memoryAsTerminal: terminal, columns: columns)
    let errors = OutputChannel(memoryAsTerminal: terminal, columns: columns)
    let status = HCConnect.run(
        arguments: arguments, environment: env, input: InputChannel(text: input, isTerminal: inputIsTerminal), output: output, errors: errors)
    PasswordLeakGuard.check(
        stdout: output.text, stderr: errors.text, environment: env, arguments: arguments, sourceLocation: sourceLocation)
    return CLIResult(status: status, stdout: output.text, stderr: errors.text)
}

/// Runs the built `hcconnect` executable as a separate process.
func hcconnectProcess(
    _ arguments: [String], environment: [String: String], sourceLocation: SourceLocation = #_sourceLocation
) throws -> CLIResult {
    try runProcess(
        TestDatabase.packageRoot.appendingPathComponent(".build/debug/hcconnect").path, arguments,
        environment: environment, exactEnvironment: true, sourceLocation: sourceLocation)
}

/// Runs a program and returns what it wrote; standard input is empty.
///
/// - Parameters:
///   - environment: The program's environment; empty means only a `PATH`.
///   - exactEnvironment: When true, `environment` is passed as it is, even empty.
///   - directory: The working directory, if not this process's.
///
/// What it wrote is checked for passwords (``PasswordLeakGuard``); one there fails the test.
func runProcess(
    _ executable: String, _ arguments: [String], environment: [String: String] = [:], exactEnvironment: Bool = false,
    directory: URL? = nil, sourceLocation: SourceLocation = #_sourceLocation
) throws -> CLIResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.environment = environment.isEmpty && !exactEnvironment ? ["PATH": "/usr/bin:/bin"] : environment
    if let directory { process.currentDirectoryURL = directory }
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    try process.run()
    // Standard error is read on its own thread, so that a program filling one pipe while
    // the other is read cannot block.
    nonisolated(unsafe) var stderr = Data()
    let done = DispatchSemaphore(value: 0)
    let errorReader = err.fileHandleForReading
    Thread {
        stderr = errorReader.readDataToEndOfFile()
        done.signal()
    }.start()
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    done.wait()
    process.waitUntilExit()
    let result = CLIResult(
        status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
        stderr: String(decoding: stderr, as: UTF8.self))
    PasswordLeakGuard.check(
        stdout: result.stdout, stderr: result.stderr, environment: process.environment ?? [:], arguments: arguments,
        sourceLocation: sourceLocation)
    return result
}

/// Parses JSON lines into dictionaries.
func jsonLines(_ text: String) throws -> [[String: Any]] {
    try text.split(separator: "\n").map { line in
        guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            throw TestSetupError("not a JSON object: \(line)")
        }
        return object
    }
}
