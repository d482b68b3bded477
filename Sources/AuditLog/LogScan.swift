import CanonicalJSON
import CSIRTCrypto
import Foundation

/// Reads a log in windows of a few chunks, hashing and parsing the chunks of a window in
/// parallel, and hands the records over chunk by chunk, in file order. Memory stays the same
/// whatever the log's size: the chunk buffers and record arrays are allocated once and reused.
///
/// Each chunk owns the lines that start inside it (a line starts at offset 0 or after a LF), and
/// reads a little past its end to finish its last line, so chunks need no coordination.
final class LogScan {
    /// What a chunk compares lines against.
    struct Context: @unchecked Sendable {
        // PublicKey is immutable and shareable (see CSIRTCrypto); the arrays are read-only here.
        var origin: Digest?
        var keyIDs: [[UInt8]]
        var algorithms: [[UInt8]]
        var keys: [PublicKey]
        /// Verify every trusted checkpoint's signature in the parallel pass.
        var verifySignatures: Bool
        var anchorLine: [UInt8]?
    }

    struct Chunk {
        var records: [LineRecord] = []
        /// Why each invalid line is invalid, by its index within the chunk.
        var problems: [(Int, JSONSyntaxError)] = []
        var notes: [(Int, LineNote)] = []
        var error: AuditLogError? = nil
    }

    /// Small enough that a chunk, read, is still in the core's cache when it is parsed and
    /// hashed: with 4 MiB chunks the copy out of the page cache took a quarter of the CPU time.
    static let chunkSize = 512 << 10
    /// Bytes a chunk reads past its end at first, to finish its last line; more (up to the
    /// longest line allowed and its LF) only when that line is longer.
    static let margin = 16 << 10
    static let overlap = AuditLogWriter.maximumLineLength + 1

    let fd: Int32
    let path: String
    /// Scan bytes [0, size): the size noted under the lock.
    let size: Int
    let context: Context
    let chunksPerWindow: Int
    private let buffers: UnsafeMutableBufferPointer<UnsafeMutableRawPointer>
    private let chunks: UnsafeMutableBufferPointer<Chunk>
    private let progress: ProgressCounter?

    init(fd: Int32, path: String, size: Int, context: Context, progress: ProgressCounter?) {
        self.fd = fd
        self.path = path
        self.size = size
        self.context = context
        self.progress = progress
        // Eight chunks per core: enough work between two waits for the slowest chunk, and chunks
        // differ in cost (checkpoints with signatures).
        chunksPerWindow = max(8, 8 * ProcessInfo.processInfo.activeProcessorCount)
        buffers = .allocate(capacity: chunksPerWindow)
        for k in 0..<chunksPerWindow {
            (buffers.baseAddress! + k).initialize(to: .allocate(byteCount: Self.chunkSize + Self.overlap + 1, alignment: 16))
        }
        chunks = .allocate(capacity: chunksPerWindow)
        chunks.initialize(repeating: Chunk())
    }

    deinit {
        for buffer in buffers { buffer.deallocate() }
        buffers.deinitialize().deallocate()
        chunks.deinitialize().deallocate()
    }

    /// Scans from `start` (a line start) to the end, calling `body` with each chunk in order.
    /// `body` returns false to stop early.
    func run(from start: Int = 0, _ body: (Chunk) throws(AuditLogError) -> Bool) throws(AuditLogError) {
        var windowStart = start
        while windowStart < size {
            let count = min(chunksPerWindow, (size - windowStart + Self.chunkSize - 1) / Self.chunkSize)
            nonisolated(unsafe) let shared = (self, windowStart)
            // Each iteration writes only its own chunk slot and buffer.
            DispatchQueue.concurrentPerform(iterations: count) { k in
                let (scan, windowStart) = shared
                let from = windowStart + k * LogScan.chunkSize
                scan.scanChunk(k, owning: from..<min(scan.size, from + LogScan.chunkSize), firstInFile: from == start)
            }
            for k in 0..<count {
                if let error = chunks[k].error { throw error }
                guard try body(chunks[k]) else { return }
            }
            windowStart += count * Self.chunkSize
        }
    }

