import Foundation
import TestSupport
import Testing

extension IntegrationSuites {
    /// `failed --attempts`: how many times each entry's change of its record has failed, over
    /// the live log and the archive.
    @Suite(.tags(.database)) struct AttemptsTests {
        @Test func attemptsCountTheFailuresOfTheSameChangeUpToTheEntry() throws {
            try TestDatabase.withConnectSchema { schema in
                // account 7's UPDATE: failed, retried (REQUEUED), ignored once, failed again now
                try schema.insertEntry(archived: true, state: "REQUEUED", recordID: 7, message: "UNABLE_TO_LOCK_ROW: 1", createdAgo: "3 days")
                try schema.insertEntry(archived: true, state: "IGNORED", recordID: 7, message: "UNABLE_TO_LOCK_ROW: 2", createdAgo: "2 days")
                try schema.insertEntry(archived: true, state: "SUCCESS", recordID: 7, createdAgo: "2 days")
                let archivedFailure = try schema.insertEntry(
                    archived: true, state: "FAILED", recordID: 7, message: "UNABLE_TO_LOCK_ROW: 3", createdAgo: "1 day")
                let latest = try schema.insertEntry(state: "FAILED", recordID: 7, message: "UNABLE_TO_LOCK_ROW: 4")
                // another action of the same record, and another record: counted apart
                let insert = try schema.insertEntry(state: "FAILED", action: "INSERT", recordID: 7, message: "DUPLICATE_VALUE: x")
                let other = try schema.insertEntry(state: "FAILED", recordID: 8, message: "UNABLE_TO_LOCK_ROW: 5")

                let json = try hcconnect(["failed", "--attempts", "--json"], schema: schema.name)
                #expect(json.status == 0, "\(json.stderr)")
                var attempts: [Int: Int] = [:]
                for line in json.lines {
                    let object = try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                    attempts[try #require(object["id"] as? Int)] = object["attempts"] as? Int
                }
                #expect(attempts == [archivedFailure: 3, latest: 4, insert: 1, other: 1])

                let csv = try hcconnect(["failed", "--attempts", "--format", "csv"], schema: schema.name)
                let rows = csv.stdout.components(separatedBy: "\r\n").filter { !$0.isEmpty }
                #expect(rows[0].hasSuffix(",archived,attempts"))
                #expect(rows.dropFirst().contains { $0.hasPrefix("\(latest),") && $0.hasSuffix(",false,4") })

                let wide = try hcconnect(["failed", "--attempts", "--no-color"], schema: schema.name, terminal: true, columns: 200)
                #expect(wide.lines[0].split(separator: " ").contains("ATTEMPTS"))
                #expect(wide.lines.contains { $0.trimmingCharacters(in: .whitespaces).hasPrefix(String(latest)) && $0.contains(" 4  UNABLE_TO_LOCK_ROW: 4") })
                // the wide layout's column: the first to go
                let narrow = try hcconnect(["failed", "--attempts", "--no-color"], schema: schema.name, terminal: true, columns: 80)
                #expect(!narrow.lines[0].contains("ATTEMPTS"))

                // without --attempts, nothing of it
                let plain = try hcconnect(["failed", "--json"], schema: schema.name)
                #expect(!plain.stdout.contains("attempts"))
                let plainCSV = try hcconnect(["failed", "--format", "csv"], schema: schema.name)
                #expect(plainCSV.lines[0].hasSuffix(",archived"))
            }
        }
    }
}
