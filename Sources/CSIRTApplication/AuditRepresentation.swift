import AuditLog
import CanonicalJSON
import Foundation

/// The audit log's reports as JSON: one representation for `csirt audit … --format json` and the API.
public enum AuditRepresentation {
    /// Times in reports read without a home (an outsider's copy of a log): csirt's default legal time zone.
    public static let defaultZone = TimeZone(identifier: "Asia/Tokyo")!

    public static func json(_ report: VerificationReport, zone: TimeZone = AuditRepresentation.defaultZone) -> JSONValue {
        func time(_ seconds: Int64) -> JSONValue { .string(TimeInput.format(Date(timeIntervalSince1970: TimeInterval(seconds)), zone: zone)) }
        var object: [String: JSONValue] = [
            "ok": .bool(report.isIntact),
            "log": .string(report.path),
            "bytes": .integer(Int64(report.bytes)),
            "lines": .integer(Int64(report.lines)),
            "entries": .integer(report.entries),
            "checkpoints": .integer(Int64(report.checkpoints)),
            "anchor_checked": .bool(report.anchorChecked),
            "keys": .array(report.keys.map {
                ["keyid": .string($0.keyID), "alg": .string($0.algorithm), "checkpoints": .integer(Int64($0.checkpoints)),
                 "first_size": .integer($0.firstSize), "last_size": .integer($0.lastSize),
                 "retired_at_seq": $0.retiredAtSeq.map(JSONValue.integer) ?? .null]
            }),
            "rotations": .array(report.rotations.map {
                ["old_keyid": .string($0.oldKeyID), "new_keyid": .string($0.newKeyID), "seq": .integer($0.seq), "line": .integer(Int64($0.line)),
                 "time": time($0.time)]
            }),
            "voided": .array(report.voided.map {
                ["from_seq": .integer($0.fromSeq), "to_seq": .integer($0.toSeq), "reason": .string($0.reason),
                 "seq": .integer($0.seq), "line": .integer(Int64($0.line))]
            }),
            "timestamps": .array(report.timestamps.map {
                ["file": .string($0.file), "checkpoint": .integer($0.checkpoint), "line": .integer(Int64($0.line)),
                 "token_time": time($0.tokenTime), "checkpoint_time": time($0.checkpointTime), "late": .bool($0.isLate)]
            }),
            "position_checked": .bool(report.positionChecked),
        ]
        if let unrecorded = report.unrecorded {
            object["unrecorded"] = [
                "from_seq": unrecorded.fromSeq.map(JSONValue.integer) ?? .null, "to_seq": unrecorded.toSeq.map(JSONValue.integer) ?? .null,
                "from_line": .integer(Int64(unrecorded.fromLine)), "lines": .integer(Int64(unrecorded.lines)), "bytes": .integer(Int64(unrecorded.bytes)),
            ]
        }
        if let origin = report.origin { object["origin"] = .string(origin.hex) }
        if let last = report.lastCheckpoint {
            object["head"] = ["size": .integer(last.size), "hash": .string(last.head.hex), "checkpoint": .integer(last.number), "keyid": .string(last.keyID)]
        }
        if let failure = report.failure {
            object["failure"] = [
                "line": .integer(Int64(failure.line)),
                "seq": failure.seq.map { .integer($0) } ?? .null,
                "reason": .string(failure.reason.rawValue),
                "message": .string(failure.message),
            ]
        }
        return .object(object)
    }

    public static func json(_ latest: LatestCheckpoint) -> JSONValue {
        let checkpoint = latest.checkpoint
        return ["line": .string(latest.line), "size": .integer(checkpoint.size), "head": .string(checkpoint.head.hex),
                "origin": .string(checkpoint.origin.hex), "keyid": .string(checkpoint.keyID),
                "alg": .string(checkpoint.algorithm), "number": .integer(checkpoint.number),
                "unsealed_after": .bool(latest.unsealedAfter)]
    }

    public static func json(_ key: SigningKeyInfo) -> JSONValue {
        var object: [String: JSONValue] = [
            "keyid": .string(key.keyID), "alg": .string(key.algorithm), "status": .string(key.status.rawValue),
            "created_at": .string(key.createdAt), "retired_at": key.retiredAt.map { .string($0) } ?? .null,
            "retired_at_seq": key.retirement.map { .integer($0.seq) } ?? .null,
            "public_key": .string(key.publicKeyPath),
        ]
        if let usage = key.usage {
            object["checkpoints"] = .integer(Int64(usage.checkpoints))
            object["first_size"] = .integer(usage.firstSize)
            object["last_size"] = .integer(usage.lastSize)
        } else {
            object["checkpoints"] = 0
        }
        return .object(object)
    }
}
