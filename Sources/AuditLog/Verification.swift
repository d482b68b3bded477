import CanonicalJSON
import CSIRTCrypto
import Foundation

/// One verification of one log, up to the size noted under the lock: the streaming pass, then —
/// only for a damaged log — the second look that says what the damage is, then the checks that
/// compare the walk with what the caller brought (an anchor, the database's position, tokens).
struct Verification {
    let fd: Int32
    let path: String
    let size: Int
    let options: AuditLogVerifier.Options

    func run() throws(AuditLogError) -> VerificationReport {
        // The origin is line 1's hash; every checkpoint must repeat it.
        let first = try LogFile.readExactly(fd, count: min(size, AuditLogWriter.maximumLineLength + 1), at: 0)
        let origin = first.firstIndex(of: 0x0a).map { Digest(hashing: Array(first[...$0])) }
        let keys = options.trustedKeys
        let context = LogScan.Context(origin: origin, keyIDs: keys.map { Array($0.keyID.utf8) },
                                      algorithms: keys.map { Array($0.algorithm.rawValue.utf8) }, keys: keys,
                                      verifySignatures: options.signatures == .all, anchorLine: options.anchor?.line)
        let scan = LogScan(fd: fd, path: path, size: size, context: context,
                           progress: ProgressCounter(phase: .reading, total: size, report: options.progress))
        var walk = ChainWalk(options: options, origin: origin ?? Digest.zero)
        try scan.run { chunk in walk.consume(chunk) }
        try requireAuditLog(walk)

        let structural = try structuralFailure(walk, context: context)
        // Lines before the first structural failure are in order; the other checks look only at them.
        let limit = structural.map { $0.line - 1 } ?? walk.count
        var failures = [structural, try signatureFailure(walk, limit: limit)].compactMap { $0 }
        var anchorChecked = false
        if let anchor = options.anchor {
            switch anchorOutcome(anchor, walk: walk, limit: limit, damaged: structural != nil) {
            case .extended: anchorChecked = true
            case .failed(let problem): failures.append(problem)
            case .notReached: break
            }
        }
        if let problem = positionFailure(walk, limit: limit, damaged: structural != nil) { failures.append(problem) }
        let (timestampResults, timestampFailures) = timestampChecks(walk, limit: limit, damaged: structural != nil)
        failures += timestampFailures
        if structural == nil, let unsealed = walk.firstUnsealed {
            failures.append(IntegrityFailure(
                line: unsealed.index + 1, seq: unsealed.seq, reason: .unsealed,
                message: "entries from seq \(unsealed.seq) on come after the last checkpoint; no signature covers them"))
        }
        // The first bad line wins; on a tie the structural reason, which says more.
        let failure = failures.enumerated().min { a, b in (a.element.line, a.offset) < (b.element.line, b.offset) }?.element

        var last: Checkpoint? = nil
        if let (index, record) = walk.lastCheckpoint, index < limit {
            last = try? Checkpoint.parse(try LogFile.readExactly(fd, count: record.length, at: record.offset))
        }
        var usage = walk.usageOrder.map { walk.usage[$0]! }
        for (k, key) in usage.enumerated() {
            usage[k].retiredAtSeq = walk.rotations.first { $0.oldKeyID == key.keyID }?.seq
        }
        var report = VerificationReport(
            path: path, bytes: size, lines: walk.count, entries: walk.lastSeq, checkpoints: walk.checkpoints,
            origin: origin, lastCheckpoint: last, keys: usage, anchorChecked: anchorChecked, failure: failure)
        report.rotations = walk.rotations.filter { $0.line <= limit }
        report.voided = walk.voided.filter { $0.line <= limit }
        report.timestampEntries = walk.timestampEntries.filter { $0.line <= limit }
        report.timestamps = timestampResults
        report.positionChecked = options.position != nil
        report.unrecorded = unrecorded(walk, damaged: structural != nil)
        return report
    }

    /// Refuses files that are not audit logs at all (exit 2), as opposed to damaged ones (exit 1).
    private func requireAuditLog(_ walk: ChainWalk) throws(AuditLogError) {
        if !walk.firstKinds.prefix(2).contains(where: { $0 == .entry || $0 == .checkpoint }) {
            let detail = walk.firstProblem.map { ": \($0.reason)" } ?? ""
            throw AuditLogError("\(path):1: not a csirt audit log\(detail)")
        }
    }

    private func structuralFailure(_ walk: ChainWalk, context: LogScan.Context) throws(AuditLogError) -> IntegrityFailure? {
        guard let stop = walk.stop else { return nil }
        if case .local(let failure) = stop.detection { return failure }
        var quiet = context
        quiet.verifySignatures = false
        quiet.anchorLine = nil
        let second = LogScan(fd: fd, path: path, size: size, context: quiet,
                             progress: ProgressCounter(phase: .classifying, total: size, report: options.progress))
        let facts = try BreakClassifier.gather(stop, scan: second)
        return BreakClassifier(stop: stop, context: facts) { record in
            (try? signatureProblem(of: record, verify: true)) ?? (.modified, "not a valid checkpoint")
        }.classify()
    }

