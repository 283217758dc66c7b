import Postgres

/// A Salesforce record id, as typed by a user: 15 case-sensitive characters or the
/// 18-character form with its case-safe checksum suffix.
public struct SalesforceID: Sendable, Hashable, CustomStringConvertible {
    /// The 18-character form, as Heroku Connect stores it in `sfid`.
    public let value: String
    /// The id as typed (without surrounding whitespace): a stored value whose suffix does
    /// not match its case (test data, a value written by hand) is found only this way.
    public let typed: String

    /// Validates and normalises an id; nil when it is not 15 or 18 ASCII letters and digits.
    ///
    /// A 15-character id gets its checksum suffix. An 18-character id is case-insensitive:
    /// its suffix says which of the first 15 characters are upper case, so an id typed in
    /// the wrong case is restored (nil when the suffix is not a valid checksum).
    public init?(_ input: String) {
        let text = input.trimmingWhitespace()
        guard text.utf8.count == 15 || text.utf8.count == 18,
            text.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0)) })
        else { return nil }
        typed = text
        guard text.utf8.count == 18 else {
            value = text + Self.checksum(of: text)
            return
        }
        var characters = Array(text.prefix(15))
        for (chunk, code) in text.suffix(3).uppercased().enumerated() {
            guard let bits = Self.alphabet.firstIndex(of: code) else { return nil }
            for position in 0..<5 {
                let index = chunk * 5 + position
                let upper = bits & (1 << position) != 0
                characters[index] = Character(upper ? characters[index].uppercased() : characters[index].lowercased())
            }
        }
        let restored = String(characters)
        value = restored + Self.checksum(of: restored)
    }

    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ012345")

    /// The three-character suffix that makes a 15-character id case-insensitive.
    static func checksum(of id15: String) -> String {
        let characters = Array(id15)
        var suffix = ""
        for chunk in 0..<3 {
            var bits = 0
            for position in 0..<5 where characters[chunk * 5 + position].isUppercase {
                bits |= 1 << position
            }
            suffix.append(Self.alphabet[bits])
        }
        return suffix
    }

    /// The 15-character form.
    public var id15: String { String(value.prefix(15)) }

    /// The values a stored `sfid` may hold for this id, the id as typed first: as typed,
    /// restored to its case, and their 15-character forms.
    public var storedForms: [String] {
        var forms: [String] = []
        for form in [typed, value, String(typed.prefix(15)), id15] where !forms.contains(form) { forms.append(form) }
        return forms
    }

    public var description: String { value }
}
