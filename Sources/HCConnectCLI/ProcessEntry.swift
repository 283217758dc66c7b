#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension HCConnect {
    /// Runs hcconnect for this process: its arguments, environment and standard streams.
    public static func main() -> Int32 {
        openClosedStandardDescriptors()
        // A closed standard output (`| head -1`) is a failed write, not a sudden death: a
        // repair finishes its batch and reports, a listing stops, and both exit 141.
        signal(SIGPIPE, SIG_IGN)
        let environment = processEnvironment()
        return run(
            arguments: Array(CommandLine.arguments.dropFirst()), environment: environment,
            input: .standardInput(), output: OutputChannel(fileDescriptor: 1, environment: environment),
            errors: OutputChannel(fileDescriptor: 2, environment: environment), handlesSignals: true, pages: true)
    }

    /// Opens `/dev/null` on each of descriptors 0, 1 and 2 that is closed, as careful Unix
    /// tools do: otherwise the next file or socket opened would get that number, and output
    /// meant for standard output (or error) would go into it (`export --checkpoint cp >&-`
    /// wrote the export into the checkpoint file; `retry ... 2>&-`, messages into the
    /// database's socket).
    static func openClosedStandardDescriptors() {
        for descriptor: Int32 in 0...2 where fcntl(descriptor, F_GETFD) == -1 && errno == EBADF {
            // open takes the lowest free number: this one, as the lower ones are open by now
            let opened = open("/dev/null", descriptor == 0 ? O_RDONLY : O_WRONLY)
            if opened >= 0, opened != descriptor {
                dup2(opened, descriptor)
                close(opened)
            }
        }
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
