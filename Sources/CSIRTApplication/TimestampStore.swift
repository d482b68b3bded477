import AuditLog
import Foundation

/// RFC 3161 tokens kept beside the log, in `timestamps/` next to it.
struct TimestampStore {
    let logPath: String

    var directory: String { (logPath as NSString).deletingLastPathComponent + "/timestamps" }

    /// Every stored token, checked with OpenSSL against the TSA's CA.
    func claims(caPath: String) throws(CSIRTError) -> [AuditLogVerifier.TimestampClaim] {
        throw CSIRTError(.input, "timestamps: not built yet")
    }
}
