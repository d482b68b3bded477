import CSIRTCrypto
import Foundation
import TestSupport
import XCTest

/// ECDSA signatures are written low-S, and a strict check refuses the high-S twin.
final class ECDSASignatureTests: XCTestCase {
    func testSignaturesAreLowSAndTheTwinIsRefusedWhenStrict() throws {
        let directory = TemporaryDirectory()
        let (keyPath, _) = try OpenSSLCLI.makeKey(.ecdsaP256, in: directory, name: "ec")
        let key = try PrivateKey(pem: [UInt8](try XCTUnwrap(FileManager.default.contents(atPath: keyPath))), source: keyPath)
        var sawFlip = false
        // OpenSSL's own s is high about half the time: 64 signatures all come out low.
        for index in 0..<64 {
            let message = Array("checkpoint \(index)".utf8)
            let signature = try key.sign(message)
            XCTAssertFalse(ECDSATwin.isHighS(signature), "signature \(index) is high-S")
            XCTAssertEqual(ECDSASignature.form(of: signature), .lowS)
            XCTAssertTrue(key.publicKey.verify(signature: signature, message: message, strict: true))
            let twin = try XCTUnwrap(ECDSATwin.twin(signature))
            XCTAssertEqual(ECDSASignature.form(of: twin), .highS)
            // OpenSSL accepts the twin; the strict check does not.
            XCTAssertTrue(key.publicKey.verify(signature: twin, message: message))
            XCTAssertFalse(key.publicKey.verify(signature: twin, message: message, strict: true))
            XCTAssertEqual(try ECDSASignature.lowS(twin), signature)
            sawFlip = true
        }
        XCTAssertTrue(sawFlip)
    }

    func testMalformedDERIsNotAnyForm() {
        XCTAssertEqual(ECDSASignature.form(of: []), .malformed)
        XCTAssertEqual(ECDSASignature.form(of: [0x30, 0x00]), .malformed)
        // A valid pair in a non-minimal (padded) encoding is not the one canonical DER.
        let padded: [UInt8] = [0x30, 0x08, 0x02, 0x02, 0x00, 0x01, 0x02, 0x02, 0x00, 0x01]
        XCTAssertEqual(ECDSASignature.form(of: padded), .malformed)
        XCTAssertEqual(ECDSASignature.form(of: [0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01]), .lowS)
    }

    /// A low-S signature csirt made verifies with the openssl CLI, as the audit log's documented check needs.
    func testLowSSignaturesVerifyWithTheOpenSSLCLI() throws {
        let directory = TemporaryDirectory()
        let (keyPath, pubPath) = try OpenSSLCLI.makeKey(.ecdsaP256, in: directory, name: "ec")
        let key = try PrivateKey(pem: [UInt8](try XCTUnwrap(FileManager.default.contents(atPath: keyPath))), source: keyPath)
        for index in 0..<8 {
            let file = directory.write("m\(index).txt", "message \(index)\n")
            let sig = directory.write("m\(index).sig", bytes: try key.sign(Array("message \(index)\n".utf8)))
            XCTAssertEqual(try TestProcess.shell("openssl dgst -sha256 -verify '\(pubPath)' -signature '\(sig)' '\(file)'").status, 0)
        }
    }
}
