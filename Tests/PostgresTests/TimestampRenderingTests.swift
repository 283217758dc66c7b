import Postgres
import TestSupport
import Testing

extension IntegrationSuites {
    /// PostgresTimestamp against the server itself: every timestamp PostgreSQL writes, in time
    /// zones with half-hour offsets, historical offsets with seconds and BC dates, is read and
    /// written back as the server's own text in ISO 8601 form.
    @Suite(.tags(.database)) struct TimestampRenderingTests {
        /// PostgreSQL's text (`2026-11-24 10:13:05.5+05:30`) in ISO 8601 form, the way
        /// `iso8601` writes it: `T` between date and time, minutes always in the offset.
        static func iso8601(fromServerText text: String) -> String {
            var iso = text
            if let space = iso.firstIndex(of: " ") { iso.replaceSubrange(space...space, with: "T") }
            let bc = iso.hasSuffix(" BC")
            if bc { iso.removeLast(3) }
            // the offset starts at the last + or - after the time
            if let sign = iso.lastIndex(where: { $0 == "+" || $0 == "-" }), iso.distance(from: sign, to: iso.endIndex) == 3 {
                iso += ":00"
            }
            return bc ? iso + " BC" : iso
        }

        @Test(arguments: ["UTC", "Asia/Kolkata", "America/St_Johns", "Europe/Amsterdam", "Pacific/Chatham", "America/Los_Angeles"])
        func timestampsAreWrittenAsTheServerWritesThem(timeZone: String) throws {
            let connection = try TestDatabase.connect()
            try connection.setSessionParameter("TimeZone", timeZone)
            // instants from 4713 BC to 9999 AD, with fractions of every length, plus the
            // historical local mean time offsets (with seconds) of the early 20th century
            let rows = try connection.query("""
                SELECT t::text FROM (
                  SELECT timestamptz '1900-01-01 00:00:00+00' + (n * 4567891.123457) * interval '1 second' AS t
                  FROM generate_series(0, 800) AS n
                  UNION ALL
                  SELECT timestamptz '0001-01-01 00:00:00+00' - (n * 4567.891) * interval '1 day'
                  FROM generate_series(1, 100) AS n
                  UNION ALL
                  SELECT to_timestamp(n * 987654321.987 / 7) FROM generate_series(0, 300) AS n
                  UNION ALL
                  VALUES (timestamptz 'infinity'), (timestamptz '-infinity'),
                         (timestamptz '9999-12-31 23:59:59.999999+00'), (timestamptz '1200-02-29 12:00:00.000001+00')
                ) AS s
                """)
            #expect(rows.count > 1_000)
            for row in rows {
                let text = try #require(row.string(0))
                let timestamp = try #require(PostgresTimestamp(text), "\(text)")
                #expect(timestamp.iso8601 == Self.iso8601(fromServerText: text), "\(text) in \(timeZone)")
            }
        }
    }
}
