import Postgres
import TestSupport
import Testing

/// `Duration+Units`: the one place a `Duration` becomes seconds, milliseconds or a sleep.
@Suite(.tags(.unit)) struct DurationUnitsTests {
    @Test func fractionalUnits() {
        #expect(Duration.milliseconds(1500).inSeconds == 1.5)
        #expect(Duration.zero.inSeconds == 0)
        #expect(Duration.microseconds(2500).inMilliseconds == 2.5)
        #expect(Duration.seconds(-2).inSeconds == -2)
    }

    @Test func wholeUnitsRoundDown() {
        #expect(Duration.microseconds(2999).inWholeMilliseconds == 2)
        #expect(Duration.seconds(3).inWholeMilliseconds == 3000)
        #expect(Duration.nanoseconds(2999).inWholeMicroseconds == 2)
        #expect(Duration.milliseconds(59_999).inWholeSeconds == 59)
    }

    @Test(arguments: [
        (Duration.microseconds(1), Int32(1)), (.zero, 0), (.milliseconds(-5), 0), (.milliseconds(5), 5),
        (.microseconds(5001), 6), (.seconds(10_000_000), Int32.max), (.seconds(2_147_482), 2_147_482_000),
    ])
    func millisecondsRoundedUpAndCapped(_ duration: Duration, _ expected: Int32) {
        #expect(duration.inWholeMillisecondsRoundedUp(cappedAt: Int32.max) == expected)
    }

    @Test func tenthsRoundHalvesUp() {
        #expect(Duration.milliseconds(250).inTenthsOfASecondRounded == 3)
        #expect(Duration.milliseconds(249).inTenthsOfASecondRounded == 2)
        #expect((Duration.seconds(12) + .milliseconds(340)).inTenthsOfASecondRounded == 123)
    }

    @Test func sleepWaitsAtLeastTheDurationAndNothingForZero() {
        let clock = ContinuousClock()
        let slept = clock.measure { Duration.milliseconds(20).sleep() }
        #expect(slept >= .milliseconds(20))
        let none = clock.measure {
            Duration.zero.sleep()
            Duration.milliseconds(-3).sleep()
        }
        #expect(none < .seconds(1), "no sleep at all (a bound far from 20 ms, for a busy machine)")
    }
}
