extension StringProtocol {
    /// The text without leading and trailing white space (Foundation's
    /// `trimmingCharacters(in: .whitespacesAndNewlines)`, which this package does without).
    public func trimmingWhitespace() -> String {
        var slice = self[...]
        while let first = slice.first, first.isWhitespace { slice = slice.dropFirst() }
        while let last = slice.last, last.isWhitespace { slice = slice.dropLast() }
        return String(slice)
    }
}

extension String {
    /// Replaces every non-overlapping occurrence of `target`, scanning left to right
    /// (Foundation's `replacingOccurrences(of:with:)`).
    public func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty, contains(target) else { return self }
        var result = ""
        var rest = self[...]
        while let range = rest.firstRange(of: target) {
            result += rest[..<range.lowerBound]
            result += replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}
