/// Figures written for people: counts with thousands separators, ages in the two largest
/// units.
enum ReadableFigure {
    /// `5210` → `5,210`.
    static func count(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var result = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { result.append(",") }
            result.append(digit)
        }
        return (value < 0 ? "-" : "") + result
    }

    /// An age in the two largest units of d, h, m and s, the second left out when it is
    /// zero, whole seconds (rounded down): `3h 12m`, `47m`, `1m 30s`, `40s`, `3d`, `0s`.
    static func age(seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 1 else { return "0s" }
        let total = seconds >= Double(Int.max) ? Int.max : Int(seconds)
        let units: [(Int, String)] = [(86_400, "d"), (3_600, "h"), (60, "m"), (1, "s")]
        guard let first = units.firstIndex(where: { total >= $0.0 }) else { return "0s" }
        let (size, name) = units[first]
        var text = "\(total / size)\(name)"
        if first + 1 < units.count {
            let (nextSize, nextName) = units[first + 1]
            let rest = total % size / nextSize
            if rest > 0 { text += " \(rest)\(nextName)" }
        }
        return text
    }
}
