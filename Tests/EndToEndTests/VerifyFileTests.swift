import Foundation
import TestSupport
import XCTest

/// `csirt audit verify-file` against signatures the openssl CLI made, as a nightly cron job would.
final class VerifyFileTests: XCTestCase {
    func testSignaturesFromTheOpenSSLCLI() throws {
        let directory = TemporaryDirectory()
        var archive = "Nov 22 00:00:01 fw-core kernel: DROP IN=eth2 OUT=eth0 SRC=10.30.1.5 DST=10.10.1.11\n"
        archive += String(repeating: "Nov 22 00:00:02 fw-core kernel: ACCEPT IN=eth1 OUT=eth3\n", count: 2_000)
        let file = directory.write("syslog-2026-11-22.log", archive)
        let tampered = directory.write("tampered.log", archive.replacingOccurrences(of: "DROP", with: "ACCEPT"))
        for kind in OpenSSLCLI.KeyKind.allCases {
            let (key, pub) = try OpenSSLCLI.makeKey(kind, in: directory, name: kind.rawValue)
            let (_, otherPub) = try OpenSSLCLI.makeKey(kind, in: directory, name: kind.rawValue + "-other")
            let sig = directory.file("\(kind.rawValue).sig")
            try OpenSSLCLI.sign(file, key: key, kind: kind, signature: sig)

            let ok = try CSIRTBinary.run(["audit", "verify-file", file, "--signature", sig, "--pubkey", pub])
            XCTAssertEqual(ok.status, 0, "\(kind): \(ok.stdout) \(ok.stderr)")
            XCTAssertTrue(ok.stdout.hasPrefix("OK "), ok.stdout)
            let bad = try CSIRTBinary.run(["audit", "verify-file", tampered, "--signature", sig, "--pubkey", pub])
            XCTAssertEqual(bad.status, 1, "\(kind): a changed file fails")
            XCTAssertTrue(bad.stdout.hasPrefix("FAILED "), bad.stdout)
            XCTAssertEqual(try CSIRTBinary.run(["audit", "verify-file", file, "--signature", sig, "--pubkey", otherPub]).status, 1, "\(kind): another key fails")
            if kind != .rsa2048 {
                let pss = try CSIRTBinary.run(["audit", "verify-file", file, "--signature", sig, "--pubkey", pub, "--pss"])
                XCTAssertEqual(pss.status, 2, "--pss needs an RSA key")
                XCTAssertTrue(pss.stderr.contains("--pss applies to RSA keys"), pss.stderr)
            }
        }
    }

