/// What `AuditLogVerifier` found.
public struct VerificationReport: Sendable {
    /// Which checkpoints a key signed, by the `size` they sealed.
    public struct KeyUsage: Sendable, Equatable {
        public var keyID: String
        public var algorithm: String
        public var checkpoints: Int
        public var firstSize: Int64
        public var lastSize: Int64
        /// The seq of the `audit.rotate-key` entry that retired the key, if one did.
        public var retiredAtSeq: Int64? = nil
    }

    /// An `audit.rotate-key` entry: from it on, the old key seals nothing after `seq`.
    public struct Rotation: Sendable, Equatable {
        public var oldKeyID: String
        public var newKeyID: String
        public var seq: Int64
        /// The entry's time, seconds since 1970.
        public var time: Int64
        public var line: Int
    }

    /// An `audit.void` entry: the changes of entries `fromSeq`…`toSeq` never reached the database
    /// (a crash between the log's fsync and the database's commit); the lines stay, as signed.
    public struct VoidedRange: Sendable, Equatable {
        public var fromSeq: Int64
        public var toSeq: Int64
        public var reason: String
        /// The void entry's own seq and line.
        public var seq: Int64
        public var line: Int
    }

    /// An `audit.timestamp` entry: a token over checkpoint `checkpoint` was stored as `file`.
    public struct TimestampEntry: Sendable, Equatable {
        public var checkpoint: Int64
        public var tokenSHA256: String
        public var file: String
        public var seq: Int64
        public var line: Int
    }

    /// A stored token checked against the log.
    public struct TimestampResult: Sendable, Equatable {
        public var file: String
        /// The checkpoint it vouches for: its number and line.
        public var checkpoint: Int64
        public var line: Int
        /// The TSA's time, and the time of the last entry the checkpoint seals (seconds since 1970).
        public var tokenTime: Int64
        public var checkpointTime: Int64
        /// Issued more than a day after the checkpoint's last entry: it proves the log only from its own time.
        public var isLate: Bool
    }

    /// Lines after the position csirt's database recorded: sealed in the log, but their changes
    /// never committed (a crash between the log's fsync and the database's commit). The next
    /// write records them as void; they are never removed.
    public struct Unrecorded: Sendable, Equatable {
        public var fromSeq: Int64?
        public var toSeq: Int64?
        public var fromLine: Int
        public var lines: Int
        public var bytes: Int
    }

    public var path: String
    /// The size verified: the log's size when its lock was taken.
    public var bytes: Int
    /// Lines read (all of them when the log is intact).
    public var lines: Int
    /// The last entry seq read (entries are numbered 1, 2, 3 …).
    public var entries: Int64
    public var checkpoints: Int
    /// SHA-256 of line 1: the log's identity.
    public var origin: Digest?
    /// The newest checkpoint that verified.
    public var lastCheckpoint: Checkpoint?
    public var keys: [KeyUsage]
    public var rotations: [Rotation] = []
    public var voided: [VoidedRange] = []
    public var timestampEntries: [TimestampEntry] = []
    public var timestamps: [TimestampResult] = []
    public var unrecorded: Unrecorded? = nil
    /// True when an anchor was given and the log extends it.
    public var anchorChecked: Bool
    /// True when the position recorded by csirt's database was checked.
    public var positionChecked: Bool = false
    public var failure: IntegrityFailure?

    public var isIntact: Bool { failure == nil }
}
