/// Removes secrets (passwords, and connection strings that hold them) from texts before
/// they reach an error message, a log line or a description.
public struct Redactor: Sendable {
    /// What a secret is replaced with.
    public static let mask = "***"

    /// Pairs of (text to find, replacement), longest first so a whole connection string is
    /// replaced before the password inside it.
    private let replacements: [(String, String)]

    /// A redactor that leaves texts unchanged.
    public static let none = Redactor(replacements: [])

    private init(replacements: [(String, String)]) {
        self.replacements = replacements.sorted { $0.0.utf8.count > $1.0.utf8.count }
    }

    /// Creates a redactor for the given secrets and for whole strings that must be shown
    /// only in a redacted form.
    ///
    /// - Parameters:
    ///   - secrets: Passwords and similar; each occurrence becomes ``mask``. Secrets shorter
    ///     than three characters are only removed as part of a `wholeStrings` entry, since
    ///     masking every occurrence of a letter would make messages unreadable.
    ///   - wholeStrings: Texts (such as a connection URL) to replace by a redacted form.
    public init(secrets: [String], wholeStrings: [(String, String)] = []) {
        var pairs = wholeStrings.filter { !$0.0.isEmpty && $0.0 != $0.1 }
        // distinct by bytes: Swift's == takes "é" and "e\u{301}" for the same text, but
        // masking compares bytes, so each spelling needs its own entry
        var seen = Set<[UInt8]>()
        for secret in secrets where secret.utf8.count >= 3 && seen.insert(Array(secret.utf8)).inserted {
            pairs.append((secret, Redactor.mask))
        }
        self.init(replacements: pairs)
    }

    /// Returns `text` with every secret masked.
    public func redact(_ text: String) -> String {
        var result = text
        // by bytes: a secret that a combining mark follows is still found
        for (secret, replacement) in replacements {
            result = result.replacingAll(secret, with: replacement)
        }
        return result
    }

    /// Returns `text` with every secret masked, or nil for nil.
    public func redact(_ text: String?) -> String? {
        text.map { redact($0) }
    }
}
