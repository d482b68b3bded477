import CanonicalJSON
import CSIRTCrypto
import Foundation

/// The sequential part of verification, over the records of the parallel pass.
struct Verification {
    let path: String
    let bytes: UnsafeBufferPointer<UInt8>
    let records: [LineRecord]
    let problems: [Int: JSONSyntaxError]
    let options: AuditLogVerifier.Options

    init(path: String, bytes: UnsafeBufferPointer<UInt8>, scan: [LineRecord], problems: [Int: JSONSyntaxError], options: AuditLogVerifier.Options) {
        self.path = path
        self.bytes = bytes
        self.records = scan
        self.problems = problems
        self.options = options
    }

    func run() throws(AuditLogError) -> VerificationReport {
        try requireAuditLog()
        var walk = Walk(records: records)
        let structural = walkChain(&walk)
        // Everything before the first structural failure is in order; check its signatures.
        let limit = structural.map { $0.line - 1 } ?? records.count
        let checkpoints = walk.checkpoints.filter { $0 < limit }
        let (signatureFailure, verified, usage) = verifySignatures(checkpoints)
        var failures = [structural, signatureFailure].compactMap { $0 }
        var anchorChecked = false
        if let anchor = options.anchor {
            switch checkAnchor(anchor, walkedUpTo: limit) {
            case .extended: anchorChecked = true
            case .failed(let problem): failures.append(problem)
            case .notReached: break
            }
        }
        if structural == nil, let unsealed = walk.firstUnsealed {
            let record = records[unsealed]
            failures.append(IntegrityFailure(
                line: unsealed + 1, seq: record.number, reason: .unsealed,
                message: "entries from seq \(record.number) on come after the last checkpoint; no signature covers them"
            ))
        }
        // The first bad line wins; on a tie the structural reason, which says more.
        let failure = failures.enumerated().min { a, b in
            (a.element.line, a.offset) < (b.element.line, b.offset)
        }?.element
        let lastVerified = verified.last.flatMap { checkpoint(at: $0) }
        return VerificationReport(
            path: path, bytes: bytes.count, lines: records.count, entries: walk.lastSeq,
            checkpoints: walk.checkpoints.count, origin: records.first.map { $0.hash },
            lastCheckpoint: lastVerified, keys: usage, anchorChecked: anchorChecked, failure: failure
        )
    }

    /// Refuses files that are not audit logs at all (exit 2), as opposed to damaged ones (exit 1).
    private func requireAuditLog() throws(AuditLogError) {
        let usable = records.prefix(2).contains { $0.kind == .entry || $0.kind == .checkpoint }
        if !usable {
            let detail = problems[0].map { ": \($0.reason)" } ?? ""
            throw AuditLogError("\(path):1: not a csirt audit log\(detail)")
        }
    }

    // MARK: The chain

    struct Walk {
        let records: [LineRecord]
        var expectedSeq: Int64 = 1
        var lastSeq: Int64 = 0
        var expectedCheckpoint: Int64 = 1
        var checkpoints: [Int] = []
        var firstUnsealed: Int? = nil
    }

    private func line(_ index: Int) -> UnsafeBufferPointer<UInt8> {
        let record = records[index]
        return UnsafeBufferPointer(rebasing: bytes[record.offset..<(record.offset + record.length)])
    }

