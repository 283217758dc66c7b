import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// One connection of a ``LocalHTTPServer``: requests read, handled and answered in turn
/// until the client closes, asks to (`Connection: close`, HTTP/1.0), sends what cannot be
/// read, or the server stops.
extension LocalHTTPServerCore {
    /// The largest request head (request line and headers) read.
    static let headLimit = 64 * 1024
    /// The largest body read.
    static let bodyLimit = 64 * 1024 * 1024

    func serve(_ client: Int32) {
        defer { close(client) }
        var buffer: [UInt8] = []
        while true {
            switch readRequest(client, &buffer) {
            case .closed:
                return
            case .refused(let status, let reason):
                let answer = StandInResponse(status: status, body: Array("\(reason)\n".utf8))
                _ = sendAll(client, Self.encode(answer, keepAlive: false, withBody: true))
                return
            case .request(let request, let keepAlive):
                record(request)
                let answer = handler(request)
                if let delay = answer.delay, !sleep(delay) { return }
                let bytes = Self.encode(answer, keepAlive: keepAlive, withBody: request.method != "HEAD")
                guard sendAll(client, bytes), keepAlive else { return }
            }
        }
    }

    enum ReadOutcome {
        case request(StandInRequest, keepAlive: Bool)
        /// Answered with this status and closed: what the client sent cannot be served.
        case refused(Int, String)
        /// The client closed (or the server is stopping) between or within requests.
        case closed
    }

    /// Reads one request from `buffer` and the socket; what follows it stays in `buffer`.
    func readRequest(_ client: Int32, _ buffer: inout [UInt8]) -> ReadOutcome {
        let terminator: [UInt8] = Array("\r\n\r\n".utf8)
        var headEnd: Int?
        while true {
            // A request starts with a method (after empty lines): anything else, a TLS
            // handshake say, is refused at once rather than waited on.
            if let first = buffer.first(where: { $0 != 0x0D && $0 != 0x0A }), !(0x41...0x5A).contains(first) {
                return .refused(400, "not an HTTP request")
            }
            if let found = buffer.firstRange(of: terminator) {
                headEnd = found.upperBound
                break
            }
            if buffer.count > Self.headLimit { return .refused(431, "request head too large") }
            guard receive(client, &buffer) else { return .closed }
        }
        guard let headEnd else { return .closed }
        let head = String(decoding: buffer[..<(headEnd - 4)], as: UTF8.self)
        var lines = head.split(separator: "\r\n", omittingEmptySubsequences: false)
        // Empty lines before a request line are allowed (RFC 9112, 2.2).
        while lines.first?.isEmpty == true { lines.removeFirst() }
        guard !lines.isEmpty else {
            buffer.removeFirst(headEnd)
            return readRequest(client, &buffer)
        }
        let requestLine = lines.removeFirst().split(separator: " ", omittingEmptySubsequences: false)
        guard requestLine.count == 3, !requestLine[0].isEmpty, requestLine[2].hasPrefix("HTTP/1.") else {
            return .refused(400, "malformed request line")
        }
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { return .refused(400, "malformed header line") }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: CharacterSet(charactersIn: " \t"))
            headers[name] = headers[name].map { "\($0), \(value)" } ?? value
        }
        if headers["transfer-encoding"] != nil {
            return .refused(411, "a body needs Content-Length (no Transfer-Encoding)")
        }
        var length = 0
        if let text = headers["content-length"] {
            guard let value = Int(text), value >= 0, !text.hasPrefix("+") else {
                return .refused(400, "malformed Content-Length")
            }
            guard value <= Self.bodyLimit else { return .refused(413, "body too large") }
            length = value
        }
        if length > 0, buffer.count < headEnd + length, headers["expect"]?.lowercased() == "100-continue" {
            guard sendAll(client, Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)) else { return .closed }
        }
        while buffer.count < headEnd + length {
            guard receive(client, &buffer) else { return .closed }
        }
        let body = Array(buffer[headEnd..<(headEnd + length)])
        buffer.removeFirst(headEnd + length)

        let target = requestLine[1]
        let path = target.firstIndex(of: "?").map { target[..<$0] } ?? target
        let query = target.firstIndex(of: "?").map { target[target.index(after: $0)...] } ?? ""
        let request = StandInRequest(
            method: String(requestLine[0]), path: String(path), query: StandInRequest.queryFields(query),
            headers: headers, body: body)
        let connection = headers["connection"]?.lowercased() ?? ""
        let keepAlive = requestLine[2] == "HTTP/1.1" && !connection.contains("close")
        return .request(request, keepAlive: keepAlive)
    }

    /// Appends what the socket has to `buffer`; false when the client closed, the read
    /// failed, or the server is stopping.
    private func receive(_ client: Int32, _ buffer: inout [UInt8]) -> Bool {
        guard wait(for: client, timeout: -1) else { return false }
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { return false }
            buffer.append(contentsOf: chunk[..<count])
            return true
        }
    }

    /// Writes all of `bytes`; false when the client has gone (no `SIGPIPE`: `MSG_NOSIGNAL`).
    private func sendAll(_ client: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes {
                send(client, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL))
            }
            if sent < 0, errno == EINTR { continue }
            guard sent > 0 else { return false }
            offset += sent
        }
        return true
    }

    /// The status line, the handler's headers (sorted by name; its `Content-Length`,
    /// `Transfer-Encoding` and `Connection` dropped), the server's, and the body.
    static func encode(_ response: StandInResponse, keepAlive: Bool, withBody: Bool) -> [UInt8] {
        let bodiless = (100..<200).contains(response.status) || response.status == 204 || response.status == 304
        var head = "HTTP/1.1 \(response.status) \(reasonPhrase(response.status))\r\n"
        for (name, value) in response.headers.sorted(by: { $0.key < $1.key })
        where !["content-length", "transfer-encoding", "connection"].contains(name.lowercased()) {
            head += "\(name): \(value)\r\n"
        }
        if !bodiless { head += "Content-Length: \(response.body.count)\r\n" }
        head += "Connection: \(keepAlive ? "keep-alive" : "close")\r\n\r\n"
        return Array(head.utf8) + (withBody && !bodiless ? response.body : [])
    }

    static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 201: "Created"
        case 202: "Accepted"
        case 204: "No Content"
        case 301: "Moved Permanently"
        case 302: "Found"
        case 304: "Not Modified"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 409: "Conflict"
        case 411: "Length Required"
        case 413: "Content Too Large"
        case 422: "Unprocessable Content"
        case 429: "Too Many Requests"
        case 431: "Request Header Fields Too Large"
        case 500: "Internal Server Error"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        default: "Status \(status)"
        }
    }
}
