import Foundation

/// A small seeded random generator (SplitMix64) for tests that choose at random: they print
/// the seed, and the same seed makes the same choices again.
public struct SeededRandom: RandomNumberGenerator {
    private var state: UInt64

    /// A generator whose choices follow from `seed`.
    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in `0..<bound`.
    public mutating func below(_ bound: Int) -> Int {
        Int(next() % UInt64(bound))
    }

    /// The seed named by the environment variable `variable` (to replay a failure), else
    /// `fallback`, else a new random one.
    public static func seed(from variable: String, fallback: UInt64? = nil) -> UInt64 {
        if let text = ProcessInfo.processInfo.environment[variable], let seed = UInt64(text) { return seed }
        return fallback ?? UInt64.random(in: 1..<UInt64(1 << 53))
    }
}
