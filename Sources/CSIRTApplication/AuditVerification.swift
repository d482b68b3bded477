import AuditLog
import CanonicalJSON
import CSIRTCrypto
import CSIRTStore
import Foundation

/// Verification needs no open home: a third party verifies a copied log with `--log` and
/// `--pubkey`. A csirt home's own log is verified through `Application.verifyAuditLog`, which
/// also holds the log to what the home's database recorded.
public enum AuditVerification {
    /// What to verify with, beyond the log itself.
    public struct Request: Sendable {
        /// Trusted public keys (PEM files); empty: every key in the home's `keys/`.
        public var publicKeyPaths: [String] = []
        /// An anchor kept elsewhere: a checkpoint line, or what `csirt audit checkpoint --format json` printed.
        public var anchorPath: String? = nil
        public var signatures: AuditLogVerifier.SignaturePolicy = .all
        /// CA certificates (PEM) of the Time-Stamping Authority: check every token stored beside the log.
        public var timestampCAPath: String? = nil
        public var progress: VerificationProgress? = nil

        public init(publicKeyPaths: [String] = [], anchorPath: String? = nil, signatures: AuditLogVerifier.SignaturePolicy = .all,
                    timestampCAPath: String? = nil, progress: VerificationProgress? = nil) {
            self.publicKeyPaths = publicKeyPaths
            self.anchorPath = anchorPath
            self.signatures = signatures
            self.timestampCAPath = timestampCAPath
            self.progress = progress
        }
    }

    /// Verifies the home's log (or `logPath`) with the given public keys, else every key in the
    /// home's `keys/`. Integrity problems are in the report; input problems throw. Without
    /// `logPath`, an initialised home's log is verified against its database's records too.
    public static func verify(home: CSIRTHome?, logPath: String?, publicKeyPaths: [String], anchorPath: String?,
                              signatures: AuditLogVerifier.SignaturePolicy = .all, timestampCAPath: String? = nil,
                              progress: VerificationProgress? = nil) throws(CSIRTError) -> VerificationReport {
        let request = Request(publicKeyPaths: publicKeyPaths, anchorPath: anchorPath, signatures: signatures,
                              timestampCAPath: timestampCAPath, progress: progress)
        if logPath == nil, let home, home.exists {
            return try Application.open(home: home).verifyAuditLog(request)
        }
        let path = try resolveLog(home: home, logPath: logPath)
        let options = try options(for: request, home: home, logPath: path)
        return try mapErrors { try AuditLogVerifier.verify(path: path, options: options) }
    }

    /// The verifier's options for `request`: keys, anchor, stored timestamps.
    static func options(for request: Request, home: CSIRTHome?, logPath: String) throws(CSIRTError) -> AuditLogVerifier.Options {
        let keys: [PublicKey]
        if !request.publicKeyPaths.isEmpty {
            keys = try request.publicKeyPaths.map { path throws(CSIRTError) in try KeyStore.loadPublicKey(path: path) }
        } else if let home, home.exists {
            keys = try KeyStore(home: home).publicKeys()
            guard !keys.isEmpty else { throw CSIRTError(.input, "\(home.keysDirectory): no public keys (*.pub.pem); give --pubkey PEM") }
        } else {
            throw CSIRTError(.input, "no public key to verify with: give --pubkey PEM (or a csirt home with --home)")
        }
        var options = AuditLogVerifier.Options(trustedKeys: keys, anchor: try request.anchorPath.map { path throws(CSIRTError) in try readAnchor(path) },
                                               signatures: request.signatures, progress: request.progress)
        if let caPath = request.timestampCAPath {
            options.timestamps = try TimestampStore(logPath: logPath).claims(caPath: caPath)
            options.timestampsChecked = true
        }
        return options
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

    /// An anchor file holds one checkpoint line (blank lines around it are ignored), or the JSON
    /// object `csirt audit checkpoint --format json` prints (its `line` member is the checkpoint).
    static func readAnchor(_ path: String) throws(CSIRTError) -> AuditLogVerifier.Anchor {
        let bytes = try InputFile.read(path, limit: 1 << 20, what: "a checkpoint")
        let lines = bytes.split(separator: 0x0a, omittingEmptySubsequences: false).enumerated()
            .filter { !$0.element.allSatisfy { $0 == 0x20 || $0 == 0x0d || $0 == 0x09 } }
        guard let (index, line) = lines.first else { throw CSIRTError(.input, "\(path): empty file, expected a checkpoint line") }
        var body = Array(line)
        if body.last == 0x0d { body.removeLast() }
        // `--format json` output: one JSON object whose `line` is the checkpoint line.
        if (try? Checkpoint.parse(body)) == nil, body.first == UInt8(ascii: "{"),
           let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] {
            guard let text = object["line"] as? String else {
                throw CSIRTError(.input, "\(path):\(index + 1): not a checkpoint: a JSON object without \"line\"; give the checkpoint line (`csirt audit checkpoint`) or its --format json output")
            }
            return try parseAnchor(Array(text.utf8), path: path, line: index + 1)
        }
        guard lines.count == 1 else {
            throw CSIRTError(.input, "\(path):\(lines[1].offset + 1): more than one line; a checkpoint file holds one checkpoint line (`csirt audit checkpoint`) or its --format json output, not --format text")
        }
        return try parseAnchor(body, path: path, line: index + 1)
    }

