@testable import HerokuConnect
import TestSupport
import Testing

@Suite(.tags(.unit)) struct ValueParsingTests {
    @Test(arguments: [("45s", 45), ("30m", 1800), ("6h", 21_600), ("2d", 172_800), ("1w", 604_800), ("1h30m", 5400)])
    func durations(text: String, seconds: Int) {
        #expect(TimeBound(parsing: text) == .ago(seconds: seconds))
    }

    @Test(arguments: [
        "2026-11-24", "2026-11-24T10:00", "2026-11-24 10:00", "2026-11-24T10:00:00", "2026-11-24T10:00:00Z",
        "2026-11-24T10:00:00.123+01:00", "2026-11-24T10:00:00-0530", "2024-02-29",
    ])
    func isoTimes(text: String) {
        #expect(TimeBound(parsing: text) == .absolute(text))
    }

    @Test(arguments: [
        "", "now", "yesterday", "2d ago", "-2d", "0m", "2x", "d", "30", "2026-02-30", "2025-02-29", "2026-13-01",
        "2026-11-24T25:00", "2026-11-24T10:60", "2026-11-24T10:00:00+", "2026-11-24 10:00:00; DROP TABLE x",
        "26-11-24", "99999999999999999999d",
    ])
    func badTimes(text: String) {
        #expect(TimeBound(parsing: text) == nil)
    }

    @Test func salesforceIDsAreNormalisedToEighteenCharacters() throws {
        // A 15-character id gets its case-safe checksum.
        #expect(SalesforceID("001A000001Nf9tE")?.value == "001A000001Nf9tEIAR")
        // An 18-character id in the wrong case is restored from its checksum.
        #expect(SalesforceID("001a000001nf9teiar")?.value == "001A000001Nf9tEIAR")
        #expect(SalesforceID("001A000001Nf9tEIAR")?.id15 == "001A000001Nf9tE")
        #expect(SalesforceID("0015e00000AbCdE")?.value.count == 18)
    }

    @Test(arguments: ["", "001", "001A000001Nf9tEIA", "001A000001Nf9tE!!!", "001A00000 Nf9tE", "001A000001Nf9tE9999", "ÄÖÜ000001Nf9tE"])
    func invalidSalesforceIDs(text: String) {
        #expect(SalesforceID(text) == nil)
    }

    @Test func statesAndActionsKeepUnknownValues() {
        for state in TriggerLogState.documented {
            #expect(TriggerLogState(rawValue: state.rawValue) == state)
            #expect(TriggerLogState(userInput: state.rawValue.lowercased()) == state)
        }
        #expect(TriggerLogState.documented.count == 10)
        #expect(TriggerLogState(rawValue: "WEIRD") == .other("WEIRD"))
        #expect(TriggerLogState(rawValue: "failed") == .other("failed"))
        #expect(TriggerLogState(userInput: "WEIRD") == nil)
        #expect(!TriggerLogState.other("X").isDocumented)
        #expect(TriggerLogAction(rawValue: "UPSERT") == .other("UPSERT"))
        #expect(TriggerLogAction(userInput: "update") == .update)
        #expect(TriggerLogAction(userInput: "merge") == nil)
    }

    @Test func closestMatchesSuggestNearNames() {
        let tables = ["account", "contact", "opportunity", "user", "account_history__c"]
        #expect(closestMatches(to: "acount", among: tables).first == "account")
        #expect(closestMatches(to: "Contcat", among: tables) == ["contact"])
        #expect(closestMatches(to: "opp", among: tables) == ["opportunity"])
        #expect(closestMatches(to: "zzzzzz", among: tables).isEmpty)
    }

    @Test func likePatternsAreEscaped() {
        #expect(TriggerLogQuery.escapeLike(#"50%_off\"#) == #"50\%\_off\\"#)
        // a combining mark after the wildcard makes one character of them, but LIKE still
        // reads the % on its own
        #expect(TriggerLogQuery.escapeLike("100%\u{301} _\u{301}") == "100\\%\u{301} \\_\u{301}")
    }
}
