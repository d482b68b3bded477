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
}
