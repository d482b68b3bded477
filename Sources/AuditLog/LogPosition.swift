/// Where a log stood right after csirt's last write: its size and the hash of its last line.
/// The application keeps this in its database, so that the next writer can tell the log it left
/// from a log that was cut, rewritten or appended to behind its back.
public struct LogPosition: Sendable, Equatable, Codable {
    /// File size in bytes after the last write.
    public var bytes: Int
    /// SHA-256 of the last line (a checkpoint), hex.
    public var head: String
    /// SHA-256 of line 1, hex.
    public var origin: String
    /// The last entry seq.
    public var lastSeq: Int64
    /// The number of the last checkpoint.
    public var checkpoints: Int64

    public init(bytes: Int, head: String, origin: String, lastSeq: Int64, checkpoints: Int64) {
        self.bytes = bytes
        self.head = head
        self.origin = origin
        self.lastSeq = lastSeq
        self.checkpoints = checkpoints
    }
}