    private static func parseAnchor(_ body: [UInt8], path: String, line: Int) throws(CSIRTError) -> AuditLogVerifier.Anchor {
        do {
            return AuditLogVerifier.Anchor(checkpoint: try Checkpoint.parse(body), line: body, source: path)
        } catch {
            throw CSIRTError(.input, "\(path):\(line): not a checkpoint line (give what `csirt audit checkpoint` prints, or its --format json output): \(error.reason) (byte \(error.offset + 1))")
        }
    }

    /// Verifies a detached signature made with the openssl CLI over `filePath`. `strict` refuses
    /// the high-S twin of an ECDSA signature (see `ECDSASignature`).
    public static func verifyDetachedSignature(filePath: String, signaturePath: String, publicKeyPath: String, pss: Bool,
                                               strict: Bool = false) throws(CSIRTError) -> DetachedSignatureResult {
        let key = try KeyStore.loadPublicKey(path: publicKeyPath)
        if pss && key.algorithm != .rsaPKCS1SHA256 {
            throw CSIRTError(.input, "\(publicKeyPath): --pss applies to RSA keys, but this is an \(key.algorithm.keyTypeName) key")
        }
        let signature = try InputFile.read(signaturePath, limit: 65_536, what: "a signature")
        guard !signature.isEmpty else { throw CSIRTError(.input, "\(signaturePath): empty file, expected a binary signature") }
        let verifier = StreamingVerifier(key: key, signature: signature, padding: pss ? .pss : .pkcs1v15, strict: strict)
        let bytes = try InputFile.stream(filePath) { verifier.update($0) }
        let valid = verifier.finish()
        var problem: String? = nil
        if !valid, strict, key.algorithm == .ecdsaP256SHA256, ECDSASignature.form(of: signature) == .highS {
            problem = "the ECDSA signature is in high-S form; --strict accepts the low-S twin only"
        }
        return DetachedSignatureResult(valid: valid, keyID: key.keyID, algorithm: pss ? "rsa-pss-sha256" : key.algorithm.rawValue,
                                       bytes: bytes, problem: problem)
    }
}

public struct DetachedSignatureResult: Sendable {
    public var valid: Bool
    public var keyID: String
    public var algorithm: String
    public var bytes: Int
    /// Why a signature that OpenSSL alone would accept was refused (`--strict`).
    public var problem: String?
}

extension Application {
    /// Verifies the home's own log: as `csirt audit verify`, and also against what the database
    /// recorded of csirt's last committed write (its line 1, and the line at that size), which
    /// catches a log cut back, replaced or rewritten even without an anchor, and reports sealed
    /// lines the database never committed. The position and the log's size are read together
    /// under the database's write lock (held for a moment only), so a batch in flight is never
    /// taken for a crash's leftovers.
    public func verifyAuditLog(_ request: AuditVerification.Request = .init()) throws(CSIRTError) -> VerificationReport {
        var options = try AuditVerification.options(for: request, home: home, logPath: home.auditLogPath)
        let (snapshot, position) = try mapErrors {
            try database.write { db in (try LogSnapshot.open(path: home.auditLogPath), try Self.auditPosition(db)) }
        }
        options.position = position
        return try mapErrors { try snapshot.verify(options: options) }
    }
}

extension Application {
    /// The legal time zone (`legal.time-zone`, default Asia/Tokyo): the zone times are shown in.
    public func legalTimeZone() -> TimeZone {
        (try? reportingRules()).flatMap { TimeZone(identifier: $0.timeZoneIdentifier) } ?? AuditRepresentation.defaultZone
    }
}

extension AuditVerification {
    /// The zone to show a log's times in: the home's legal time zone, or csirt's default.
    public static func displayZone(home: CSIRTHome?) -> TimeZone {
        guard let home, home.exists, let app = try? Application.open(home: home) else { return AuditRepresentation.defaultZone }
        return app.legalTimeZone()
    }
}
