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
        if parser.matches("infinity", wholeInput: true) {
            self.init(value: .infinity)
            return
        }
        if parser.matches("-infinity", wholeInput: true) {
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
    public var iso8601: String { rendered(.iso8601) }

    /// A compact form for people: `2026-11-24 10:13:05+01`, to the second.
    public var shortDescription: String { rendered(.short) }

    /// The most compact form for people, to the minute and without the offset:
    /// `2026-11-24 10:13`.
    public var minuteDescription: String { rendered(.minute) }

    /// Calls `body` with ``iso8601`` as UTF-8 bytes, built on the stack (output writing
    /// hundreds of thousands of timestamps builds no strings). The bytes are valid only
    /// inside `body`.
    public func withISO8601Bytes(_ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 64) { buffer in
            var text = TextCursor(buffer: buffer)
            render(.iso8601, to: &text)
            body(UnsafeBufferPointer(rebasing: buffer[0..<text.count]))
        }
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

    /// The text forms of a timestamp.
    private enum Form {
        case iso8601, short, minute
    }

    private func rendered(_ form: Form) -> String {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 64) { buffer in
            var text = TextCursor(buffer: buffer)
            render(form, to: &text)
            return String(decoding: UnsafeBufferPointer(rebasing: buffer[0..<text.count]), as: UTF8.self)
        }
    }

    /// Writes the timestamp in `form`, digit by digit (no intermediate strings).
    private func render(_ form: Form, to text: inout TextCursor) {
        let (microsecondsUTC, offset): (Int64, Int32)
        switch value {
        case .infinity: return text.append("infinity")
        case .negativeInfinity: return text.append("-infinity")
        case .finite(let microseconds, let utcOffset): (microsecondsUTC, offset) = (microseconds, utcOffset)
        }
        let local = microsecondsUTC + Int64(offset) * 1_000_000
        let (seconds, micros) = Self.floorDivide(local, 1_000_000)
        let (days, secondOfDay) = Self.floorDivide(seconds, 86_400)
        let (year, month, day) = Self.civilFromDays(Int(days))
        text.append(year <= 0 ? 1 - year : year, width: 4)
        text.append(UInt8(ascii: "-"))
        text.append(month, width: 2)
        text.append(UInt8(ascii: "-"))
        text.append(day, width: 2)
        text.append(form == .iso8601 ? UInt8(ascii: "T") : UInt8(ascii: " "))
        text.append(Int(secondOfDay / 3600), width: 2)
        text.append(UInt8(ascii: ":"))
        text.append(Int(secondOfDay / 60 % 60), width: 2)
        if form == .minute {
            // the first 16 characters of the short form
            text.count = min(text.count, 16)
            return
        }
        text.append(UInt8(ascii: ":"))
        text.append(Int(secondOfDay % 60), width: 2)
        if form == .iso8601, micros != 0 {
            var fraction = Int(micros)
            var width = 6
            while fraction % 10 == 0 {
                fraction /= 10
                width -= 1
            }
            text.append(UInt8(ascii: "."))
            text.append(fraction, width: width)
        }
        let absolute = Int(offset.magnitude)
        text.append(offset < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
        text.append(absolute / 3600, width: 2)
        if form == .iso8601 || absolute % 3600 != 0 {
            text.append(UInt8(ascii: ":"))
            text.append(absolute / 60 % 60, width: 2)
            if absolute % 60 != 0 {
                text.append(UInt8(ascii: ":"))
                text.append(absolute % 60, width: 2)
            }
        }
        if year <= 0 { text.append(" BC") }
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

/// Writes ASCII into a fixed buffer large enough for any timestamp.
private struct TextCursor {
    let buffer: UnsafeMutableBufferPointer<UInt8>
    var count = 0

    mutating func append(_ byte: UInt8) {
        buffer[count] = byte
        count += 1
    }

    mutating func append(_ literal: StaticString) {
        for index in 0..<literal.utf8CodeUnitCount { append(literal.utf8Start[index]) }
    }

    /// Appends a non-negative number in decimal, zero-padded to `width` digits (more when
    /// it has more).
    mutating func append(_ value: Int, width: Int) {
        if width == 2, value < 100 {
            append(UInt8(truncatingIfNeeded: 48 + value / 10))
            append(UInt8(truncatingIfNeeded: 48 + value % 10))
            return
        }
        if width == 4, value < 10_000 {
            // a year of four digits: the usual case, without counting digits
            append(UInt8(truncatingIfNeeded: 48 + value / 1000))
            append(UInt8(truncatingIfNeeded: 48 + value / 100 % 10))
            append(UInt8(truncatingIfNeeded: 48 + value / 10 % 10))
            append(UInt8(truncatingIfNeeded: 48 + value % 10))
            return
        }
        var digits = 1
        var limit = 10
        while value >= limit, digits < 18 {
            digits += 1
            limit *= 10
        }
        let length = max(digits, width)
        var rest = value
        var position = count + length - 1
        while position >= count {
            buffer[position] = UInt8(truncatingIfNeeded: 48 + rest % 10)
            rest /= 10
            position -= 1
        }
        count += length
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

    /// Consumes `literal` when the next bytes are exactly it; `wholeInput` also requires it
    /// to be all that is left (`infinity`), otherwise it may be followed by more.
    mutating func matches(_ literal: StaticString, wholeInput: Bool = false) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard bytes.count - index >= count, !wholeInput || bytes.count - index == count else { return false }
        let utf8 = UnsafeBufferPointer(start: literal.utf8Start, count: count)
        for offset in 0..<count where bytes[index + offset] != utf8[offset] { return false }
        index += count
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
