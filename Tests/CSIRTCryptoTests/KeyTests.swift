import CSIRTCrypto
import Foundation
import TestSupport
import XCTest

final class KeyTests: XCTestCase {
    let message = Array("csirt-audit-checkpoint/v1\norigin 00\nsize 1\nhead 00\n".utf8)

    func testGeneratedEd25519SignsAndVerifies() throws {
        let key = try PrivateKey.generateEd25519()
        XCTAssertEqual(key.algorithm, .ed25519)
        let signature = try key.sign(message)
        XCTAssertEqual(signature.count, 64)
        XCTAssertTrue(key.publicKey.verify(signature: signature, message: message))
        var tampered = message
        tampered[0] ^= 1
        XCTAssertFalse(key.publicKey.verify(signature: signature, message: tampered))
        var badSignature = signature
        badSignature[10] ^= 0x40
        XCTAssertFalse(key.publicKey.verify(signature: badSignature, message: message))
        XCTAssertFalse(key.publicKey.verify(signature: [], message: message))
    }

    func testPEMRoundTripKeepsTheKey() throws {
        let key = try PrivateKey.generateEd25519()
        XCTAssertTrue(key.pkcs8PEM.hasPrefix("-----BEGIN PRIVATE KEY-----"))
        let reloaded = try PrivateKey(pem: Array(key.pkcs8PEM.utf8), source: "k.pem")
        XCTAssertEqual(reloaded.publicKey.keyID, key.publicKey.keyID)
        let publicKey = try PublicKey(pem: Array(key.publicKey.pem.utf8), source: "k.pub.pem")
        XCTAssertEqual(publicKey.keyID, key.publicKey.keyID)
        XCTAssertTrue(publicKey.verify(signature: try reloaded.sign(message), message: message))
    }

    /// Keys made by the openssl CLI load, sign in a way openssl verifies, and have the key id the
    /// documented openssl command computes.
    func testOpenSSLMadeKeysInteroperate() throws {
        let directory = TemporaryDirectory()
        for kind in OpenSSLCLI.KeyKind.allCases {
            let (keyPath, pubPath) = try OpenSSLCLI.makeKey(kind, in: directory, name: kind.rawValue)
            let key = try PrivateKey(pem: [UInt8](FileManager.default.contents(atPath: keyPath)!), source: keyPath)
            let expected: KeyAlgorithm = kind == .ed25519 ? .ed25519 : kind == .ecdsaP256 ? .ecdsaP256SHA256 : .rsaPKCS1SHA256
            XCTAssertEqual(key.algorithm, expected)

            let keyID = try TestProcess.shell("openssl pkey -pubin -in '\(pubPath)' -outform DER | sha256sum | cut -d' ' -f1")
            XCTAssertEqual(key.publicKey.keyID, keyID.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "\(kind)")

            // csirt signs, openssl verifies.
            let text = directory.write("\(kind.rawValue).txt", String(decoding: message, as: UTF8.self))
            let sig = directory.write("\(kind.rawValue).sig", bytes: try key.sign(message))
            let verify = kind == .ed25519
                ? "openssl pkeyutl -verify -pubin -inkey '\(pubPath)' -rawin -in '\(text)' -sigfile '\(sig)'"
                : "openssl dgst -sha256 -verify '\(pubPath)' -signature '\(sig)' '\(text)'"
            let result = try TestProcess.shell(verify + " 2>&1")
            XCTAssertEqual(result.status, 0, "\(kind): \(result.stdout)")

            // openssl signs, csirt verifies.
            let cliSig = directory.file("\(kind.rawValue).cli.sig")
            try OpenSSLCLI.sign(text, key: keyPath, kind: kind, signature: cliSig)
            let publicKey = try PublicKey(pem: [UInt8](FileManager.default.contents(atPath: pubPath)!), source: pubPath)
            XCTAssertTrue(publicKey.verify(signature: [UInt8](FileManager.default.contents(atPath: cliSig)!), message: message), "\(kind)")
        }
    }

    func testRSAPSSSignatureFromOpenSSL() throws {
        let directory = TemporaryDirectory()
        let (keyPath, pubPath) = try OpenSSLCLI.makeKey(.rsa2048, in: directory, name: "rsa")
        let file = directory.write("data.txt", "firewall log 2026-11-22\n")
        let sig = directory.file("data.sig")
        try OpenSSLCLI.sign(file, key: keyPath, kind: .rsa2048, pss: true, signature: sig)
        let key = try PublicKey(pem: [UInt8](FileManager.default.contents(atPath: pubPath)!), source: pubPath)
        let signature = [UInt8](FileManager.default.contents(atPath: sig)!)
        let data = Array("firewall log 2026-11-22\n".utf8)
        XCTAssertTrue(key.verify(signature: signature, message: data, padding: .pss))
        XCTAssertFalse(key.verify(signature: signature, message: data, padding: .pkcs1v15), "a PSS signature is not PKCS#1 v1.5")
    }