    // MARK: Signatures

    /// nil when the checkpoint is by a trusted key of the type `alg` names and (if `verify`) its
    /// signature holds in its strict form.
    private func signatureProblem(of record: LineRecord, verify: Bool) throws(AuditLogError) -> (IntegrityFailure.Reason, String)? {
        let bytes = try LogFile.readExactly(fd, count: record.length, at: record.offset)
        return bytes.withUnsafeBufferPointer { text -> (IntegrityFailure.Reason, String)? in
            guard let parsed = try? AuditLine.parse(text), parsed.kind == .checkpoint else { return (.modified, "not a valid checkpoint") }
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
            switch record.signature == .notChecked ? LogScan.checkSignature(parsed, text: text, key: key) : record.signature {
            case .valid, .notChecked:
                return nil
            case .malformedBase64:
                return (.badSignature, "sig is not valid Base64 in its one canonical form")
            case .invalid:
                let signature = Base64.decode(String(decoding: UnsafeBufferPointer(rebasing: text[parsed.signature]), as: UTF8.self)) ?? []
                if key.algorithm == .ecdsaP256SHA256, ECDSASignature.form(of: signature) == .highS {
                    return (.badSignature, "the ECDSA signature is the high-S twin of a valid one: csirt writes and accepts low-S only (someone without the key replaced s by n − s)")
                }
                return (.badSignature, "the signature does not verify with key \(keyID.prefix(16))…")
            }
        }
    }

    /// The first checkpoint before `limit` whose signature fails: every one (`all`), or the newest
    /// of each key plus every one by a key that is not trusted (`latest`).
    private func signatureFailure(_ walk: ChainWalk, limit: Int) throws(AuditLogError) -> IntegrityFailure? {
        var candidates: [(Int, LineRecord)] = []
        if let first = walk.firstSignatureFailure, first.index < limit { candidates.append(first) }
        if options.signatures == .latest {
            candidates += walk.newest.values.filter { $0.index < limit }.map { ($0.index, $0.record) }
        }
        for (index, record) in candidates.sorted(by: { $0.0 < $1.0 }) {
            if let (reason, message) = try signatureProblem(of: record, verify: true) {
                return IntegrityFailure(line: index + 1, seq: record.number, reason: reason, message: message)
            }
        }
        return nil
    }

    // MARK: Anchor

    enum AnchorOutcome {
        case extended
        case failed(IntegrityFailure)
        /// A structural failure comes first; it is reported instead.
        case notReached
    }

    /// The log must contain the anchor checkpoint line itself, after the line it names as head,
    /// at the size it names.
    private func anchorOutcome(_ anchor: AuditLogVerifier.Anchor, walk: ChainWalk, limit: Int, damaged: Bool) -> AnchorOutcome {
        let target = anchor.checkpoint
        if target.origin != walk.origin {
            return .failed(IntegrityFailure(line: 1, seq: nil, reason: .rollback,
                                            message: "the anchor checkpoint belongs to log \(target.origin.hex.prefix(16))…, but this log's line 1 hashes to \(walk.origin.hex.prefix(16))…: the log was replaced or started again"))
        }
        let trace = walk.anchor
        if let match = trace.match, match < limit {
            guard match + 1 < limit else {
                if damaged { return .notReached }
                return .failed(IntegrityFailure(line: match + 2, seq: target.size, reason: .truncated,
                                                message: "the log ends before the anchor checkpoint \(target.number): its line was cut off"))
            }
            if trace.nextIsAnchor == true { return .extended }
            let found = trace.nextNumber.map { "checkpoint \($0)" } ?? "an entry"
            return .failed(IntegrityFailure(line: match + 2, seq: target.size, reason: .rollback,
                                            message: "the anchor is checkpoint \(target.number) after seq \(target.size), but the log holds \(found) with other bytes there: the checkpoint was replaced or re-signed"))
        }
        if let passed = trace.passed, passed < limit {
            let line = trace.sizeLine.map { $0 < passed ? $0 + 1 : passed } ?? passed
            return .failed(rewritten(target, line: line))
        }
        if let sizeLine = trace.sizeLine, sizeLine < limit {
            return .failed(rewritten(target, line: sizeLine + 1))
        }
        if damaged { return .notReached }
        return .failed(IntegrityFailure(line: walk.count + 1, seq: walk.lastSeq, reason: .truncated,
                                        message: "the log ends at seq \(walk.lastSeq), but the anchor checkpoint seals seq \(target.size): the tail was cut off"))
    }

    private func rewritten(_ target: Checkpoint, line: Int) -> IntegrityFailure {
        IntegrityFailure(line: line, seq: target.size, reason: .rollback,
                         message: "the anchor checkpoint seals seq \(target.size) with head \(target.head.hex.prefix(16))…, but the log holds other lines there: it was rewritten")
    }

