import CSIRTCrypto
import Foundation

/// Key files in `keys/`, written once and never overwritten (`WriteOnceFile`).
struct KeyStore {
    let home: CSIRTHome

    static func loadPrivateKey(path: String) throws(CSIRTError) -> PrivateKey {
        let bytes = try InputFile.read(path, limit: 1 << 20, what: "a PEM private key")
        return try mapErrors { try PrivateKey(pem: bytes, source: path) }
    }

    static func loadPublicKey(path: String) throws(CSIRTError) -> PublicKey {
        let bytes = try InputFile.read(path, limit: 1 << 20, what: "a PEM public key")
        return try mapErrors { try PublicKey(pem: bytes, source: path) }
    }

    /// Writes the key pair's files (private 0600, public 0644). An identical existing file is fine.
    func store(_ key: PrivateKey) throws(CSIRTError) {
        try writeOnce(path: home.publicKeyPath(keyID: key.publicKey.keyID), contents: key.publicKey.pem, mode: 0o644)
        try writeOnce(path: home.privateKeyPath(keyID: key.publicKey.keyID), contents: key.pkcs8PEM, mode: 0o600)
    }

    /// Parsed signing keys by their file's identity (device, inode, size, modification time): a
    /// server signs a checkpoint per batch of changes and need not parse the PEM file each time,
    /// while a replaced or edited file is read afresh.
    static let parsedKeys = Memo<String, PrivateKey>(limit: 16)

    func activePrivateKey(keyID: String) throws(CSIRTError) -> PrivateKey {
        let path = home.privateKeyPath(keyID: keyID)
        var info = stat()
        let key: PrivateKey
        if stat(path, &info) == 0 {
            let identity = "\(path)|\(info.st_dev)|\(info.st_ino)|\(info.st_size)|\(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)"
            key = try mapErrors { try Self.parsedKeys.value(for: identity) { () throws(CSIRTError) in try Self.loadPrivateKey(path: path) } }
        } else {
            key = try Self.loadPrivateKey(path: path)  // names the problem (missing, unreadable)
        }
        guard key.publicKey.keyID == keyID else {
            throw CSIRTError(.input, "\(path): holds key \(key.publicKey.keyID.prefix(16))…, but the database names \(keyID.prefix(16))… as the active signing key")
        }
        return key
    }

    /// Every public key in `keys/`, active and retired.
    func publicKeys() throws(CSIRTError) -> [PublicKey] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: home.keysDirectory).filter { $0.hasSuffix(".pub.pem") }.sorted()
        } catch {
            throw CSIRTError(.input, "\(home.keysDirectory): cannot list the keys: \(error.localizedDescription)")
        }
        var keys: [PublicKey] = []
        for name in names {
            keys.append(try Self.loadPublicKey(path: home.keysDirectory + "/" + name))
        }
        return keys
    }

    func removePrivateKey(keyID: String) {
        unlink(home.privateKeyPath(keyID: keyID))
    }

    private func writeOnce(path: String, contents: String, mode: mode_t) throws(CSIRTError) {
        try WriteOnceFile.create(path, bytes: Array(contents.utf8), mode: mode, what: "a key", identicalIsFine: true)
    }
}