    func testRSAPSS() throws {
        let directory = TemporaryDirectory()
        let file = directory.write("fw-core.rules", "*filter\n:FORWARD DROP [0:0]\nCOMMIT\n")
        let (key, pub) = try OpenSSLCLI.makeKey(.rsa2048, in: directory, name: "rsa")
        let sig = directory.file("pss.sig")
        try OpenSSLCLI.sign(file, key: key, kind: .rsa2048, pss: true, signature: sig)
        let json = try CSIRTBinary.run(["audit", "verify-file", file, "--signature", sig, "--pubkey", pub, "--pss", "--format", "json"])
        XCTAssertEqual(json.status, 0, json.stdout + json.stderr)
        XCTAssertTrue(json.stdout.contains(#""alg":"rsa-pss-sha256""#), json.stdout)
        XCTAssertTrue(json.stdout.contains(#""ok":true"#), json.stdout)
        XCTAssertEqual(try CSIRTBinary.run(["audit", "verify-file", file, "--signature", sig, "--pubkey", pub]).status, 1, "PSS is not PKCS#1 v1.5")
    }

    func testBadInputs() throws {
        let directory = TemporaryDirectory()
        let file = directory.write("a.txt", "a\n")
        let (key, pub) = try OpenSSLCLI.makeKey(.ed25519, in: directory, name: "ed")
        let sig = directory.file("a.sig")
        try OpenSSLCLI.sign(file, key: key, kind: .ed25519, signature: sig)
        let fifo = directory.file("fifo")
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        let cases: [([String], String)] = [
            ([directory.file("missing.txt"), "--signature", sig, "--pubkey", pub], "missing.txt: no such file"),
            ([directory.path, "--signature", sig, "--pubkey", pub], "is a directory"),
            // Not regular files: refused at once, never read (a FIFO without a writer would hang).
            ([fifo, "--signature", sig, "--pubkey", pub], "fifo: is a FIFO"),
            ([file, "--signature", fifo, "--pubkey", pub], "fifo: is a FIFO"),
            ([file, "--signature", sig, "--pubkey", fifo], "fifo: is a FIFO"),
            (["/dev/zero", "--signature", sig, "--pubkey", pub], "/dev/zero: is a device"),
            ([file, "--signature", "/dev/zero", "--pubkey", pub], "/dev/zero: is a device"),
            ([file, "--signature", sig, "--pubkey", "/dev/null"], "/dev/null: is a device"),
            ([file, "--signature", directory.write("empty.sig", ""), "--pubkey", pub], "empty.sig: empty file"),
            ([file, "--signature", directory.file("nosig"), "--pubkey", pub], "nosig: no such file"),
            ([file, "--signature", sig, "--pubkey", key], "holds a private key"),
            ([file, "--signature", sig, "--pubkey", directory.write("bad.pem", "-----BEGIN PUBLIC KEY-----\n!!\n-----END PUBLIC KEY-----\n")], "malformed PEM public key"),
        ]
        for (arguments, fragment) in cases {
            let result = try CSIRTBinary.run(["audit", "verify-file"] + arguments)
            XCTAssertEqual(result.status, 2, "\(arguments): \(result.stderr)")
            XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
            XCTAssertTrue(result.stderr.contains(fragment), "\(result.stderr) lacks \(fragment)")
        }
        // A garbage signature of the right size simply does not verify.
        let garbage = directory.write("garbage.sig", bytes: [UInt8](repeating: 7, count: 64))
        XCTAssertEqual(try CSIRTBinary.run(["audit", "verify-file", file, "--signature", garbage, "--pubkey", pub]).status, 1)
    }

    /// An ECDSA signature and its high-S twin (made without the key) both verify with OpenSSL;
    /// `--strict` takes the low-S one only, whichever the openssl CLI happened to make.
    func testStrictRefusesTheHighSTwin() throws {
        let directory = TemporaryDirectory()
        let file = directory.write("fw.log", "Nov 22 00:00:01 fw-core kernel: DROP\n")
        let (key, pub) = try OpenSSLCLI.makeKey(.ecdsaP256, in: directory, name: "ec")
        let sig = directory.file("fw.sig")
        try OpenSSLCLI.sign(file, key: key, kind: .ecdsaP256, signature: sig)
        let original = [UInt8](try XCTUnwrap(FileManager.default.contents(atPath: sig)))
        let twin = try XCTUnwrap(ECDSATwin.twin(original), "the openssl CLI wrote DER")
        let (low, high) = ECDSATwin.isHighS(original) ? (twin, original) : (original, twin)
        XCTAssertFalse(ECDSATwin.isHighS(low))
        XCTAssertTrue(ECDSATwin.isHighS(high))
        let lowPath = directory.write("low.sig", bytes: low), highPath = directory.write("high.sig", bytes: high)
        // The openssl CLI itself accepts both: that is the malleability.
        for path in [lowPath, highPath] {
            XCTAssertEqual(try TestProcess.shell("openssl dgst -sha256 -verify '\(pub)' -signature '\(path)' '\(file)'").status, 0)
            XCTAssertEqual(try CSIRTBinary.run(["audit", "verify-file", file, "--signature", path, "--pubkey", pub]).status, 0)
        }
        XCTAssertEqual(try CSIRTBinary.run(["audit", "verify-file", file, "--signature", lowPath, "--pubkey", pub, "--strict"]).status, 0)
        let strict = try CSIRTBinary.run(["audit", "verify-file", file, "--signature", highPath, "--pubkey", pub, "--strict"])
        XCTAssertEqual(strict.status, 1, strict.stdout)
        XCTAssertTrue(strict.stdout.contains("high-S"), strict.stdout)
        // For Ed25519 and RSA, --strict changes nothing: their signatures have one form.
        for kind in [OpenSSLCLI.KeyKind.ed25519, .rsa2048] {
            let (otherKey, otherPub) = try OpenSSLCLI.makeKey(kind, in: directory, name: kind.rawValue)
            let otherSig = directory.file("\(kind.rawValue).sig")
            try OpenSSLCLI.sign(file, key: otherKey, kind: kind, signature: otherSig)
            XCTAssertEqual(try CSIRTBinary.run(["audit", "verify-file", file, "--signature", otherSig, "--pubkey", otherPub, "--strict"]).status, 0)
        }
    }
}