    private func walkChain(_ walk: inout Walk) -> IntegrityFailure? {
        let origin = records[0].hash
        for i in records.indices {
            let record = records[i]
            let lineNumber = i + 1
            switch record.kind {
            case .torn:
                return IntegrityFailure(
                    line: lineNumber, seq: nil, reason: .tornLine,
                    message: "the last line is \(record.length) bytes without a final newline (an interrupted write); the next csirt write repairs it with an audit.recover entry"
                )
            case .invalid:
                let problem = problems[i] ?? JSONSyntaxError(offset: 0, reason: "unreadable")
                return IntegrityFailure(
                    line: lineNumber, seq: nil, reason: .modified,
                    message: "not a valid audit line: \(problem.reason) (byte \(problem.offset + 1))"
                )
            case .entry, .checkpoint:
                break
            }
            let expectedLink = i == 0 ? Digest.zero : records[i - 1].hash
            if record.link != expectedLink {
                return classifyBreak(at: i, walk: walk)
            }
            if record.kind == .entry {
                if i == 0, !isInitEntry(0) {
                    return IntegrityFailure(line: 1, seq: record.number, reason: .modified,
                                            message: "line 1 must be the init entry with seq 1")
                }
                if record.number != walk.expectedSeq {
                    return numberingFailure(at: i, found: record.number, expected: walk.expectedSeq, what: "seq")
                }
                walk.lastSeq = record.number
                walk.expectedSeq += 1
                if walk.firstUnsealed == nil { walk.firstUnsealed = i }
            } else {
                if i == 0 {
                    return IntegrityFailure(line: 1, seq: nil, reason: .modified, message: "line 1 must be the init entry, not a checkpoint")
                }
                if record.number != walk.lastSeq {
                    return numberingFailure(at: i, found: record.number, expected: walk.lastSeq, what: "checkpoint size")
                }
                if record.checkpointNumber != walk.expectedCheckpoint {
                    return numberingFailure(at: i, found: record.checkpointNumber, expected: walk.expectedCheckpoint, what: "checkpoint number")
                }
                if !record.originMatches {
                    return IntegrityFailure(line: lineNumber, seq: record.number, reason: .modified,
                                            message: "the checkpoint names another log as its origin (this log's line 1 hashes to \(origin.hex.prefix(16))…)")
                }
                walk.expectedCheckpoint += 1
                walk.checkpoints.append(i)
                walk.firstUnsealed = nil
            }
        }
        return nil
    }

    private func isInitEntry(_ index: Int) -> Bool {
        guard let parsed = try? AuditLine.parse(line(index)) else { return false }
        let action = line(index)[parsed.action]
        return records[index].number == 1 && Array(action) == Array("init".utf8)
    }

    /// The line is linked correctly but carries the wrong number.
    private func numberingFailure(at i: Int, found: Int64, expected: Int64, what: String) -> IntegrityFailure {
        let record = records[i]
        if let inserted = insertedHere(i) { return inserted }
        // If the next line no longer links to this one, this line's own bytes were changed.
        if i + 1 < records.count, records[i + 1].link != record.hash {
            return IntegrityFailure(line: i + 1, seq: record.number, reason: .modified,
                                    message: "\(what) \(found) where \(expected) was expected, and line \(i + 2) no longer links to this line")
        }
        if found > expected {
            let message = what == "checkpoint number"
                ? "checkpoint number \(found) where \(expected) was expected: checkpoint lines were deleted before this line"
                : "\(what) \(found) where \(expected) was expected: entries were deleted before this line (and the chain was rewritten)"
            return IntegrityFailure(line: i + 1, seq: record.number, reason: .deleted, message: message)
        }
        return IntegrityFailure(line: i + 1, seq: record.number, reason: .modified,
                                message: "\(what) \(found) where \(expected) was expected")
    }

    /// Line `i` does not belong if the line after it links straight to the line before it.
    private func insertedHere(_ i: Int) -> IntegrityFailure? {
        guard i + 1 < records.count, records[i + 1].kind == .entry || records[i + 1].kind == .checkpoint else { return nil }
        let before = i == 0 ? Digest.zero : records[i - 1].hash
        guard records[i + 1].link == before else { return nil }
        return IntegrityFailure(line: i + 1, seq: records[i].number, reason: .inserted,
                                message: "this line does not belong here: line \(i + 2) links directly to \(i == 0 ? "the start of the log" : "line \(i)")")
    }

