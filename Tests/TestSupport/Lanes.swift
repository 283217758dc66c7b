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

/// The database and process suites, every suite outside the unit lane, nested in one parent
/// so that a plain `swift test` (no test database) cancels them all with one line naming
/// `make test`, and runs the unit lane.
///
/// A suite outside the unit lane is declared in an extension, in whichever test target holds it:
///
/// ```swift
/// extension IntegrationSuites {
///     @Suite(.tags(.database)) struct ShowAndTablesCommandTests { … }
/// }
/// ```
///
/// Its id becomes `TestSupport.IntegrationSuites/ShowAndTablesCommandTests` (Swift Testing
/// names a suite after the module of the type it extends); the name alone still selects it
/// (`--filter ShowAndTablesCommandTests`). `Tests/Scripts/lanes.sh` checks that the suites in
/// here are in the database or process lane and the suites outside in the unit lane.
///
/// One parent rather than a trait on each suite: a cancelled suite is reported on a line of
/// its own, and its children, never started, on none (a disabled suite would report each child
/// as skipped).
@Suite(.needsTestDatabase) public enum IntegrationSuites {}

/// Cancels ``IntegrationSuites`` with one line naming `make test` when the tests run without
/// the test database (a plain `swift test`), so that only the unit lane runs then.
struct TestDatabaseRequirement: SuiteTrait, TestScoping {
    /// Applies to the parent alone: its suites, never started, are not reported one by one.
    var isRecursive: Bool { false }

    func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        if test.isSuite, !TestDatabase.isConfigured {
            try Test.cancel(
                "the database and process suites need the test database: run `make test` (HCCONNECT_TEST_DATABASE_URL is not set)")
        }
        try await function()
    }
}

extension Trait where Self == TestDatabaseRequirement {
    /// Runs the suite only with the test database `make test` starts (on ``IntegrationSuites``).
    static var needsTestDatabase: Self { TestDatabaseRequirement() }
}
