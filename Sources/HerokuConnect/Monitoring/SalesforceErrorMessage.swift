/// A Salesforce error message as Heroku Connect stores it in `sf_message`, reduced to its
/// cause: the status code, and the text with the values of the failing record masked, so
/// that every failure with the same cause reads the same.
///
/// ```swift
/// let message = SalesforceErrorMessage(
///     "UNABLE_TO_LOCK_ROW: unable to obtain exclusive access to this record or 1 records: 0015e00000AbCdEAAV")
/// message.code        // "UNABLE_TO_LOCK_ROW"
/// message.maskedText  // "unable to obtain exclusive access to this record or <n> records: <id>"
/// ```
///
/// **The code** is a leading `[A-Z][A-Z0-9_]+` followed by a colon (with or without a space
/// after it), or a whole message of that shape with an underscore (`REQUEST_LIMIT_EXCEEDED`).
/// It is also found after one short prefix of words ending in `: ` (`Failed: UNABLE_TO_LOCK_ROW:
/// ...`); the prefix then stays in the text.
///
/// **The text** loses the Bulk API's field suffix (`...:--`, `...:LastName --`), so a failure
/// reported through the SOAP and the Bulk API reads the same. Whitespace runs, line breaks
/// included, become one space. Then these are masked:
///
/// | what | becomes |
/// |---|---|
/// | Salesforce ids: 15 or 18 letters and digits, three of the first 15 digits, or 18 ending in a valid checksum | `<id>` |
/// | numbers that stand alone (`1`, `-2.5`, `1.0E19`); not digits inside names (`Field2__c`) | `<n>` |
/// | e-mail addresses, also invalid ones (`bob@@example.com`, `chloe@example`) | `<email>` |
/// | `'single'` and `"double"` quoted text | `'…'`, `"…"` |
/// | UUIDs | `<uuid>` |
/// | ISO dates and timestamps | `<date>`, `<time>` |
/// | the value after `data value too large:`, `invalid email address:`, `bad value for restricted picklist field:`, `value not of required type:`, `id value of incorrect type:` | `<value>` |
///
/// A list of the same mask (`<id>,<id>,<id>`) becomes one, so a lock on three records reads
/// like a lock on one. Numbers after `line`, `column` and `length` are kept: `line 12,
/// column 1` of a trigger is where the fault is, and `(max length=80)` belongs to the field.
/// The masked text is cut at ``maximumMaskedLength`` bytes (ending in `…`).
public struct SalesforceErrorMessage: Sendable, Hashable {
    /// The status code (`UNABLE_TO_LOCK_ROW`); nil when the message has none.
    public let code: String?
    /// The message without its code, masked; empty for an empty or NULL message.
    public let maskedText: String

    /// The longest masked text kept, in UTF-8 bytes.
    public static let maximumMaskedLength = 2_000

    /// Parses and masks a message; NULL and empty messages give no code and an empty text.
    public init(_ message: String?) {
        guard var message else {
            self.init(code: nil, maskedText: "")
            return
        }
        self = message.withUTF8 { SalesforceErrorMessage(utf8: $0) }
    }

    /// Parses and masks a message given as UTF-8 bytes (a column's value as the server sent it).
    public init(utf8 bytes: UnsafeBufferPointer<UInt8>) {
        var scanner = MessageMasker(bytes)
        let code = scanner.takeCode()
        scanner.dropBulkFieldSuffix()
        self.init(code: code, maskedText: scanner.maskedRest())
    }

    /// A message already split, for tests and for groups built by hand.
    public init(code: String?, maskedText: String) {
        self.code = code
        self.maskedText = maskedText
    }

    /// `CODE: text`, the code alone, the text alone, or `(no message)`.
    public var summary: String {
        switch (code, maskedText.isEmpty) {
        case (let code?, false): code + ": " + maskedText
        case (let code?, true): code
        case (nil, false): maskedText
        case (nil, true): "(no message)"
        }
    }
}

extension SalesforceErrorMessage {
    /// A PostgreSQL regular expression that finds a message's ``code`` on the server, by the
    /// same rules: `array_to_string(regexp_match(sf_message, codePattern), '')` is the code,
    /// or NULL when there is none. A code and its colon, or a code with an underscore that
    /// is the whole rest of the message, at the start or after one short prefix of words
    /// with a lower-case letter ending in `: `; of its four groups, the one that matched is
    /// the only one not NULL. (`SalesforceErrorMessageTests` compare it with the scanner.)
    public static let codePattern: String = {
        let space = "[ \t\n\u{0B}\u{0C}\r]"
        // a code and its colon, or a code with an underscore that ends the message
        let code = "(?:([A-Z][A-Z0-9_]+):|([A-Z][A-Z0-9_]*_[A-Z0-9_]*)\(space)*$)"
        return "^\(space)*(?:\(code)|(?=[A-Za-z ]*[a-z])[A-Za-z][A-Za-z ]{0,39}: +\(code))"
    }()

    /// The SQL expression for the code of the message in `column` (NULL without one); the
    /// pattern is bound as `patternPlaceholder`.
    public static func codeExpression(_ column: String, patternPlaceholder: String) -> String {
        "array_to_string(regexp_match(\(column), \(patternPlaceholder)), '')"
    }
}