    /// Line `i` does not link to line `i - 1`: work out what happened, and to which line.
    private func classifyBreak(at i: Int, walk: Walk) -> IntegrityFailure {
        let record = records[i]
        let lineNumber = i + 1
        guard i > 0 else {
            if record.kind == .checkpoint || record.number > 1 {
                return IntegrityFailure(line: 1, seq: record.number, reason: .deleted,
                                        message: "the log's first lines are missing: line 1 is not the init entry")
            }
            return IntegrityFailure(line: 1, seq: record.number, reason: .modified,
                                    message: "line 1 must link to the genesis value (64 zeros)")
        }
        if Array(line(i)) == Array(line(i - 1)) {
            return IntegrityFailure(line: lineNumber, seq: record.number, reason: .duplicated,
                                    message: "this line repeats line \(i)")
        }
        if let earlier = records[..<(i - 1)].firstIndex(where: { $0.hash == record.hash }) {
            return IntegrityFailure(line: lineNumber, seq: record.number, reason: .duplicated,
                                    message: "this line is a copy of line \(earlier + 1)")
        }
        let target = records.firstIndex { $0.hash == record.link }
        if let target, target > i {
            return IntegrityFailure(line: lineNumber, seq: record.number, reason: .reordered,
                                    message: "this line is out of order: it links to line \(target + 1), which comes after it")
        }
        if let inserted = insertedHere(i) { return inserted }
        if let target {
            if target < i - 1 {
                return IntegrityFailure(line: target + 2, seq: records[target + 1].number, reason: .inserted,
                                        message: "lines \(target + 2)–\(i) do not belong here: line \(lineNumber) links directly to line \(target + 1)")
            }
        }
        // Evidence of deletion: numbers that jump.
        if record.kind == .entry, record.number > walk.expectedSeq {
            return IntegrityFailure(line: lineNumber, seq: record.number, reason: .deleted,
                                    message: "seq \(record.number) follows seq \(walk.lastSeq): entries \(walk.expectedSeq)…\(record.number - 1) were deleted before this line")
        }
        if record.kind == .checkpoint, record.number > walk.lastSeq {
            return IntegrityFailure(line: lineNumber, seq: record.number, reason: .deleted,
                                    message: "the checkpoint seals \(record.number) entries but only \(walk.lastSeq) precede it: entries were deleted before this line")
        }
        let nextCheckpoint = record.kind == .checkpoint ? i : records[i...].firstIndex { $0.kind == .checkpoint }
        if let next = nextCheckpoint, records[next].checkpointNumber > walk.expectedCheckpoint {
            return IntegrityFailure(line: lineNumber, seq: record.number, reason: .deleted,
                                    message: "a checkpoint line was deleted before this line (checkpoint \(walk.expectedCheckpoint) is missing)")
        }
        // Modified: either line i - 1 (this line still holds its old hash) or this line's own link.
        let previousModified: Bool
        if i + 1 < records.count {
            previousModified = records[i + 1].link == record.hash
        } else if record.kind == .checkpoint {
            // The last line: its signature covers the head it names, so a valid one means the head is original.
            previousModified = signatureProblem(ofLine: i) == nil
        } else {
            previousModified = false
        }
        if previousModified {
            return IntegrityFailure(line: i, seq: records[i - 1].number, reason: .modified,
                                    message: "the line's hash no longer matches the link in line \(lineNumber)")
        }
        return IntegrityFailure(line: lineNumber, seq: record.number, reason: .modified,
                                message: "the line's link does not match line \(i)")
    }

    // MARK: Signatures

    private func checkpoint(at index: Int) -> Checkpoint? {
        try? Checkpoint.parse(Array(line(index)))
    }

    /// nil when the checkpoint at `index` is by a trusted key and (if `verify`) its signature holds.
    private func signatureProblem(ofLine index: Int, verify: Bool = true) -> (IntegrityFailure.Reason, String)? {
        let record = records[index]
        let text = line(index)
        guard let parsed = try? AuditLine.parse(text) else { return (.modified, "not a valid checkpoint") }
        let keyID = String(decoding: UnsafeBufferPointer(rebasing: text[parsed.keyID]), as: UTF8.self)
        switch record.keyIndex {
        case LineRecord.unknownKey:
            return (.unknownKey, "signed by key \(keyID), which is not among the trusted keys")
        case LineRecord.wrongAlgorithm:
            let alg = String(decoding: UnsafeBufferPointer(rebasing: text[parsed.algorithm]), as: UTF8.self)
            return (.badSignature, "alg says \(alg), but key \(keyID.prefix(16))… is of another type")
        default:
            break
        }
        guard verify else { return nil }
        let key = options.trustedKeys[Int(record.keyIndex)]
        guard let signature = Base64.decode(String(decoding: UnsafeBufferPointer(rebasing: text[parsed.signature]), as: UTF8.self)) else {
            return (.badSignature, "sig is not valid Base64")
        }
        let message = Checkpoint.signedText(origin: records[0].hash, size: record.number, head: record.link)
        return key.verify(signature: signature, message: message) ? nil : (.badSignature, "the signature does not verify with key \(keyID.prefix(16))…")
    }

