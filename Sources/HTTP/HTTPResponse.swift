/// What a server answered: the status, headers and body of the last response received.
public struct HTTPResponse: Sendable {
    /// The status code (`CURLINFO_RESPONSE_CODE`): 200, 404, ….
    public let status: Int
    /// The headers of the final response, names lower-cased, in the order received; an
    /// interim response's (`100 Continue`) are not among them.
    public let headers: [(name: String, value: String)]
    /// The body, as received (no decoding of content encodings).
    public let body: [UInt8]

    /// A response, as ``HTTPClient`` makes them; for tests of code that reads responses.
    ///
    /// - Parameters:
    ///   - status: the status code.
    ///   - headers: the headers; their names are lower-cased here.
    ///   - body: the body.
    public init(status: Int, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers.map { (name: $0.name.lowercased(), value: $0.value) }
        self.body = body
    }

    /// The value of the first header named `name`, compared without case, or `nil`.
    ///
    /// - Parameter name: the header's name, in any case (`"Retry-After"`).
    /// - Returns: its value, without surrounding white space.
    public func header(_ name: String) -> String? {
        let lowered = name.lowercased()
        return headers.first { $0.name == lowered }?.value
    }

    /// The body as UTF-8 text, each invalid sequence replaced by U+FFFD.
    public var text: String {
        String(decoding: body, as: UTF8.self)
    }
}
