import CanonicalJSON
import CSIRTCrypto
import Foundation

/// Verifies an audit log: every line canonical and well-formed, every line linked by SHA-256 to
/// the one before, entries numbered without gaps, every checkpoint's signature valid by a trusted
/// key, nothing after the last checkpoint, and — given an anchor checkpoint kept elsewhere — no
/// truncation or rewrite of what the anchor sealed. On failure it names the first bad line.
public struct AuditLogVerifier {
    public struct Options: Sendable {
        /// Keys whose checkpoints are accepted; a checkpoint by any other key fails as unknown-key.
        public var trustedKeys: [PublicKey]
        /// A checkpoint kept elsewhere: the log must still contain what it sealed.
        public var anchor: Checkpoint?
        /// Which checkpoint signatures to verify with OpenSSL.
        public var signatures: SignaturePolicy
        /// Called now and then from worker threads.
        public var progress: VerificationProgress?

        public init(trustedKeys: [PublicKey], anchor: Checkpoint? = nil, signatures: SignaturePolicy = .all,
                    progress: VerificationProgress? = nil) {
            self.trustedKeys = trustedKeys
            self.anchor = anchor
            self.signatures = signatures
            self.progress = progress
        }
    }

    public enum SignaturePolicy: String, Sendable, CaseIterable {
        /// Every checkpoint's signature.
        case all
        /// The newest checkpoint of each key. Every checkpoint's key must still be trusted, and the
        /// chain binds every earlier line to that newest signature, so a change by anyone without
        /// the key is still caught; only a malformed signature the key holder wrote goes unseen.
        case latest
    }

    /// Reads the log under a shared lock (so a batch being written is never seen half done) and
    /// verifies it. Throws `AuditLogError` for input problems; integrity problems are in the report.
    public static func verify(path: String, options: Options) throws(AuditLogError) -> VerificationReport {
        guard options.trustedKeys.count <= 1_000 else { throw AuditLogError("more than 1,000 trusted keys; give the keys that signed this log") }
        let fd = try LogFile.openForReading(path)
        defer { close(fd) }
        LogFile.lock(fd, exclusive: false)
        let size = LogFile.size(fd)
        guard size > 0 else { throw AuditLogError("\(path): empty file, not an audit log") }
        // Read, not mapped: a mapped file cut short by another program would crash the verifier (SIGBUS).
        let file = try LoadedFile(fd: fd, count: size, path: path)
        let scan = LogScan.scan(file.bytes, trustedKeys: options.trustedKeys, progress: options.progress)
        return try Verification(path: path, bytes: file.bytes, scan: scan.records, problems: scan.problems, options: options).run()
    }
}

/// One line's facts after the parallel pass. Plain data (no references), so that a million of
/// them copy and free without reference counting.
struct LineRecord {
    enum Kind: UInt8 { case entry, checkpoint, invalid, torn }
    var offset: Int
    var length: Int
    var kind: Kind
    /// Checkpoints: index of the trusted key that signed it, `unknownKey` or `wrongAlgorithm`.
    var keyIndex: Int16 = LineRecord.unknownKey
    /// Checkpoints: `origin` equals the hash of line 1.
    var originMatches = false
    var number: Int64 = 0
    var checkpointNumber: Int64 = 0
    var link = Digest()
    /// SHA-256 of the line's bytes including its newline.
    var hash = Digest()

    static let unknownKey: Int16 = -1
    static let wrongAlgorithm: Int16 = -2
}

/// The parallel pass: split at line boundaries, then hash and parse every line.
enum LogScan {
    static let chunkSize = 4 << 20

    struct Result {
        var records: [LineRecord]
        /// Why each invalid line is invalid, by line index.
        var problems: [Int: JSONSyntaxError]
    }

    struct Chunk {
        var records: [LineRecord] = []
        var problems: [(Int, JSONSyntaxError)] = []
    }

    /// What a chunk compares checkpoints against: the log's origin and the trusted keys.
    struct Context {
        var origin: Digest?
        var keyIDs: [[UInt8]]
        var algorithms: [[UInt8]]
    }

