#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The one place a `Duration` becomes seconds, milliseconds or a `timespec`: its
/// `components` (whole seconds and attoseconds) are read here and nowhere else.
extension Duration {
    /// In seconds, with the fraction (`1.5` for 1 s 500 ms).
    public var inSeconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }

    /// In milliseconds, with the fraction.
    public var inMilliseconds: Double {
        Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15
    }

    /// In whole seconds, rounded down.
    public var inWholeSeconds: Int64 { components.seconds }

    /// In whole milliseconds, rounded down.
    public var inWholeMilliseconds: Int64 {
        components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
    }

    /// In tenths of a second, rounded to the nearest (halves away from zero).
    public var inTenthsOfASecondRounded: Int {
        Int((Double(components.seconds) * 10 + Double(components.attoseconds) / 1e17).rounded())
    }

    /// In whole microseconds, rounded down.
    public var inWholeMicroseconds: Int64 {
        components.seconds * 1_000_000 + components.attoseconds / 1_000_000_000_000
    }

    /// In whole milliseconds, rounded up (so that a wait never spins on a remainder below a
    /// millisecond) and at most `cap`; zero for a negative duration.
    public func inWholeMillisecondsRoundedUp(cappedAt cap: Int32) -> Int32 {
        let (seconds, attoseconds) = components
        guard seconds >= 0, attoseconds >= 0 || seconds > 0 else { return 0 }
        guard seconds < Int64(cap) / 1000 else { return cap }
        let milliseconds = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return Int32(min(milliseconds, Int64(cap)))
    }

    /// Sleeps this long (`nanosleep`), returning early when a signal arrives, so that
    /// Ctrl-C is seen; a duration of zero or less returns at once.
    public func sleep() {
        let (seconds, attoseconds) = components
        guard seconds > 0 || attoseconds > 0 else { return }
        var request = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
        _ = nanosleep(&request, nil)
    }
}
