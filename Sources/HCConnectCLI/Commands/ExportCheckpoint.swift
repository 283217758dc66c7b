#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The file in which `export --checkpoint` keeps the id the next run starts after: one
/// line holding a whole number.
///
/// Opening it reads the id and creates the temporary file that ``save(_:)`` will rename
/// over it, so that a missing or read-only directory is reported before anything is
/// exported. ``save(_:)`` replaces the file atomically (write, `fsync`, `rename`, `fsync` of
/// the directory): after a crash the file holds either the old id or the new one. The
/// temporary file is removed when the checkpoint goes away unsaved.
final class ExportCheckpoint {
    /// The file's path as given.
    let path: String
    /// The id in the file; nil when the file does not exist yet.
    let storedID: Int?
    /// The directory holding the file, where the temporary file is made.
    private let directory: String
    private let temporaryPath: String
    private var temporaryDescriptor: Int32

    /// Reads the checkpoint and prepares its replacement.
    ///
    /// - Throws: ``ArgumentError`` for `--checkpoint` when the file cannot be read, does
    ///   not hold an id, or no file can be created next to it.
    init(path: String) throws(ArgumentError) {
        func failure(_ reason: String) -> ArgumentError {
            .invalidValue(option: ExportCommand.checkpoint.longForm, value: path, reason: reason)
        }
        guard !path.isEmpty, !path.hasSuffix("/") else { throw failure("is not a file name") }
        self.path = path
        var mode: mode_t = 0o644
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        if descriptor < 0 {
            guard errno == ENOENT else { throw failure("cannot be read: " + Self.systemMessage(errno)) }
            storedID = nil
        } else {
            defer { close(descriptor) }
            var status = stat()
            if fstat(descriptor, &status) == 0 {
                guard status.st_mode & S_IFMT == S_IFREG else { throw failure("is not a regular file") }
                mode = status.st_mode & 0o777
            }
            let (bytes, readError) = Self.readAll(descriptor, limit: 64)
            if let readError { throw failure("cannot be read: " + Self.systemMessage(readError)) }
            storedID = try Self.parse(bytes, failure)
        }
        let slash = path.lastIndex(of: "/")
        directory = slash.map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? "."
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        temporaryPath = (directory == "/" ? "" : directory) + "/." + name + ".tmp-" + String(getpid())
        temporaryDescriptor = open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard temporaryDescriptor >= 0 else {
            throw failure("cannot be written: no file can be created in \(directory): " + Self.systemMessage(errno))
        }
        fchmod(temporaryDescriptor, mode)
    }

    deinit {
        if temporaryDescriptor >= 0 {
            close(temporaryDescriptor)
            unlink(temporaryPath)
        }
    }

    /// Replaces the file with one holding `id`, atomically; does nothing when it already
    /// holds `id`.
    ///
    /// - Throws: ``CommandFailure`` (exit 75) when the file cannot be written; it then
    ///   still holds its old id.
    func save(_ id: Int) throws(CommandFailure) {
        guard temporaryDescriptor >= 0, id != storedID else { return }
        let descriptor = temporaryDescriptor
        temporaryDescriptor = -1
        var failedStep: (String, Int32)?
        if let error = Self.writeAll(descriptor, Array("\(id)\n".utf8)) {
            failedStep = ("write", error)
        } else if fsync(descriptor) != 0 {
            failedStep = ("fsync", errno)
        }
        if close(descriptor) != 0, failedStep == nil { failedStep = ("close", errno) }
        if failedStep == nil, rename(temporaryPath, path) != 0 { failedStep = ("rename", errno) }
        if let (step, error) = failedStep {
            unlink(temporaryPath)
            let kept = storedID.map { "it still holds \($0)" } ?? "it was not created"
            throw CommandFailure(
                status: .temporaryFailure,
                message: "cannot save the checkpoint \(path) (\(step): \(Self.systemMessage(error))); \(kept), "
                    + "so the next run repeats this export")
        }
        // The rename is durable once the directory is; a failure here leaves the new file
        // in place, which is what a later read would see anyway.
        let directoryDescriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryDescriptor >= 0 {
            fsync(directoryDescriptor)
            close(directoryDescriptor)
        }
    }

    /// The id in the file's text: a whole number from 0 to 2147483647, with white space
    /// around it allowed.
    static func parse(_ bytes: [UInt8], _ failure: (String) -> ArgumentError) throws(ArgumentError) -> Int {
        let isSpace: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
        let trimmed = bytes.drop(while: isSpace).reversed().drop(while: isSpace).reversed()
        guard !trimmed.isEmpty else {
            throw failure("is empty; delete it to export from the first entry, or write the id to start after")
        }
        let text = String(decoding: trimmed, as: UTF8.self)
        guard trimmed.allSatisfy({ (0x30...0x39).contains($0) }), trimmed.count <= 10, let id = Int(text),
            id <= Int(Int32.max)
        else {
            throw failure("does not hold a trigger log id but '\(text.prefix(40))'; fix it or delete it")
        }
        return id
    }

    /// Reads up to `limit` bytes (one more, to tell a longer file).
    private static func readAll(_ descriptor: Int32, limit: Int) -> ([UInt8], Int32?) {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: limit + 1)
        while bytes.count <= limit {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return (bytes, errno)
            }
            if count == 0 { break }
            bytes += chunk[0..<count]
        }
        return (bytes, nil)
    }

    /// Writes all of `bytes`; the `errno` of a failure.
    private static func writeAll(_ descriptor: Int32, _ bytes: [UInt8]) -> Int32? {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                return errno
            }
            offset += written
        }
        return nil
    }

    /// The system's text for an `errno` value.
    static func systemMessage(_ code: Int32) -> String {
        String(cString: strerror(code))
    }
}
