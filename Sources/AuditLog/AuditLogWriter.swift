import CanonicalJSON
import CSIRTCrypto
import Foundation

/// An append would sign with a key that a rotation among the log's sealed but unrecorded lines
/// retired (a rotation whose database commit did not happen). The rotation stands — a retired
/// key signs nothing again — so the caller must record it and sign with `newKeyID`.
public struct RetiredSignerError: Error, Sendable, CustomStringConvertible {
    public var retiredKeyID: String
    public var newKeyID: String
    public var seq: Int64

    public var description: String {
        "the audit log records, at seq \(seq), a rotation from key \(retiredKeyID.prefix(16))… to \(newKeyID.prefix(16))… that the database does not hold"
    }
}

/// What one append wrote.
public struct AppendReceipt: Sendable, Equatable {
    public var entries: [AuditEntry]
    public var checkpoints: [Checkpoint]
    /// Recovery entries the writer added before the caller's own (bytes it found after its last write).
    public var recoveries: [AuditEntry]
    /// Where the log stands now; keep it for the next append.
    public var position: LogPosition
}

/// Appends batches to an audit log: the batch's entries, then one signed checkpoint per signer,
/// all in one write under an exclusive lock, then fsync.
///
/// The writer never signs lines it did not write, and never removes a line a trusted signed
/// checkpoint covers (append-only). It continues from its last position — given by the caller
/// (the database remembers it) or, failing that, the last checkpoint that verifies with one of
/// the signing keys. Sealed lines after the recorded position (a batch whose log write reached
/// the disk while its database commit did not) stay, and an `audit.void` entry says their changes
/// never happened. Bytes no trusted checkpoint seals (a torn line from a crash, lines someone
/// else appended) are cut off and kept as evidence in an `audit.recover` entry. A log shorter
/// than the position, or whose line at the position no longer hashes to the position's head, is
/// refused: it was cut or rewritten.
public struct AuditLogWriter: Sendable {
    public let path: String
    /// Longest line the writer accepts from a caller; the verifier rejects longer ones too.
    public static let maximumLineLength = 1 << 20
    /// How far back the writer looks for its last checkpoint when no position is given.
    static let maximumTailSearch = 16 << 20

    public init(path: String) {
        self.path = path
    }

    /// Creates the log with its first entry (`init`) and first checkpoint. Fails if the file exists.
    /// The file appears complete or not at all: it is written under a temporary name and linked into place.
    public static func create(path: String, initDraft: AuditEntryDraft, signer: PrivateKey, time: String) throws -> AppendReceipt {
        try validate(initDraft)
        let entry = AuditEntry(seq: 1, time: time, draft: initDraft, prev: .zero)
        let line = entry.line + [0x0a]
        let origin = Digest(hashing: line)
        var bytes = line
        let (checkpoints, head) = try seal(lastSeq: 1, lastHash: origin, origin: origin, checkpointCount: 0, signers: [signer], into: &bytes)

        let temporary = path + ".creating-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw AuditLogError("\(path): cannot create: \(LogFile.describe(errno: errno))") }
        defer { unlink(temporary) }
        let failure = LogFile.writeAll(fd, bytes) ?? (fsync(fd) == 0 ? nil : errno)
        close(fd)
        if let failure { throw AuditLogError("\(path): cannot write: \(LogFile.describe(errno: failure))") }
        guard link(temporary, path) == 0 else {
            if errno == EEXIST { throw AuditLogError("\(path): already exists; csirt never starts a second chain on an existing log") }
            throw AuditLogError("\(path): cannot create: \(LogFile.describe(errno: errno))")
        }
        LogFile.syncDirectory(of: path)
        let position = LogPosition(bytes: bytes.count, head: head.hex, origin: origin.hex, lastSeq: 1, checkpoints: 1)
        return AppendReceipt(entries: [entry], checkpoints: checkpoints, recoveries: [], position: position)
    }

