import HerokuConnect
import TestSupport
import Testing

/// ``DurationText``: the one parser of durations on the command line.
@Suite(.tags(.unit)) struct DurationTextTests {
    @Test(arguments: [
        ("45s", Int64(45_000)), ("30m", 1_800_000), ("1h30m", 5_400_000), ("2d", 172_800_000), ("1w", 604_800_000),
        (" 2D ", 172_800_000), ("3 s", 3000), ("0s", 0), ("1d1h1m1s", 90_061_000),
    ])
    func ages(_ text: String, _ milliseconds: Int64) {
        #expect(DurationText.ages.milliseconds(text, maximum: .max) == milliseconds)
    }

    @Test(arguments: ["", "10", "s", "-1s", "+1s", "1.5s", "10 days", "500ms", "1h 30m", "1hour", "1h30", "٣s", "1s!"])
    func notAges(_ text: String) {
        #expect(DurationText.ages.milliseconds(text, maximum: .max) == nil)
    }

    @Test func unitsAreEachGrammarsOwn() {
        #expect(DurationText.waits.milliseconds("500ms", maximum: .max) == 500)
        #expect(DurationText.waits.milliseconds("1s500ms", maximum: .max) == 1500)
        #expect(DurationText.timeouts.milliseconds("3 sec", maximum: .max) == 3000)
        #expect(DurationText.timeouts.milliseconds("5MIN", maximum: .max) == 300_000)
        #expect(DurationText.timeouts.milliseconds("2d", maximum: .max) == nil, "no days for a PostgreSQL timeout")
        #expect(DurationText.ages.milliseconds("3sec", maximum: .max) == nil)
    }

    @Test func theMaximumAndHugeNumbersAreRefusedWithoutOverflow() {
        #expect(DurationText.timeouts.milliseconds("2147483647ms", maximum: Int64(Int32.max)) == Int64(Int32.max))
        #expect(DurationText.timeouts.milliseconds("2147483648ms", maximum: .max) == nil, "a number above Int32.max")
        #expect(DurationText.timeouts.milliseconds("597h", maximum: Int64(Int32.max)) == nil)
        #expect(DurationText.ages.milliseconds("2147483647w2147483647w", maximum: .max) != nil)
        #expect(DurationText.ages.milliseconds(String(repeating: "2147483647w", count: 10_000), maximum: .max) == nil)
        #expect(DurationText.ages.milliseconds("99999999999999999999s", maximum: .max) == nil)
    }
}
