/// A request as ``LocalHTTPServer`` received it, for its handler and for tests to inspect.
public struct StandInRequest: Sendable {
    /// The method, as sent (`"GET"`, `"POST"`, …).
    public let method: String
    /// The path, without the query, as sent (not percent-decoded).
    public let path: String
    /// The query's fields, percent-decoded (`+` as a space); a field given twice keeps its last value.
    public let query: [String: String]
    /// The headers, names lower-cased; a header given twice has its values joined by `", "`.
    public let headers: [String: String]
    /// The body's bytes (empty when there was none).
    public let body: [UInt8]

    /// A request, for tests of a handler without a server.
    public init(method: String, path: String, query: [String: String] = [:], headers: [String: String] = [:], body: [UInt8] = []) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = Dictionary(headers.map { ($0.key.lowercased(), $0.value) }) { _, last in last }
        self.body = body
    }

    /// The header named `name`, in any case, or `nil`.
    public func header(_ name: String) -> String? {
        headers[name.lowercased()]
    }

    /// The body as UTF-8 text (invalid sequences replaced).
    public var text: String {
        String(decoding: body, as: UTF8.self)
    }
}

/// What a ``LocalHTTPServer`` handler answers: `Content-Length` and `Connection` are the
/// server's, any the handler sets are dropped.
public struct StandInResponse: Sendable {
    /// The status code.
    public var status: Int
    /// The headers, beside the server's `Content-Length` and `Connection`.
    public var headers: [String: String]
    /// The body.
    public var body: [UInt8]
    /// How long the server waits before answering (to make a client time out); `nil` for not at all.
    public var delay: Duration?

    /// A response.
    public init(status: Int, headers: [String: String] = [:], body: [UInt8] = [], delay: Duration? = nil) {
        self.status = status
        self.headers = headers
        self.body = body
        self.delay = delay
    }

    /// A JSON response: `Content-Type: application/json` and the text as its body.
    public static func json(_ status: Int, _ text: String) -> StandInResponse {
        StandInResponse(status: status, headers: ["Content-Type": "application/json"], body: Array(text.utf8))
    }
}

extension StandInRequest {
    /// A request target's query (after `?`) as fields: `a=1&b=x%20y&c` is `a: 1, b: "x y", c: ""`.
    static func queryFields(_ query: Substring) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            fields[percentDecoded(parts[0])] = parts.count > 1 ? percentDecoded(parts[1]) : ""
        }
        return fields
    }

    /// `%XX` as the byte, `+` as a space; a `%` not followed by two hex digits stays as it is.
    static func percentDecoded(_ text: Substring) -> String {
        let bytes = Array(text.utf8)
        var decoded: [UInt8] = []
        decoded.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "%"), index + 2 < bytes.count, let high = hexValue(bytes[index + 1]),
                let low = hexValue(bytes[index + 2])
            {
                decoded.append(high << 4 | low)
                index += 3
            } else {
                decoded.append(byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte)
                index += 1
            }
        }
        return String(decoding: decoded, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