    /// Appends `drafts` and seals them with a checkpoint by each of `signers` (usually one; two
    /// during a key rotation). `time` is the RFC 3339 time written on every entry of the batch.
    /// `expecting` is where the previous committed append left the log (nil: find the last
    /// checkpoint that verifies with a signer's key). Lines found after `expecting` that a
    /// signer's key sealed (or a key a rotation among them introduced, looked up in `trustedKeys`,
    /// which is asked for only then) stay, and an `audit.void` entry says that their changes never
    /// reached the database; the rest is cut. `previouslyActive`: a key the caller has just
    /// retired because those lines rotated it away (it sealed them before the rotation).
    @discardableResult
    public func append(_ drafts: [AuditEntryDraft], signers: [PrivateKey], time: String, expecting: LogPosition? = nil,
                       previouslyActive: [PublicKey] = [], trustedKeys: () throws -> [PublicKey] = { [] }) throws -> AppendReceipt {
        precondition(!signers.isEmpty, "a batch is always sealed")
        for draft in drafts { try Self.validate(draft) }
        let fd: Int32
        do {
            fd = try LogFile.openRegular(path, flags: O_RDWR | O_APPEND, what: "an audit log")
        } catch {
            if !FileManager.default.fileExists(atPath: path) {
                throw AuditLogError("\(path): the audit log is missing; restore it from a backup (csirt never starts a new chain silently)")
            }
            throw error
        }
        defer { close(fd) }
        var holdingCutGuard = false
        defer { if holdingCutGuard { CutGuard.release(fd) } }
        while true {
            try LogFile.lock(fd, exclusive: true, path: path)
            let plan = try plan(fd: fd, expecting: expecting, signers: signers, previouslyActive: previouslyActive, trustedKeys: trustedKeys)
            if plan.cutFrom < plan.size, !holdingCutGuard {
                // Cutting needs every verifier that noted a larger size to finish first. Never wait
                // for that while holding the append lock: a verifier may be waiting for it.
                if try CutGuard.tryExclusive(fd, path: path) {
                    holdingCutGuard = true
                } else {
                    try LogFile.unlock(fd, path: path)
                    try CutGuard.acquire(fd, exclusive: true, path: path)
                    holdingCutGuard = true
                    continue
                }
            }
            return try write(plan, fd: fd, drafts: drafts, signers: signers, time: time)
        }
    }

    /// What an append found and will do, worked out under the exclusive lock before anything is written.
    private struct Plan {
        var size: Int
        var origin: Digest
        /// Where the new batch goes: after the last line csirt vouches for.
        var base: LogPosition
        /// Bytes from here to `size` are cut (a torn line, lines nobody sealed).
        var cutFrom: Int
        /// Sealed lines after the recorded position: their entries' seq range.
        var voided: ClosedRange<Int64>?
    }

    private func plan(fd: Int32, expecting: LogPosition?, signers: [PrivateKey], previouslyActive: [PublicKey],
                      trustedKeys: () throws -> [PublicKey]) throws -> Plan {
        let tail = TailReader(fd: fd, path: path)
        let size = try LogFile.size(fd, path: path)
        guard size > 0 else {
            throw AuditLogError("\(path): the audit log is empty; it was truncated — restore it from a backup (csirt never starts a new chain silently)", integrity: true)
        }
        let position = try expecting.map { expected throws in try tail.confirm(expected, size: size) }
            ?? tail.lastVerifiedCheckpoint(size: size, keys: signers.map(\.publicKey))
        guard let origin = Digest(hex: position.origin), Digest(hex: position.head) != nil else {
            throw AuditLogError("the recorded audit-log position is malformed")
        }
        var plan = Plan(size: size, origin: origin, base: position, cutFrom: position.bytes, voided: nil)
        guard size > position.bytes, expecting != nil else { return plan }
        let sealed = try TailScan.scan(fd: fd, path: path, from: position, origin: origin, to: size,
                                       active: signers.map(\.publicKey) + previouslyActive, known: try trustedKeys())
        guard sealed.sealedEnd > position.bytes else { return plan }
        // A rotation among the sealed lines retired a key this batch would sign with: the caller
        // must first bring its own records in line (the rotation stands) and sign with the new key.
        for signer in signers {
            if let rotation = sealed.rotations.first(where: { $0.oldKeyID == signer.publicKey.keyID }) {
                throw RetiredSignerError(retiredKeyID: rotation.oldKeyID, newKeyID: rotation.newKeyID, seq: rotation.seq)
            }
        }
        plan.base = LogPosition(bytes: sealed.sealedEnd, head: sealed.head.hex, origin: position.origin,
                                lastSeq: sealed.lastSeq, checkpoints: sealed.checkpoints)
        plan.cutFrom = sealed.sealedEnd
        if sealed.sealedEntries > 0 { plan.voided = (position.lastSeq + 1)...sealed.lastSeq }
        return plan
    }

