import HerokuConnect
import Postgres
import TestSupport
import Testing

/// `HealthCheck`: figures against limits, without a database.
@Suite(.tags(.unit)) struct HealthCheckTests {
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

    @Test func aFigureEqualToItsLimitIsHealthyAndOneAboveIsNot() {
        let limits: [HealthThreshold: Int] = [.maxFailed: 100, .maxFailedAge: 3600, .maxBacklog: 1000, .maxBacklogAge: 900]
        let atLimits = HealthCheck(figures: figures(failed: 100, failedAge: 3600, backlog: 1000, backlogAge: 900), limits: limits)
        #expect(atLimits.isHealthy)
        #expect(atLimits.findings.isEmpty)

        let above = HealthCheck(figures: figures(failed: 101, failedAge: 3600.001, backlog: 1001, backlogAge: 900.5), limits: limits)
        #expect(!above.isHealthy)
        #expect(above.findings.map(\.threshold) == [.maxFailed, .maxFailedAge, .maxBacklog, .maxBacklogAge])
        #expect(above.findings.map(\.figure) == [101, 3600.001, 1001, 900.5])
        #expect(above.findings.map(\.limit) == [100, 3600, 1000, 900])

        for threshold in HealthThreshold.allCases {
            let one = HealthCheck(figures: figures(failed: 101, failedAge: 3601, backlog: 1001, backlogAge: 901), limits: [threshold: limits[threshold]!])
            #expect(one.findings.map(\.threshold) == [threshold])
        }
    }

    @Test func aLimitOfZeroAllowsNothingAndNoEntryCrossesNoAgeLimit() {
        let limits: [HealthThreshold: Int] = [.maxFailed: 0, .maxFailedAge: 1, .maxBacklog: 0, .maxBacklogAge: 1]
        #expect(HealthCheck(figures: figures(), limits: limits).isHealthy)
        #expect(!HealthCheck(figures: figures(failed: 1), limits: limits).isHealthy)
        // Entries whose time is unknown (NULL or infinite) have no age: they cross no age limit.
        let unknownAges = HealthCheck(figures: figures(failed: 3, backlog: 2), limits: [.maxFailedAge: 1, .maxBacklogAge: 1])
        #expect(unknownAges.isHealthy)
    }

    @Test func withoutLimitsNothingIsCheckedAndAllIsHealthy() {
        let check = HealthCheck(figures: figures(failed: 1_000_000, failedAge: 1e9, backlog: 5, backlogAge: 1e9), limits: [:])
        #expect(check.isHealthy)
        #expect(check.limits.isEmpty)
    }

    @Test func thresholdsNameTheirFigure() {
        let sample = figures(failed: 7, failedAge: 12.5, backlog: 3, backlogAge: nil)
        #expect(HealthThreshold.maxFailed.figure(of: sample) == 7)
        #expect(HealthThreshold.maxFailedAge.figure(of: sample) == 12.5)
        #expect(HealthThreshold.maxBacklog.figure(of: sample) == 3)
        #expect(HealthThreshold.maxBacklogAge.figure(of: sample) == nil)
        #expect(HealthThreshold.allCases.filter(\.isAge) == [.maxFailedAge, .maxBacklogAge])
        #expect(HealthThreshold.allCases.map(\.rawValue) == ["max_failed", "max_failed_age", "max_backlog", "max_backlog_age"])
    }
}