    // MARK: Bad keys: one clear message naming the file

    func assertRejected(_ pem: String, wantPrivate: Bool, contains fragment: String, file: StaticString = #filePath, line: UInt = #line) {
        let bytes = Array(pem.utf8)
        do {
            if wantPrivate { _ = try PrivateKey(pem: bytes, source: "key.pem") } else { _ = try PublicKey(pem: bytes, source: "key.pem") }
            XCTFail("accepted", file: file, line: line)
        } catch let error as CryptoError {
            XCTAssertTrue(error.message.hasPrefix("key.pem: "), error.message, file: file, line: line)
            XCTAssertTrue(error.message.contains(fragment), "\(error.message) lacks \(fragment)", file: file, line: line)
            XCTAssertFalse(error.message.contains("\n"), file: file, line: line)
        } catch {
            XCTFail("unexpected \(error)", file: file, line: line)
        }
    }

    func testBadKeysAreRejectedClearly() throws {
        let directory = TemporaryDirectory()
        let (keyPath, pubPath) = try OpenSSLCLI.makeKey(.ed25519, in: directory, name: "ed")
        let privatePEM = String(decoding: FileManager.default.contents(atPath: keyPath)!, as: UTF8.self)
        let publicPEM = String(decoding: FileManager.default.contents(atPath: pubPath)!, as: UTF8.self)

        assertRejected("", wantPrivate: true, contains: "empty")
        assertRejected("hello", wantPrivate: true, contains: "not a PEM file")
        assertRejected(publicPEM, wantPrivate: true, contains: "holds a public key")
        assertRejected(privatePEM, wantPrivate: false, contains: "holds a private key")
        assertRejected("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", wantPrivate: true, contains: "malformed")
        assertRejected("-----BEGIN PUBLIC KEY-----\nnot base64!\n-----END PUBLIC KEY-----\n", wantPrivate: false, contains: "malformed")

        let encrypted = directory.file("enc.pem")
        XCTAssertEqual(try TestProcess.shell("openssl pkey -in '\(keyPath)' -aes256 -passout pass:secret -out '\(encrypted)'").status, 0)
        assertRejected(String(decoding: FileManager.default.contents(atPath: encrypted)!, as: UTF8.self), wantPrivate: true, contains: "encrypted")

        let weak = directory.file("rsa1024.pem")
        XCTAssertEqual(try TestProcess.shell("openssl genrsa -out '\(weak)' 1024 2>/dev/null").status, 0)
        assertRejected(String(decoding: FileManager.default.contents(atPath: weak)!, as: UTF8.self), wantPrivate: true, contains: "1024 bits is too short")

        let p384 = directory.file("p384.pem")
        XCTAssertEqual(try TestProcess.shell("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out '\(p384)'").status, 0)
        assertRejected(String(decoding: FileManager.default.contents(atPath: p384)!, as: UTF8.self), wantPrivate: true, contains: "secp384r1")

        let ed448 = directory.file("ed448.pem")
        XCTAssertEqual(try TestProcess.shell("openssl genpkey -algorithm ed448 -out '\(ed448)'").status, 0)
        assertRejected(String(decoding: FileManager.default.contents(atPath: ed448)!, as: UTF8.self), wantPrivate: true, contains: "unsupported key type")
    }

    func testTraditionalRSAAndECFormsLoad() throws {
        let directory = TemporaryDirectory()
        let rsa = directory.file("rsa-trad.pem"), ec = directory.file("ec-trad.pem")
        XCTAssertEqual(try TestProcess.shell("openssl genrsa -traditional -out '\(rsa)' 2048 2>/dev/null").status, 0)
        XCTAssertEqual(try TestProcess.shell("openssl ecparam -name prime256v1 -genkey -out '\(ec)'").status, 0)
        XCTAssertEqual(try PrivateKey(pem: [UInt8](FileManager.default.contents(atPath: rsa)!), source: rsa).algorithm, .rsaPKCS1SHA256)
        XCTAssertEqual(try PrivateKey(pem: [UInt8](FileManager.default.contents(atPath: ec)!), source: ec).algorithm, .ecdsaP256SHA256)
    }
}
