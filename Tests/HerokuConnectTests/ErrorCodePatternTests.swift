import HerokuConnect
import Postgres
import TestSupport
import Testing

extension IntegrationSuites {
    /// The server finds a message's error code (for `--code`) with a regular expression; it must
    /// give what ``SalesforceErrorMessage`` gives, for every message, or `--code` would select
    /// other entries than `errors` groups.
    @Suite(.tags(.database)) struct ErrorCodePatternTests {
        static let messages: [String] = [
            "UNABLE_TO_LOCK_ROW: unable to obtain exclusive access to this record or 1 records: 0015e00000AbCdEAAZ",
            "DUPLICATE_VALUE:duplicate value found: External_Id__c duplicates value on record with id: 0035e00000XyZ12AAB:--",
            "REQUEST_LIMIT_EXCEEDED", "  REQUEST_LIMIT_EXCEEDED \n", "TIMEOUT", "TIMEOUT: read timed out", "A: x", "AB: x",
            "AB:x", "A1_: y", "Failed: UNABLE_TO_LOCK_ROW: unable", "Upsert failed: DUPLICATE_VALUE: dup",
            "Upsert failed:  DUPLICATE_VALUE: two spaces", "UPSERT FAILED: DUPLICATE_VALUE: no lower case prefix",
            "Failed: REQUEST_LIMIT_EXCEEDED", "Failed: TIMEOUT", "Failed: TIMEOUT: read", "Failed:UNABLE_TO_LOCK_ROW: no space",
            String(repeating: "a", count: 40) + ": CODE_X: forty", String(repeating: "a", count: 41) + ": CODE_X: forty-one",
            "a b c: CODE_X", "Bad, value: CODE_X: comma", "Failed 2: CODE_X: digit in prefix", "\tCODE_X:\ttab",
            "CODE_X :space before colon", "code_x: lower", "Code_X: mixed", "_CODE: underscore first", "C0DE_9: digits",
            "Ünïcode: CODE_X: x", "CODE_É: x", "", " ", "INVALID_EMAIL_ADDRESS: Email: invalid email address: a@b",
            "Bulk failed: x: CODE_X: deeper", "Failed: CODE_X\nmore", "FAILED:", "X_: y", "X_", "XX", "X__",
            "Failed: XX", "Failed: X_", "Failed:  X_  ", "Failed: X_ y",
        ]

        @Test func theServerFindsTheSameCodeAsTheParser() throws {
            var messages = Self.messages
            let seed = SeededRandom.seed(from: "HCCONNECT_CODE_SEED")
            var random = SeededRandom(seed: seed)
            let pieces = ["A", "Z", "Q9", "_", "a", "z", ":", " ", "  ", "\t", "\n", "1", "-", "é", "Failed", ": ", "CODE", "x"]
            for _ in 0..<3000 {
                messages.append((0..<(1 + random.below(9))).map { _ in pieces[random.below(pieces.count)] }.joined())
            }
            let connection = try TestDatabase.plainConnection()
            let rows = try connection.query(
                "SELECT " + SalesforceErrorMessage.codeExpression("m", patternPlaceholder: "$2")
                    + " FROM unnest($1::text[]) WITH ORDINALITY AS t(m, n) ORDER BY n",
                [.array(messages.map { Optional($0) }), .text(SalesforceErrorMessage.codePattern)])
            #expect(rows.count == messages.count)
            for (message, row) in zip(messages, rows) {
                #expect(
                    row.string(0) == SalesforceErrorMessage(message).code,
                    "\(message.debugDescription) (seed \(seed), HCCONNECT_CODE_SEED replays it)")
            }
        }
    }
}