    private func verifySignatures(_ indices: [Int]) -> (IntegrityFailure?, [Int], [VerificationReport.KeyUsage]) {
        // Which signatures OpenSSL checks: all, or the newest of each key.
        var mustVerify = [Bool](repeating: options.signatures == .all, count: indices.count)
        if options.signatures == .latest {
            var newest: [Int16: Int] = [:]
            for (k, index) in indices.enumerated() where records[index].keyIndex >= 0 { newest[records[index].keyIndex] = k }
            for k in newest.values { mustVerify[k] = true }
        }
        let outcomes = UnsafeMutableBufferPointer<(IntegrityFailure.Reason, String)?>.allocate(capacity: indices.count)
        outcomes.initialize(repeating: nil)
        defer { outcomes.deallocate() }
        // Each batch writes only its own slots; the verification state is read-only here.
        nonisolated(unsafe) let shared = outcomes
        nonisolated(unsafe) let verification = self
        let verifyFlags = mustVerify
        let progress = ProgressCounter(phase: .signatures, total: indices.count, report: options.progress)
        // Signature checks dominate when checkpoints are dense; spread them over the cores.
        let stride = 256
        let batches = (indices.count + stride - 1) / stride
        DispatchQueue.concurrentPerform(iterations: batches) { batch in
            for k in (batch * stride)..<min(indices.count, (batch + 1) * stride) {
                let record = verification.records[indices[k]]
                if record.keyIndex < 0 || verifyFlags[k] {
                    shared[k] = verification.signatureProblem(ofLine: indices[k], verify: verifyFlags[k])
                }
            }
            progress.add(min(indices.count, (batch + 1) * stride) - batch * stride)
        }
        var verified: [Int] = []
        var usage: [Int16: VerificationReport.KeyUsage] = [:]
        var order: [Int16] = []
        for (k, index) in indices.enumerated() {
            if let (reason, message) = outcomes[k] {
                let failure = IntegrityFailure(line: index + 1, seq: records[index].number, reason: reason, message: message)
                return (failure, verified, order.map { usage[$0]! })
            }
            verified.append(index)
            let record = records[index]
            if usage[record.keyIndex] == nil {
                let key = options.trustedKeys[Int(record.keyIndex)]
                order.append(record.keyIndex)
                usage[record.keyIndex] = .init(keyID: key.keyID, algorithm: key.algorithm.rawValue, checkpoints: 0,
                                               firstSize: record.number, lastSize: record.number)
            }
            usage[record.keyIndex]!.checkpoints += 1
            usage[record.keyIndex]!.lastSize = record.number
        }
        return (nil, verified, order.map { usage[$0]! })
    }

    // MARK: Anchor

    enum AnchorOutcome {
        case extended
        case failed(IntegrityFailure)
        /// A structural failure comes first; it is reported instead.
        case notReached
    }

    /// The log must contain the line the anchor sealed, at the size the anchor names.
    private func checkAnchor(_ anchor: Checkpoint, walkedUpTo limit: Int) -> AnchorOutcome {
        let endLine = records.count + 1
        guard let key = options.trustedKeys.first(where: { $0.keyID == anchor.keyID }) else {
            return .failed(IntegrityFailure(line: endLine, seq: nil, reason: .unknownKey,
                                            message: "the anchor checkpoint is signed by key \(anchor.keyID), which is not among the trusted keys"))
        }
        if let problem = anchor.signatureProblem(with: key) {
            return .failed(IntegrityFailure(line: endLine, seq: nil, reason: .badSignature, message: "the anchor checkpoint: \(problem)"))
        }
        if anchor.origin != records[0].hash {
            return .failed(IntegrityFailure(line: 1, seq: nil, reason: .rollback,
                                            message: "the anchor checkpoint belongs to log \(anchor.origin.hex.prefix(16))…, but this log's line 1 hashes to \(records[0].hash.hex.prefix(16))…: the log was replaced or started again"))
        }
        var seq: Int64 = 0
        var lastLine = 0
        var sizeLine: Int? = nil
        for i in 0..<min(limit, records.count) {
            let record = records[i]
            if record.kind == .entry {
                seq = record.number
                if seq == anchor.size { sizeLine = i + 1 }
            }
            if seq > anchor.size { break }
            lastLine = i + 1
            if record.hash == anchor.head && seq == anchor.size { return .extended }
        }
        if seq >= anchor.size {
            let line = sizeLine ?? lastLine
            return .failed(IntegrityFailure(line: line, seq: anchor.size, reason: .rollback,
                                            message: "the anchor checkpoint seals seq \(anchor.size) with head \(anchor.head.hex.prefix(16))…, but the log holds other lines there: it was rewritten"))
        }
        if limit < records.count {
            return .notReached
        }
        return .failed(IntegrityFailure(line: lastLine + 1, seq: seq, reason: .truncated,
                                        message: "the log ends at seq \(seq), but the anchor checkpoint seals seq \(anchor.size): the tail was cut off"))
    }
}
