import COpenSSL

/// Decides whether an OpenSSL key is one csirt accepts, and names it.
enum KeyType {
    static func classify(_ pkey: OpaquePointer, source: String) throws -> KeyAlgorithm {
        let id = EVP_PKEY_get_base_id(pkey)
        switch id {
        case EVP_PKEY_ED25519:
            return .ed25519
        case EVP_PKEY_EC:
            var name = [CChar](repeating: 0, count: 80)
            var length = 0
            guard EVP_PKEY_get_group_name(pkey, &name, name.count, &length) == 1 else {
                OpenSSLErrorQueue.clear()
                throw CryptoError("\(source): EC key without a named curve; csirt accepts ECDSA keys on P-256 (prime256v1)")
            }
            let curve = String(decoding: name.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            guard curve == "prime256v1" || curve == "P-256" else {
                throw CryptoError("\(source): EC key on curve \(curve); csirt accepts ECDSA keys on P-256 (prime256v1) only")
            }
            return .ecdsaP256SHA256
        case EVP_PKEY_RSA:
            let bits = EVP_PKEY_get_bits(pkey)
            guard bits >= 2048 else {
                throw CryptoError("\(source): RSA key of \(bits) bits is too short; csirt accepts RSA keys of at least 2048 bits")
            }
            return .rsaPKCS1SHA256
        default:
            let name = OBJ_nid2sn(id).map { String(cString: $0) } ?? "type \(id)"
            throw CryptoError("\(source): unsupported key type \(name); csirt accepts Ed25519, ECDSA P-256 and RSA (≥ 2048 bit) keys")
        }
    }
}
