import HerokuConnect

/// A check's findings as people read them.
enum CheckReport {
    /// The line that tells a person which limit is crossed and by how much.
    static func message(_ finding: HealthCheck.Finding) -> String {
        let (figure, limit) = (finding.figure, finding.limit)
        switch finding.threshold {
        case .maxFailed:
            let count = Int(figure)
            return "\(ReadableFigure.count(count)) FAILED \(count == 1 ? "entry" : "entries")"
                + " (limit \(ReadableFigure.count(limit)))"
        case .maxFailedAge:
            return "oldest FAILED entry is \(ReadableFigure.age(seconds: figure)) old"
                + " (limit \(ReadableFigure.age(seconds: Double(limit))))"
        case .maxBacklog:
            let count = Int(figure)
            return "backlog of \(ReadableFigure.count(count)) NEW/PENDING \(count == 1 ? "entry" : "entries")"
                + " (limit \(ReadableFigure.count(limit)))"
        case .maxBacklogAge:
            return "oldest backlog entry is \(ReadableFigure.age(seconds: figure)) old"
                + " (limit \(ReadableFigure.age(seconds: Double(limit)))): the sync may be stuck"
        }
    }
}
