import HerokuConnect
import TestSupport
import Testing

/// Code extraction and masking of `sf_message` texts: messages with the same cause must read
/// the same, and what names the cause (fields, triggers, lines) must survive.
@Suite(.tags(.unit)) struct SalesforceErrorMessageTests {
    /// (message, code, masked text)
    @Test(arguments: [
        // The messages Salesforce sends through Heroku Connect
        ("UNABLE_TO_LOCK_ROW: unable to obtain exclusive access to this record or 1 records: 0015e00000AbCdEAAZ",
         "UNABLE_TO_LOCK_ROW", "unable to obtain exclusive access to this record or <n> records: <id>"),
        ("UNABLE_TO_LOCK_ROW: unable to obtain exclusive access to this record or 3 records: 0015e00000AbCdEAAV,0015e00000XyZaBAAV, 0015e00000AbCdF",
         "UNABLE_TO_LOCK_ROW", "unable to obtain exclusive access to this record or <n> records: <id>"),
        ("DUPLICATE_VALUE: duplicate value found: External_Id__c duplicates value on record with id: 0035e00000XyZ12AAB",
         "DUPLICATE_VALUE", "duplicate value found: External_Id__c duplicates value on record with id: <id>"),
        ("DUPLICATE_VALUE:duplicate value found: External_Id__c duplicates value on record with id: 0035e00000XyZ12AAB:--",
         "DUPLICATE_VALUE", "duplicate value found: External_Id__c duplicates value on record with id: <id>"),
        ("DUPLICATE_VALUE: duplicate value found: <unknown> duplicates value on record with id: <unknown>",
         "DUPLICATE_VALUE", "duplicate value found: <unknown> duplicates value on record with id: <unknown>"),
        ("REQUIRED_FIELD_MISSING: Required fields are missing: [LastName]",
         "REQUIRED_FIELD_MISSING", "Required fields are missing: [LastName]"),
        ("REQUIRED_FIELD_MISSING:Required fields are missing: [LastName]:LastName --",
         "REQUIRED_FIELD_MISSING", "Required fields are missing: [LastName]"),
        ("REQUIRED_FIELD_MISSING: Required fields are missing: [LastName, Company]:LastName,Company --",
         "REQUIRED_FIELD_MISSING", "Required fields are missing: [LastName, Company]"),
        ("FIELD_CUSTOM_VALIDATION_EXCEPTION: Billing City is required for customers in Germany",
         "FIELD_CUSTOM_VALIDATION_EXCEPTION", "Billing City is required for customers in Germany"),
        ("FIELD_CUSTOM_VALIDATION_EXCEPTION: Billing City is required for customers in Germany:BillingCity --",
         "FIELD_CUSTOM_VALIDATION_EXCEPTION", "Billing City is required for customers in Germany"),
        ("INVALID_EMAIL_ADDRESS: Email: invalid email address: chloe.dubois@example",
         "INVALID_EMAIL_ADDRESS", "Email: invalid email address: <value>"),
        ("INVALID_EMAIL_ADDRESS: Email: invalid email address: bob@@example.com",
         "INVALID_EMAIL_ADDRESS", "Email: invalid email address: <value>"),
        ("STRING_TOO_LONG: Name: data value too large: Acme Corporation International Holdings (max length=80)",
         "STRING_TOO_LONG", "Name: data value too large: <value> (max length=80)"),
        ("STRING_TOO_LONG: Name: data value too large: Vandelay Industries (Import, Export) 2 Ltd. (max length=80)",
         "STRING_TOO_LONG", "Name: data value too large: <value> (max length=80)"),
        ("ENTITY_IS_DELETED: entity is deleted", "ENTITY_IS_DELETED", "entity is deleted"),
        ("ENTITY_IS_DELETED:entity is deleted:--", "ENTITY_IS_DELETED", "entity is deleted"),
        ("INSUFFICIENT_ACCESS_OR_READONLY: insufficient access rights on object id",
         "INSUFFICIENT_ACCESS_OR_READONLY", "insufficient access rights on object id"),
        ("CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY: AccountTrigger: execution of BeforeUpdate caused by: System.NullPointerException: Attempt to de-reference a null object: Trigger.AccountTrigger: line 12, column 1",
         "CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY",
         "AccountTrigger: execution of BeforeUpdate caused by: System.NullPointerException: Attempt to de-reference a null object: Trigger.AccountTrigger: line 12, column 1"),
        ("CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY: ContactTrigger: execution of AfterInsert\n\ncaused by: System.DmlException: Insert failed. First exception on row 0 with id 0035e00000XyZ12AAB; first error: FIELD_CUSTOM_VALIDATION_EXCEPTION, Amount must be below 10,000: []\n\nClass.ContactService.sync: line 42, column 1",
         "CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY",
         "ContactTrigger: execution of AfterInsert caused by: System.DmlException: Insert failed. First exception on row <n> with id <id>; first error: FIELD_CUSTOM_VALIDATION_EXCEPTION, Amount must be below <n>: [] Class.ContactService.sync: line 42, column 1"),
        ("INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST: Stage: bad value for restricted picklist field: Negotiating",
         "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", "Stage: bad value for restricted picklist field: <value>"),
        ("FIELD_INTEGRITY_EXCEPTION: field integrity exception: unknown (Account ID: id value of incorrect type: 12345)",
         "FIELD_INTEGRITY_EXCEPTION", "field integrity exception: unknown (Account ID: id value of incorrect type: <value>)"),
        ("NUMBER_OUTSIDE_VALID_RANGE: Amount: value outside of valid range on numeric field: 1.0E19",
         "NUMBER_OUTSIDE_VALID_RANGE", "Amount: value outside of valid range on numeric field: <n>"),
        ("INVALID_FIELD: No such column 'Foo__c' on entity 'Account'",
         "INVALID_FIELD", "No such column '…' on entity '…'"),
        ("MALFORMED_ID: Contact ID: id value of incorrect type: \"abc\"",
         "MALFORMED_ID", "Contact ID: id value of incorrect type: <value>"),
        // Heroku Connect's own texts, without a code
        ("Failed to write: timeout after 120 seconds", nil, "Failed to write: timeout after <n> seconds"),
        ("Failed: UNABLE_TO_LOCK_ROW: unable to obtain exclusive access to this record or 1 records: 0015e00000AbCdEAAV",
         "UNABLE_TO_LOCK_ROW", "Failed: unable to obtain exclusive access to this record or <n> records: <id>"),
        ("REQUEST_LIMIT_EXCEEDED", "REQUEST_LIMIT_EXCEEDED", ""),
        ("ERROR", nil, "ERROR"),
        ("", nil, ""),
        ("   \n\t ", nil, ""),
        // Masks
        ("X_Y: sent to anna.mueller+test@acme.example, then to Chloé@exämple.fr.", "X_Y", "sent to <email>, then to <email>."),
        ("X_Y: request 123e4567-e89b-12d3-a456-426614174000 failed", "X_Y", "request <uuid> failed"),
        ("X_Y: at 2026-11-24T10:13:05.123+01:00, 2026-11-24 10:13:05Z and 2026-11-24.", "X_Y", "at <time> and <date>."),
        ("X_Y: values 'München' and \"O'Brien\"", "X_Y", "values '…' and \"…\""),
        ("X_Y: empty '' stays", "X_Y", "empty '' stays"),
        ("X_Y: -12 and 3.5 and 1,000,000 and 0.25%", "X_Y", "-<n> and <n> and <n> and <n>%"),
    ] as [(String, String?, String)])
    func codeAndMaskedText(message: String, code: String?, masked: String) {
        let parsed = SalesforceErrorMessage(message)
        #expect(parsed.code == code)
        #expect(parsed.maskedText == masked)
    }

    /// Text that looks a little like a value but names the cause, and must stay.
    @Test(arguments: [
        "Field2__c is required",
        "External_Id__c duplicates value",
        "OpportunityHistory and PermissionSetGroup have eighteen letters",
        "Territory2Model has one digit",
        "the user's record can't be saved",
        "Account.Custom_Field_123__c: bad",
        "a stray @ sign, @mention and user@ here",
        "an unterminated 'quote here and \"there",
        "Straße 12a, Zürich",
        "München is fine, 東京 too",
        "(max length=255)",
        "line 7, column 15",
        "API v2 and Trigger.AccountTrigger",
        "Unable to create/update fields: Name. Please check the security settings of this field",
    ])
    func textThatNamesTheCauseIsKept(text: String) {
        #expect(SalesforceErrorMessage("SOME_CODE: " + text).maskedText == text)
    }

    @Test func lookalikesOfIDsAreOnlyMaskedInTheirShape() {
        // 18 letters with a valid checksum suffix: an id.
        #expect(SalesforceErrorMessage("X_Y: id abcdefghijklmnoAAA").maskedText == "id <id>")
        // 18 letters with a wrong suffix and no digits: a word.
        #expect(SalesforceErrorMessage("X_Y: id abcdefghijklmnoXYZ").maskedText == "id abcdefghijklmnoXYZ")
        // 16 characters: not an id.
        #expect(SalesforceErrorMessage("X_Y: id 0015e00000AbCdEA").maskedText == "id 0015e00000AbCdEA")
        // All digits: a number.
        #expect(SalesforceErrorMessage("X_Y: 123456789012345").maskedText == "<n>")
        // Joined to a word by an underscore: part of a name.
        #expect(SalesforceErrorMessage("X_Y: key_0015e00000AbCdEAAV").maskedText == "key_0015e00000AbCdEAAV")
    }

    @Test func theSameCauseReadsTheSameWhateverTheRecord() {
        let messages = [
            "UNABLE_TO_LOCK_ROW: unable to obtain exclusive access to this record or 1 records: 0015e00000AbCdEAAV",
            "UNABLE_TO_LOCK_ROW:unable to obtain exclusive access to this record or 2 records: 0015e00000XyZaBAAV,0035e00000XyZ12AAB:--",
            "UNABLE_TO_LOCK_ROW: unable to obtain exclusive access to this record  or 1 records:\n0015e00000AbCdE",
        ]
        #expect(Set(messages.map(SalesforceErrorMessage.init)).count == 1)
    }

    @Test func nullAndEmptyMessagesHaveNoCodeAndNoText() {
        #expect(SalesforceErrorMessage(nil) == SalesforceErrorMessage(""))
        #expect(SalesforceErrorMessage(nil).summary == "(no message)")
        #expect(SalesforceErrorMessage("ENTITY_IS_DELETED: entity is deleted").summary == "ENTITY_IS_DELETED: entity is deleted")
        #expect(SalesforceErrorMessage("REQUEST_LIMIT_EXCEEDED").summary == "REQUEST_LIMIT_EXCEEDED")
        #expect(SalesforceErrorMessage("timeout").summary == "timeout")
    }

    @Test func hostileInputIsHandledInLinearTime() {
        let clock = ContinuousClock()
        let start = clock.now
        let longWord = String(repeating: "a", count: 1_000_000)
        let word = SalesforceErrorMessage("X_Y: " + longWord)
        #expect(word.maskedText.utf8.count <= SalesforceErrorMessage.maximumMaskedLength + 3)
        #expect(word.maskedText.hasSuffix("…"))

        let digits = SalesforceErrorMessage(String(repeating: "7", count: 500_000))
        #expect(digits.code == nil)
        #expect(digits.maskedText == "<n>")

        // Many quotes without a closing one, many @ without an address, dots and dashes.
        let quotes = SalesforceErrorMessage("X_Y: " + String(repeating: "'a ", count: 200_000))
        #expect(quotes.maskedText.hasPrefix("'a 'a "))
        let ats = SalesforceErrorMessage("X_Y: " + String(repeating: "a.@", count: 200_000))
        #expect(!ats.maskedText.isEmpty)
        let dots = SalesforceErrorMessage("X_Y: " + String(repeating: "a.", count: 300_000) + "@b")
        #expect(dots.maskedText.hasPrefix("a.a."))
        let lists = SalesforceErrorMessage("X_Y: " + Array(repeating: "0015e00000AbCdEAAV", count: 50_000).joined(separator: ","))
        #expect(lists.maskedText == "<id>")
        let phrases = SalesforceErrorMessage(String(repeating: "data value too large: x (max length=1) ", count: 50_000))
        #expect(phrases.maskedText.hasPrefix("data value too large: <value> (max length=1) data value"))
        #expect(clock.now - start < .seconds(5))
    }

    @Test func longTextIsCutOnACharacterBoundary() {
        let text = String(repeating: "é", count: 3_000)
        let masked = SalesforceErrorMessage("X_Y: " + text).maskedText
        #expect(masked.hasSuffix("…"))
        #expect(masked.dropLast().allSatisfy { $0 == "é" })
        #expect(masked.utf8.count <= SalesforceErrorMessage.maximumMaskedLength + 3)
    }

    @Test func controlCharactersAndUnicodeSurvive() {
        let parsed = SalesforceErrorMessage("FIELD_CUSTOM_VALIDATION_EXCEPTION: Город обязателен 🚫\u{7}")
        #expect(parsed.code == "FIELD_CUSTOM_VALIDATION_EXCEPTION")
        #expect(parsed.maskedText == "Город обязателен 🚫\u{7}")
    }
}
