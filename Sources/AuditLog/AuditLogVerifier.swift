import CSIRTCrypto
import Foundation

/// Verifies an audit log: every line canonical and well-formed, every line linked by SHA-256 to
/// the one before, entries numbered without gaps, every checkpoint's signature valid by a trusted
/// key that was not retired before it, nothing after the last checkpoint, and — given an anchor
/// checkpoint kept elsewhere, or the position csirt's database recorded — no truncation or
/// rewrite of what they sealed. On failure it names the first bad line.
///
/// It streams: the log is read in windows of a few megabytes whatever its size, so memory stays
/// flat, and the log's lock is held only while its size is noted (see `CutGuard`).
public struct AuditLogVerifier {
    public struct Options: Sendable {
        /// Keys whose checkpoints are accepted; a checkpoint by any other key fails as unknown-key.
        public var trustedKeys: [PublicKey]
        /// A checkpoint kept elsewhere: the log must still contain it.
        public var anchor: Anchor?
        /// Which checkpoint signatures to verify with OpenSSL.
        public var signatures: SignaturePolicy
        /// Where csirt's database says its last committed write left the log (a csirt home's own
        /// log): the log must still hold it, and lines after it are reported as unrecorded.
        public var position: LogPosition?
        /// RFC 3161 tokens kept beside the log, already checked with OpenSSL; the log must hold the
        /// checkpoint each one vouches for.
        public var timestamps: [TimestampClaim]
        /// Whether `timestamps` is the complete set kept beside the log: then every
        /// `audit.timestamp` entry must name one of them.
        public var timestampsChecked: Bool
        /// Called now and then from worker threads.
        public var progress: VerificationProgress?

        public init(trustedKeys: [PublicKey], anchor: Anchor? = nil, signatures: SignaturePolicy = .all,
                    position: LogPosition? = nil, timestamps: [TimestampClaim] = [], timestampsChecked: Bool = false,
                    progress: VerificationProgress? = nil) {
            self.trustedKeys = trustedKeys
            self.anchor = anchor
            self.signatures = signatures
            self.position = position
            self.timestamps = timestamps
            self.timestampsChecked = timestampsChecked
            self.progress = progress
        }
    }

    /// A checkpoint line kept elsewhere, and where it came from (for error messages).
    public struct Anchor: Sendable {
        public var checkpoint: Checkpoint
        /// The line exactly as it was printed, without its newline.
        public var line: [UInt8]
        public var source: String

        public init(checkpoint: Checkpoint, line: [UInt8], source: String) {
            self.checkpoint = checkpoint
            self.line = line
            self.source = source
        }
    }

    /// What a stored RFC 3161 token says, once OpenSSL has checked it.
    public struct TimestampClaim: Sendable {
        /// SHA-256 of the checkpoint line (with its LF) that the token's message imprint names.
        public var imprint: Digest
        /// The TSA's time (genTime), seconds since 1970.
        public var time: Int64
        /// The token file, for messages.
        public var file: String
        /// SHA-256 of the token file, as the `audit.timestamp` entry records it.
        public var tokenSHA256: String
        /// Why OpenSSL refused the token (its signature, the TSA's chain); nil when it verified.
        public var problem: String?

        public init(imprint: Digest, time: Int64, file: String, tokenSHA256: String, problem: String?) {
            self.imprint = imprint
            self.time = time
            self.file = file
            self.tokenSHA256 = tokenSHA256
            self.problem = problem
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

    /// How far an entry's time may be after the TSA's time for the checkpoint that seals it
    /// (clocks differ a little).
    public static let clockTolerance: Int64 = 300
    /// A token issued this long after the checkpoint's last entry is reported as late: it proves
    /// the log only from its own time.
    public static let lateTimestamp: Int64 = 86_400

    /// Notes the log's size under a shared lock (so a batch being written is never seen half
    /// done), then verifies every byte up to it while holding only the cut guard. Throws
    /// `AuditLogError` for input problems; integrity problems are in the report.
    public static func verify(path: String, options: Options) throws(AuditLogError) -> VerificationReport {
        try LogSnapshot.open(path: path).verify(options: options)
    }

    /// An anchor that cannot be checked is bad input, named by its file: a key not trusted, a
    /// signature that does not hold.
    static func checkAnchorItself(_ anchor: Anchor, keys: [PublicKey]) throws(AuditLogError) {
        let checkpoint = anchor.checkpoint
        guard let key = keys.first(where: { $0.keyID == checkpoint.keyID }) else {
            throw AuditLogError("\(anchor.source): the anchor checkpoint is signed by key \(checkpoint.keyID), which is not among the trusted keys; give its public key with --pubkey")
        }
        if let problem = checkpoint.signatureProblem(with: key) {
            throw AuditLogError("\(anchor.source): the anchor checkpoint does not verify: \(problem)")
        }
    }
}

/// An audit log held still for verification: its size noted under the shared lock, and the cut
/// guard held until this object goes away, so that no writer can cut what it will read while
/// appends carry on past that size. A caller that must pair the size with other state (csirt's
/// database position) opens the snapshot while it holds that state's lock.
public final class LogSnapshot {
    public let path: String
    /// The bytes to verify: [0, size).
    public let size: Int
    let fd: Int32

    private init(path: String, fd: Int32, size: Int) {
        self.path = path
        self.fd = fd
        self.size = size
    }

    deinit {
        CutGuard.release(fd)
        close(fd)
    }

    public static func open(path: String) throws(AuditLogError) -> LogSnapshot {
        let fd = try LogFile.openForReading(path)
        do throws(AuditLogError) {
            try CutGuard.acquire(fd, exclusive: false, path: path)
            try LogFile.lock(fd, exclusive: false, path: path)
            let size = try LogFile.size(fd, path: path)
            try LogFile.unlock(fd, path: path)
            guard size > 0 else { throw AuditLogError("\(path): empty file, not an audit log") }
            return LogSnapshot(path: path, fd: fd, size: size)
        } catch {
            close(fd)
            throw error
        }
    }

    public func verify(options: AuditLogVerifier.Options) throws(AuditLogError) -> VerificationReport {
        guard options.trustedKeys.count <= 1_000 else { throw AuditLogError("more than 1,000 trusted keys; give the keys that signed this log") }
        if let anchor = options.anchor { try AuditLogVerifier.checkAnchorItself(anchor, keys: options.trustedKeys) }
        return try Verification(fd: fd, path: path, size: size, options: options).run()
    }
}
