import TestSupport
import Testing

@testable import HCConnectCLI

/// ``FailureChart``: bars in eighths, the scale, the labels, and the width kept whatever
/// the number of buckets.
@Suite(.tags(.unit)) struct FailureChartTests {
    /// The height of each column's bar in eighths, read back from the drawn rows (the rows
    /// above the axis, top first), one per bar of `barWidth` columns and `gap` spaces.
    static func barHeights(_ lines: [String], rows: Int, prefix: Int, pitch: Int, bars: Int) -> [Int] {
        let plotRows = lines.prefix(rows).map { Array($0.dropFirst(prefix)) }
        return (0..<bars).map { bar in
            plotRows.reversed().enumerated().reduce(0) { total, row in
                let column = bar * pitch
                guard column < row.element.count, let level = FailureChart.eighths.firstIndex(of: row.element[column])
                else { return total }
                return total + level
            }
        }
    }

    /// `07:00`.
    static func hour(_ hour: Int) -> String { (hour < 10 ? "0" : "") + "\(hour):00" }

    @Test func barsAreTheirCountsInEighthsOfARowWithTheScaleOnTheLeft() {
        let counts = [0, 1, 4, 8, 2]
        let lines = FailureChart.lines(counts, labels: ["a", "b", "c", "d", "e"], width: 40, height: 2)
        #expect(lines.count == 4)
        #expect(lines[0].hasPrefix("8 ┤"))
        #expect(lines[1].hasPrefix("  │"))
        #expect(lines[2].hasPrefix("0 └─"))
        // 37 columns for 5 buckets: 7 each, a bar of 6 and a gap of 1
        let layout = FailureChart.Layout(buckets: 5, columns: 37)
        #expect(layout.barWidth == 6 && layout.gap == 1 && layout.bucketsPerColumn == 1)
        let heights = Self.barHeights(lines, rows: 2, prefix: 3, pitch: 7, bars: 5)
        // two rows are 16 eighths: 8 fills them, 4 half, 1 the least visible, 0 nothing
        #expect(heights == counts.map { FailureChart.eighthsFilled($0, scale: 8, rows: 2) })
        #expect(heights == [0, 2, 8, 16, 4])
        // every bar is drawn as wide as its share
        #expect(lines[1].filter { $0 == "█" }.count == 2 * 6)
    }

    @Test func aSingleFailureIsVisibleBesideAThousand() {
        #expect(FailureChart.eighthsFilled(1, scale: 1000, rows: 8) == 1)
        #expect(FailureChart.eighthsFilled(1000, scale: 1000, rows: 8) == 64)
        #expect(FailureChart.eighthsFilled(0, scale: 1000, rows: 8) == 0)
        let lines = FailureChart.lines([1000, 1], width: 30, height: 3)
        #expect(lines[2].contains("▁"))
        #expect(lines[0].hasPrefix("1,000 ┤"))
    }

    @Test(arguments: [0, 1, 5, 24, 77, 78, 168, 500, 10_000])
    func linesNeverPassTheWidthAndKeepTheTotal(buckets: Int) {
        var random = SeededRandom(seed: UInt64(buckets) + 17)
        let counts = (0..<buckets).map { _ in random.below(50) }
        let labels = (0..<buckets).map { Self.hour($0 % 24) }
        for width in [20, 40, 80, 132] {
            let lines = FailureChart.lines(counts, labels: labels, width: width, height: 6)
            #expect(lines.count == 8)
            for line in lines {
                #expect(DisplayText.width(line) <= width, "\(buckets) buckets at \(width): \(line)")
            }
            // columns add buckets up: the scale is the largest column, never less than the largest bucket
            let layout = FailureChart.Layout(buckets: buckets, columns: width - 2 - (lines[0].firstIndex(of: " ").map {
                lines[0].distance(from: lines[0].startIndex, to: $0)
            } ?? 1))
            let columns = layout.columnValues(counts)
            #expect(columns.reduce(0, +) == counts.reduce(0, +))
            #expect(columns.count <= max(1, width))
            let scale = max(1, columns.max() ?? 0)
            #expect(lines[0].hasPrefix(ReadableFigure.count(scale) + " ┤"), "\(lines[0])")
        }
    }

    @Test func moreBucketsThanColumnsAreAddedUp() {
        let layout = FailureChart.Layout(buckets: 168, columns: 70)
        #expect(layout.bucketsPerColumn == 3)
        #expect(layout.barWidth == 1 && layout.gap == 0)
        #expect(layout.columnValues([1, 2, 3, 4, 5, 6, 7]) == [6, 15, 7])
        let fewer = FailureChart.Layout(buckets: 24, columns: 77)
        #expect(fewer.bucketsPerColumn == 1 && fewer.barWidth == 2 && fewer.gap == 1)
        let exact = FailureChart.Layout(buckets: 77, columns: 77)
        #expect(exact.barWidth == 1 && exact.gap == 0)
    }

    @Test func anEmptyWindowDrawsAnEmptyChart() {
        let lines = FailureChart.lines(Array(repeating: 0, count: 24), labels: Array(repeating: "00:00", count: 24), width: 80, height: 4)
        #expect(lines[0].hasPrefix("1 ┤"))
        #expect(lines.prefix(4).allSatisfy { !$0.contains { FailureChart.eighths.dropFirst().contains($0) } })
        #expect(lines[4].hasPrefix("0 └"))
        let none = FailureChart.lines([], width: 80, height: 2)
        #expect(none.count == 4)
        #expect(none[3] == "")
    }

    @Test func labelsSitUnderTheirBarsEvenlyAndNeverTouch() {
        let labels = (0..<24).map { Self.hour($0) }
        let lines = FailureChart.lines(Array(repeating: 1, count: 24), labels: labels, width: 80, height: 1)
        let labelLine = lines[2]
        // 5-column labels on a pitch of 3: every second bucket's, starting under the first bar
        #expect(labelLine.hasPrefix("   00:00 02:00 04:00"), "\(labelLine)")
        #expect(labelLine.split(separator: " ").count == 12)
        // at 20 columns fewer fit, still apart
        let narrow = FailureChart.lines(Array(repeating: 1, count: 24), labels: labels, width: 20, height: 1)
        let words = narrow[2].split(separator: " ")
        #expect(!words.isEmpty && words.allSatisfy { $0.count == 5 })
        #expect(DisplayText.width(narrow[2]) <= 20)
        // labels of wide characters are measured in columns
        let wide = FailureChart.lines([1, 2], labels: ["月曜", "火曜"], width: 20, height: 1)
        #expect(DisplayText.width(wide[2]) <= 20)
        #expect(wide[2].contains("月曜"))
    }

    @Test func sparklinesAreOneCharacterPerBucket() {
        #expect(FailureChart.sparkline([0, 1, 2, 4, 8]) == " ▁▂▄█")
        #expect(FailureChart.sparkline([0, 0, 0]) == "   ")
        #expect(FailureChart.sparkline([]) == "")
        // a shared scale: the same count draws the same height in two lines
        #expect(FailureChart.sparkline([4], scale: 8) == "▄")
        #expect(FailureChart.sparkline([1], scale: 1000) == "▁")
        #expect(FailureChart.sparkline([2000], scale: 1000) == "█")
        // more buckets than the width: added up
        let long = FailureChart.sparkline(Array(repeating: 1, count: 100), width: 10)
        #expect(long.count == 10)
        #expect(long == String(repeating: "█", count: 10))
        #expect(FailureChart.sparkline([1, 0, 0, 0, 0, 0, 0, 0, 0, 8], width: 5) == "▁   █")
    }
}
