import Foundation
import TestSupport
import Testing

extension IntegrationSuites {
    /// Malformed and adversarial hstore text in `values` and `old` — unbalanced quotes, a lone
    /// backslash, `=>` without a key, control characters and terminal escapes, a 1 MB value,
    /// 10,000 pairs — shown by every command that reads it: never a crash, JSON that parses,
    /// CSV that keeps the text, a terminal that sees no control character, and an ordered retry
    /// that reports the entry instead of guessing its columns.
    @Suite(.tags(.database)) struct AdversarialHStoreTests {
        static let texts: [String] = [
            #""a"=>"b"#,                                   // unterminated quote
            #"a=>b\"#,                                     // a backslash at the end
            #"=>x"#,                                       // no key
            #""k"=>"v" "x"=>"y""#,                          // no comma
            "\"k\"=>\"\u{1B}[31mred\u{1B}[0m\u{7}\u{8}\r\"",   // terminal escapes, bell, backspace, CR
            "\"\u{202E}kcatta\"=>\"\u{0}\"".replacingOccurrences(of: "\u{0}", with: "nul"),  // right-to-left override
            "\"big\"=>\"" + String(repeating: "x", count: 1_000_000) + "\"",
            (0..<10_000).map { "\"k\($0)\"=>\"v\($0)\"" }.joined(separator: ", "),
            String(repeating: #"\\"#, count: 5_000) + "=>" + String(repeating: #"\""#, count: 5_000),
        ]

        /// The characters a terminal acts on, other than the line feeds that end lines, and the
        /// bidirectional overrides that make text read backwards.
        static func controlCharacters(in text: String) -> [Unicode.Scalar] {
            text.unicodeScalars.filter {
                ($0.value < 0x20 && $0 != "\n") || (0x7F...0x9F).contains($0.value) || (0x202A...0x202E).contains($0.value)
                    || (0x2066...0x2069).contains($0.value)
            }
        }

        @Test func everyReaderShowsThemSafely() throws {
            try TestDatabase.withConnectSchema { schema in
                var ids: [Int] = []
                for (n, text) in Self.texts.enumerated() {
                    ids.append(try schema.insertEntry(archived: n % 2 == 1, recordID: n + 1, values: text, old: text, message: "E\(n)"))
                }
                // JSON: one object per entry, the text kept (as an object or as the string it is)
                let json = try hcconnect(["failed", "--format", "json"], schema: schema.name)
                #expect(json.status == 0, "\(json.stderr)")
                let objects = try json.lines.map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
                #expect(objects.count == Self.texts.count)
                // CSV: every text comes back byte for byte
                let csv = try hcconnect(["failed", "--format", "csv"], schema: schema.name)
                #expect(csv.status == 0, "\(csv.stderr)")
                for text in Self.texts {
                    #expect(csv.stdout.contains("\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"") || csv.stdout.contains(text))
                }
                // export, both formats, exactly
                let export = try hcconnect(["export", "--format", "json"], schema: schema.name)
                #expect(export.status == 0, "\(export.stderr)")
                for line in export.lines {
                    let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                    let n = try #require((object["sf_message"] as? String).flatMap { Int($0.dropFirst()) })
                    if let text = object["values"] as? String { #expect(text == Self.texts[n]) }
                }
                #expect(try hcconnect(["export", "--format", "csv"], schema: schema.name).status == 0)
                #expect(try hcconnect(["errors"], schema: schema.name).status == 0)
                // a person's terminal: no control character from the data reaches it
                for arguments in ids.map({ ["show", String($0)] }) + [["failed", "--limit", "20"], ["errors"]] {
                    do {
                        let shown = try hcconnect(arguments, schema: schema.name, environment: ["NO_COLOR": "1"], terminal: true, columns: 120)
                        #expect(shown.status == 0, "\(arguments): \(shown.stderr)")
                        #expect(Self.controlCharacters(in: shown.stdout + shown.stderr).isEmpty, "\(arguments)")
                    }
                }
            }
        }

        @Test func anOrderedRetryReportsUnreadableValuesAndChangesNothing() throws {
            try TestDatabase.withConnectSchema { schema in
                try schema.execute("INSERT INTO \(schema.quoted).account (id, name) VALUES (1, 'Acme')")
                var ids: [Int] = []
                for text in Self.texts.prefix(4) {
                    ids.append(try schema.insertEntry(action: "UPDATE", recordID: 1, values: text, message: "bad values"))
                }
                let before = try schema.connection.query("SELECT count(*) FROM \(schema.quoted)._trigger_log")[0].int(0)
                let result = try hcconnect(
                    ["retry", "--write-mode", "ordered", "--format", "json"] + ids.map(String.init), schema: schema.name)
                #expect(result.status == 1, "\(result.stderr)")
                let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
                let unreadable = try #require(object["values_unreadable"] as? [[String: Any]])
                #expect(Set(unreadable.compactMap { $0["id"] as? Int }) == Set(ids))
                #expect(try schema.connection.query("SELECT count(*) FROM \(schema.quoted)._trigger_log")[0].int(0) == before)
                #expect(try schema.connection.query(
                    "SELECT count(*) FROM \(schema.quoted)._trigger_log WHERE state = 'FAILED'")[0].int(0) == ids.count)
            }
        }
    }
}