    // MARK: The database's position

    /// The log must still hold exactly what csirt's last committed write left: its line 1, and a
    /// line ending at the recorded size with the recorded hash.
    private func positionFailure(_ walk: ChainWalk, limit: Int, damaged: Bool) -> IntegrityFailure? {
        guard let recorded = options.position else { return nil }
        if walk.origin.hex != recorded.origin {
            return IntegrityFailure(line: 1, seq: nil, reason: .rollback,
                                    message: "line 1 is not the line this home's log began with (its database records origin \(recorded.origin.prefix(16))…): the log was replaced")
        }
        if size < recorded.bytes {
            return IntegrityFailure(line: walk.count + 1, seq: walk.lastSeq, reason: .truncated,
                                    message: "the log is \(size) bytes, shorter than the \(recorded.bytes) csirt last wrote (seq \(recorded.lastSeq)): its tail was cut off")
        }
        let trace = walk.position
        if let end = trace.endLine, end < limit, !trace.endHashMatches {
            return IntegrityFailure(line: end + 1, seq: nil, reason: .rollback,
                                    message: "the line csirt wrote last (ending at byte \(recorded.bytes), seq \(recorded.lastSeq)) has other bytes now: the log was rewritten")
        }
        if trace.endLine == nil, let straddling = trace.straddling, straddling < limit {
            return IntegrityFailure(line: straddling + 1, seq: nil, reason: .rollback,
                                    message: "no line ends where csirt's last write ended (byte \(recorded.bytes)): the log was rewritten")
        }
        if trace.endLine == nil, trace.straddling == nil, !damaged, walk.count > 0 {
            return IntegrityFailure(line: walk.count + 1, seq: walk.lastSeq, reason: .truncated,
                                    message: "the log ends before byte \(recorded.bytes), where csirt's last write ended")
        }
        return nil
    }

    private func unrecorded(_ walk: ChainWalk, damaged: Bool) -> VerificationReport.Unrecorded? {
        guard let recorded = options.position, !damaged, let first = walk.position.firstAfter else { return nil }
        return .init(fromSeq: walk.position.firstSeqAfter, toSeq: walk.position.firstSeqAfter.map { _ in walk.lastSeq },
                     fromLine: first + 1, lines: walk.count - first, bytes: size - recorded.bytes)
    }

    // MARK: Timestamps

    private func timestampChecks(_ walk: ChainWalk, limit: Int, damaged: Bool) -> ([VerificationReport.TimestampResult], [IntegrityFailure]) {
        var results: [VerificationReport.TimestampResult] = []
        var failures: [IntegrityFailure] = []
        let entries = walk.timestampEntries.filter { $0.line <= limit }
        func entryLine(_ sha: String) -> Int { entries.first { $0.tokenSHA256 == sha }?.line ?? walk.count + 1 }
        for (k, claim) in options.timestamps.enumerated() {
            if let problem = claim.problem {
                failures.append(IntegrityFailure(line: entryLine(claim.tokenSHA256), seq: nil, reason: .badTimestamp,
                                                 message: "\(claim.file): \(problem)"))
                continue
            }
            guard let found = walk.claimsFound[k], found.index < limit else {
                if !damaged {
                    failures.append(IntegrityFailure(line: entryLine(claim.tokenSHA256), seq: nil, reason: .rollback,
                                                     message: "\(claim.file) vouches for a checkpoint (line hash \(claim.imprint.hex.prefix(16))…) that the log no longer contains: the history was rewritten after the token was issued"))
                }
                continue
            }
            if found.maxEntryTime > claim.time + AuditLogVerifier.clockTolerance {
                failures.append(IntegrityFailure(line: found.index + 1, seq: nil, reason: .badTimestamp,
                                                 message: "entries sealed by checkpoint \(found.number) claim times up to \(RFC3339.format(Date(timeIntervalSince1970: TimeInterval(found.maxEntryTime)))), after the TSA's time \(RFC3339.format(Date(timeIntervalSince1970: TimeInterval(claim.time)))) in \(claim.file): their times are false"))
            }
            results.append(.init(file: claim.file, checkpoint: found.number, line: found.index + 1, tokenTime: claim.time,
                                 checkpointTime: found.lastEntryTime,
                                 isLate: claim.time - found.lastEntryTime > AuditLogVerifier.lateTimestamp))
        }
        if options.timestampsChecked {
            for entry in entries where !options.timestamps.contains(where: { $0.tokenSHA256 == entry.tokenSHA256 }) {
                failures.append(IntegrityFailure(line: entry.line, seq: entry.seq, reason: .badTimestamp,
                                                 message: "the token this entry recorded (\(entry.file), SHA-256 \(entry.tokenSHA256.prefix(16))…) is not among the stored tokens: it was removed or changed"))
            }
        }
        return (results, failures)
    }
}
