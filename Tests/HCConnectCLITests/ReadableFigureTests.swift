import HerokuConnect
import TestSupport
import Testing

@testable import HCConnectCLI

/// Figures as people read them: ``ReadableFigure`` and the line each crossed limit gets.
@Suite(.tags(.unit)) struct ReadableFigureTests {
    @Test func findingsSayWhatIsWrongInOneLine() {
        func finding(_ threshold: HealthThreshold, _ figure: Double, limit: Int) -> String {
            CheckReport.message(HealthCheck.Finding(threshold: threshold, figure: figure, limit: limit))
        }
        #expect(finding(.maxFailed, 142, limit: 100) == "142 FAILED entries (limit 100)")
        #expect(finding(.maxFailedAge, 3 * 3600 + 12 * 60 + 40, limit: 3600) == "oldest FAILED entry is 3h 12m old (limit 1h)")
        #expect(finding(.maxBacklog, 5210, limit: 1000) == "backlog of 5,210 NEW/PENDING entries (limit 1,000)")
        #expect(
            finding(.maxBacklogAge, 47 * 60 + 3, limit: 900)
                == "oldest backlog entry is 47m 3s old (limit 15m): the sync may be stuck")
        #expect(finding(.maxFailed, 1, limit: 0) == "1 FAILED entry (limit 0)")
        #expect(finding(.maxBacklog, 1, limit: 0) == "backlog of 1 NEW/PENDING entry (limit 0)")
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
