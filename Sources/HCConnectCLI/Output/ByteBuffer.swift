#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Somewhere UTF-8 output is appended to: a `[UInt8]`, or a ``ByteBuffer`` for output of
/// hundreds of thousands of rows.
protocol ByteSink: ~Copyable {
    /// The number of bytes so far.
    var count: Int { get }
    /// Appends one byte.
    mutating func append(_ byte: UInt8)
    /// Appends bytes.
    mutating func append(bytes: UnsafeBufferPointer<UInt8>)
    /// Drops bytes from the end, back to `count` bytes.
    mutating func truncate(to count: Int)
}

extension ByteSink where Self: ~Copyable {
    /// Appends a literal's UTF-8 bytes.
    @inline(__always)
    mutating func append(literal: StaticString) {
        append(bytes: UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }

    /// Appends a string's UTF-8 bytes.
    mutating func append(utf8 text: String) {
        var text = text
        text.withUTF8 { append(bytes: $0) }
    }

    /// Appends an integer in decimal, as `String(value)` writes it.
    mutating func append(decimal value: Int64) {
        if value < 0 { append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var start = digits.count
            repeat {
                start -= 1
                digits[start] = UInt8(truncatingIfNeeded: 48 + magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            append(bytes: UnsafeBufferPointer(rebasing: digits[start..<digits.count]))
        }
    }

    /// Appends an integer in decimal.
    mutating func append(decimal value: Int) {
        append(decimal: Int64(value))
    }
}

extension [UInt8]: ByteSink {
    mutating func append(bytes: UnsafeBufferPointer<UInt8>) {
        append(contentsOf: bytes)
    }

    mutating func truncate(to count: Int) {
        removeLast(self.count - count)
    }
}

/// A growable byte buffer that owns its memory: appending is a capacity check and a copy,
/// without the uniqueness checks of `[UInt8]`; it cannot be copied, only moved or borrowed.
struct ByteBuffer: ~Copyable, ByteSink {
    private var storage: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    /// The number of bytes held.
    private(set) var count = 0

    /// An empty buffer with room for `capacity` bytes before it grows.
    init(capacity: Int = 1 << 12) {
        self.capacity = max(capacity, 16)
        storage = .allocate(capacity: self.capacity)
    }

    deinit {
        storage.deallocate()
    }

    var isEmpty: Bool { count == 0 }

    @inline(__always)
    mutating func append(_ byte: UInt8) {
        if count == capacity { grow(toHold: count + 1) }
        storage[count] = byte
        count += 1
    }

    @inline(__always)
    mutating func append(bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress, bytes.count > 0 else { return }
        if capacity - count < bytes.count { grow(toHold: count + bytes.count) }
        (storage + count).update(from: source, count: bytes.count)
        count += bytes.count
    }

    /// Appends any bytes (a contiguous collection is copied at once).
    mutating func append(contentsOf bytes: some Sequence<UInt8>) {
        let copied: Void? = bytes.withContiguousStorageIfAvailable { append(bytes: $0) }
        if copied == nil {
            for byte in bytes { append(byte) }
        }
    }

    mutating func truncate(to count: Int) {
        precondition(count >= 0 && count <= self.count, "truncate beyond the buffer")
        self.count = count
    }

    /// Empties the buffer, keeping its memory.
    mutating func removeAll() {
        count = 0
    }

    /// Calls `body` with the bytes held.
    func withBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: storage, count: count))
    }

    private mutating func grow(toHold needed: Int) {
        var newCapacity = capacity * 2
        while newCapacity < needed { newCapacity *= 2 }
        let newStorage = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        newStorage.update(from: storage, count: count)
        storage.deallocate()
        storage = newStorage
        capacity = newCapacity
    }
}