    private func write(_ plan: Plan, fd: Int32, drafts: [AuditEntryDraft], signers: [PrivateKey], time: String) throws -> AppendReceipt {
        var recoveries: [AuditEntryDraft] = []
        if let voided = plan.voided {
            recoveries.append(AuditEntryDraft(actor: "csirt", action: LineNote.voidAction, target: "audit-log", details: [
                "from_seq": .integer(voided.lowerBound),
                "to_seq": .integer(voided.upperBound),
                "reason": "not-committed",
                "note": "these entries are sealed in the log, but the database never committed their changes (csirt stopped between the log's fsync and the database's commit): they did not happen",
            ]))
        }
        let removedCount = plan.size - plan.cutFrom
        var removed: [UInt8] = []
        if removedCount > 0 {
            guard removedCount <= Self.maximumCut else {
                throw AuditLogError("\(path): \(removedCount) bytes follow the last line csirt can vouch for, more than it removes on its own (\(Self.maximumCut >> 20) MiB); run `csirt audit verify` and move them away by hand", integrity: true)
            }
            removed = try LogFile.readExactly(fd, count: removedCount, at: plan.cutFrom)
            var details: [String: JSONValue] = [
                // torn-line: an interrupted write; unrecorded-tail: complete lines nobody csirt trusts sealed
                // (a crash in the middle of a batch's write, or an outside append).
                "reason": .string(removed.contains(0x0a) ? "unrecorded-tail" : "torn-line"),
                "removed_bytes": .integer(Int64(removed.count)),
                "removed_sha256": .string(Hex.encode(SHA256.hash(removed))),
            ]
            if removed.count <= 65_536 { details["removed_base64"] = .string(Base64.encode(removed)) }
            recoveries.append(AuditEntryDraft(actor: "csirt", action: "audit.recover", target: "audit-log", details: details))
        }

        var bytes: [UInt8] = []
        var written: [AuditEntry] = []
        var lastSeq = plan.base.lastSeq
        var lastHash = Digest(hex: plan.base.head)!
        for draft in recoveries + drafts {
            let (seq, overflow) = lastSeq.addingReportingOverflow(1)
            guard !overflow else { throw AuditLogError("\(path): seq would overflow; the log is damaged", integrity: true) }
            let entry = AuditEntry(seq: seq, time: time, draft: draft, prev: lastHash)
            let line = entry.line
            guard line.count <= Self.maximumLineLength else {
                throw AuditLogError("audit entry \(draft.action) for \(draft.target) is \(line.count) bytes; the limit is 1 MiB")
            }
            bytes += line
            bytes.append(0x0a)
            lastSeq = seq
            lastHash = Digest(hashing: line + [0x0a])
            written.append(entry)
        }
        let (checkpoints, head) = try Self.seal(lastSeq: lastSeq, lastHash: lastHash, origin: plan.origin, checkpointCount: plan.base.checkpoints,
                                                signers: signers, into: &bytes)
        // Cut only now that the batch is ready; put the bytes back if the write fails.
        if removedCount > 0 {
            guard ftruncate(fd, off_t(plan.cutFrom)) == 0 else {
                throw AuditLogError("\(path): cannot cut the unsealed tail: \(LogFile.describe(errno: errno))")
            }
        }
        do {
            try Self.commit(fd: fd, bytes: bytes, restoreSize: plan.cutFrom)
        } catch {
            if removedCount > 0 { _ = LogFile.writeAll(fd, removed) }
            throw error
        }
        let newPosition = LogPosition(bytes: plan.cutFrom + bytes.count, head: head.hex, origin: plan.base.origin,
                                      lastSeq: lastSeq, checkpoints: checkpoints.last!.number)
        return AppendReceipt(entries: Array(written.dropFirst(recoveries.count)), checkpoints: checkpoints,
                             recoveries: Array(written.prefix(recoveries.count)), position: newPosition)
    }

    /// The most an append cuts on its own (a torn line is under 1 MiB; more is not a crash's doing).
    static let maximumCut = 16 << 20

    /// Entries need an actor, an action and a target; the verifier rejects empty ones.
    static func validate(_ draft: AuditEntryDraft) throws {
        for (name, value) in [("actor", draft.actor), ("action", draft.action), ("target", draft.target)] where value.isEmpty {
            throw AuditLogError("an audit entry needs a non-empty \(name)")
        }
    }

    private static func seal(lastSeq: Int64, lastHash: Digest, origin: Digest, checkpointCount: Int64, signers: [PrivateKey],
                             into bytes: inout [UInt8]) throws -> ([Checkpoint], Digest) {
        var head = lastHash
        var number = checkpointCount
        var checkpoints: [Checkpoint] = []
        for signer in signers {
            let (next, overflow) = number.addingReportingOverflow(1)
            guard !overflow else { throw AuditLogError("checkpoint number would overflow; the log is damaged", integrity: true) }
            number = next
            let checkpoint = try Checkpoint.sign(origin: origin, size: lastSeq, head: head, number: number, key: signer)
            let line = checkpoint.line + [0x0a]
            bytes += line
            head = Digest(hashing: line)
            checkpoints.append(checkpoint)
        }
        return (checkpoints, head)
    }

