import CLibPQ

/// Owns one `PGresult` and clears it (`PQclear`) when the last row referring to it goes.
final class ResultHandle {
    let pointer: OpaquePointer

    init(_ pointer: OpaquePointer) {
        self.pointer = pointer
    }

    deinit {
        PQclear(pointer)
    }

    var rowCount: Int { Int(PQntuples(pointer)) }
    var columnCount: Int { Int(PQnfields(pointer)) }

    func columnName(_ column: Int) -> String {
        String(cString: PQfname(pointer, Int32(column)))
    }

    /// The position of the column named `name` (`PQfnumber`; a lowercase name as written).
    ///
    /// - Throws: ``PostgresError/Kind/unexpectedResult`` when the result has no such column.
    func column(named name: String) throws(PostgresError) -> Int {
        let position = Int(PQfnumber(pointer, name))
        guard position >= 0 else {
            throw PostgresError(.unexpectedResult, message: "the server's result has no column \(name)")
        }
        return position
    }
}

/// One row of a result, read in PostgreSQL's text format.
///
/// A row keeps its result alive, so it stays valid for as long as it is held; in a streamed
/// query each row has a result of its own, so holding rows costs memory.
public struct PostgresRow {
    let result: ResultHandle
    let row: Int32

    init(result: ResultHandle, row: Int) {
        self.result = result
        self.row = Int32(row)
    }

    /// The number of columns.
    public var columnCount: Int { result.columnCount }

    /// The name of column `column` (`PQfname`).
    public func columnName(_ column: Int) -> String { result.columnName(column) }

    /// The names of all columns, in order.
    public var columnNames: [String] { (0..<columnCount).map(columnName) }

    /// The position of the column named `name` in this row's result (see
    /// ``PostgresRows/column(_:)``).
    public func column(_ name: String) throws(PostgresError) -> Int {
        try result.column(named: name)
    }

    /// True when the value in `column` is SQL NULL (`PQgetisnull`).
    public func isNull(_ column: Int) -> Bool {
        PQgetisnull(result.pointer, row, Int32(column)) == 1
    }

    /// Calls `body` with the bytes of the value in `column` (nil for NULL). The bytes are
    /// valid only inside `body`.
    public func withBytes<T>(
        _ column: Int, _ body: (UnsafeBufferPointer<UInt8>?) throws -> T
    ) rethrows -> T {
        let index = Int32(column)
        if PQgetisnull(result.pointer, row, index) == 1 { return try body(nil) }
        let length = Int(PQgetlength(result.pointer, row, index))
        guard let value = PQgetvalue(result.pointer, row, index) else { return try body(nil) }
        return try value.withMemoryRebound(to: UInt8.self, capacity: length) {
            try body(UnsafeBufferPointer(start: $0, count: length))
        }
    }

    /// The value in `column` as a string (invalid UTF-8 is repaired), nil for NULL.
    public func string(_ column: Int) -> String? {
        withBytes(column) { bytes in bytes.map { String(decoding: $0, as: UTF8.self) } }
    }

    /// Calls `body` with the UTF-8 bytes of ``string(_:)`` (nil for NULL) without building
    /// the string: the bytes as sent when they are valid UTF-8 (always, from a UTF8
    /// database), else the repaired string's. The bytes are valid only inside `body`.
    public func withText<T>(_ column: Int, _ body: (UnsafeBufferPointer<UInt8>?) throws -> T) rethrows -> T {
        try withBytes(column) { bytes in
            guard let bytes, !UTF8Validation.isValid(bytes) else { return try body(bytes) }
            var repaired = String(decoding: bytes, as: UTF8.self)
            return try repaired.withUTF8 { try body($0) }
        }
    }

    /// The value in `column` as an integer, nil for NULL.
    ///
    /// - Throws: ``PostgresError/Kind/unexpectedResult`` when the value is not an integer.
    public func int(_ column: Int) throws(PostgresError) -> Int? {
        let parsed: Int?? = withBytes(column) { bytes in
            guard let bytes else { return .some(nil) }
            return Self.parseInt(bytes).map { .some($0) } ?? nil
        }
        guard let parsed else { throw decodingError(column, expected: "an integer") }
        return parsed
    }

