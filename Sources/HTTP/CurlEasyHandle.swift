import CLibCurl

/// One curl easy handle and its error buffer, owned here and freed in `deinit`: the one
/// place the HTTP module calls curl, each call's `CURLcode` checked by ``check(_:_:)``.
final class CurlEasyHandle {
    /// `curl_global_init`, once per process (a `static let` is initialised once, thread-safe)
    /// and before the first handle; its result's raw value.
    private static let globalInitialization: UInt32 = hc_curl_global_init(HC_CURL_GLOBAL_DEFAULT).rawValue

    private let handle: UnsafeMutableRawPointer
    /// curl writes a failure's text here (`CURLOPT_ERRORBUFFER`); set again after each reset.
    private let errorBuffer: UnsafeMutablePointer<CChar>

    /// A new handle (`curl_easy_init`), after initialising curl once per process (`curl_global_init`).
    ///
    /// - Throws: ``HTTPError/Kind/other`` when curl cannot be initialised.
    init() throws(HTTPError) {
        // loaded on first use (shim.h): say so plainly when it is not installed
        if let failure = hc_curl_load_error() {
            throw HTTPError(
                kind: .other, message: "libcurl cannot be loaded (\(String(cString: failure))); install libcurl4")
        }
        let initialization = CURLcode(rawValue: Self.globalInitialization)
        guard initialization == CURLE_OK else {
            throw HTTPError(kind: .other, message: "curl_global_init: " + Self.text(of: initialization))
        }
        guard let handle = hc_curl_easy_init() else {
            throw HTTPError(kind: .other, message: "curl_easy_init failed")
        }
        self.handle = handle
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
    }

    /// Frees the handle and closes its connections (`curl_easy_cleanup`).
    deinit {
        hc_curl_easy_cleanup(handle)
        errorBuffer.deallocate()
    }

    /// Every option back to its default, keeping the open connections for reuse
    /// (`curl_easy_reset`), then the error buffer set and cleared.
    func reset() {
        hc_curl_easy_reset(handle)
        errorBuffer[0] = 0
        // Cannot fail: CURLOPT_ERRORBUFFER only stores the pointer.
        _ = hc_curl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer)
    }

    /// Sets an option taking a `long` (`curl_easy_setopt`).
    func set(_ option: CURLoption, _ value: Int) throws(HTTPError) {
        try check(hc_curl_setopt_long(handle, option, value), "curl_easy_setopt")
    }

    /// Sets an option taking a `curl_off_t` (`curl_easy_setopt`).
    func set(_ option: CURLoption, offset value: Int64) throws(HTTPError) {
        try check(hc_curl_setopt_off_t(handle, option, curl_off_t(value)), "curl_easy_setopt")
    }

    /// Sets an option taking a string (`curl_easy_setopt`); curl keeps its own copy.
    func set(_ option: CURLoption, _ value: String) throws(HTTPError) {
        try check(value.withCString { hc_curl_setopt_string(handle, option, $0) }, "curl_easy_setopt")
    }

    /// Sets an option taking a pointer (`curl_easy_setopt`); the caller keeps what it points
    /// to alive until the handle is reset.
    func set(_ option: CURLoption, pointer value: UnsafeMutableRawPointer?) throws(HTTPError) {
        try check(hc_curl_setopt_pointer(handle, option, value), "curl_easy_setopt")
    }

    /// Sets an option taking a header list (`curl_easy_setopt`); the caller frees the list
    /// after the handle is reset.
    func set(_ option: CURLoption, list value: UnsafeMutablePointer<curl_slist>?) throws(HTTPError) {
        try check(hc_curl_setopt_slist(handle, option, value), "curl_easy_setopt")
    }

    /// Sets a write or header callback (`curl_easy_setopt`).
    func set(_ option: CURLoption, function value: curl_write_callback) throws(HTTPError) {
        try check(hc_curl_setopt_writefunction(handle, option, value), "curl_easy_setopt")
    }

    /// Sets `CURLOPT_COPYPOSTFIELDS` (`curl_easy_setopt`): curl copies the bytes, so no
    /// pointer into them outlives this call. Set `CURLOPT_POSTFIELDSIZE_LARGE` first.
    func setCopiedPostFields(_ bytes: [UInt8]) throws(HTTPError) {
        var code: CURLcode
        if bytes.isEmpty {
            // A null pointer would mean "no fields" (and a read callback); an empty body
            // needs a valid one.
            var none: UInt8 = 0
            code = withUnsafeMutablePointer(to: &none) { hc_curl_setopt_pointer(handle, CURLOPT_COPYPOSTFIELDS, $0) }
        } else {
            code = bytes.withUnsafeBytes {
                hc_curl_setopt_pointer(handle, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: $0.baseAddress))
            }
        }
        try check(code, "curl_easy_setopt")
    }

    /// Runs the request set up (`curl_easy_perform`).
    func perform() throws(HTTPError) {
        try check(hc_curl_easy_perform(handle), nil)
    }

    /// A `long` about the last transfer (`curl_easy_getinfo`), such as `CURLINFO_RESPONSE_CODE`.
    func info(_ info: CURLINFO) throws(HTTPError) -> Int {
        var value = 0
        try check(hc_curl_getinfo_long(handle, info, &value), "curl_easy_getinfo")
        return value
    }

    /// The choke point: nothing for `CURLE_OK`, else the error with curl's text (the error
    /// buffer's, else `curl_easy_strerror`'s), after the function's name when not `perform`.
    private func check(_ code: CURLcode, _ function: String?) throws(HTTPError) {
        guard code != CURLE_OK else { return }
        let buffered = String(cString: errorBuffer)
        let text = buffered.isEmpty ? Self.text(of: code) : buffered
        let trimmed = String(text.reversed().drop { $0 == "\n" }.reversed())
        throw HTTPError(kind: HTTPError.Kind(code), message: function.map { "\($0): \(trimmed)" } ?? trimmed)
    }

    /// curl's text for a result (`curl_easy_strerror`).
    private static func text(of code: CURLcode) -> String {
        String(cString: hc_curl_easy_strerror(code))
    }
}
