#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension HCConnect {
    /// Runs hcconnect for this process: its arguments, environment and standard streams.
    public static func main() -> Int32 {
        let environment = processEnvironment()
        return run(
            arguments: Array(CommandLine.arguments.dropFirst()), environment: environment,
            input: .standardInput(), output: OutputChannel(fileDescriptor: 1, environment: environment),
            errors: OutputChannel(fileDescriptor: 2, environment: environment), handlesSignals: true)
    }

    /// The process environment as a dictionary (from `environ`).
    static func processEnvironment() -> [String: String] {
        var result: [String: String] = [:]
        var pointer = environ
        while let entry = pointer.pointee {
            // split at the first "=" by bytes (walking characters would cost more than the rest of startup)
            let bytes = UnsafeBufferPointer(start: UnsafeRawPointer(entry).assumingMemoryBound(to: UInt8.self), count: strlen(entry))
            if let separator = bytes.firstIndex(of: UInt8(ascii: "=")) {
                result[String(decoding: bytes[..<separator], as: UTF8.self)] =
                    String(decoding: bytes[(separator + 1)...], as: UTF8.self)
            }
            pointer += 1
        }
        return result
    }
}
