import Postgres

/// A point in time given by a user: an ISO 8601 date or time, or an age relative to now.
///
/// `2026-11-24`, `2026-11-24T10:00`, `2026-11-24 10:00:00.5+01:00`, `...Z` are absolute (a
/// time without an offset is read in the database session's time zone, as PostgreSQL does);
/// `45s`, `30m`, `6h`, `2d`, `1w` are that long before the statement's time on the server.
public enum TimeBound: Sendable, Equatable, CustomStringConvertible {
    /// An ISO 8601 date or date-time, in the text the server will parse.
    case absolute(String)
    /// So many seconds before now.
    case ago(seconds: Int)

    /// Parses user input; nil when it is neither form (the caller names the option).
    public init?(parsing input: String) {
        let text = input.trimmingWhitespace()
        if let seconds = Self.parseDuration(text) {
            self = .ago(seconds: seconds)
        } else if Self.isISO8601(text) {
            self = .absolute(text)
        } else {
            return nil
        }
    }

    /// Parses a duration (``DurationText/ages``: `45s`, `30m`, `1h30m`, `2d`, `1w`), in whole
    /// seconds: positive, at most 100 years; nil otherwise.
    public static func parseDuration(_ text: String) -> Int? {
        guard let milliseconds = DurationText.ages.milliseconds(text, maximum: maximumMilliseconds), milliseconds > 0
        else { return nil }
        return Int(milliseconds / 1000)
    }

    /// 100 years: the longest duration an age or a wait may be.
    public static let maximumMilliseconds: Int64 = 100 * 365 * 86_400_000

    /// True for `YYYY-MM-DD` optionally followed by `T` or a space, `HH:MM`, optional
    /// `:SS` and fraction, and an optional `Z` or `±HH[:MM]` — with real calendar dates.
    static func isISO8601(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        var index = 0
        func number(_ digits: Int) -> Int? {
            guard index + digits <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[index..<index + digits] {
                guard (48...57).contains(byte) else { return nil }
                value = value * 10 + Int(byte - 48)
            }
            index += digits
            return value
        }
        func take(_ character: Character) -> Bool {
            guard index < bytes.count, bytes[index] == character.asciiValue else { return false }
            index += 1
            return true
        }
        guard let year = number(4), year >= 1, take("-"), let month = number(2), take("-"), let day = number(2),
            (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year)
        else { return false }
        if index == bytes.count { return true }
        guard take("T") || take(" "), let hour = number(2), hour <= 23, take(":"),
            let minute = number(2), minute <= 59
        else { return false }
        if take(":") {
            guard let second = number(2), second <= 59 else { return false }
            if take(".") {
                let start = index
                while index < bytes.count, (48...57).contains(bytes[index]) { index += 1 }
                guard index > start else { return false }
            }
        }
        if take("Z") || take("z") { return index == bytes.count }
        if take("+") || take("-") {
            guard let offsetHours = number(2), offsetHours <= 15 else { return false }
            if take(":") {
                guard let offsetMinutes = number(2), offsetMinutes <= 59 else { return false }
            } else if index < bytes.count {
                guard let offsetMinutes = number(2), offsetMinutes <= 59 else { return false }
            }
        }
        return index == bytes.count
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    public var description: String {
        switch self {
        case .absolute(let text): text
        case .ago(let seconds): "\(seconds)s ago"
        }
    }
}
