import CanonicalJSON

/// The sequential part of verification: takes the records of the parallel pass in file order and
/// checks what needs the lines before — links, numbering, origins, key lifecycle — keeping only a
/// few counters and the facts the report needs, never the records themselves. It stops at the
/// first line that breaks the chain (the detection); what that break means is worked out after,
/// by `BreakClassifier`, from a second look at the file.
struct ChainWalk {
    /// Where the walk stopped, and why.
    enum Detection {
        /// A failure that its own line explains completely.
        case local(IntegrityFailure)
        /// The line does not link to the one before it.
        case linkBreak
        /// The line links correctly but carries the wrong number.
        case numbering(found: Int64, expected: Int64, what: String)
    }

    struct Stop {
        var index: Int
        var detection: Detection
        var record: LineRecord
        var previous: LineRecord?
        /// The counters as they were when the walk reached the line.
        var expectedSeq: Int64
        var lastSeq: Int64
        var expectedCheckpoint: Int64
    }

    /// Where in the walk an anchor checkpoint's facts were met (indexes of lines).
    struct AnchorTrace {
        /// The line whose hash is the anchor's head, at the anchor's size.
        var match: Int?
        /// Whether the line after it is the anchor checkpoint line itself (nil: no line after it).
        var nextIsAnchor: Bool?
        var nextNumber: Int64?
        /// The first entry with the anchor's size as its seq.
        var sizeLine: Int?
        /// The first entry past the anchor's size.
        var passed: Int?
    }

    /// Where the walk met the end of csirt's last recorded write.
    struct PositionTrace {
        /// The line that ends exactly at the recorded size, and whether its hash is the recorded head.
        var endLine: Int?
        var endHashMatches = false
        /// The line that runs across the recorded size (no line ends there).
        var straddling: Int?
        /// The first line after the recorded size.
        var firstAfter: Int?
        var firstSeqAfter: Int64?
    }

    let options: AuditLogVerifier.Options
    let origin: Digest

    private(set) var count = 0
    private(set) var previous: LineRecord? = nil
    private(set) var expectedSeq: Int64 = 1
    private(set) var lastSeq: Int64 = 0
    private(set) var expectedCheckpoint: Int64 = 1
    private(set) var checkpoints = 0
    private(set) var firstUnsealed: (index: Int, seq: Int64)? = nil
    private(set) var maxEntryTime: Int64 = .min
    private(set) var lastEntryTime: Int64 = .min
    private(set) var stop: Stop? = nil
    /// The first checkpoint whose key is not trusted, is of the wrong type, or whose signature failed.
    private(set) var firstSignatureFailure: (index: Int, record: LineRecord)? = nil
    /// `--signatures latest`: the newest checkpoint of each trusted key.
    private(set) var newest: [Int16: (index: Int, record: LineRecord)] = [:]
    /// The newest checkpoint walked before any failure.
    private(set) var lastCheckpoint: (index: Int, record: LineRecord)? = nil
    private(set) var usage: [Int16: VerificationReport.KeyUsage] = [:]
    private(set) var usageOrder: [Int16] = []
    /// Keys retired by a rotation entry, by trusted-key index: the seq of that entry.
    private(set) var retiredAt: [Int16: Int64] = [:]
    private(set) var rotations: [VerificationReport.Rotation] = []
    private(set) var voided: [VerificationReport.VoidedRange] = []
    private(set) var timestampEntries: [VerificationReport.TimestampEntry] = []
    /// Per claim (by index in options.timestamps): the line of the checkpoint it vouches for, and
    /// the newest entry time sealed by it.
    private(set) var claimsFound: [Int: (index: Int, maxEntryTime: Int64, lastEntryTime: Int64, number: Int64)] = [:]
    /// The first two records' kinds: a file whose first two lines are not audit lines is not a log.
    private(set) var firstKinds: [LineRecord.Kind] = []
    private(set) var firstProblem: JSONSyntaxError? = nil
    private(set) var anchor = AnchorTrace()
    private(set) var position = PositionTrace()
    private let claimsByImprint: [Digest: [Int]]
    private let keyIndexByID: [String: Int16]

