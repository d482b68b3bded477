import CanonicalJSON
import Foundation

/// The newest checkpoint of a log, for keeping elsewhere as an anchor.
public struct LatestCheckpoint: Sendable {
    public var checkpoint: Checkpoint
    /// The line exactly as it stands in the log, without its newline.
    public var line: String
    /// Lines follow it that no checkpoint seals.
    public var unsealedAfter: Bool
}

public enum AuditLogReader {
    /// Reads backwards from the end under a shared lock; does not verify (that is `AuditLogVerifier`).
    public static func latestCheckpoint(path: String) throws -> LatestCheckpoint {
        let fd = try LogFile.openForReading(path)
        defer { close(fd) }
        try LogFile.lock(fd, exclusive: false, path: path)
        let tail = TailReader(fd: fd, path: path)
        let size = try LogFile.size(fd, path: path)
        guard size > 0 else { throw AuditLogError("\(path): empty file, not an audit log") }
        // As `verify` does: a file whose first line is not an audit line is not an audit log.
        let first = try LogFile.readExactly(fd, count: min(size, AuditLogWriter.maximumLineLength + 1), at: 0)
        let firstLine = Array(first.prefix { $0 != 0x0a })
        do {
            _ = try firstLine.withUnsafeBufferPointer { buffer throws(JSONSyntaxError) in try AuditLine.parse(buffer) }
        } catch {
            throw AuditLogError("\(path):1: not a csirt audit log: \(error.reason)")
        }
        var end = try tail.previousLineStart(before: size)
        var unsealed = end < size
        while end > 0 && size - end <= AuditLogWriter.maximumTailSearch {
            let start = try tail.previousLineStart(before: end - 1)
            let line = Array(try LogFile.readExactly(fd, count: end - start, at: start).dropLast())
            if line.starts(with: Array(#"{"alg":"#.utf8)) {
                do {
                    return LatestCheckpoint(checkpoint: try Checkpoint.parse(line), line: String(decoding: line, as: UTF8.self), unsealedAfter: unsealed)
                } catch {
                    throw AuditLogError("\(path): the last checkpoint is damaged (\(error.reason)); run `csirt audit verify`")
                }
            }
            unsealed = true
            end = start
        }
        throw AuditLogError("\(path): holds no checkpoint near its end")
    }
}
