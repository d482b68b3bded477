import CSIRTCrypto
import Foundation

/// What one append wrote.
public struct AppendReceipt: Sendable, Equatable {
    public var entries: [AuditEntry]
    public var checkpoints: [Checkpoint]
    /// Recovery entries the writer added before the caller's own (a torn tail, unsealed entries).
    public var recoveries: [AuditEntry]
}

/// Appends batches to an audit log: the batch's entries, then one signed checkpoint per signer,
/// all in one write under an exclusive lock, then fsync. The writer never starts a new chain on
/// an existing path, never appends to an empty or damaged log, and repairs an interrupted write
/// (a torn last line) with a recorded `audit.recover` entry.
public struct AuditLogWriter: Sendable {
    public let path: String
    /// Longest line the writer accepts from a caller; the verifier rejects longer ones too.
    public static let maximumLineLength = 1 << 20

    public init(path: String) {
        self.path = path
    }

    /// Creates the log with its first entry (`init`) and first checkpoint. Fails if the file exists.
    public static func create(path: String, initDraft: AuditEntryDraft, signer: PrivateKey, time: String) throws -> AppendReceipt {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0o640)
        guard fd >= 0 else {
            if errno == EEXIST { throw AuditLogError("\(path): already exists; csirt never starts a second chain on an existing log") }
            throw AuditLogError("\(path): cannot create: \(LogFile.describe(errno: errno))")
        }
        defer { close(fd) }
        LogFile.lock(fd, exclusive: true)
        let entry = AuditEntry(seq: 1, time: time, draft: initDraft, prev: .zero)
        let line = entry.line + [0x0a]
        let origin = Digest(hashing: line)
        let state = TailState(lastSeq: 1, lastHash: origin, origin: origin, checkpointCount: 0)
        var bytes = line
        let checkpoints = try seal(state: state, signers: [signer], into: &bytes)
        try commit(fd: fd, bytes: bytes, restoreSize: 0)
        LogFile.syncDirectory(of: path)
        return AppendReceipt(entries: [entry], checkpoints: checkpoints, recoveries: [])
    }

    /// Appends `drafts` and seals them with a checkpoint by each of `signers` (usually one; two
    /// during a key rotation). `time` is the RFC 3339 time written on every entry of the batch.
    @discardableResult
    public func append(_ drafts: [AuditEntryDraft], signers: [PrivateKey], time: String) throws -> AppendReceipt {
        precondition(!signers.isEmpty, "a batch is always sealed")
        let fd = open(path, O_RDWR | O_APPEND | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { throw AuditLogError("\(path): the audit log is missing; restore it from a backup (csirt never starts a new chain silently)") }
            throw AuditLogError("\(path): cannot open for appending: \(LogFile.describe(errno: errno))")
        }
        defer { close(fd) }
        LogFile.lock(fd, exclusive: true)

        var tail = try TailReader(fd: fd, path: path).read()
        var recoveries: [AuditEntryDraft] = []
        let restoreSize = tail.tornStart ?? tail.fileSize
        if let tornStart = tail.tornStart {
            let torn = try LogFile.readExactly(fd, count: tail.fileSize - tornStart, at: tornStart)
            var details: [String: JSONValue] = [
                "reason": "torn-line",
                "removed_bytes": .integer(Int64(torn.count)),
                "removed_sha256": .string(Hex.encode(SHA256.hash(torn))),
            ]
            // Keep the evidence itself when it is small; a torn write is at most one batch.
            if torn.count <= 65_536 { details["removed_base64"] = .string(Base64.encode(torn)) }
            recoveries.append(AuditEntryDraft(actor: "csirt", action: "audit.recover", target: "audit-log", details: details))
            guard ftruncate(fd, off_t(tornStart)) == 0 else {
                throw AuditLogError("\(path): cannot remove the torn last line: \(LogFile.describe(errno: errno))")
            }
        }
        if tail.unsealed {
            recoveries.append(AuditEntryDraft(actor: "csirt", action: "audit.recover", target: "audit-log", details: [
                "reason": "unsealed-entries",
                "last_seq": .integer(tail.state.lastSeq),
            ]))
        }

        var bytes: [UInt8] = []
        var written: [AuditEntry] = []
        for draft in recoveries + drafts {
            let entry = AuditEntry(seq: tail.state.lastSeq + 1, time: time, draft: draft, prev: tail.state.lastHash)
            let line = entry.line
            guard line.count <= Self.maximumLineLength else {
                throw AuditLogError("audit entry \(draft.action) for \(draft.target) is \(line.count) bytes; the limit is 1 MiB")
            }
            bytes += line
            bytes.append(0x0a)
            tail.state.lastSeq = entry.seq
            tail.state.lastHash = Digest(hashing: line + [0x0a])
            written.append(entry)
        }
        let checkpoints = try Self.seal(state: tail.state, signers: signers, into: &bytes)
        try Self.commit(fd: fd, bytes: bytes, restoreSize: restoreSize)
        return AppendReceipt(entries: Array(written.dropFirst(recoveries.count)), checkpoints: checkpoints,
                             recoveries: Array(written.prefix(recoveries.count)))
    }

    private static func seal(state: TailState, signers: [PrivateKey], into bytes: inout [UInt8]) throws -> [Checkpoint] {
        var head = state.lastHash
        var number = state.checkpointCount
        var checkpoints: [Checkpoint] = []
        for signer in signers {
            number += 1
            let checkpoint = try Checkpoint.sign(origin: state.origin, size: state.lastSeq, head: head, number: number, key: signer)
            let line = checkpoint.line + [0x0a]
            bytes += line
            head = Digest(hashing: line)
            checkpoints.append(checkpoint)
        }
        return checkpoints
    }

    /// One write, then fsync; on failure the file is cut back so that nothing half-written stays.
    private static func commit(fd: Int32, bytes: [UInt8], restoreSize: Int) throws {
        if let code = LogFile.writeAll(fd, bytes) {
            _ = ftruncate(fd, off_t(restoreSize))
            throw AuditLogError("cannot write the audit log: \(LogFile.describe(errno: code))")
        }
        guard fsync(fd) == 0 else {
            throw AuditLogError("cannot sync the audit log to disk: \(LogFile.describe(errno: errno))")
        }
    }
}