    init(options: AuditLogVerifier.Options, origin: Digest) {
        self.options = options
        self.origin = origin
        var claims: [Digest: [Int]] = [:]
        for (k, claim) in options.timestamps.enumerated() { claims[claim.imprint, default: []].append(k) }
        claimsByImprint = claims
        var ids: [String: Int16] = [:]
        for (k, key) in options.trustedKeys.enumerated() where ids[key.keyID] == nil { ids[key.keyID] = Int16(k) }
        keyIndexByID = ids
    }

    var isStopped: Bool { stop != nil }

    /// Takes one chunk's records. Returns false once the walk has stopped and knows the first two lines.
    mutating func consume(_ chunk: LogScan.Chunk) -> Bool {
        var notes = chunk.notes.makeIterator()
        var nextNote = notes.next()
        var problems = chunk.problems.makeIterator()
        var nextProblem = problems.next()
        for (k, record) in chunk.records.enumerated() {
            var note: LineNote? = nil
            while let (at, value) = nextNote, at <= k {
                if at == k { note = value }
                nextNote = notes.next()
            }
            var problem: JSONSyntaxError? = nil
            while let (at, value) = nextProblem, at <= k {
                if at == k { problem = value }
                nextProblem = problems.next()
            }
            if count < 2 {
                firstKinds.append(record.kind)
                if count == 0 { firstProblem = problem }
            }
            if stop == nil { step(record, note: note, problem: problem) }
            count += 1
            if stop != nil && count >= 2 { return false }
        }
        return true
    }

    private mutating func halt(_ record: LineRecord, _ detection: Detection) {
        stop = Stop(index: count, detection: detection, record: record, previous: previous,
                    expectedSeq: expectedSeq, lastSeq: lastSeq, expectedCheckpoint: expectedCheckpoint)
    }

    private mutating func step(_ record: LineRecord, note: LineNote?, problem: JSONSyntaxError?) {
        let i = count
        let lineNumber = i + 1
        switch record.kind {
        case .torn:
            return halt(record, .local(IntegrityFailure(
                line: lineNumber, seq: nil, reason: .tornLine,
                message: "the last line is \(record.length) bytes without a final newline (an interrupted write); the next csirt write repairs it with an audit.recover entry")))
        case .invalid:
            let problem = problem ?? JSONSyntaxError(offset: 0, reason: "unreadable")
            return halt(record, .local(IntegrityFailure(
                line: lineNumber, seq: nil, reason: .modified,
                message: "not a valid audit line: \(problem.reason) (byte \(problem.offset + 1))")))
        case .entry, .checkpoint:
            break
        }
        let expectedLink = previous?.hash ?? Digest.zero
        if record.link != expectedLink { return halt(record, .linkBreak) }
        if record.kind == .entry {
            if i == 0, !(record.isInit && record.number == 1) {
                return halt(record, .local(IntegrityFailure(line: 1, seq: record.number, reason: .modified,
                                                            message: "line 1 must be the init entry with seq 1")))
            }
            if record.number != expectedSeq {
                return halt(record, .numbering(found: record.number, expected: expectedSeq, what: "seq"))
            }
            lastSeq = record.number
            expectedSeq += 1
            if firstUnsealed == nil { firstUnsealed = (i, record.number) }
            maxEntryTime = max(maxEntryTime, record.time)
            lastEntryTime = record.time
            if let note { take(note, record: record, index: i) }
        } else {
            if i == 0 {
                return halt(record, .local(IntegrityFailure(line: 1, seq: nil, reason: .modified, message: "line 1 must be the init entry, not a checkpoint")))
            }
            if record.number != lastSeq {
                return halt(record, .numbering(found: record.number, expected: lastSeq, what: "checkpoint size"))
            }
            if record.checkpointNumber != expectedCheckpoint {
                return halt(record, .numbering(found: record.checkpointNumber, expected: expectedCheckpoint, what: "checkpoint number"))
            }
            if !record.originMatches {
                return halt(record, .local(IntegrityFailure(line: lineNumber, seq: record.number, reason: .modified,
                                                            message: "the checkpoint names another log as its origin (this log's line 1 hashes to \(origin.hex.prefix(16))…)")))
            }
            if record.keyIndex >= 0, let retired = retiredAt[record.keyIndex], record.number > retired {
                let keyID = options.trustedKeys[Int(record.keyIndex)].keyID
                return halt(record, .local(IntegrityFailure(line: lineNumber, seq: record.number, reason: .retiredKey,
                                                            message: "signed by key \(keyID.prefix(16))…, which was retired at seq \(retired) (audit.rotate-key): a retired key seals nothing after its rotation")))
            }
            expectedCheckpoint += 1
            checkpoints += 1
            firstUnsealed = nil
            takeCheckpoint(record, index: i)
        }
        trackAnchor(record, index: i)
        trackPosition(record, index: i)
        previous = record
    }

