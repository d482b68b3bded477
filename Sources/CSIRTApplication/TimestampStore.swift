import AuditLog
import CSIRTCrypto
import Foundation

/// RFC 3161 tokens kept beside the log, in `timestamps/` next to it, one file per token, each
/// the whole `TimeStampResp` the TSA sent (what `openssl ts -verify -in FILE` reads). A file is
/// written once under its final name and never replaced.
struct TimestampStore {
    let logPath: String

    static let maximumTokenSize = 1 << 20

    var directory: String { (logPath as NSString).deletingLastPathComponent + "/timestamps" }

    /// The token files, sorted by name.
    func files() throws(CSIRTError) -> [String] {
        guard FileManager.default.fileExists(atPath: directory) else { return [] }
        do {
            return try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".tsr") }.sorted()
        } catch {
            throw CSIRTError(.input, "\(directory): cannot list the stored time-stamps: \(error.localizedDescription)")
        }
    }

    /// Every stored token, checked with OpenSSL against the TSA's CA certificates: its signature,
    /// its certificate chain (at the token's own time) and the timeStamping purpose. What it
    /// vouches for in the log is the verifier's part.
    func claims(caPath: String) throws(CSIRTError) -> [AuditLogVerifier.TimestampClaim] {
        let caBytes = try InputFile.read(caPath, limit: 4 << 20, what: "CA certificates (PEM)")
        let trust = try mapErrors { try TimestampTrust(caBundlePEM: caBytes, source: caPath) }
        var claims: [AuditLogVerifier.TimestampClaim] = []
        for name in try files() {
            let path = directory + "/" + name
            let bytes = try InputFile.read(path, limit: Self.maximumTokenSize, what: "a time-stamp token")
            let sha = Hex.encode(SHA256.hash(bytes))
            let file = "timestamps/" + name
            do {
                let token = try TimestampToken(der: bytes, source: file)
                guard token.hashAlgorithm == "sha256", let imprint = Digest(bytes: token.messageImprint) else {
                    claims.append(.init(imprint: .zero, time: 0, file: file, tokenSHA256: sha,
                                        problem: "the token's imprint is \(token.hashAlgorithm), not the SHA-256 of a checkpoint line"))
                    continue
                }
                let check = token.verify(sha256: token.messageImprint, trust: trust)
                claims.append(.init(imprint: imprint, time: token.genTime.unixSeconds, file: file, tokenSHA256: sha,
                                    problem: check.isValid ? nil : "does not verify with \(caPath): \(check.failureReason ?? "rejected by OpenSSL")"))
            } catch {
                claims.append(.init(imprint: .zero, time: 0, file: file, tokenSHA256: sha, problem: "not a time-stamp token: \(error)"))
            }
        }
        return claims
    }

    /// Writes `bytes` as a new token file; never replaces one. Returns its path relative to the
    /// log's directory.
    func store(_ bytes: [UInt8], checkpoint: Int64) throws(CSIRTError) -> String {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o750])
        } catch {
            throw CSIRTError(.input, "\(directory): cannot create: \(error.localizedDescription)")
        }
        let name = String(format: "checkpoint-%06lld-%@.tsr", checkpoint, String(Hex.encode(SHA256.hash(bytes)).prefix(16)))
        try WriteOnceFile.create(directory + "/" + name, bytes: bytes, mode: 0o640, what: "a stored time-stamp")
        return "timestamps/" + name
    }
}