    /// Hashes and parses the lines that start in `owned` into chunk slot `k`.
    private func scanChunk(_ k: Int, owning owned: Range<Int>, firstInFile: Bool) {
        chunks[k].records.removeAll(keepingCapacity: true)
        chunks[k].problems.removeAll(keepingCapacity: true)
        chunks[k].notes.removeAll(keepingCapacity: true)
        chunks[k].error = nil
        let readStart = firstInFile ? owned.lowerBound : owned.lowerBound - 1
        let fullEnd = min(size, owned.upperBound + Self.overlap)
        var readEnd = min(size, owned.upperBound + Self.margin)
        let buffer = buffers[k]
        /// Reads [from, to) into its place in the buffer.
        func load(_ from: Int, _ to: Int) -> Bool {
            do {
                let got = try LogFile.read(fd, into: buffer + (from - readStart), count: to - from, at: from, path: path)
                guard got == to - from else {
                    chunks[k].error = AuditLogError("\(path): the log became shorter while it was verified; verify again")
                    return false
                }
                return true
            } catch {
                chunks[k].error = error
                return false
            }
        }
        guard load(readStart, readEnd) else { return }
        let bytes = UnsafeRawPointer(buffer)
        func at(_ offset: Int) -> UnsafeRawPointer { bytes + (offset - readStart) }
        /// The next LF at or after `offset`, reading on (up to the longest line) when the bytes
        /// read so far end first.
        func newline(from offset: Int) -> Int? {
            while true {
                if offset < readEnd, let found = memchr(at(offset), 0x0a, readEnd - offset) {
                    return readStart + UnsafeRawPointer(bytes).distance(to: UnsafeRawPointer(found))
                }
                guard readEnd < fullEnd else { return nil }
                let more = min(fullEnd, readEnd + max(Self.margin, readEnd - offset))
                guard load(readEnd, more) else { return nil }
                readEnd = more
            }
        }
        var lineStart: Int
        if firstInFile {
            lineStart = owned.lowerBound
        } else {
            guard let first = newline(from: readStart) else { return }
            lineStart = first + 1
        }
        let hasher = SHA256Context()
        while lineStart < owned.upperBound {
            guard let lineEnd = newline(from: lineStart) else {
                if readEnd == size {
                    // No newline before the end of the file: an interrupted write.
                    var record = LineRecord(offset: lineStart, length: size - lineStart, kind: .torn)
                    record.hash = Digest(hashing: UnsafeRawBufferPointer(start: at(lineStart), count: size - lineStart), with: hasher)
                    chunks[k].records.append(record)
                } else {
                    var record = LineRecord(offset: lineStart, length: -1, kind: .invalid)
                    record.hashKnown = false
                    chunks[k].problems.append((chunks[k].records.count, JSONSyntaxError(offset: 0, reason: "line is longer than the 1 MiB limit")))
                    chunks[k].records.append(record)
                }
                break
            }
            let length = lineEnd - lineStart
            var record = LineRecord(offset: lineStart, length: length, kind: .invalid)
            record.hash = Digest(hashing: UnsafeRawBufferPointer(start: at(lineStart), count: length + 1), with: hasher)
            if length > AuditLogWriter.maximumLineLength {
                chunks[k].problems.append((chunks[k].records.count, JSONSyntaxError(offset: 0, reason: "line is \(length) bytes, longer than the 1 MiB limit")))
            } else {
                let text = UnsafeBufferPointer(start: at(lineStart).assumingMemoryBound(to: UInt8.self), count: length)
                do {
                    let line = try AuditLine.parse(text)
                    fill(&record, from: line, text: text, index: chunks[k].records.count, chunk: k)
                } catch {
                    chunks[k].problems.append((chunks[k].records.count, error))
                }
            }
            chunks[k].records.append(record)
            lineStart = lineEnd + 1
        }
        progress?.add(owned.count)
    }

    private func fill(_ record: inout LineRecord, from line: AuditLine, text: UnsafeBufferPointer<UInt8>, index: Int, chunk k: Int) {
        record.kind = line.kind == .entry ? .entry : .checkpoint
        record.number = line.number
        record.checkpointNumber = line.checkpointNumber
        record.link = line.link
        switch line.kind {
        case .entry:
            record.time = line.time
            let action = UnsafeBufferPointer(rebasing: text[line.action])
            record.isInit = action.elementsEqual("init".utf8)
            // Only three rare actions carry a note; compare the first bytes before decoding.
            if action.count > 6, action.starts(with: "audit.".utf8) {
                let name = String(decoding: action, as: UTF8.self)
                if let note = LineNote.read(action: name, line: text) { chunks[k].notes.append((index, note)) }
            }
        case .checkpoint:
            record.originMatches = line.origin == context.origin
            record.keyIndex = keyIndex(of: line, in: text)
            if let anchor = context.anchorLine, anchor.count == text.count {
                record.equalsAnchorLine = anchor.withUnsafeBufferPointer { memcmp($0.baseAddress!, text.baseAddress!, text.count) == 0 }
            }
            if context.verifySignatures, record.keyIndex >= 0 {
                record.signature = Self.checkSignature(line, text: text, key: context.keys[Int(record.keyIndex)])
            }
        }
    }

    private func keyIndex(of line: AuditLine, in text: UnsafeBufferPointer<UInt8>) -> Int16 {
        let keyID = UnsafeBufferPointer(rebasing: text[line.keyID])
        for (index, trusted) in context.keyIDs.enumerated() where trusted.elementsEqual(keyID) {
            return context.algorithms[index].elementsEqual(UnsafeBufferPointer(rebasing: text[line.algorithm])) ? Int16(index) : LineRecord.wrongAlgorithm
        }
        return LineRecord.unknownKey
    }

    /// The checkpoint's signature over its own origin, size and head, in strict form (canonical
    /// Base64, low-S ECDSA): the walk checks separately that those fields fit the chain.
    static func checkSignature(_ line: AuditLine, text: UnsafeBufferPointer<UInt8>, key: PublicKey) -> LineRecord.Signature {
        guard let signature = Base64.decode(String(decoding: UnsafeBufferPointer(rebasing: text[line.signature]), as: UTF8.self)) else {
            return .malformedBase64
        }
        let message = Checkpoint.signedText(origin: line.origin, size: line.number, head: line.link)
        return key.verify(signature: signature, message: message, strict: true) ? .valid : .invalid
    }
}

/// What verification is doing, for a progress display.
public enum VerificationPhase: String, Sendable {
    /// Hashing and parsing every line, and checking signatures (progress in bytes).
    case reading
    /// Looking again at the lines around the first break, to say what happened (progress in bytes).
    case classifying = "locating the damage"
}

/// (phase, done, total), called from worker threads.
public typealias VerificationProgress = @Sendable (VerificationPhase, Int, Int) -> Void

/// Progress from worker threads, added up under a lock.
final class ProgressCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var done = 0
    private let phase: VerificationPhase
    private let total: Int
    private let report: VerificationProgress

    init?(phase: VerificationPhase, total: Int, report: VerificationProgress?) {
        guard let report else { return nil }
        self.phase = phase
        self.total = total
        self.report = report
    }

    func add(_ bytes: Int) {
        lock.lock()
        done += bytes
        let now = done
        lock.unlock()
        report(phase, now, total)
    }
}
