import AuditLog
import CSIRTCrypto
import Foundation
import TestSupport
import XCTest

/// A verification of a large log holds the log's lock only while it notes the size: a write made
/// meanwhile — by the CLI, as a cron job or an officer would — is not held up behind it.
final class ConcurrentVerifyTests: XCTestCase {
    /// Appends `count` entries and one checkpoint to a home's log, as csirt would have written
    /// them, and records the new position in the home's database (with the sqlite3 CLI). Built
    /// from a template, because a million entries through the writer take minutes in a debug build.
    static func grow(home: String, by count: Int) throws -> Int64 {
        let log = home + "/audit/audit.log"
        let keys = try FileManager.default.contentsOfDirectory(atPath: home + "/keys")
        let keyPath = home + "/keys/" + (try XCTUnwrap(keys.first { !$0.hasSuffix(".pub.pem") }))
        let key = try PrivateKey(pem: [UInt8](try XCTUnwrap(FileManager.default.contents(atPath: keyPath))), source: keyPath)
        let lines = LogFixtures.lines(of: log)
        let origin = Digest(hashing: lines[0] + [0x0a])
        let last = try Checkpoint.parse(try XCTUnwrap(lines.last))
        var prev = Digest(hashing: try XCTUnwrap(lines.last) + [0x0a])
        var seq = last.size
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: log))
        handle.seekToEndOfFile()
        let before = Array(#"{"action":"incident.note","actor":"tanaka","details":{"text":"端末をネットワークから隔離した (contained host 10.20.1.5)"},"prev":""#.utf8)
        let between = Array(#"","seq":"#.utf8)
        let after = Array(#","target":"INC-2026-0001","time":"2026-12-04T00:00:00Z"}"#.utf8) + [0x0a]
        var buffer: [UInt8] = []
        buffer.reserveCapacity(8 << 20)
        var hex = [UInt8](repeating: 0, count: 64)
        for _ in 0..<count {
            seq += 1
            let start = buffer.count
            buffer += before
            prev.bytes.withUnsafeBytes { raw in hex.withUnsafeMutableBufferPointer { Hex.encode(raw, into: $0.baseAddress!) } }
            buffer += hex
            buffer += between
            buffer += Array(String(seq).utf8)
            buffer += after
            prev = buffer[start...].withUnsafeBytes { Digest(hashing: $0) }
            if buffer.count > 4 << 20 {
                handle.write(Data(buffer))
                buffer.removeAll(keepingCapacity: true)
            }
        }
        let checkpoint = try Checkpoint.sign(origin: origin, size: seq, head: prev, number: last.number + 1, key: key).line + [0x0a]
        buffer += checkpoint
        handle.write(Data(buffer))
        try handle.close()
        let size = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: log)[.size] as? NSNumber).intValue
        let position = #"{"bytes":\#(size),"checkpoints":\#(last.number + 1),"head":"\#(Digest(hashing: checkpoint).hex)","lastSeq":\#(seq),"origin":"\#(origin.hex)"}"#
        let update = try TestProcess.run("/usr/bin/env", ["sqlite3", home + "/csirt.sqlite", "UPDATE setting SET value = '\(position)' WHERE name = 'audit.position'"])
        XCTAssertEqual(update.status, 0, update.stderr)
        return seq
    }

    func testACLIWriteFinishesWithinASecondWhileAMillionEntryLogIsVerified() throws {
        let directory = TemporaryDirectory()
        let home = directory.file("home")
        XCTAssertEqual(try CSIRTBinary.run(["init", "--home", home]).status, 0)
        let entries = try Self.grow(home: home, by: 1_000_000)
        XCTAssertEqual(try CSIRTBinary.run(["audit", "note", "--home", home, "grown"]).status, 0, "csirt accepts the grown log as its own")

        let verifier = Process()
        verifier.executableURL = URL(fileURLWithPath: CSIRTBinary.path)
        verifier.arguments = ["audit", "verify", "--home", home, "--format", "json"]
        let output = Pipe()
        verifier.standardOutput = output
        verifier.standardError = FileHandle.nullDevice
        try verifier.run()
        Thread.sleep(forTimeInterval: 0.5)
        XCTAssertTrue(verifier.isRunning, "the verification is under way")

        var slowest = 0.0
        for index in 0..<3 {
            let start = Date()
            let note = try CSIRTBinary.run(["audit", "note", "--home", home, "written during the verification \(index)"])
            slowest = max(slowest, Date().timeIntervalSince(start))
            XCTAssertEqual(note.status, 0, note.stderr)
        }
        XCTAssertTrue(verifier.isRunning, "the writes happened while the verification ran (it ended too soon to show anything)")
        XCTAssertLessThan(slowest, 1.0, "a CLI write took \(slowest) s while the log was being verified")

        let report = output.fileHandleForReading.readDataToEndOfFile()
        verifier.waitUntilExit()
        XCTAssertEqual(verifier.terminationStatus, 0, String(decoding: report, as: UTF8.self))
        // It verified the log as it was when it noted the size: the grown entries and the note, not the later ones.
        XCTAssertTrue(String(decoding: report, as: UTF8.self).contains("\"entries\":\(entries + 1),"), String(decoding: report.prefix(400), as: UTF8.self))
        XCTAssertEqual(try CSIRTBinary.run(["audit", "verify", "--home", home, "--signatures", "latest"]).status, 0)
    }
}
