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
        let cases: [([String], String)] = [
            ([directory.file("missing.txt"), "--signature", sig, "--pubkey", pub], "missing.txt: no such file"),
            ([directory.path, "--signature", sig, "--pubkey", pub], "not a regular file"),
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
}
