import CanonicalJSON
import CSIRTCrypto

/// Reads what follows csirt's last recorded write, line by line (one line in memory at a time),
/// and finds how much of it csirt can vouch for: complete, canonical lines that continue the
/// chain, ending with a checkpoint signed by a trusted key that was not retired. That part was
/// sealed — a batch whose log write reached the disk but whose database commit did not — and is
/// never removed (append-only: nothing a signed checkpoint covers is cut). What comes after it
/// (a torn line, lines nobody sealed) may be cut, as evidence in an `audit.recover` entry.
struct TailScan {
    struct Result {
        /// The end of the last sealed line csirt vouches for (the recorded position when none).
        var sealedEnd: Int
        var head: Digest
        var lastSeq: Int64
        var checkpoints: Int64
        /// Entries between the recorded position and `sealedEnd`.
        var sealedEntries: Int
        /// Key rotations among those entries: (seq, old key id, new key id).
        var rotations: [(seq: Int64, oldKeyID: String, newKeyID: String)]
    }

    /// `active`: the keys csirt's database holds active — the only keys whose checkpoints may seal
    /// what follows, together with a key that a rotation among these very lines introduced (its
    /// public key found in `known`), once the old key's checkpoint has sealed that rotation. A key
    /// retired earlier, even one still in `keys/`, seals nothing here: a leaked old key cannot
    /// make csirt adopt lines, not even with a forged rotation entry.
    static func scan(fd: Int32, path: String, from position: LogPosition, origin: Digest, to size: Int,
                     active: [PublicKey], known: [PublicKey]) throws(AuditLogError) -> Result {
        var keys = active
        var result = Result(sealedEnd: position.bytes, head: Digest(hex: position.head) ?? .zero, lastSeq: position.lastSeq,
                            checkpoints: position.checkpoints, sealedEntries: 0, rotations: [])
        var link = result.head
        var expectedSeq = position.lastSeq + 1
        var expectedCheckpoint = position.checkpoints + 1
        var entries = 0
        var rotations: [(seq: Int64, oldKeyID: String, newKeyID: String)] = []
        var retired: [String: Int64] = [:]
        /// Rotations among these lines: (seq, old key id, the new key), trusted once the old key seals the rotation.
        var introductions: [(Int64, String, PublicKey)] = []
        var offset = position.bytes
        let block = 1 << 16
        // Bytes read but not yet taken: pending[start...].
        var pending: [UInt8] = []
        var start = 0
        var readAt = position.bytes
        while offset < size {
            // Gather one whole line (at most 1 MiB and its LF).
            var newline = pending[start...].firstIndex(of: 0x0a)
            while newline == nil, readAt < size, pending.count - start <= AuditLogWriter.maximumLineLength {
                if start > 0 {
                    pending.removeFirst(start)
                    start = 0
                }
                let more = try LogFile.readExactly(fd, count: min(block, size - readAt), at: readAt)
                guard !more.isEmpty else { break }
                readAt += more.count
                if let found = more.firstIndex(of: 0x0a) { newline = pending.count + found }
                pending += more
            }
            guard let end = newline, end - start <= AuditLogWriter.maximumLineLength else { break }
            let lineBytes = Array(pending[start..<end])
            let hash = Digest(hashing: Array(pending[start...end]))
            offset += end + 1 - start
            start = end + 1
            let parsed: AuditLine
            do {
                parsed = try lineBytes.withUnsafeBufferPointer { buffer throws(JSONSyntaxError) in try AuditLine.parse(buffer) }
            } catch { break }
            guard parsed.link == link else { break }
            if parsed.kind == .entry {
                guard parsed.number == expectedSeq else { break }
                expectedSeq += 1
                entries += 1
                let action = lineBytes.withUnsafeBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[parsed.action]), as: UTF8.self) }
                if action == LineNote.rotationAction,
                   case .rotation(let old, let new)? = lineBytes.withUnsafeBufferPointer({ LineNote.read(action: action, line: $0) }) {
                    rotations.append((parsed.number, old, new))
                    if retired[old] == nil { retired[old] = parsed.number }
                    if let introduced = known.first(where: { $0.keyID == new }) { introductions.append((parsed.number, old, introduced)) }
                }
            } else {
                guard parsed.number == expectedSeq - 1, parsed.checkpointNumber == expectedCheckpoint, parsed.origin == origin,
                      let checkpoint = try? Checkpoint.parse(lineBytes),
                      retired[checkpoint.keyID].map({ parsed.number <= $0 }) ?? true,
                      keys.contains(where: { checkpoint.signatureProblem(with: $0) == nil })
                else { break }
                // The old key has now vouched for its rotation: the key it introduced may seal what follows.
                for (seq, old, introduced) in introductions where old == checkpoint.keyID && parsed.number >= seq {
                    if !keys.contains(where: { $0.keyID == introduced.keyID }) { keys.append(introduced) }
                }
                expectedCheckpoint += 1
                result = Result(sealedEnd: offset, head: hash, lastSeq: expectedSeq - 1, checkpoints: parsed.checkpointNumber,
                                sealedEntries: entries, rotations: rotations)
            }
            link = hash
        }
        return result
    }
}
