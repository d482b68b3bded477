/// A problem with the input rather than with the log's integrity (exit code 2): a missing or
/// unreadable file, something that is not an audit log, a malformed anchor.
public struct AuditLogError: Error, CustomStringConvertible, Sendable, Equatable {
    public let message: String
    /// The log is not as csirt left it (truncated, rewritten): a failed check (exit 1), not bad input.
    public let isIntegrityFailure: Bool

    public init(_ message: String, integrity: Bool = false) {
        self.message = message
        self.isIntegrityFailure = integrity
    }

    public var description: String { message }
}

/// Why verification failed (exit code 1). `line` is 1-based; `seq` is the entry seq (or the
/// checkpoint size) at that line when it could be read.
public struct IntegrityFailure: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Reason: String, Sendable, CaseIterable {
        case modified
        case deleted
        case reordered
        case inserted
        case duplicated
        case badSignature = "bad-signature"
        case unknownKey = "unknown-key"
        case retiredKey = "retired-key"
        case tornLine = "torn-line"
        case unsealed
        case truncated
        case rollback
        case badTimestamp = "bad-timestamp"
    }

    public let line: Int
    public let seq: Int64?
    public let reason: Reason
    public let message: String

    public init(line: Int, seq: Int64?, reason: Reason, message: String) {
        self.line = line
        self.seq = seq
        self.reason = reason
        self.message = message
    }

    public var description: String {
        let where_ = seq.map { "line \(line) (seq \($0))" } ?? "line \(line)"
        return "\(where_): \(reason.rawValue): \(message)"
    }
}
