import CSIRTStore
import Foundation
import GRDB
import XCTest

/// csirt writes times itself; they must be exactly the text GRDB writes for a `Date`, since both
/// are read back by GRDB and compared as text in queries.
final class StoredTimeTests: XCTestCase {
    func testSameTextAsGRDB() {
        var generator = SystemRandomNumberGenerator()
        var dates: [Date] = [Date(timeIntervalSince1970: 0), Date(timeIntervalSince1970: 1_764_460_799.9996),
                             Date(timeIntervalSince1970: 1_764_460_799.999_999_9), Date(timeIntervalSince1970: 1_764_460_800),
                             Date(timeIntervalSince1970: 951_782_400.0005), Date(timeIntervalSince1970: 4_102_444_799.999)]
        for _ in 0..<20_000 {
            // 1990–2100, with all sorts of fractions.
            dates.append(Date(timeIntervalSince1970: Double.random(in: 631_152_000...4_102_444_800, using: &generator)))
        }
        for _ in 0..<2_000 {
            let second = Double(Int.random(in: 631_152_000...4_102_444_800, using: &generator))
            dates.append(Date(timeIntervalSince1970: second + Double(Int.random(in: 0...999, using: &generator)) / 1000))
        }
        var mismatches: [String] = []
        for date in dates {
            guard case .string(let expected) = date.databaseValue.storage else { return XCTFail("GRDB stores a Date as text") }
            let written = StoredTime.text(date)
            if written != expected { mismatches.append("\(date.timeIntervalSince1970): \(written) != \(expected)") }
        }
        XCTAssertEqual(mismatches.count, 0, mismatches.prefix(5).joined(separator: "; "))
    }

    func testReadsWhatGRDBReads() {
        var generator = SystemRandomNumberGenerator()
        var texts = ["1970-01-01 00:00:00.000", "2000-02-29 23:59:59.999", "2026-11-30 07:00:00", "2100-12-31 12:34:56.789"]
        for _ in 0..<20_000 {
            texts.append(StoredTime.text(Date(timeIntervalSince1970: Double.random(in: 631_152_000...4_102_444_800, using: &generator))))
        }
        for text in texts {
            let ours = StoredTime.date(text), theirs = Date.fromDatabaseValue(text.databaseValue)
            XCTAssertNotNil(ours, text)
            XCTAssertEqual(ours?.timeIntervalSince1970 ?? 0, theirs?.timeIntervalSince1970 ?? -1, accuracy: 0.000_5, text)
            XCTAssertEqual(ours.map(StoredTime.text), theirs.map(StoredTime.text), text)
        }
        for bad in ["", "2026-11-30", "2026-13-01 00:00:00", "2026-11-30 24:00:00", "2026-11-30 07:00:00.12", "２０２６-11-30 07:00:00"] {
            XCTAssertNil(StoredTime.date(bad), bad)
        }
    }
}