    private mutating func takeCheckpoint(_ record: LineRecord, index i: Int) {
        let failed = record.keyIndex < 0 || record.signature == .invalid || record.signature == .malformedBase64
        if failed, firstSignatureFailure == nil { firstSignatureFailure = (i, record) }
        if firstSignatureFailure == nil {
            lastCheckpoint = (i, record)
            if usage[record.keyIndex] == nil {
                let key = options.trustedKeys[Int(record.keyIndex)]
                usageOrder.append(record.keyIndex)
                usage[record.keyIndex] = .init(keyID: key.keyID, algorithm: key.algorithm.rawValue, checkpoints: 0,
                                               firstSize: record.number, lastSize: record.number)
            }
            usage[record.keyIndex]!.checkpoints += 1
            usage[record.keyIndex]!.lastSize = record.number
        }
        if options.signatures == .latest, record.keyIndex >= 0 { newest[record.keyIndex] = (i, record) }
        if let claims = claimsByImprint[record.hash] {
            for claim in claims where claimsFound[claim] == nil {
                claimsFound[claim] = (i, maxEntryTime, lastEntryTime, record.checkpointNumber)
            }
        }
    }

    private mutating func take(_ note: LineNote, record: LineRecord, index i: Int) {
        switch note {
        case .rotation(let old, let new):
            rotations.append(.init(oldKeyID: old, newKeyID: new, seq: record.number, time: record.time, line: i + 1))
            if let index = keyIndexByID[old], retiredAt[index] == nil { retiredAt[index] = record.number }
        case .void(let from, let to, let reason):
            voided.append(.init(fromSeq: from, toSeq: to, reason: reason, seq: record.number, line: i + 1))
        case .timestamp(let checkpoint, let sha, let file):
            timestampEntries.append(.init(checkpoint: checkpoint, tokenSHA256: sha, file: file, seq: record.number, line: i + 1))
        }
    }

    private mutating func trackAnchor(_ record: LineRecord, index i: Int) {
        guard let target = options.anchor?.checkpoint else { return }
        if anchor.match == i - 1 {
            anchor.nextIsAnchor = record.equalsAnchorLine
            anchor.nextNumber = record.kind == .checkpoint ? record.checkpointNumber : nil
        }
        let seq = lastSeq
        if record.kind == .entry {
            if seq == target.size, anchor.sizeLine == nil { anchor.sizeLine = i }
            if seq > target.size, anchor.passed == nil { anchor.passed = i }
        }
        if anchor.match == nil, anchor.passed == nil, record.hash == target.head, seq == target.size { anchor.match = i }
    }

    private mutating func trackPosition(_ record: LineRecord, index i: Int) {
        guard let recorded = options.position else { return }
        if record.end == recorded.bytes {
            position.endLine = i
            position.endHashMatches = record.hash.hex == recorded.head
        } else if record.offset < recorded.bytes, record.end > recorded.bytes {
            position.straddling = i
        } else if record.offset >= recorded.bytes, position.firstAfter == nil {
            position.firstAfter = i
            if record.kind == .entry { position.firstSeqAfter = record.number }
        }
        if position.firstAfter != nil, position.firstSeqAfter == nil, record.kind == .entry { position.firstSeqAfter = record.number }
    }
}
