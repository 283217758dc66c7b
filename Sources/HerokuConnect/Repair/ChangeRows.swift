import Postgres

/// The rows of ``RepairStatements/change(_:sequence:tables:hstoreSchema:)``, decoded.
struct ChangeRows {
    /// Entries set to a state in place.
    var changed: Set<TriggerLogRepair.Target> = []
    /// Archived entries copied, by id, and their copies' ids.
    var copies: [Int: Int] = [:]
    /// Captures' new entries by key (absent: the record had no row).
    var captures: [Int: Int] = [:]
    /// Entries captures set to REQUEUED.
    var members: Set<TriggerLogRepair.Target> = []

    private typealias Column = RepairStatements.ChangeColumn

    init(_ rows: PostgresRows) throws {
        for row in rows {
            guard let id = try row.int(Column.id.rawValue) else { continue }
            let location: TriggerLogLocation = try row.bool(Column.archived.rawValue) == true ? .archive : .live
            let target = TriggerLogRepair.Target(id: id, location: location)
            switch row.string(Column.tag.rawValue) {
            case "state": changed.insert(target)
            case "copy": copies[id] = try row.int(Column.newID.rawValue)
            case "capture": if let newID = try row.int(Column.newID.rawValue) { captures[id] = newID }
            default: members.insert(target)
            }
        }
    }
}

extension RepairPlan {
    /// Adds `.gone` outcomes for entries the batch's statement no longer found.
    mutating func appendGone(_ targets: [TriggerLogRepair.Target]) {
        guard !targets.isEmpty else { return }
        outcomes += targets.map { RepairOutcome(id: $0.id, location: $0.location, tableName: nil, recordID: nil, result: .gone) }
        outcomes.sort { Self.entryOrder(.init(id: $0.id, location: $0.location), .init(id: $1.id, location: $1.location)) }
    }

    /// The plan's outcomes as the change statement answered: with the new entries' ids, and
    /// the entries it did not change reported as they are (a capture whose record's row
    /// went away: record missing; anything else: changed by another session).
    func carriedOut(_ rows: ChangeRows) throws -> [RepairOutcome] {
        // each member's capture, by position (a Capture is not copied per member)
        var captureOf: [TriggerLogRepair.Target: Int] = [:]
        captureOf.reserveCapacity(outcomes.count)
        for (index, capture) in captures.enumerated() { for member in capture.members { captureOf[member] = index } }
        return outcomes.map { planned in
            let target = TriggerLogRepair.Target(id: planned.id, location: planned.location)
            let result: RepairOutcome.Result
            if let index = captureOf[target] {
                let capture = captures[index]
                if let newID = rows.captures[capture.key] {
                    if !rows.members.contains(target) {
                        result = .locked
                    } else if target == capture.carrier {
                        result = .changed(capture.procedure == .insert ? .capturedInsert : .capturedUpdate, newID: newID)
                    } else {
                        result = .coalesced(into: capture.carrier.id, newID: newID)
                    }
                } else {
                    result = .recordMissing
                }
            } else {
                switch planned.result {
                case .changed(.copiedToLive, _):
                    result = rows.copies[planned.id].map { .changed(.copiedToLive, newID: $0) } ?? .locked
                case .changed(let step, _):
                    result = rows.changed.contains(target) ? .changed(step, newID: nil) : .locked
                case .coalesced(let into, _):
                    result = rows.changed.contains(target) ? .coalesced(into: into, newID: rows.copies[into]) : .locked
                default:
                    result = planned.result
                }
            }
            return RepairOutcome(
                id: planned.id, location: planned.location, tableName: planned.tableName, recordID: planned.recordID,
                result: result)
        }
    }
}
