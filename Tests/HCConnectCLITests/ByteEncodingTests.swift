import Foundation
@testable import HCConnectCLI
import HerokuConnect
import TestSupport
import Testing

/// The byte-level writers of listings (JSON strings, CSV fields, the output buffer) against
/// plain reference implementations, on text that puts every special byte at every position
/// of the eight-byte words the fast paths read.
@Suite(.tags(.unit)) struct ByteEncodingTests {
    /// A deterministic generator (SplitMix64), so a failure can be replayed.
    typealias Random = SeededRandom

    /// Characters chosen to hit every branch: control characters, the bytes JSON and CSV
    /// escape, space, multi-byte UTF-8, and plain letters.
    static let alphabet: [Unicode.Scalar] = [
        "\u{0}", "\u{1}", "\u{8}", "\t", "\n", "\r", "\u{1F}", "\"", "\\", ",", " ", "/", "a", "Z", "0", "~", "\u{7F}",
        "é", "東", "🚀", "\u{2028}",
    ]

    static func randomText(_ random: inout Random, maxLength: Int = 40) -> String {
        var text = ""
        for _ in 0..<random.below(maxLength + 1) {
            // mostly plain letters, so that long clean runs occur too
            let scalar = random.below(3) == 0 ? alphabet[random.below(alphabet.count)] : Unicode.Scalar(UInt8(97 + random.below(26)))
            text.unicodeScalars.append(scalar)
        }
        return text
    }

    /// RFC 8259 escaping, scalar by scalar.
    static func referenceJSON(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }

    /// RFC 4180 quoting.
    static func referenceCSV(_ field: String?) -> String {
        guard let field else { return "" }
        let quoted = field.isEmpty || field.hasPrefix(" ") || field.hasSuffix(" ")
            || field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" })
        return quoted ? "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : field
    }

    @Test func jsonStringsMatchTheReferenceEscapingInEveryPosition() {
        var random = Random(seed: 42)
        for _ in 0..<20_000 {
            let text = Self.randomText(&random)
            var array: [UInt8] = []
            JSONEncoding.appendString(text, to: &array)
            var buffer = ByteBuffer(capacity: 16)
            JSONEncoding.appendString(text, to: &buffer)
            let expected = Self.referenceJSON(text)
            #expect(String(decoding: array, as: UTF8.self) == expected, "\(Array(text.utf8))")
            #expect(buffer.withBytes { Array($0) } == array)
        }
    }

    @Test func csvFieldsMatchTheReferenceQuoting() {
        var random = Random(seed: 7)
        for _ in 0..<20_000 {
            let fields: [String?] = (0..<random.below(4) + 1).map { _ in
                random.below(8) == 0 ? nil : Self.randomText(&random, maxLength: 20)
            }
            let expected = fields.map(Self.referenceCSV).joined(separator: ",") + "\r\n"
            #expect(CSVWriter.text(fields) == expected, "\(fields)")
        }
    }

    @Test func hstoreTextBecomesTheSameObjectAsItsDecodedPairs() {
        var random = Random(seed: 99)
        for _ in 0..<5_000 {
            let pairs: [HStore.Pair] = (0..<random.below(6)).map { _ in
                HStore.Pair(Self.randomText(&random, maxLength: 24), random.below(5) == 0 ? nil : Self.randomText(&random))
            }
            let fields = HStore(pairs: pairs)
            var transcoded = JSONObjectWriter()
            transcoded.add("f", fields)
            var decoded = JSONObjectWriter()
            decoded.add("f", pairs: pairs)
            #expect(transcoded.text == decoded.text, "\(fields.text)")
        }
    }

    @Test func malformedHstoreIsWrittenAsItsText() {
        for text in [#""a"=>"b", "c"#, #""unterminated"#, #"a=>"#, #""k"=>"v" "x"=>"y""#, #""k" "v""#] {
            var object = JSONObjectWriter()
            object.add("f", HStore(text: text))
            #expect(object.text == "{\"f\":" + Self.referenceJSON(text) + "}")
        }
    }

    /// hstore text near the output form: sorted and unsorted keys, duplicates, NULL in any
    /// case and quoted, escapes of every byte, white space and separators out of place.
    static func nearlyOutputForm(_ random: inout Random) -> String {
        var pairs: [HStore.Pair] = (0..<random.below(6)).map { _ in
            HStore.Pair(Self.randomText(&random, maxLength: random.below(2) == 0 ? 3 : 24),
                        random.below(5) == 0 ? nil : Self.randomText(&random))
        }
        if random.below(4) != 0 {
            // hstore's order: shorter keys first, then by bytes
            pairs.sort { ($0.key.utf8.count, Array($0.key.utf8)).0 < $1.key.utf8.count
                || ($0.key.utf8.count == $1.key.utf8.count && $0.key.utf8.lexicographicallyPrecedes($1.key.utf8)) }
        }
        if random.below(8) == 0, let first = pairs.first { pairs.append(first) }
        var text = HStore(pairs: pairs).text
        // one edit of the text in three, anywhere
        if random.below(3) == 0 {
            let edits = [
                " ", ",", ", ", "=>", "\\", "\\a", "\\\"", "\"", "NULL", "null", "\"NULL\"", "k", "\t", "",
            ]
            var utf8 = Array(text.utf8)
            let at = random.below(utf8.count + 1)
            let cut = random.below(3) == 0 ? min(random.below(4), utf8.count - at) : 0
            utf8.replaceSubrange(at..<at + cut, with: Array(edits[random.below(edits.count)].utf8))
            text = String(decoding: utf8, as: UTF8.self)
        }
        return text
    }

    /// What JSON writing made of hstore text before the one-pass transcoder: with
    /// `exactly`, the pairs when ``HStore/isInOutputForm`` (else the text); without, the
    /// pairs read as hstore reads them (else the text).
    static func referenceHStoreJSON(_ fields: HStore, exactly: Bool) -> String {
        if (exactly && !fields.isInOutputForm) || fields.error != nil { return Self.referenceJSON(fields.text) }
        let members = fields.pairs.map { pair in
            Self.referenceJSON(pair.key) + ":" + (pair.value.map(Self.referenceJSON) ?? "null")
        }
        return "{" + members.joined(separator: ",") + "}"
    }

    @Test func hstoreInOutputFormIsTranscodedInOnePassAsTheTwoPassesDid() {
        var random = Random(seed: 2_027)
        var outputForm = 0
        for round in 0..<20_000 {
            let fields = HStore(text: Self.nearlyOutputForm(&random))
            if fields.isInOutputForm { outputForm += 1 }
            for exactly in [true, false] {
                var buffer = ByteBuffer(capacity: 16)
                buffer.append(literal: "x")  // a truncation must keep what came before
                var text = fields.text
                text.withUTF8 { JSONEncoding.appendHStore(utf8: $0, exactly: exactly, to: &buffer) }
                let written = buffer.withBytes { String(decoding: $0, as: UTF8.self) }
                #expect(written == "x" + Self.referenceHStoreJSON(fields, exactly: exactly), "\(round) \(Array(fields.text.utf8))")
            }
        }
        // both kinds of text were tried, in numbers
        #expect(outputForm > 5_000 && outputForm < 19_000, "\(outputForm)")
    }

    @Test func hstoreKeyOrderComparesKeysWithoutTheirEscapes() {
        // "a\\" is the key a\ (2 bytes): it follows "b" (1 byte) and precedes "ab\"" (3 bytes)
        for (text, isOutputForm) in [
            (#""b"=>"1", "a\\"=>"2", "ab\""=>"3""#, true),
            (#""a\\"=>"2", "b"=>"1""#, false),
            (#""\"\""=>"1", "\"a"=>"2""#, true),
            (#""\"a"=>"1", "\"\""=>"2""#, false),
            (#""a"=>"1", "a"=>"2""#, false),
            (#""a"=>NULL, "b"=>"""#, true),
            (#""a"=>"x\ty""#, false),
            ("", true),
        ] {
            #expect(HStore(text: text).isInOutputForm == isOutputForm, "\(text)")
            var buffer: [UInt8] = []
            let transcoded = text.utf8CString.withUnsafeBufferPointer { pointer in
                pointer.withMemoryRebound(to: UInt8.self) {
                    JSONEncoding.appendOutputFormObject(UnsafeBufferPointer(rebasing: $0.dropLast()), to: &buffer)
                }
            }
            #expect(transcoded == isOutputForm, "\(text)")
        }
    }

    @Test func theByteBufferGrowsTruncatesAndEmpties() {
        var buffer = ByteBuffer(capacity: 16)
        var reference: [UInt8] = []
        var random = Random(seed: 3)
        for round in 0..<2_000 {
            let chunk = (0..<random.below(100)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            if round % 2 == 0 {
                chunk.withUnsafeBufferPointer { buffer.append(bytes: $0) }
            } else {
                for byte in chunk { buffer.append(byte) }
            }
            reference += chunk
            if round % 7 == 0 {
                let keep = random.below(reference.count + 1)
                buffer.truncate(to: keep)
                reference.removeLast(reference.count - keep)
            }
            let count = buffer.count
            #expect(count == reference.count)
        }
        #expect(buffer.withBytes { Array($0) } == reference)
        buffer.append(decimal: Int64.min)
        buffer.append(decimal: 0)
        buffer.append(decimal: Int.max)
        #expect(buffer.withBytes { Array($0.suffix(40)) } == Array("\(Int64.min)0\(Int.max)".utf8))
        buffer.removeAll()
        let isEmpty = buffer.isEmpty
        #expect(isEmpty)
    }
}
