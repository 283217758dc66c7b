#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Calls `body` with a NULL-terminated array of C strings copied from `strings`; the copies
/// are freed when `body` returns.
func withCStringArray<T>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> T) -> T {
    withOptionalCStringArray(strings.map { Optional($0) }) { pointer in
        body(pointer!)
    }
}

/// Like ``withCStringArray(_:_:)`` with nil entries passed as NULL pointers (SQL NULL
/// parameters); the array is NULL-terminated as well.
func withOptionalCStringArray<T>(
    _ strings: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> T
) -> T {
    let copies: [UnsafeMutablePointer<CChar>?] = strings.map { $0.map { strdup($0)! } }
    defer { copies.forEach { free($0) } }
    let pointers: [UnsafePointer<CChar>?] = copies.map { $0.map { UnsafePointer($0) } } + [nil]
    return pointers.withUnsafeBufferPointer { body($0.baseAddress) }
}
