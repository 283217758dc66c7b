/// The candidates closest to a mistyped name, for "did you mean ...?" messages.
///
/// Compares case-insensitively by Damerau–Levenshtein distance (a swap of neighbours counts
/// as one edit) and keeps candidates within a third of the input's length (at least 2
/// edits), plus candidates whose first words are the input; nearest first.
///
/// - Parameters:
///   - input: What the user typed.
///   - candidates: The valid names.
///   - limit: How many to return at most.
/// - Returns: Up to `limit` candidates, nearest first.
public func closestMatches(to input: String, among candidates: [String], limit: Int = 3) -> [String] {
    let needle = Array(input.lowercased())
    guard !needle.isEmpty else { return [] }
    let threshold = max(2, needle.count / 3)
    var scored: [(distance: Int, name: String)] = []
    for candidate in candidates {
        let lowered = Array(candidate.lowercased())
        let distance = editDistance(needle, lowered)
        if distance <= threshold {
            scored.append((distance, candidate))
        } else if isWordPrefix(needle, of: lowered) || (needle.count >= 3 && lowered.containsWord(needle)) {
            scored.append((threshold + 1, candidate))
        }
    }
    return scored.sorted { ($0.distance, $0.name) < ($1.distance, $1.name) }.prefix(limit).map(\.name)
}

/// True when `needle` starts `candidate` and is short (`opp` of `opportunity`), ends where
/// a word of it ends (`batch` of `batch-size`), or covers most of it: a whole other word
/// such as `state` is not taken for `statement-timeout`.
private func isWordPrefix(_ needle: [Character], of candidate: [Character]) -> Bool {
    guard candidate.starts(with: needle) else { return false }
    return needle.count <= 4 || candidate.count == needle.count || candidate[needle.count] == "-"
        || candidate[needle.count] == "_" || needle.count * 3 >= candidate.count * 2
}

/// The optimal-string-alignment distance between two character sequences.
func editDistance(_ a: [Character], _ b: [Character]) -> Int {
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previousPrevious = [Int](repeating: 0, count: b.count + 1)
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        current[0] = i
        for j in 1...b.count {
            let cost = a[i - 1] == b[j - 1] ? 0 : 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                current[j] = min(current[j], previousPrevious[j - 2] + 1)
            }
        }
        (previousPrevious, previous, current) = (previous, current, previousPrevious)
    }
    return previous[b.count]
}

extension Array where Element == Character {
    /// True when `other` occurs in it between word boundaries (the ends, `-`, `_` or `.`):
    /// `count` in `account-count`, but not `state` in `statement`.
    func containsWord(_ other: [Character]) -> Bool {
        guard !other.isEmpty, other.count <= count else { return false }
        let boundaries: Set<Character> = ["-", "_", "."]
        for start in 0...(count - other.count) where Array(self[start..<start + other.count]) == other {
            let end = start + other.count
            if (start == 0 || boundaries.contains(self[start - 1])) && (end == count || boundaries.contains(self[end])) {
                return true
            }
        }
        return false
    }
}

/// The one "did you mean" phrasing: `; did you mean 'a' or 'b'?` (nothing without
/// suggestions), each name in `quote`: double quotes for names of the database (tables,
/// columns), single quotes for words of the command line (options, commands, values).
public func didYouMean(_ suggestions: [String], quote: Character) -> String {
    guard !suggestions.isEmpty else { return "" }
    return "; did you mean " + suggestions.map { "\(quote)\($0)\(quote)" }.joined(separator: " or ") + "?"
}
