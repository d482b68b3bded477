import AuditLog
import CSIRTCrypto
import Foundation

/// Verification needs no open home: a third party verifies a copied log with `--log` and `--pubkey`.
public enum AuditVerification {
    /// Verifies the home's log (or `logPath`) with the given public keys, else every key in the
    /// home's `keys/`. Integrity problems are in the report; input problems throw.
    public static func verify(home: CSIRTHome?, logPath: String?, publicKeyPaths: [String], anchorPath: String?,
                              signatures: AuditLogVerifier.SignaturePolicy = .all,
                              progress: VerificationProgress? = nil) throws(CSIRTError) -> VerificationReport {
        let path = try resolveLog(home: home, logPath: logPath)
        let keys: [PublicKey]
        if !publicKeyPaths.isEmpty {
            keys = try publicKeyPaths.map { path throws(CSIRTError) in try KeyStore.loadPublicKey(path: path) }
        } else if let home, home.exists {
            keys = try KeyStore(home: home).publicKeys()
            guard !keys.isEmpty else { throw CSIRTError(.input, "\(home.keysDirectory): no public keys (*.pub.pem); give --pubkey PEM") }
        } else {
            throw CSIRTError(.input, "no public key to verify with: give --pubkey PEM (or a csirt home with --home)")
        }
        let anchor = try anchorPath.map { path throws(CSIRTError) in try readAnchor(path) }
        return try mapErrors {
            try AuditLogVerifier.verify(path: path, options: .init(trustedKeys: keys, anchor: anchor, signatures: signatures, progress: progress))
        }
    }

    /// The newest checkpoint line, exactly as it stands in the log: keep it elsewhere and pass it
    /// back with `--checkpoint` to prove later that the log was neither cut nor rewritten.
    public static func latestCheckpoint(home: CSIRTHome?, logPath: String?) throws(CSIRTError) -> LatestCheckpoint {
        let path = try resolveLog(home: home, logPath: logPath)
        return try mapErrors { try AuditLogReader.latestCheckpoint(path: path) }
    }

    static func resolveLog(home: CSIRTHome?, logPath: String?) throws(CSIRTError) -> String {
        if let logPath { return logPath }
        guard let home, home.exists else {
            throw CSIRTError(.input, "no audit log: give --log PATH, or --home DIR of an initialised csirt home")
        }
        return home.auditLogPath
    }

    /// An anchor file holds one checkpoint line (blank lines around it are ignored).
    static func readAnchor(_ path: String) throws(CSIRTError) -> Checkpoint {
        let bytes = try InputFile.read(path, limit: 1 << 20, what: "a checkpoint")
        let lines = bytes.split(separator: 0x0a, omittingEmptySubsequences: false).enumerated()
            .filter { !$0.element.allSatisfy { $0 == 0x20 || $0 == 0x0d || $0 == 0x09 } }
        guard let (index, line) = lines.first else { throw CSIRTError(.input, "\(path): empty file, expected a checkpoint line") }
        guard lines.count == 1 else {
            throw CSIRTError(.input, "\(path):\(lines[1].offset + 1): more than one line; a checkpoint file holds one checkpoint line")
        }
        var body = Array(line)
        if body.last == 0x0d { body.removeLast() }
        do {
            return try Checkpoint.parse(body)
        } catch {
            throw CSIRTError(.input, "\(path):\(index + 1): not a checkpoint: \(error.reason) (byte \(error.offset + 1))")
        }
    }

    /// Verifies a detached signature made with the openssl CLI over `filePath`.
    public static func verifyDetachedSignature(filePath: String, signaturePath: String, publicKeyPath: String, pss: Bool) throws(CSIRTError) -> DetachedSignatureResult {
        let key = try KeyStore.loadPublicKey(path: publicKeyPath)
        if pss && key.algorithm != .rsaPKCS1SHA256 {
            throw CSIRTError(.input, "\(publicKeyPath): --pss applies to RSA keys, but this is an \(key.algorithm.keyTypeName) key")
        }
        let signature = try InputFile.read(signaturePath, limit: 65_536, what: "a signature")
        guard !signature.isEmpty else { throw CSIRTError(.input, "\(signaturePath): empty file, expected a binary signature") }
        let verifier = StreamingVerifier(key: key, signature: signature, padding: pss ? .pss : .pkcs1v15)
        let bytes = try InputFile.stream(filePath) { verifier.update($0) }
        return DetachedSignatureResult(valid: verifier.finish(), keyID: key.keyID, algorithm: pss ? "rsa-pss-sha256" : key.algorithm.rawValue, bytes: bytes)
    }
}

public struct DetachedSignatureResult: Sendable {
    public var valid: Bool
    public var keyID: String
    public var algorithm: String
    public var bytes: Int
}
