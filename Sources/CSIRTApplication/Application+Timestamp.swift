import AuditLog
import CanonicalJSON
import CSIRTCrypto
import CSIRTStore
import Foundation
import TSAClient

/// What `csirt audit timestamp` did.
public struct TimestampOutcome: Sendable {
    /// The checkpoint the token vouches for, and its line's SHA-256 (the token's message imprint).
    public var checkpoint: Checkpoint
    public var imprint: String
    public var tsa: String
    /// The stored token, relative to the log's directory.
    public var file: String
    public var genTime: Int64
    public var serialNumber: String
    public var signer: String?
    /// Whether the TSA's signature and chain were checked against `--tsa-cert`.
    public var verifiedWithCertificate: Bool
    public var receipt: AppendReceipt
}

extension Application {
    /// Asks a Time-Stamping Authority (RFC 3161) for a token over the newest checkpoint: the
    /// imprint is the SHA-256 of the checkpoint line with its LF, so the token proves that the
    /// log up to that checkpoint existed at the TSA's time — a proof from outside the
    /// municipality, which no holder of csirt's key can back-date. The token is stored in
    /// `audit/timestamps/` and recorded by an `audit.timestamp` entry. Failing to reach the TSA,
    /// or an answer that is not a granted token over that imprint, is an input error and writes
    /// nothing.
    public func timestampLatestCheckpoint(tsaURL: String?, tsaCertificatePath: String?, actor: String,
                                          timeout: Duration = TSAHTTPClient.defaultTimeout) throws(CSIRTError) -> TimestampOutcome {
        let configured = tsaURL == nil ? try setting(.tsaURL) : nil
        guard let url = tsaURL ?? configured, !url.isEmpty else {
            throw CSIRTError(.input, "no Time-Stamping Authority: give --tsa URL, or `csirt config set \(SettingKey.tsaURL.rawValue) URL`")
        }
        var trust: TimestampTrust? = nil
        if let path = tsaCertificatePath {
            let pem = try InputFile.read(path, limit: 4 << 20, what: "the TSA's certificate (PEM)")
            trust = try mapErrors { try TimestampTrust(caBundlePEM: pem, source: path) }
        }
        let latest = try AuditVerification.latestCheckpoint(home: home, logPath: nil)
        if latest.unsealedAfter {
            throw CSIRTError(.failed, "\(home.auditLogPath): lines follow the last checkpoint that no checkpoint seals; run `csirt audit verify`")
        }
        let imprint = SHA256.hash(Array(latest.line.utf8) + [0x0a])
        let request = try mapErrors { try TimestampRequest(sha256: imprint) }
        let answer: [UInt8]
        do {
            answer = try TSAHTTPClient(timeout: timeout).post(query: request.der, to: url)
        } catch {
            throw CSIRTError(.input, "\(error)")
        }
        let source = TSAHTTPClient.displayURL(url)
        let token = try mapErrors { try TimestampToken(der: answer, source: source) }
        guard token.hashAlgorithm == "sha256", token.messageImprint == imprint else {
            throw CSIRTError(.input, "\(source): the token is not over checkpoint \(latest.checkpoint.number)'s line (its imprint is \(token.hashAlgorithm) \(Hex.encode(token.messageImprint).prefix(16))…)")
        }
        guard token.nonce == request.nonce else { throw CSIRTError(.input, "\(source): the token does not echo the request's nonce (a replayed answer?)") }
        if let trust {
            let check = token.verify(sha256: imprint, nonce: request.nonce, trust: trust)
            guard check.isValid else {
                throw CSIRTError(.input, "\(source): the token does not verify with \(tsaCertificatePath!): \(check.failureReason ?? "rejected by OpenSSL")")
            }
        }
        let store = TimestampStore(logPath: home.auditLogPath)
        let file = try store.store(token.der, checkpoint: latest.checkpoint.number)
        let details: [String: JSONValue] = [
            "checkpoint": .integer(latest.checkpoint.number),
            "size": .integer(latest.checkpoint.size),
            "imprint": .string(Hex.encode(imprint)),
            "tsa": .string(source),
            "file": .string(file),
            "token_sha256": .string(Hex.encode(SHA256.hash(token.der))),
            "gen_time": .string(RFC3339.format(Date(timeIntervalSince1970: TimeInterval(token.genTime.unixSeconds)))),
            "serial": .string(token.serialNumber),
            "policy": .string(token.policy),
            "signer": token.signerSubject.map(JSONValue.string) ?? .null,
        ]
        do {
            let (_, receipt) = try perform { _ in
                Mutation(value: (), entry: AuditEntryDraft(actor: actor, action: "audit.timestamp", target: "audit-log", details: details))
            }
            return TimestampOutcome(checkpoint: latest.checkpoint, imprint: Hex.encode(imprint), tsa: source, file: file,
                                    genTime: token.genTime.unixSeconds, serialNumber: token.serialNumber, signer: token.signerSubject,
                                    verifiedWithCertificate: trust != nil, receipt: receipt)
        } catch {
            // Nothing half-written: without its entry, the token goes too.
            unlink((home.auditLogPath as NSString).deletingLastPathComponent + "/" + file)
            throw error
        }
    }

    /// A setting's stored value (nil: not set).
    func setting(_ key: SettingKey) throws(CSIRTError) -> String? {
        try mapErrors { try database.read { db in try Setting.value(key.rawValue, db) } }
    }
}
