import HerokuConnect
import Postgres
import TestSupport
import Testing

@testable import HCConnectCLI

/// Figures as people read them: ``ReadableFigure`` and the line each crossed limit gets.
@Suite(.tags(.unit)) struct ReadableFigureTests {
    /// Figures with the given counts and ages (seconds; nil for no such entry).
    func figures(failed: Int = 0, failedAge: Double? = nil, backlog: Int = 0, backlogAge: Double? = nil) -> TriggerLogStatistics.Figures {
        var figures = TriggerLogStatistics.Figures()
        let time = PostgresTimestamp(microsecondsSinceEpoch: 1_700_000_000_000_000)
        figures.failed = failed
        figures.failedOldest = failedAge.map { TriggerLogStatistics.Moment(time: time, ageSeconds: $0) }
        figures.backlog = backlog
        figures.backlogOldest = backlogAge.map { TriggerLogStatistics.Moment(time: time, ageSeconds: $0) }
        return figures
    }

    @Test func findingsSayWhatIsWrongInOneLine() {
        let check = HealthCheck(
            figures: figures(failed: 142, failedAge: 3 * 3600 + 12 * 60 + 40, backlog: 5210, backlogAge: 47 * 60 + 3),
            limits: [.maxFailed: 100, .maxFailedAge: 3600, .maxBacklog: 1000, .maxBacklogAge: 900])
        #expect(check.findings.map(CheckReport.message) == [
            "142 FAILED entries (limit 100)",
            "oldest FAILED entry is 3h 12m old (limit 1h)",
            "backlog of 5,210 NEW/PENDING entries (limit 1,000)",
            "oldest backlog entry is 47m 3s old (limit 15m): the sync may be stuck",
        ])
        let single = HealthCheck(figures: figures(failed: 1, backlog: 1), limits: [.maxFailed: 0, .maxBacklog: 0])
        #expect(single.findings.map(CheckReport.message) == [
            "1 FAILED entry (limit 0)", "backlog of 1 NEW/PENDING entry (limit 0)",
        ])
    }

    @Test func countsHaveThousandsSeparators() {
        #expect(ReadableFigure.count(0) == "0")
        #expect(ReadableFigure.count(999) == "999")
        #expect(ReadableFigure.count(1000) == "1,000")
        #expect(ReadableFigure.count(5210) == "5,210")
        #expect(ReadableFigure.count(1_234_567) == "1,234,567")
        #expect(ReadableFigure.count(-1234) == "-1,234")
    }

    @Test func agesUseTheTwoLargestUnits() {
        let cases: [(Double, String)] = [
            (0, "0s"), (0.9, "0s"), (1, "1s"), (40.7, "40s"), (60, "1m"), (90, "1m 30s"), (47 * 60, "47m"),
            (3600, "1h"), (3 * 3600 + 12 * 60 + 59, "3h 12m"), (86_400, "1d"), (3 * 86_400 + 7200, "3d 2h"),
            (400 * 86_400, "400d"), (-5, "0s"), (.nan, "0s"), (.infinity, "0s"),
        ]
        for (seconds, text) in cases {
            #expect(ReadableFigure.age(seconds: seconds) == text, "\(seconds)")
        }
    }
}
