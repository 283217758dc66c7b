/// A `timestamp with time zone` as the server sent it: an instant, plus the UTC offset of
/// the session's time zone in which it was written, so it can be shown the same way.
public struct PostgresTimestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The instant, or one of PostgreSQL's infinities.
    public enum Value: Sendable, Hashable {
        /// Microseconds since 1970-01-01 00:00:00 UTC, and the offset east of UTC in seconds.
        case finite(microseconds: Int64, utcOffset: Int32)
        case infinity
        case negativeInfinity
    }

    /// The instant.
    public let value: Value

    /// Creates a finite timestamp.
    public init(microsecondsSinceEpoch: Int64, utcOffset: Int32 = 0) {
        value = .finite(microseconds: microsecondsSinceEpoch, utcOffset: utcOffset)
    }

    private init(value: Value) { self.value = value }

    /// Parses the ISO text output of `timestamptz` (`DateStyle` `ISO`):
    /// `2026-11-24 10:13:05.123456+01`, `+05:30`, `-03:30:15`, ` BC`, `infinity`.
    public init?(text: UnsafeBufferPointer<UInt8>) {
        var parser = DigitScanner(bytes: text)
        if parser.matches("infinity") {
            self.init(value: .infinity)
            return
        }
        if parser.matches("-infinity") {
            self.init(value: .negativeInfinity)
            return
        }
        guard let year = parser.number(minDigits: 4, maxDigits: 7), parser.take("-"),
            let month = parser.number(digits: 2), parser.take("-"),
            let day = parser.number(digits: 2), parser.take(" ") || parser.take("T"),
            let hour = parser.number(digits: 2), parser.take(":"),
            let minute = parser.number(digits: 2), parser.take(":"),
            let second = parser.number(digits: 2)
        else { return nil }
        var microseconds = 0
        if parser.take(".") {
            var digits = 0
            while let digit = parser.digit() {
                if digits < 6 { microseconds = microseconds * 10 + digit }
                digits += 1
            }
            guard digits > 0 else { return nil }
            for _ in digits..<max(digits, 6) { microseconds *= 10 }
        }
        var offset = 0
        if parser.peek("+") || parser.peek("-") {
            let sign = parser.take("-") ? -1 : 1
            _ = parser.take("+")
            guard let offsetHours = parser.number(digits: 2) else { return nil }
            var offsetSeconds = offsetHours * 3600
            if parser.take(":") {
                guard let offsetMinutes = parser.number(digits: 2) else { return nil }
                offsetSeconds += offsetMinutes * 60
                if parser.take(":") {
                    guard let extra = parser.number(digits: 2) else { return nil }
                    offsetSeconds += extra
                }
            }
            offset = sign * offsetSeconds
        } else if parser.take("Z") {
            offset = 0
        }
        var civilYear = year
        if parser.matches(" BC") { civilYear = 1 - year }
        guard parser.atEnd, (1...12).contains(month), (1...31).contains(day), hour <= 24,
            minute <= 59, second <= 60
        else { return nil }
        let days = Self.daysFromCivil(year: civilYear, month: month, day: day)
        let localSeconds = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second)
        let utcSeconds = localSeconds - Int64(offset)
        self.init(
            value: .finite(microseconds: utcSeconds * 1_000_000 + Int64(microseconds), utcOffset: Int32(offset)))
    }

    /// Parses a string; see ``init(text:)``.
    public init?(_ string: String) {
        var copy = string
        guard let parsed = copy.withUTF8({ PostgresTimestamp(text: $0) }) else { return nil }
        self = parsed
    }

    /// ISO 8601 with the offset it was written in: `2026-11-24T10:13:05.123456+01:00`; the
    /// fraction is left out when it is zero. Infinities are `infinity` and `-infinity`.
    public var iso8601: String {
        render(dateTimeSeparator: "T", fraction: true, longOffset: true)
    }

    /// A compact form for people: `2026-11-24 10:13:05+01`, to the second.
    public var shortDescription: String {
        render(dateTimeSeparator: " ", fraction: false, longOffset: false)
    }

    /// The most compact form for people, to the minute and without the offset:
    /// `2026-11-24 10:13`.
    public var minuteDescription: String {
        String(render(dateTimeSeparator: " ", fraction: false, longOffset: false).prefix(16))
    }

    public var description: String { iso8601 }

    /// Microseconds since the epoch; infinities map to the extreme values.
    public var microsecondsSinceEpoch: Int64 {
        switch value {
        case .finite(let microseconds, _): return microseconds
        case .infinity: return .max
        case .negativeInfinity: return .min
        }
    }

    public static func < (lhs: PostgresTimestamp, rhs: PostgresTimestamp) -> Bool {
        lhs.microsecondsSinceEpoch < rhs.microsecondsSinceEpoch
    }

    private func render(dateTimeSeparator: String, fraction: Bool, longOffset: Bool) -> String {
        let (microsecondsUTC, offset): (Int64, Int32)
        switch value {
        case .infinity: return "infinity"
        case .negativeInfinity: return "-infinity"
        case .finite(let microseconds, let utcOffset): (microsecondsUTC, offset) = (microseconds, utcOffset)
        }
        let local = microsecondsUTC + Int64(offset) * 1_000_000
        let (seconds, micros) = Self.floorDivide(local, 1_000_000)
        let (days, secondOfDay) = Self.floorDivide(seconds, 86_400)
        let (year, month, day) = Self.civilFromDays(Int(days))
        var text = ""
        text.reserveCapacity(32)
        if year <= 0 {
            text += pad(1 - year, 4)
        } else {
            text += pad(year, 4)
        }
        text += "-" + pad(month, 2) + "-" + pad(day, 2) + dateTimeSeparator
        text += pad(Int(secondOfDay / 3600), 2) + ":" + pad(Int(secondOfDay / 60 % 60), 2) + ":"
            + pad(Int(secondOfDay % 60), 2)
        if fraction, micros != 0 {
            var digits = pad(Int(micros), 6)
            while digits.hasSuffix("0") { digits.removeLast() }
            text += "." + digits
        }
        let sign = offset < 0 ? "-" : "+"
        let absolute = Int(offset.magnitude)
        text += sign + pad(absolute / 3600, 2)
        if longOffset || absolute % 3600 != 0 {
            text += ":" + pad(absolute / 60 % 60, 2)
            if absolute % 60 != 0 { text += ":" + pad(absolute % 60, 2) }
        }
        if year <= 0 { text += " BC" }
        return text
    }

    private func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

    private static func floorDivide(_ value: Int64, _ divisor: Int64) -> (Int64, Int64) {
        var quotient = value / divisor
        var remainder = value % divisor
        if remainder < 0 {
            quotient -= 1
            remainder += divisor
        }
        return (quotient, remainder)
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The proleptic Gregorian date of a day number since 1970-01-01.
    static func civilFromDays(_ days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}

/// A cursor over ASCII bytes for the small fixed-format parsers of this module.
struct DigitScanner {
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0

    init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    var atEnd: Bool { index == bytes.count }

    func peek(_ character: Unicode.Scalar) -> Bool {
        index < bytes.count && bytes[index] == UInt8(ascii: character)
    }

    mutating func take(_ character: Unicode.Scalar) -> Bool {
        guard peek(character) else { return false }
        index += 1
        return true
    }

    /// Consumes `literal` when the remaining bytes are exactly it (or start with it, for
    /// suffixes such as ` BC` that end the input).
    mutating func matches(_ literal: String) -> Bool {
        let utf8 = Array(literal.utf8)
        guard bytes.count - index >= utf8.count else { return false }
        for (offset, byte) in utf8.enumerated() where bytes[index + offset] != byte { return false }
        if literal == "infinity" || literal == "-infinity" {
            guard bytes.count - index == utf8.count else { return false }
        }
        index += utf8.count
        return true
    }

    mutating func digit() -> Int? {
        guard index < bytes.count else { return nil }
        let value = Int(bytes[index]) - 48
        guard (0...9).contains(value) else { return nil }
        index += 1
        return value
    }

    mutating func number(digits: Int) -> Int? { number(minDigits: digits, maxDigits: digits) }

    mutating func number(minDigits: Int, maxDigits: Int) -> Int? {
        var value = 0
        var count = 0
        while count < maxDigits, let digit = digit() {
            value = value * 10 + digit
            count += 1
        }
        return count >= minDigits ? value : nil
    }
}