/// Where the log stands: enough to append the next batch without reading the whole file.
struct TailState {
    var lastSeq: Int64
    var lastHash: Digest
    var origin: Digest
    var checkpointCount: Int64
}

struct TailReport {
    var state: TailState
    var fileSize: Int
    /// Offset of a torn (unterminated) last line, if there is one.
    var tornStart: Int?
    /// The last complete line is an entry, not a checkpoint: a writer died mid-batch.
    var unsealed: Bool
    /// The newest checkpoint line (without its newline).
    var lastCheckpointLine: [UInt8]? = nil
}

/// Reads the first line (for the origin) and walks back from the end to the last checkpoint.
struct TailReader {
    let fd: Int32
    let path: String

    func read() throws -> TailReport {
        let size = LogFile.size(fd)
        guard size > 0 else {
            throw AuditLogError("\(path): the audit log is empty; it was truncated — restore it from a backup (csirt never starts a new chain silently)")
        }
        let head = try LogFile.readExactly(fd, count: min(size, AuditLogWriter.maximumLineLength + 1), at: 0)
        guard let firstEnd = head.firstIndex(of: 0x0a) else {
            throw AuditLogError("\(path):1: the first line is damaged or incomplete; run `csirt audit verify`")
        }
        let origin = Digest(hashing: Array(head[...firstEnd]))

        var end = size
        var tornStart: Int? = nil
        let lastByte = try LogFile.readExactly(fd, count: 1, at: size - 1)
        if lastByte != [0x0a] {
            let start = try previousLineStart(before: size)
            tornStart = start
            end = start
        }
        var lastSeq: Int64? = nil
        var lastHash = Digest()
        var unsealed = false
        while end > 0 {
            let start = try previousLineStart(before: end - 1)
            let line = try LogFile.readExactly(fd, count: end - start, at: start)
            let body = Array(line.dropLast())
            let parsed: AuditLine
            do {
                parsed = try body.withUnsafeBufferPointer { buffer throws(JSONSyntaxError) in try AuditLine.parse(buffer) }
            } catch {
                throw AuditLogError("\(path): a line near the end is damaged (\(error.reason)); run `csirt audit verify` — csirt does not append to a damaged log")
            }
            if lastSeq == nil {
                lastSeq = parsed.number
                lastHash = Digest(hashing: line)
            }
            if parsed.kind == .checkpoint {
                let state = TailState(lastSeq: lastSeq!, lastHash: lastHash, origin: origin, checkpointCount: parsed.checkpointNumber)
                return TailReport(state: state, fileSize: size, tornStart: tornStart, unsealed: unsealed, lastCheckpointLine: body)
            }
            unsealed = true
            end = start
        }
        guard let lastSeq else {
            throw AuditLogError("\(path): holds no complete line; run `csirt audit verify`")
        }
        // No checkpoint at all: a writer died while creating the log.
        let state = TailState(lastSeq: lastSeq, lastHash: lastHash, origin: origin, checkpointCount: 0)
        return TailReport(state: state, fileSize: size, tornStart: tornStart, unsealed: true)
    }

    /// Offset of the first byte of the line that contains offset `before - 1`
    /// (that is, one past the previous newline), reading backwards in blocks.
    private func previousLineStart(before: Int) throws -> Int {
        var position = before
        let block = 65_536
        while position > 0 {
            let start = max(0, position - block)
            let bytes = try LogFile.readExactly(fd, count: position - start, at: start)
            if let newline = bytes.lastIndex(of: 0x0a) {
                return start + newline + 1
            }
            position = start
            if before - position > AuditLogWriter.maximumLineLength {
                throw AuditLogError("\(path): the last line is longer than 1 MiB; run `csirt audit verify`")
            }
        }
        return 0
    }
}
