import Foundation
/// The newest checkpoint of a log, for keeping elsewhere as an anchor.
public struct LatestCheckpoint: Sendable {
    public var checkpoint: Checkpoint
    /// The line exactly as it stands in the log, without its newline.
    public var line: String
    /// Entries follow it that no checkpoint seals yet (a writer died mid-batch).
    public var unsealedAfter: Bool
}

public enum AuditLogReader {
    /// Reads backwards from the end under a shared lock; does not verify (that is `AuditLogVerifier`).
    public static func latestCheckpoint(path: String) throws -> LatestCheckpoint {
        let fd = try LogFile.openForReading(path)
        defer { close(fd) }
        LogFile.lock(fd, exclusive: false)
        let tail = try TailReader(fd: fd, path: path).read()
        guard let line = tail.lastCheckpointLine else {
            throw AuditLogError("\(path): holds no checkpoint")
        }
        do {
            return LatestCheckpoint(checkpoint: try Checkpoint.parse(line), line: String(decoding: line, as: UTF8.self), unsealedAfter: tail.unsealed)
        } catch {
            throw AuditLogError("\(path): the last checkpoint is damaged (\(error.reason)); run `csirt audit verify`")
        }
    }
}
