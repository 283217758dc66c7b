/// A limit a monitor can set on one figure of ``TriggerLogStatistics``.
///
/// A figure *above* its limit crosses it; a figure equal to the limit is healthy. So
/// `--max-failed 0` means "no FAILED entry at all", and an age limit of one hour lets an
/// entry be exactly one hour old.
public enum HealthThreshold: String, Sendable, CaseIterable {
    /// At most so many FAILED entries, live and archived.
    case maxFailed = "max_failed"
    /// The oldest FAILED entry at most so many seconds old.
    case maxFailedAge = "max_failed_age"
    /// At most so many entries waiting for Heroku Connect (the backlog).
    case maxBacklog = "max_backlog"
    /// No backlog entry waiting longer than so many seconds (since the later of its
    /// `created_at` and `updated_at`).
    case maxBacklogAge = "max_backlog_age"

    /// True for the limits on an age (in seconds), false for those on a number of entries.
    public var isAge: Bool { self == .maxFailedAge || self == .maxBacklogAge }

    /// The figure this threshold limits: a count, or an age in seconds; nil for an age
    /// when there is no such entry (or its time is unknown), which crosses no limit.
    public func figure(of figures: TriggerLogStatistics.Figures) -> Double? {
        switch self {
        case .maxFailed: Double(figures.failed)
        case .maxFailedAge: figures.failedOldest?.ageSeconds
        case .maxBacklog: Double(figures.backlog)
        case .maxBacklogAge: figures.backlogOldest?.ageSeconds
        }
    }
}

/// The outcome of comparing figures with limits: healthy when no limit is crossed.
///
/// Pure: built from figures already loaded, so it can be tested without a database.
public struct HealthCheck: Sendable, Equatable {
    /// One limit crossed.
    public struct Finding: Sendable, Equatable {
        /// Which limit.
        public let threshold: HealthThreshold
        /// The figure: a number of entries, or an age in seconds.
        public let figure: Double
        /// The limit: a number of entries, or an age in seconds.
        public let limit: Int

        public init(threshold: HealthThreshold, figure: Double, limit: Int) {
            self.threshold = threshold
            self.figure = figure
            self.limit = limit
        }
    }

    /// The limits that were set; thresholds not set are not checked.
    public let limits: [HealthThreshold: Int]
    /// The figures checked.
    public let figures: TriggerLogStatistics.Figures
    /// The limits crossed, in ``HealthThreshold`` order.
    public let findings: [Finding]

    /// True when no limit is crossed (always, when no limit is set).
    public var isHealthy: Bool { findings.isEmpty }

    /// Compares `figures` with `limits`.
    ///
    /// - Parameter limits: Numbers of entries, and ages in seconds, by threshold.
    public init(figures: TriggerLogStatistics.Figures, limits: [HealthThreshold: Int]) {
        self.limits = limits
        self.figures = figures
        findings = HealthThreshold.allCases.compactMap { threshold in
            guard let limit = limits[threshold], let figure = threshold.figure(of: figures),
                figure > Double(limit)
            else { return nil }
            return Finding(threshold: threshold, figure: figure, limit: limit)
        }
    }
}
