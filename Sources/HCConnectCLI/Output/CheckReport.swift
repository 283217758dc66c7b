import HerokuConnect

/// A check's findings as people read them.
enum CheckReport {
    /// The line that tells a person which limit is crossed and by how much.
    static func message(_ finding: HealthCheck.Finding) -> String {
        func entries(_ what: String) -> String {
            let count = Int(finding.figure)
            return "\(ReadableFigure.count(count)) \(what) \(count == 1 ? "entry" : "entries")"
                + " (limit \(ReadableFigure.count(finding.limit)))"
        }
        func age(of what: String) -> String {
            "oldest \(what) entry is \(ReadableFigure.age(seconds: finding.figure)) old"
                + " (limit \(ReadableFigure.age(seconds: Double(finding.limit))))"
        }
        switch finding.threshold {
        case .maxFailed: return entries("FAILED")
        case .maxFailedAge: return age(of: "FAILED")
        case .maxBacklog: return "backlog of " + entries("NEW/PENDING")
        case .maxBacklogAge: return age(of: "backlog") + ": the sync may be stuck"
        }
    }
}
