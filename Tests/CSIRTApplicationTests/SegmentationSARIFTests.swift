import CSIRTApplication
import Foundation
import XCTest

final class SegmentationSARIFTests: XCTestCase {
    static let repository: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url
    }()

    /// A stored run keeps only its JSON document; the SARIF served for it must be the live check's, byte for byte.
    func testStoredDocumentGivesTheLiveRunsSARIF() throws {
        let site = Self.repository.appendingPathComponent("Examples/segmentation/alpha/network-noncompliant.yaml").path
        let run = try SegmentationRun.check(siteFile: site, policyFile: nil,
                                            policyDirectory: Self.repository.appendingPathComponent("Policies").path)
        let stored = try JSONDecoder().decode(SegmentationDocument.self, from: SegmentationDocument(run, includeRun: false).encoded())
        let live = SegmentationSARIF.encode(run)
        XCTAssertFalse(live.isEmpty)
        XCTAssertEqual(live, SegmentationSARIF.encode(stored))
        XCTAssertTrue(String(decoding: live, as: UTF8.self).contains("\"ruleId\" : \"MN-01\""), "the violated rule is reported")
    }
}
