import CanonicalJSON
import CSIRTCrypto

/// A signed statement that the log with origin `origin` held `size` entries and that the line
/// before this checkpoint hashed to `head`. See docs/audit-log.md for the exact format.
public struct Checkpoint: Sendable, Equatable {
    /// SHA-256 of the log's first line (with its newline): names the log.
    public var origin: Digest
    /// The last entry seq sealed.
    public var size: Int64
    /// SHA-256 of the line just before this checkpoint (with its newline).
    public var head: Digest
    /// Hex SHA-256 of the signing key's DER SubjectPublicKeyInfo.
    public var keyID: String
    public var algorithm: String
    /// 1, 2, 3 … over the checkpoints of a log, so that a deleted checkpoint line shows.
    public var number: Int64
    public var signature: [UInt8]

    public static let textHeader = "csirt-audit-checkpoint/v1"

    /// The bytes that are signed: four lines, each ending in "\n".
    public static func signedText(origin: Digest, size: Int64, head: Digest) -> [UInt8] {
        Array("\(textHeader)\norigin \(origin.hex)\nsize \(size)\nhead \(head.hex)\n".utf8)
    }

    public var signedText: [UInt8] {
        Self.signedText(origin: origin, size: size, head: head)
    }

    public static func sign(origin: Digest, size: Int64, head: Digest, number: Int64, key: PrivateKey) throws -> Checkpoint {
        let signature = try key.sign(signedText(origin: origin, size: size, head: head))
        return Checkpoint(origin: origin, size: size, head: head, keyID: key.publicKey.keyID,
                          algorithm: key.algorithm.rawValue, number: number, signature: signature)
    }

    /// The canonical line, without its newline.
    public var line: [UInt8] {
        CanonicalJSON.serialize(.object([
            "type": "checkpoint",
            "origin": .string(origin.hex),
            "size": .integer(size),
            "head": .string(head.hex),
            "keyid": .string(keyID),
            "alg": .string(algorithm),
            "number": .integer(number),
            "sig": .string(Base64.encode(signature)),
        ]))
    }

    /// Reads a checkpoint line (without its newline).
    public static func parse(_ line: [UInt8]) throws(JSONSyntaxError) -> Checkpoint {
        let parsed = try line.withUnsafeBufferPointer { buffer throws(JSONSyntaxError) in try AuditLine.parse(buffer) }
        guard parsed.kind == .checkpoint else {
            throw JSONSyntaxError(offset: 0, reason: "an entry, not a checkpoint (a checkpoint line starts with {\"alg\":)")
        }
        let value = try CanonicalJSON.parse(line)
        let sigText = value["sig"]?.stringValue ?? ""
        guard let signature = Base64.decode(sigText) else {
            throw JSONSyntaxError(offset: 0, reason: "sig is not valid Base64")
        }
        return Checkpoint(origin: parsed.origin, size: parsed.number, head: parsed.link,
                          keyID: value["keyid"]?.stringValue ?? "", algorithm: value["alg"]?.stringValue ?? "",
                          number: parsed.checkpointNumber, signature: signature)
    }

    /// Why this checkpoint does not verify with `key`, or nil when it does.
    public func signatureProblem(with key: PublicKey) -> String? {
        guard key.keyID == keyID else { return "signed by key \(keyID.prefix(16))…, not by \(key.keyID.prefix(16))…" }
        guard algorithm == key.algorithm.rawValue else {
            return "alg says \(algorithm) but key \(keyID.prefix(16))… is \(key.algorithm.rawValue)"
        }
        guard key.verify(signature: signature, message: signedText, strict: true) else {
            if key.algorithm == .ecdsaP256SHA256, ECDSASignature.form(of: signature) == .highS {
                return "the ECDSA signature is the high-S twin of a valid one (csirt writes and accepts low-S only)"
            }
            return "the signature does not verify with key \(keyID.prefix(16))…"
        }
        return nil
    }
}
