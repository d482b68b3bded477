import COpenSSL

/// What a PEM file claims to hold, read from its armour lines before OpenSSL parses it, so that
/// a wrong kind of file gets an error that says what it is rather than a generic decoder failure.
enum PEMInput {
    static let maximumSize = 1 << 20

    static func precheck(_ bytes: [UInt8], source: String, wantPrivate: Bool) throws {
        if bytes.isEmpty {
            throw CryptoError("\(source): empty file, expected a PEM \(wantPrivate ? "private" : "public") key")
        }
        if bytes.count > maximumSize {
            throw CryptoError("\(source): \(bytes.count) bytes is too large for a PEM key (limit 1 MiB)")
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw CryptoError("\(source): not a PEM file (not UTF-8 text; a DER key must be converted with `openssl pkey -inform DER`)")
        }
        guard text.contains("-----BEGIN ") else {
            throw CryptoError("\(source): not a PEM file (no -----BEGIN line)")
        }
        if text.contains("ENCRYPTED") {
            throw CryptoError("\(source): the private key is encrypted; csirt never prompts for a passphrase — decrypt it with `openssl pkey -in \(source) -out PLAIN.pem` and keep that file mode 0600")
        }
        let hasPrivate = text.contains("PRIVATE KEY-----")
        let hasPublic = text.contains("PUBLIC KEY-----")
        if text.contains("-----BEGIN CERTIFICATE-----") && !hasPrivate && !hasPublic {
            throw CryptoError("\(source): holds a certificate, not a key; extract the public key with `openssl x509 -in \(source) -pubkey -noout`")
        }
        if wantPrivate && !hasPrivate && hasPublic {
            throw CryptoError("\(source): holds a public key, but a private key is needed here")
        }
        if !wantPrivate && hasPrivate && !hasPublic {
            throw CryptoError("\(source): holds a private key, but a public key is expected here; derive it with `openssl pkey -in \(source) -pubout`")
        }
        if !wantPrivate && text.contains("-----BEGIN RSA PUBLIC KEY-----") {
            throw CryptoError("\(source): holds a PKCS#1 RSA public key; csirt reads SubjectPublicKeyInfo (`-----BEGIN PUBLIC KEY-----`): convert with `openssl rsa -RSAPublicKey_in -in \(source) -pubout`")
        }
    }

    /// Parses a PEM key of the wanted kind and checks that csirt accepts its type. The caller owns
    /// the returned `EVP_PKEY` (one reference).
    static func load(_ bytes: [UInt8], source: String, wantPrivate: Bool) throws -> (OpaquePointer, KeyAlgorithm) {
        try precheck(bytes, source: source, wantPrivate: wantPrivate)
        OpenSSLErrorQueue.clear()
        let loaded = withBIO(bytes) { bio in
            wantPrivate ? PEM_read_bio_PrivateKey(bio, nil, csirt_no_passphrase_cb(), nil) : PEM_read_bio_PUBKEY(bio, nil, csirt_no_passphrase_cb(), nil)
        }
        guard let pkey = loaded else {
            throw CryptoError.openSSL("\(source): malformed PEM \(wantPrivate ? "private" : "public") key")
        }
        do {
            return (pkey, try KeyType.classify(pkey, source: source))
        } catch {
            EVP_PKEY_free(pkey)
            throw error
        }
    }

    /// A read-only memory BIO over `bytes` for the duration of `body`.
    static func withBIO<T>(_ bytes: [UInt8], _ body: (OpaquePointer) throws -> T) rethrows -> T {
        try bytes.withUnsafeBytes { raw in
            let bio = BIO_new_mem_buf(raw.baseAddress, Int32(raw.count))!
            defer { BIO_free(bio) }
            return try body(bio)
        }
    }

    /// Reads everything written to a memory BIO.
    static func contents(of bio: OpaquePointer) -> [UInt8] {
        var pointer: UnsafeMutablePointer<CChar>?
        let length = csirt_BIO_get_mem_data(bio, &pointer)
        guard length > 0, let pointer else { return [] }
        return pointer.withMemoryRebound(to: UInt8.self, capacity: length) { Array(UnsafeBufferPointer(start: $0, count: length)) }
    }
}