    /// One write, then fsync; on failure the file is cut back so that nothing half-written stays.
    private static func commit(fd: Int32, bytes: [UInt8], restoreSize: Int) throws {
        if let code = LogFile.writeAll(fd, bytes) {
            _ = ftruncate(fd, off_t(restoreSize))
            throw AuditLogError("cannot write the audit log: \(LogFile.describe(errno: code))")
        }
        guard fsync(fd) == 0 else {
            let code = errno
            _ = ftruncate(fd, off_t(restoreSize))
            throw AuditLogError("cannot sync the audit log to disk: \(LogFile.describe(errno: code))")
        }
    }
}

/// Reads around the end of the log without reading all of it.
struct TailReader {
    let fd: Int32
    let path: String

    /// Checks that the log still holds what the position describes.
    func confirm(_ expected: LogPosition, size: Int) throws -> LogPosition {
        guard size >= expected.bytes else {
            throw AuditLogError("\(path): the audit log is \(size) bytes, shorter than the \(expected.bytes) csirt last wrote: it was truncated; run `csirt audit verify`", integrity: true)
        }
        guard try originHash() == expected.origin else {
            throw AuditLogError("\(path): line 1 is not the line csirt wrote: the log was replaced; run `csirt audit verify`", integrity: true)
        }
        let start = try previousLineStart(before: expected.bytes - 1)
        let line = try LogFile.readExactly(fd, count: expected.bytes - start, at: start)
        guard Digest(hashing: line).hex == expected.head else {
            throw AuditLogError("\(path): the line csirt wrote last has changed: the log was rewritten; run `csirt audit verify`", integrity: true)
        }
        return expected
    }

    /// SHA-256 of line 1 (with its newline), hex.
    func originHash() throws -> String {
        // Line 1 is a few hundred bytes: read a page, and more only when it has no newline (a
        // writer confirms the origin on every batch; reading a MiB each time showed in profiles).
        let size = try LogFile.size(fd, path: path)
        var count = 4_096
        while true {
            let head = try LogFile.readExactly(fd, count: min(size, count), at: 0)
            if let end = head.firstIndex(of: 0x0a) { return Digest(hashing: Array(head[...end])).hex }
            guard count <= AuditLogWriter.maximumLineLength, head.count == count else {
                throw AuditLogError("\(path):1: the first line is damaged or incomplete; run `csirt audit verify`", integrity: true)
            }
            count = min(count * 16, AuditLogWriter.maximumLineLength + 1)
        }
    }

    /// The position just after the newest checkpoint whose signature verifies with one of `keys`.
    func lastVerifiedCheckpoint(size: Int, keys: [PublicKey]) throws -> LogPosition {
        let origin = try originHash()
        // Start at the last newline: a torn line after it is not a candidate.
        var end = try previousLineStart(before: size)
        while end > 0 && size - end <= AuditLogWriter.maximumTailSearch {
            let start = try previousLineStart(before: end - 1)
            let line = try LogFile.readExactly(fd, count: end - start, at: start)
            if let checkpoint = try? Checkpoint.parse(Array(line.dropLast())), checkpoint.origin.hex == origin,
               keys.contains(where: { checkpoint.signatureProblem(with: $0) == nil }) {
                return LogPosition(bytes: end, head: Digest(hashing: line).hex, origin: origin,
                                   lastSeq: checkpoint.size, checkpoints: checkpoint.number)
            }
            end = start
        }
        throw AuditLogError("\(path): no checkpoint signed by the signing key near the end of the log; run `csirt audit verify` — csirt does not extend a log it cannot vouch for", integrity: true)
    }

    /// Offset of the first byte of the line that contains offset `before - 1`
    /// (that is, one past the previous newline), reading backwards in blocks.
    func previousLineStart(before: Int) throws -> Int {
        var position = before
        // Lines are short: start with a page, and grow to 64 KiB reads for the rare long one.
        var block = 4_096
        while position > 0 {
            let start = max(0, position - block)
            block = min(block * 4, 65_536)
            let bytes = try LogFile.readExactly(fd, count: position - start, at: start)
            if let newline = bytes.lastIndex(of: 0x0a) {
                return start + newline + 1
            }
            position = start
            if before - position > AuditLogWriter.maximumLineLength {
                throw AuditLogError("\(path): a line near the end is longer than 1 MiB; run `csirt audit verify`", integrity: true)
            }
        }
        return 0
    }
}
