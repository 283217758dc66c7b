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
            let text = String(cString: entry)
            if let separator = text.firstIndex(of: "=") {
                result[String(text[..<separator])] = String(text[text.index(after: separator)...])
            }
            pointer += 1
        }
        return result
    }
}
