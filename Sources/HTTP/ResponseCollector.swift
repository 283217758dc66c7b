/// What curl's callbacks receive during one `curl_easy_perform`: the body, and the header
/// lines of the final response. curl gets it as an unretained opaque pointer
/// (`CURLOPT_WRITEDATA`, `CURLOPT_HEADERDATA`) while ``HTTPClient`` keeps it alive.
final class ResponseCollector {
    private(set) var body: [UInt8] = []
    private(set) var headers: [(name: String, value: String)] = []

    /// Adds bytes of the body.
    func receiveBody(_ bytes: UnsafeRawBufferPointer) {
        body.append(contentsOf: bytes)
    }

    /// Takes one header line as curl delivers it, line end included: a status line starts
    /// a new response (after `100 Continue`, a proxy's or a redirect's), so only the last
    /// response's headers stay; a line starting with white space continues the previous
    /// header (obsolete folding); the empty line that ends the headers is dropped.
    func receiveHeaderLine(_ bytes: UnsafeRawBufferPointer) {
        // By bytes: "\r\n" is one Character.
        var end = bytes.count
        while end > 0, bytes[end - 1] == 0x0D || bytes[end - 1] == 0x0A { end -= 1 }
        let line = Substring(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[..<end]), as: UTF8.self))
        if line.hasPrefix("HTTP/") {
            headers.removeAll()
            body.removeAll()
        } else if let first = line.first, first == " " || first == "\t" {
            guard !headers.isEmpty else { return }
            let more = line.trimmingWhiteSpace()
            headers[headers.count - 1].value += headers[headers.count - 1].value.isEmpty ? more : " " + more
        } else if let colon = line.firstIndex(of: ":") {
            let name = line[..<colon].trimmingWhiteSpace().lowercased()
            headers.append((name: name, value: line[line.index(after: colon)...].trimmingWhiteSpace()))
        }
    }
}

extension Substring {
    /// Without leading and trailing spaces and tabs.
    fileprivate func trimmingWhiteSpace() -> String {
        let isWhiteSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let start = firstIndex(where: { !isWhiteSpace($0) }), let end = lastIndex(where: { !isWhiteSpace($0) }) else {
            return ""
        }
        return String(self[start...end])
    }
}

/// `CURLOPT_WRITEFUNCTION`: appends the bytes to the ``ResponseCollector`` given as
/// `CURLOPT_WRITEDATA`; returns how many it took (all of them).
func collectBody(
    _ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?
) -> Int {
    let length = size * count
    guard let context else { return 0 }
    let collector = Unmanaged<ResponseCollector>.fromOpaque(context).takeUnretainedValue()
    collector.receiveBody(UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : length))
    return length
}

/// `CURLOPT_HEADERFUNCTION`: hands one header line to the ``ResponseCollector`` given as
/// `CURLOPT_HEADERDATA`; returns how many bytes it took (all of them).
func collectHeaderLine(
    _ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?
) -> Int {
    let length = size * count
    guard let context else { return 0 }
    let collector = Unmanaged<ResponseCollector>.fromOpaque(context).takeUnretainedValue()
    collector.receiveHeaderLine(UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : length))
    return length
}
