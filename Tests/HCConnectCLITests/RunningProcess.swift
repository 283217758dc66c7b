import Foundation
import TestSupport

/// The built `hcconnect` running in the background, its output going to files.
final class RunningProcess {
    private let process = Process()
    private let stdoutURL: URL
    private let stderrURL: URL

    struct Result {
        let status: Int32
        let signalled: Bool
        let stdout: String
        let stderr: String
    }

    init(_ arguments: [String], environment: [String: String]) throws {
        let directory = FileManager.default.temporaryDirectory
        let name = UUID().uuidString
        stdoutURL = directory.appendingPathComponent("hcconnect-\(name).out")
        stderrURL = directory.appendingPathComponent("hcconnect-\(name).err")
        FileManager.default.createFile(atPath: stdoutURL.path, contents: nil)
        FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
        process.executableURL = TestDatabase.packageRoot.appendingPathComponent(".build/debug/hcconnect")
        process.arguments = arguments
        process.environment = environment
        process.standardOutput = try FileHandle(forWritingTo: stdoutURL)
        process.standardError = try FileHandle(forWritingTo: stderrURL)
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    /// Sends SIGKILL.
    func kill() {
        Foundation.kill(process.processIdentifier, SIGKILL)
    }

    /// Sends a signal (SIGINT for Ctrl-C, SIGTERM).
    func send(_ signal: Int32) {
        Foundation.kill(process.processIdentifier, signal)
    }

    /// True while the process runs.
    var isRunning: Bool { process.isRunning }

    func wait() throws -> Result {
        process.waitUntilExit()
        defer {
            try? FileManager.default.removeItem(at: stdoutURL)
            try? FileManager.default.removeItem(at: stderrURL)
        }
        return Result(
            status: process.terminationStatus, signalled: process.terminationReason == .uncaughtSignal,
            stdout: try String(contentsOf: stdoutURL, encoding: .utf8), stderr: try String(contentsOf: stderrURL, encoding: .utf8))
    }
}
