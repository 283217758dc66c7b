/// Durations as people write them on a command line: whole numbers, each followed by a unit
/// (`10s`, `500ms`, `1h30m`, `3 sec`). The one parser of them: each option says which units
/// it takes and its range, and names itself in its own error.
///
/// A term is ASCII digits (at most 2,147,483,647), optional spaces, and a unit, matched
/// without regard to case; several terms may follow each other, and their sum counts.
/// Surrounding spaces are ignored. Signs, fractions and a number without a unit are not
/// durations.
public struct DurationText: Sendable {
    /// A unit as written, and its length in milliseconds.
    public struct Unit: Sendable {
        public let name: String
        public let milliseconds: Int64

        public init(_ name: String, milliseconds: Int64) {
            self.name = name
            self.milliseconds = milliseconds
        }

        public static let milliseconds = Unit("ms", milliseconds: 1)
        public static let seconds = Unit("s", milliseconds: 1000)
        public static let sec = Unit("sec", milliseconds: 1000)
        public static let minutes = Unit("m", milliseconds: 60_000)
        public static let min = Unit("min", milliseconds: 60_000)
        public static let hours = Unit("h", milliseconds: 3_600_000)
        public static let days = Unit("d", milliseconds: 86_400_000)
        public static let weeks = Unit("w", milliseconds: 604_800_000)
    }

    /// The units these durations take.
    public let units: [Unit]

    public init(units: [Unit]) {
        self.units = units
    }

    /// Ages and windows (`--since 2d`, `--max-failed-age 1h30m`): seconds to weeks.
    public static let ages = DurationText(units: [.seconds, .minutes, .hours, .days, .weeks])
    /// Waits measured finer (`watch --interval 500ms`): milliseconds to weeks.
    public static let waits = DurationText(units: [.milliseconds, .seconds, .minutes, .hours, .days, .weeks])
    /// PostgreSQL's timeouts (`--lock-timeout 10s`): milliseconds to hours, as `sec` and
    /// `min` too.
    public static let timeouts = DurationText(units: [.milliseconds, .seconds, .sec, .minutes, .min, .hours])

    /// The length `text` writes, in milliseconds; nil when it is not a duration in these
    /// units or is longer than `maximum` milliseconds. Zero (`0s`) is a duration: a caller
    /// that needs more says so.
    public func milliseconds(_ text: String, maximum: Int64) -> Int64? {
        let bytes = Array(text.trimmingWhitespace().utf8)
        guard !bytes.isEmpty else { return nil }
        var index = 0
        var total: Int64 = 0
        while index < bytes.count {
            var number: Int64 = 0
            let start = index
            while index < bytes.count, (48...57).contains(bytes[index]) {
                number = number * 10 + Int64(bytes[index] - 48)
                guard number <= Int64(Int32.max) else { return nil }
                index += 1
            }
            guard index > start else { return nil }
            while index < bytes.count, bytes[index] == 32 { index += 1 }
            let letters = index
            while index < bytes.count, (65...90).contains(bytes[index]) || (97...122).contains(bytes[index]) {
                index += 1
            }
            let name = String(decoding: bytes[letters..<index], as: UTF8.self).lowercased()
            guard let unit = units.first(where: { $0.name == name }) else { return nil }
            let (product, overflow) = number.multipliedReportingOverflow(by: unit.milliseconds)
            let (sum, sumOverflow) = total.addingReportingOverflow(product)
            guard !overflow, !sumOverflow, sum <= maximum else { return nil }
            total = sum
        }
        return total
    }
}