    static func scan(_ bytes: UnsafeBufferPointer<UInt8>, trustedKeys: [PublicKey], progress: VerificationProgress?) -> Result {
        // The origin is line 1's hash; every checkpoint must repeat it.
        var origin: Digest? = nil
        if let newline = memchr(bytes.baseAddress!, 0x0a, bytes.count) {
            let length = UnsafeRawPointer(bytes.baseAddress!).distance(to: UnsafeRawPointer(newline)) + 1
            origin = Digest(hashing: UnsafeRawBufferPointer(start: bytes.baseAddress!, count: length))
        }
        let context = Context(origin: origin, keyIDs: trustedKeys.map { Array($0.keyID.utf8) },
                              algorithms: trustedKeys.map { Array($0.algorithm.rawValue.utf8) })
        // Chunk boundaries just after a newline, so that no line spans two chunks.
        var boundaries = [0]
        var position = chunkSize
        while position < bytes.count {
            let rest = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(bytes)[position...])
            guard let found = memchr(rest.baseAddress!, 0x0a, rest.count) else { break }
            let next = rest.baseAddress!.distance(to: UnsafeRawPointer(found)) + position + 1
            if next >= bytes.count { break }
            boundaries.append(next)
            position = next + chunkSize
        }
        boundaries.append(bytes.count)
        let chunkCount = boundaries.count - 1
        let results = UnsafeMutableBufferPointer<Chunk>.allocate(capacity: chunkCount)
        results.initialize(repeating: Chunk())
        defer { results.deallocate() }
        let done = ProgressCounter(phase: .reading, total: bytes.count, report: progress)
        // Each chunk writes only its own slot; the mapped bytes are read-only.
        nonisolated(unsafe) let shared = (bytes, results, boundaries, context)
        DispatchQueue.concurrentPerform(iterations: chunkCount) { chunk in
            let (bytes, results, boundaries, context) = shared
            results[chunk] = scanChunk(bytes, from: boundaries[chunk], to: boundaries[chunk + 1], context: context)
            done.add(boundaries[chunk + 1] - boundaries[chunk])
        }
        var all: [LineRecord] = []
        var problems: [Int: JSONSyntaxError] = [:]
        all.reserveCapacity(results.reduce(0) { $0 + $1.records.count })
        for chunk in results {
            for (index, problem) in chunk.problems { problems[all.count + index] = problem }
            all += chunk.records
        }
        return Result(records: all, problems: problems)
    }

    private static func scanChunk(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int, context: Context) -> Chunk {
        var chunk = Chunk()
        chunk.records.reserveCapacity((end - start) / 200 + 1)
        let hasher = SHA256Context()
        let base = UnsafeRawPointer(bytes.baseAddress!)
        var position = start
        while position < end {
            let remaining = end - position
            let found = memchr(base + position, 0x0a, remaining)
            guard let found else {
                // No newline before the end of the file: an interrupted write.
                var record = LineRecord(offset: position, length: remaining, kind: .torn)
                record.hash = Digest(hashing: UnsafeRawBufferPointer(start: base + position, count: remaining), with: hasher)
                chunk.records.append(record)
                break
            }
            let length = base.distance(to: UnsafeRawPointer(found)) - position
            var record = LineRecord(offset: position, length: length, kind: .invalid)
            record.hash = Digest(hashing: UnsafeRawBufferPointer(start: base + position, count: length + 1), with: hasher)
            if length > AuditLogWriter.maximumLineLength {
                chunk.problems.append((chunk.records.count, JSONSyntaxError(offset: 0, reason: "line is \(length) bytes, longer than the 1 MiB limit")))
            } else {
                do {
                    let text = UnsafeBufferPointer(rebasing: bytes[position..<(position + length)])
                    let line = try AuditLine.parse(text)
                    record.kind = line.kind == .entry ? .entry : .checkpoint
                    record.number = line.number
                    record.checkpointNumber = line.checkpointNumber
                    record.link = line.link
                    if line.kind == .checkpoint {
                        record.originMatches = line.origin == context.origin
                        record.keyIndex = keyIndex(of: line, in: text, context: context)
                    }
                } catch {
                    chunk.problems.append((chunk.records.count, error))
                }
            }
            chunk.records.append(record)
            position += length + 1
        }
        return chunk
    }
}

extension LogScan {
    static func keyIndex(of line: AuditLine, in text: UnsafeBufferPointer<UInt8>, context: Context) -> Int16 {
        let keyID = UnsafeBufferPointer(rebasing: text[line.keyID])
        for (index, trusted) in context.keyIDs.enumerated() where trusted.elementsEqual(keyID) {
            return context.algorithms[index].elementsEqual(UnsafeBufferPointer(rebasing: text[line.algorithm])) ? Int16(index) : LineRecord.wrongAlgorithm
        }
        return LineRecord.unknownKey
    }
}

/// What verification is doing, for a progress display.
public enum VerificationPhase: String, Sendable {
    /// Hashing and parsing every line (progress in bytes).
    case reading
    /// Checking checkpoint signatures with OpenSSL (progress in signatures).
    case signatures = "checking signatures"
}

/// (phase, done, total), called from worker threads.
public typealias VerificationProgress = @Sendable (VerificationPhase, Int, Int) -> Void

/// Progress from worker threads, added up under a lock.
final class ProgressCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var done = 0
    private let phase: VerificationPhase
    private let total: Int
    private let report: VerificationProgress?

    init(phase: VerificationPhase, total: Int, report: VerificationProgress?) {
        self.phase = phase
        self.total = total
        self.report = report
    }

    func add(_ bytes: Int) {
        guard let report else { return }
        lock.lock()
        done += bytes
        let now = done
        lock.unlock()
        report(phase, now, total)
    }
}