    /// The value in `column` as a boolean (`t`/`f`), nil for NULL.
    public func bool(_ column: Int) throws(PostgresError) -> Bool? {
        let parsed: Bool?? = withBytes(column) { bytes in
            guard let bytes else { return .some(nil) }
            guard bytes.count == 1 else { return nil }
            switch bytes[0] {
            case UInt8(ascii: "t"): return .some(true)
            case UInt8(ascii: "f"): return .some(false)
            default: return nil
            }
        }
        guard let parsed else { throw decodingError(column, expected: "a boolean") }
        return parsed
    }

    /// The value in `column` as a `timestamptz`, nil for NULL.
    public func timestamp(_ column: Int) throws(PostgresError) -> PostgresTimestamp? {
        let parsed: PostgresTimestamp?? = withBytes(column) { bytes in
            guard let bytes else { return .some(nil) }
            return PostgresTimestamp(text: bytes).map { .some($0) } ?? nil
        }
        guard let parsed else { throw decodingError(column, expected: "a timestamp with time zone") }
        return parsed
    }

    private func decodingError(_ column: Int, expected: String) -> PostgresError {
        PostgresError(
            .unexpectedResult,
            message: "column \(columnName(column)) holds \(string(column).map { "'\($0.prefix(40))'" } ?? "NULL"), not \(expected)")
    }

    /// Parses an optionally signed decimal integer; nil on anything else or overflow.
    static func parseInt(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        var index = 0
        var negative = false
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") {
            negative = bytes[index] == UInt8(ascii: "-")
            index += 1
        }
        guard index < bytes.count else { return nil }
        var value = 0
        while index < bytes.count {
            let digit = Int(bytes[index]) - 48
            guard (0...9).contains(digit) else { return nil }
            let (shifted, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (next, overflow2) =
                negative ? shifted.subtractingReportingOverflow(digit) : shifted.addingReportingOverflow(digit)
            guard !overflow1, !overflow2 else { return nil }
            value = next
            index += 1
        }
        return value
    }
}

/// All rows of a buffered result.
public struct PostgresRows: RandomAccessCollection {
    let result: ResultHandle

    public var startIndex: Int { 0 }
    public var endIndex: Int { result.rowCount }

    public subscript(position: Int) -> PostgresRow {
        PostgresRow(result: result, row: position)
    }

    /// The names of the result's columns.
    public var columnNames: [String] { (0..<result.columnCount).map(result.columnName) }

    /// The position of the column named `name`, to read it by name: look it up once per
    /// result, then read each row at that position (`PQfnumber`).
    ///
    /// - Throws: ``PostgresError/Kind/unexpectedResult`` when the result has no such column.
    public func column(_ name: String) throws(PostgresError) -> Int {
        try result.column(named: name)
    }
}

extension PostgresRow {
    /// The value in `column` as a one-dimensional array in text form (`{a,"b c",NULL}`), nil
    /// for NULL.
    ///
    /// - Throws: ``PostgresError/Kind/unexpectedResult`` for anything else.
    public func stringArray(_ column: Int) throws(PostgresError) -> [String?]? {
        guard let text = string(column) else { return nil }
        guard let elements = Self.parseArray(text) else {
            throw PostgresError(
                .unexpectedResult, message: "column \(columnName(column)) does not hold a one-dimensional array")
        }
        return elements
    }

    /// Parses the text output of a one-dimensional array.
    static func parseArray(_ text: String) -> [String?]? {
        var scalars = text.unicodeScalars[...]
        guard scalars.popFirst() == "{", scalars.popLast() == "}" else { return nil }
        var elements: [String?] = []
        if scalars.isEmpty { return elements }
        while true {
            var element = ""
            if scalars.first == "\"" {
                scalars.removeFirst()
                while let scalar = scalars.popFirst() {
                    if scalar == "\"" { break }
                    if scalar == "\\" {
                        guard let escaped = scalars.popFirst() else { return nil }
                        element.unicodeScalars.append(escaped)
                    } else {
                        element.unicodeScalars.append(scalar)
                    }
                }
                elements.append(element)
            } else {
                while let scalar = scalars.first, scalar != "," {
                    guard scalar != "{", scalar != "\"" else { return nil }
                    element.unicodeScalars.append(scalar)
                    scalars.removeFirst()
                }
                elements.append(element == "NULL" ? nil : element)
            }
            guard let separator = scalars.popFirst() else { return elements }
            guard separator == "," else { return nil }
        }
    }
}
