import Foundation
import Testing

/// The lanes the tests run in (docs/development.md, section Tests).
///
/// Every suite carries exactly one lane tag, ``unit``, ``database`` or ``process``, and may
/// add ``slow`` or ``fault``. `Tests/Scripts/test.sh` reads the tags from the test listing
/// and chooses the suites of a lane by name: `swift test` (6.3) cannot filter by tag itself.
extension Tag {
    /// Needs no database, starts no process: `make unit`, and `swift test` alone.
    @Tag public static var unit: Self
    /// Needs the test database `make test` starts (``TestDatabase``).
    @Tag public static var database: Self
    /// Runs the built `.build/debug/hcconnect` (or a shell, or a server of its own) as a process.
    @Tag public static var process: Self
    /// Takes tens of seconds, mostly waiting (server restarts, signals and kills on thousands
    /// of slowed-down rows, hundreds of thousands of rows): not in `make test`, in `make test-slow`.
    @Tag public static var slow: Self
    /// Kills, restarts, fuzzing, many concurrent runs (the suites named `…FaultTests`):
    /// not in `make test`, in `make test-faults`.
    @Tag public static var fault: Self

    /// The tags of which every suite has exactly one.
    public static let lanes: Set<Tag> = [.unit, .database, .process]
}

/// Cancels a database or process suite, with one line naming `make test`, when the tests run
/// without the test database (a plain `swift test`): only the unit lane runs then.
///
/// Each suite outside the unit lane carries it: `@Suite(.tags(.database), .needsTestDatabase)`.
public struct TestDatabaseRequirement: SuiteTrait, TestScoping {
    /// Applies to the suite as a whole, once: its tests are not reported one by one.
    public var isRecursive: Bool { false }

    public func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        if test.isSuite {
            let lanes = test.tags.intersection(Tag.lanes)
            #expect(
                lanes.count == 1 && !lanes.contains(.unit),
                "a suite that needs the test database is in the database or the process lane, not \(lanes)")
            if !TestDatabase.isConfigured {
                try Test.cancel("needs the test database: run `make test` (HCCONNECT_TEST_DATABASE_URL is not set)")
            }
        }
        try await function()
    }
}

extension Trait where Self == TestDatabaseRequirement {
    /// The suite runs only with the test database `make test` starts; without it (a plain
    /// `swift test`) it is cancelled with one line naming `make test`.
    public static var needsTestDatabase: Self { TestDatabaseRequirement() }
}
