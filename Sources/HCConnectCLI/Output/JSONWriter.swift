import HerokuConnect
import Postgres

/// Builds one JSON object in a line, key by key, with strings escaped per RFC 8259.
struct JSONObjectWriter {
    private(set) var text = "{"
    private var isFirst = true

    private mutating func key(_ name: String) {
        if !isFirst { text += "," }
        isFirst = false
        Self.appendString(name, to: &text)
        text += ":"
    }

    mutating func add(_ name: String, _ value: String?) {
        key(name)
        if let value { Self.appendString(value, to: &text) } else { text += "null" }
    }

    mutating func add(_ name: String, _ value: Int?) {
        key(name)
        text += value.map(String.init) ?? "null"
    }

    mutating func add(_ name: String, _ value: Int64?) {
        key(name)
        text += value.map(String.init) ?? "null"
    }

    mutating func add(_ name: String, _ value: Bool) {
        key(name)
        text += value ? "true" : "false"
    }

    mutating func add(_ name: String, _ value: PostgresTimestamp?) {
        add(name, value?.iso8601)
    }

    /// Adds a value that is already JSON (an object or array built by another writer).
    mutating func add(_ name: String, raw json: String) {
        key(name)
        text += json
    }

    /// Adds field/value pairs as an object (`null` values kept); a malformed hstore text is
    /// written as the string it is.
    mutating func add(_ name: String, _ fields: HStore?) {
        guard let fields else { return add(name, nil as String?) }
        guard fields.isWellFormed else { return add(name, fields.text) }
        add(name, pairs: fields.pairs)
    }

    /// Adds pairs as an object.
    mutating func add(_ name: String, pairs: [HStore.Pair]) {
        var object = JSONObjectWriter()
        for pair in pairs { object.add(pair.key, pair.value) }
        add(name, raw: object.finished())
    }

    /// Adds an array of strings.
    mutating func add(_ name: String, strings: [String]) {
        key(name)
        text += "["
        for (index, string) in strings.enumerated() {
            if index > 0 { text += "," }
            Self.appendString(string, to: &text)
        }
        text += "]"
    }

    /// The object's text, closed.
    func finished() -> String { text + "}" }

    /// Appends `value` as a JSON string: quotes, backslashes and control characters escaped,
    /// everything else as UTF-8.
    static func appendString(_ value: String, to text: inout String) {
        text += "\""
        var pending = value.unicodeScalars.startIndex
        let scalars = value.unicodeScalars
        var index = scalars.startIndex
        while index < scalars.endIndex {
            let scalar = scalars[index]
            let escape: String?
            switch scalar {
            case "\"": escape = "\\\""
            case "\\": escape = "\\\\"
            case "\n": escape = "\\n"
            case "\r": escape = "\\r"
            case "\t": escape = "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x2028 || scalar.value == 0x2029:
                let hex = String(scalar.value, radix: 16)
                escape = "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: escape = nil
            }
            if let escape {
                text.unicodeScalars.append(contentsOf: scalars[pending..<index])
                text += escape
                pending = scalars.index(after: index)
            }
            index = scalars.index(after: index)
        }
        text.unicodeScalars.append(contentsOf: scalars[pending..<scalars.endIndex])
        text += "\""
    }
}
