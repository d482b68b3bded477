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
        /// Called now and then with (bytes done, bytes in all), from worker threads.
        public var progress: (@Sendable (Int, Int) -> Void)?

        public init(trustedKeys: [PublicKey], anchor: Checkpoint? = nil, progress: (@Sendable (Int, Int) -> Void)? = nil) {
            self.trustedKeys = trustedKeys
            self.anchor = anchor
            self.progress = progress
        }
    }

    /// Reads the log under a shared lock (so a batch being written is never seen half done) and
    /// verifies it. Throws `AuditLogError` for input problems; integrity problems are in the report.
    public static func verify(path: String, options: Options) throws(AuditLogError) -> VerificationReport {
        let fd = try LogFile.openForReading(path)
        defer { close(fd) }
        LogFile.lock(fd, exclusive: false)
        let size = LogFile.size(fd)
        guard size > 0 else { throw AuditLogError("\(path): empty file, not an audit log") }
        let file = try MappedFile(fd: fd, count: size, path: path)
        let scan = LogScan.scan(file.bytes, progress: options.progress)
        return try Verification(path: path, bytes: file.bytes, scan: scan, options: options).run()
    }
}

/// One line's facts after the parallel pass.
struct LineRecord {
    enum Kind: UInt8 { case entry, checkpoint, invalid, torn }
    var offset: Int
    var length: Int
    var kind: Kind
    var number: Int64 = 0
    var checkpointNumber: Int64 = 0
    var link = Digest()
    var origin = Digest()
    /// SHA-256 of the line's bytes including its newline.
    var hash = Digest()
    var problem: JSONSyntaxError? = nil
}

/// The parallel pass: split at line boundaries, then hash and parse every line.
enum LogScan {
    static let chunkSize = 4 << 20

    static func scan(_ bytes: UnsafeBufferPointer<UInt8>, progress: (@Sendable (Int, Int) -> Void)?) -> [LineRecord] {
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
        let results = UnsafeMutableBufferPointer<[LineRecord]>.allocate(capacity: chunkCount)
        results.initialize(repeating: [])
        defer { results.deallocate() }
        let done = ProgressCounter(total: bytes.count, report: progress)
        nonisolated(unsafe) let shared = (bytes, results, boundaries)
        DispatchQueue.concurrentPerform(iterations: chunkCount) { chunk in
            let (bytes, results, boundaries) = shared
            results[chunk] = scanChunk(bytes, from: boundaries[chunk], to: boundaries[chunk + 1])
            done.add(boundaries[chunk + 1] - boundaries[chunk])
        }
        var all: [LineRecord] = []
        all.reserveCapacity(results.reduce(0) { $0 + $1.count })
        for chunk in results { all += chunk }
        return all
    }

    private static func scanChunk(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) -> [LineRecord] {
        var records: [LineRecord] = []
        records.reserveCapacity((end - start) / 200 + 1)
        let base = UnsafeRawPointer(bytes.baseAddress!)
        var position = start
        while position < end {
            let remaining = end - position
            let found = memchr(base + position, 0x0a, remaining)
            guard let found else {
                // No newline before the end of the file: an interrupted write.
                var record = LineRecord(offset: position, length: remaining, kind: .torn)
                record.hash = Digest(hashing: UnsafeRawBufferPointer(start: base + position, count: remaining))
                records.append(record)
                break
            }
            let length = base.distance(to: UnsafeRawPointer(found)) - position
            var record = LineRecord(offset: position, length: length, kind: .invalid)
            record.hash = Digest(hashing: UnsafeRawBufferPointer(start: base + position, count: length + 1))
            if length > AuditLogWriter.maximumLineLength {
                record.problem = JSONSyntaxError(offset: 0, reason: "line is \(length) bytes, longer than the 1 MiB limit")
            } else {
                do {
                    let line = try AuditLine.parse(UnsafeBufferPointer(rebasing: bytes[position..<(position + length)]))
                    record.kind = line.kind == .entry ? .entry : .checkpoint
                    record.number = line.number
                    record.checkpointNumber = line.checkpointNumber
                    record.link = line.link
                    record.origin = line.origin
                } catch {
                    record.problem = error
                }
            }
            records.append(record)
            position += length + 1
        }
        return records
    }
}

/// Throttled progress from worker threads.
final class ProgressCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var done = 0
    private let total: Int
    private let report: (@Sendable (Int, Int) -> Void)?

    init(total: Int, report: (@Sendable (Int, Int) -> Void)?) {
        self.total = total
        self.report = report
    }

    func add(_ bytes: Int) {
        guard let report else { return }
        lock.lock()
        done += bytes
        let now = done
        lock.unlock()
        report(now, total)
    }
}
