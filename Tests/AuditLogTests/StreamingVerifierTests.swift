import AuditLog
import CanonicalJSON
import CSIRTCrypto
import Foundation
import TestSupport
import XCTest

/// The verifier reads a log in 512 KiB chunks, sixteen chunks to a window on two cores: these
/// logs span many chunks and several windows, with lines that cross chunk ends and lines far
/// longer than a chunk's margin, so that every line is found once, wherever it falls.
final class StreamingVerifierTests: XCTestCase {
    static let time = "2026-12-04T09:00:00Z"
    var directory: TemporaryDirectory!
    var key: PrivateKey!

    override func setUpWithError() throws {
        directory = TemporaryDirectory()
        key = try PrivateKey.generateEd25519()
    }

    /// A log of `entries` entries, a checkpoint every 50, with long entries at `long` (seq → bytes
    /// of text), built in memory and written at once.
    func build(entries: Int, long: [Int: Int] = [:]) throws -> (path: String, lines: [[UInt8]]) {
        var lines: [[UInt8]] = []
        var prev = Digest.zero
        var origin = Digest.zero
        var checkpoints: Int64 = 0
        func seal(_ size: Int64) throws {
            checkpoints += 1
            let line = try Checkpoint.sign(origin: origin, size: size, head: prev, number: checkpoints, key: key).line
            lines.append(line)
            prev = Digest(hashing: line + [0x0a])
        }
        for seq in 1...entries {
            let text = long[seq].map { String(repeating: "隔", count: $0 / 3) } ?? "contained host 10.20.\(seq % 250).\(seq % 199) / 端末隔離"
            let draft = seq == 1 ? AuditEntryDraft(actor: "tester", action: "init", target: "home", details: ["format": "csirt-audit/v1"])
                : AuditEntryDraft(actor: "tanaka", action: "incident.note", target: "INC-2026-0001", details: ["text": .string(text), "n": .integer(Int64(seq))])
            let line = AuditEntry(seq: Int64(seq), time: Self.time, draft: draft, prev: prev).line
            lines.append(line)
            prev = Digest(hashing: line + [0x0a])
            if seq == 1 { origin = prev }
            if seq == 1 || seq % 50 == 0 || seq == entries { try seal(Int64(seq)) }
        }
        let path = directory.file("audit.log")
        LogFixtures.write(lines, to: path)
        return (path, lines)
    }

    func verify(_ path: String, signatures: AuditLogVerifier.SignaturePolicy = .all) throws -> VerificationReport {
        try AuditLogVerifier.verify(path: path, options: .init(trustedKeys: [key.publicKey], signatures: signatures))
    }

    func testEveryLineIsFoundWhereverChunksEnd() throws {
        // About 14 MB: two windows. Long lines of 40 KiB to 1 MiB land across chunk ends.
        let long = [3_000: 40_000, 9_000: 700_000, 9_001: 600_000, 20_000: 1_000_000, 30_000: 1_048_000]
        let (path, lines) = try build(entries: 36_000, long: long)
        let size = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber).intValue
        XCTAssertGreaterThan(size, 16 * (512 << 10), "spans more than one window of 16 chunks")
        for signatures in AuditLogVerifier.SignaturePolicy.allCases {
            let report = try verify(path, signatures: signatures)
            XCTAssertNil(report.failure, "\(signatures): \(String(describing: report.failure))")
            XCTAssertEqual(report.lines, lines.count)
            XCTAssertEqual(report.entries, 36_000)
            XCTAssertEqual(report.checkpoints, lines.count - 36_000)
        }
    }

    func testDamageInALaterWindowIsNamedAtItsLine() throws {
        let (path, pristine) = try build(entries: 36_000, long: [20_000: 900_000])
        var random = SeededGenerator(seed: 14)
        // A flipped byte in lines spread over the file, the long line among them.
        let longLine = try XCTUnwrap(pristine.firstIndex { $0.count > 800_000 })
        for index in [1, 25_000, 30_017, longLine, pristine.count - 2] {
            var lines = pristine
            let position = Int.random(in: 0..<lines[index].count, using: &random)
            lines[index][position] = lines[index][position] == UInt8(ascii: "a") ? UInt8(ascii: "b") : UInt8(ascii: "a")
            LogFixtures.write(lines, to: path)
            let failure = try XCTUnwrap(try verify(path).failure, "line \(index + 1)")
            XCTAssertEqual(failure.line, index + 1, "\(failure)")
        }
        // A deleted line, an inserted copy, two lines swapped: far from the start.
        var deleted = pristine
        deleted.remove(at: 31_000)
        LogFixtures.write(deleted, to: path)
        let gone = try XCTUnwrap(try verify(path).failure)
        XCTAssertEqual(gone.reason, .deleted, "\(gone)")
        XCTAssertEqual(gone.line, 31_001)
        var copied = pristine
        copied.insert(pristine[27_000], at: 33_000)
        LogFixtures.write(copied, to: path)
        let copy = try XCTUnwrap(try verify(path).failure)
        XCTAssertEqual(copy.reason, .duplicated, "\(copy)")
        XCTAssertEqual(copy.line, 33_001)
        var swapped = pristine
        swapped.swapAt(34_000, 34_001)
        LogFixtures.write(swapped, to: path)
        let order = try XCTUnwrap(try verify(path).failure)
        XCTAssertEqual(order.reason, .reordered, "\(order)")
        XCTAssertEqual(order.line, 34_001)
    }

    /// A line one byte over the limit, deep in the file: named, and nothing after it is trusted.
    func testAnOverlongLineIsNamed() throws {
        let (path, pristine) = try build(entries: 20_000)
        var lines = pristine
        lines.insert(Array(String(repeating: "x", count: (1 << 20) + 1).utf8), at: 15_000)
        LogFixtures.write(lines, to: path)
        let failure = try XCTUnwrap(try verify(path).failure)
        XCTAssertEqual(failure.line, 15_001, "\(failure)")
        XCTAssertTrue(failure.message.contains("longer than the 1 MiB limit"), failure.message)
        // Without a newline for several chunks: the same, and the verifier reads on only as far as the limit.
        var endless = Array(pristine.prefix(15_000))
        endless.append(Array(String(repeating: "y", count: 3 << 20).utf8))
        LogFixtures.write(endless + Array(pristine.suffix(from: 15_000)), to: path)
        let long = try XCTUnwrap(try verify(path).failure)
        XCTAssertEqual(long.line, 15_001, "\(long)")
    }
}
