import CanonicalJSON

/// Says what happened where the chain breaks — a line modified, deleted, inserted, duplicated or
/// moved — and to which line. The walk keeps no lines, so this takes a second pass over the file
/// (only when the log is damaged), collecting the few facts the answer needs: the lines around
/// the break, the line the broken link points to, and an earlier copy of the breaking line.
struct BreakClassifier {
    struct Context {
        var previous: LineRecord?
        var current: LineRecord
        var next: LineRecord?
        var previousBytes: [UInt8]
        var currentBytes: [UInt8]
        /// The first line whose hash is the breaking line's link.
        var linkTarget: Int?
        var linkTargetNext: LineRecord?
        /// The first line before the previous one with the breaking line's hash.
        var earlierCopy: Int?
        /// The first checkpoint at or after the breaking line.
        var nextCheckpoint: LineRecord?
    }

    let stop: ChainWalk.Stop
    let context: Context
    /// nil when the checkpoint at the breaking line is by a trusted key and its signature holds.
    let signatureProblem: (LineRecord) -> (IntegrityFailure.Reason, String)?

    /// The facts around line `stop.index`, from a scan of the whole file.
    static func gather(_ stop: ChainWalk.Stop, scan: LogScan) throws(AuditLogError) -> Context {
        let d = stop.index
        var context = Context(previous: stop.previous, current: stop.record, next: nil, previousBytes: [], currentBytes: [])
        var index = 0
        var wantTargetNext = false
        try scan.run { chunk throws(AuditLogError) in
            for record in chunk.records {
                defer { index += 1 }
                if wantTargetNext {
                    context.linkTargetNext = record
                    wantTargetNext = false
                }
                if index == d + 1 { context.next = record }
                guard record.hashKnown else { continue }
                if context.linkTarget == nil, record.hash == stop.record.link {
                    context.linkTarget = index
                    wantTargetNext = true
                }
                if index < d - 1, context.earlierCopy == nil, record.hash == stop.record.hash { context.earlierCopy = index }
                if index >= d, context.nextCheckpoint == nil, record.kind == .checkpoint { context.nextCheckpoint = record }
            }
            return true
        }
        if let previous = stop.previous, previous.length >= 0 {
            context.previousBytes = try LogFile.readExactly(scan.fd, count: previous.length, at: previous.offset)
        }
        if stop.record.length >= 0 {
            context.currentBytes = try LogFile.readExactly(scan.fd, count: stop.record.length, at: stop.record.offset)
        }
        return context
    }

    func classify() -> IntegrityFailure {
        switch stop.detection {
        case .local(let failure): return failure
        case .linkBreak: return classifyBreak()
        case .numbering(let found, let expected, let what): return numberingFailure(found: found, expected: expected, what: what)
        }
    }

    private var i: Int { stop.index }

    /// The line links correctly but carries the wrong number.
    private func numberingFailure(found: Int64, expected: Int64, what: String) -> IntegrityFailure {
        let record = stop.record
        if let inserted = insertedHere() { return inserted }
        // If the next line no longer links to this one, this line's own bytes were changed.
        if let next = context.next, next.link != record.hash {
            return IntegrityFailure(line: i + 1, seq: record.number, reason: .modified,
                                    message: "\(what) \(found) where \(expected) was expected, and line \(i + 2) no longer links to this line")
        }
        if found > expected {
            let message = what == "checkpoint number"
                ? "checkpoint number \(found) where \(expected) was expected: checkpoint lines were deleted before this line"
                : "\(what) \(found) where \(expected) was expected: entries were deleted before this line (and the chain was rewritten)"
            return IntegrityFailure(line: i + 1, seq: record.number, reason: .deleted, message: message)
        }
        return IntegrityFailure(line: i + 1, seq: record.number, reason: .modified, message: "\(what) \(found) where \(expected) was expected")
    }

    /// The breaking line does not belong if the line after it links straight to the line before it.
    private func insertedHere() -> IntegrityFailure? {
        guard let next = context.next, next.kind == .entry || next.kind == .checkpoint else { return nil }
        let before = context.previous?.hash ?? Digest.zero
        guard next.link == before else { return nil }
        return IntegrityFailure(line: i + 1, seq: stop.record.number, reason: .inserted,
                                message: "this line does not belong here: line \(i + 2) links directly to \(i == 0 ? "the start of the log" : "line \(i)")")
    }

    /// The breaking line does not link to the line before it: work out what happened, and to which line.
    private func classifyBreak() -> IntegrityFailure {
        let record = stop.record
        let lineNumber = i + 1
        guard let previous = context.previous, i > 0 else {
            if record.kind == .checkpoint || record.number > 1 {
                return IntegrityFailure(line: 1, seq: record.number, reason: .deleted,
                                        message: "the log's first lines are missing: line 1 is not the init entry")
            }
            return IntegrityFailure(line: 1, seq: record.number, reason: .modified, message: "line 1 must link to the genesis value (64 zeros)")
        }
        if context.currentBytes == context.previousBytes {
            return IntegrityFailure(line: lineNumber, seq: record.number, reason: .duplicated, message: "this line repeats line \(i)")
        }
        if let earlier = context.earlierCopy {
            return IntegrityFailure(line: lineNumber, seq: record.number, reason: .duplicated, message: "this line is a copy of line \(earlier + 1)")
        }
        if let target = context.linkTarget, target > i {
            return IntegrityFailure(line: lineNumber, seq: record.number, reason: .reordered,
                                    message: "this line is out of order: it links to line \(target + 1), which comes after it")
        }
        if let inserted = insertedHere() { return inserted }
        if let target = context.linkTarget, target < i - 1 {
            return IntegrityFailure(line: target + 2, seq: context.linkTargetNext?.number, reason: .inserted,
                                    message: "lines \(target + 2)–\(i) do not belong here: line \(lineNumber) links directly to line \(target + 1)")
        }
        // Evidence of deletion: numbers that jump.
        if record.kind == .entry, record.number > stop.expectedSeq {
            return IntegrityFailure(line: lineNumber, seq: record.number, reason: .deleted,
                                    message: "seq \(record.number) follows seq \(stop.lastSeq): entries \(stop.expectedSeq)…\(record.number - 1) were deleted before this line")
        }
        if record.kind == .checkpoint, record.number > stop.lastSeq {
            return IntegrityFailure(line: lineNumber, seq: record.number, reason: .deleted,
                                    message: "the checkpoint seals \(record.number) entries but only \(stop.lastSeq) precede it: entries were deleted before this line")
        }
        if let next = context.nextCheckpoint, next.checkpointNumber > stop.expectedCheckpoint {
            return IntegrityFailure(line: lineNumber, seq: record.number, reason: .deleted,
                                    message: "a checkpoint line was deleted before this line (checkpoint \(stop.expectedCheckpoint) is missing)")
        }
        // Modified: either the line before (this line still holds its old hash) or this line's own link.
        let previousModified: Bool
        if let next = context.next {
            previousModified = next.link == record.hash
        } else if record.kind == .checkpoint {
            // The last line: its signature covers the head it names, so a valid one means the head is original.
            previousModified = signatureProblem(record) == nil
        } else {
            previousModified = false
        }
        if previousModified {
            return IntegrityFailure(line: i, seq: previous.number, reason: .modified,
                                    message: "the line's hash no longer matches the link in line \(lineNumber)")
        }
        return IntegrityFailure(line: lineNumber, seq: record.number, reason: .modified, message: "the line's link does not match line \(i)")
    }
}
