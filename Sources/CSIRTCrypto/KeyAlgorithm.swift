/// The key types csirt signs and verifies with, named as they appear in the audit log's `alg` field.
public enum KeyAlgorithm: String, Sendable, CaseIterable, Codable {
    /// Pure Ed25519 (RFC 8032) over the message itself.
    case ed25519 = "ed25519"
    /// ECDSA on P-256 over SHA-256, DER-encoded signature (what `openssl dgst -sha256 -sign` makes).
    case ecdsaP256SHA256 = "ecdsa-p256-sha256"
    /// RSA (at least 2048 bits), PKCS#1 v1.5 padding, SHA-256.
    case rsaPKCS1SHA256 = "rsa-pkcs1-sha256"

    /// What a person would call the key type.
    public var keyTypeName: String {
        switch self {
        case .ed25519: return "Ed25519"
        case .ecdsaP256SHA256: return "ECDSA P-256"
        case .rsaPKCS1SHA256: return "RSA"
        }
    }
}

/// RSA padding for verifying detached signatures made by other systems.
public enum RSAPadding: Sendable {
    case pkcs1v15
    /// PSS with MGF1-SHA-256; the salt length is read from the signature.
    case pss
}
