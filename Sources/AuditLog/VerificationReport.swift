/// What `AuditLogVerifier` found.
public struct VerificationReport: Sendable {
    /// Which checkpoints a key signed, by the `size` they sealed.
    public struct KeyUsage: Sendable, Equatable {
        public var keyID: String
        public var algorithm: String
        public var checkpoints: Int
        public var firstSize: Int64
        public var lastSize: Int64
    }

    public var path: String
    public var bytes: Int
    public var lines: Int
    /// The last entry seq read (entries are numbered 1, 2, 3 …).
    public var entries: Int64
    public var checkpoints: Int
    /// SHA-256 of line 1: the log's identity.
    public var origin: Digest?
    /// The newest checkpoint that verified.
    public var lastCheckpoint: Checkpoint?
    public var keys: [KeyUsage]
    /// True when an anchor was given and the log extends it.
    public var anchorChecked: Bool
    public var failure: IntegrityFailure?

    public var isIntact: Bool { failure == nil }
}
