import AuditLog
import CSIRTCrypto
import Foundation

/// A reproducible random source for tests (SplitMix64).
public struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}

public enum LogFixtures {
    /// Writes a log of `entries` entries (the init entry included) in batches of 1–5 entries, each
    /// sealed by a checkpoint, the way csirt commands write it.
    public static func build(at path: String, entries: Int, key: PrivateKey, seed: UInt64 = 42) throws {
        var random = SeededGenerator(seed: seed)
        let time = "2026-11-23T09:00:00Z"
        _ = try AuditLogWriter.create(path: path, initDraft: AuditEntryDraft(actor: "tester", action: "init", target: "home", details: ["format": "csirt-audit/v1"]), signer: key, time: time)
        let writer = AuditLogWriter(path: path)
        var written = 1
        let actors = ["tanaka", "suzuki", "佐藤", "kato"]
        let actions = ["incident.open", "incident.note", "incident.advance", "audit.note", "check.segmentation"]
        while written < entries {
            let batch = min(entries - written, Int.random(in: 1...5, using: &random))
            let drafts = (0..<batch).map { k in
                AuditEntryDraft(actor: actors.randomElement(using: &random)!, action: actions.randomElement(using: &random)!,
                                target: "INC-2026-\(String(format: "%04d", written + k))",
                                details: ["note": .string("step \(written + k): contained host 10.20.\(k).\(written % 250) / 端末隔離"),
                                          "count": .integer(Int64(written + k)), "flag": .bool(k % 2 == 0)])
            }
            try writer.append(drafts, signers: [key], time: time)
            written += batch
        }
    }

    /// The file's lines without their newlines (the last one may be torn).
    public static func lines(of path: String) -> [[UInt8]] {
        let bytes = [UInt8](FileManager.default.contents(atPath: path) ?? Data())
        var lines = bytes.split(separator: 0x0a, omittingEmptySubsequences: false).map(Array.init)
        if lines.last?.isEmpty == true { lines.removeLast() }
        return lines
    }

    /// Writes `lines`, each followed by a newline.
    public static func write(_ lines: [[UInt8]], to path: String, tornTail: [UInt8]? = nil) {
        var bytes: [UInt8] = []
        for line in lines { bytes += line + [0x0a] }
        if let tornTail { bytes += tornTail }
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
    }
}
