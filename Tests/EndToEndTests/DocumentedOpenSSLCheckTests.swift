import AuditLog
import Foundation
import TestSupport
import XCTest

/// The shell script at the end of docs/audit-log.md, taken from the document itself and run as an
/// outside auditor runs it: openssl, sha256sum and POSIX tools only. It must pass genuine logs of
/// every key type and refuse every rewrite made without a private key, for the reason it names.
final class DocumentedOpenSSLCheckTests: XCTestCase {
    private var installedAwks: [String]?

    /// The system awk always; mawk (Debian's default) and gawk, also in POSIX mode, when they
    /// are installed (.ci/run installs gawk, which then becomes the system awk: mawk is named).
    private func awks() throws -> [String] {
        if let installedAwks { return installedAwks }
        var found = ["awk"]
        if try TestProcess.shell("command -v mawk").status == 0 { found.append("mawk") }
        if try TestProcess.shell("command -v gawk").status == 0 { found += ["gawk", "gawk --posix"] }
        installedAwks = found
        return found
    }

    private func runCheck(_ script: String, log: String, pub: String, awk: String) throws -> ProcessResult {
        try TestProcess.run("/bin/sh", [script], environment: ["LOG": log, "PUB": pub, "AWK": awk])
    }

    /// Passes under every awk and prints the documented summary line.
    private func assertVerified(_ script: String, log: String, pub: String, summary: String,
                                file: StaticString = #filePath, line: UInt = #line) throws {
        for awk in try awks() {
            let result = try runCheck(script, log: log, pub: pub, awk: awk)
            XCTAssertEqual(result.status, 0, "\(awk): \(result.stdout)\(result.stderr)", file: file, line: line)
            XCTAssertEqual(result.stdout, summary + "\n", awk, file: file, line: line)
            XCTAssertEqual(result.stderr, "", awk, file: file, line: line)
        }
    }

    /// Fails under every awk with exactly one message, which contains `fragment`.
    private func assertRefused(_ script: String, log: String, pub: String, _ name: String, because fragment: String,
                               file: StaticString = #filePath, line: UInt = #line) throws {
        for awk in try awks() {
            let result = try runCheck(script, log: log, pub: pub, awk: awk)
            XCTAssertEqual(result.status, 1, "\(name), \(awk): \(result.stdout)\(result.stderr)", file: file, line: line)
            XCTAssertEqual(result.stdout, "", "\(name), \(awk)", file: file, line: line)
            XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, "\(name), \(awk): one message: \(result.stderr)", file: file, line: line)
            XCTAssertTrue(result.stderr.contains(fragment), "\(name), \(awk): \(result.stderr) lacks \(fragment)", file: file, line: line)
        }
    }

    private func csirt(_ arguments: [String], home: String) throws {
        let result = try CSIRTBinary.run(arguments, environment: ["CSIRT_HOME": home, "CSIRT_ACTOR": "tanaka"])
        guard result.status == 0 else { throw TestFailure("csirt \(arguments.joined(separator: " ")): \(result.stderr)") }
    }

    /// A home with three notes: lines 1 init, 2 checkpoint, 3 note, 4 checkpoint, 5 note, 6 checkpoint, 7 note, 8 checkpoint.
    private func makeHome(_ home: String, signingKey: String? = nil) throws -> String {
        try csirt(["init"] + (signingKey.map { ["--signing-key", $0] } ?? []), home: home)
        for note in ["note 0", "stored in a/b", "端末\t隔離 \"q\" \\ 😀"] {
            try csirt(["audit", "note", note], home: home)
        }
        return home + "/audit/audit.log"
    }

    // MARK: Genuine logs

    func testInitWithOpenSSLKeysOfEveryKindAndTheDocumentedCheck() throws {
        let script = try DocumentedScript.openSSLCheck()
        let directory = TemporaryDirectory()
        for kind in OpenSSLCLI.KeyKind.allCases {
            let (key, pub) = try OpenSSLCLI.makeKey(kind, in: directory, name: kind.rawValue)
            let log = try makeHome(directory.file("home-\(kind.rawValue)"), signingKey: key)
            let verify = try CSIRTBinary.run(["audit", "verify", "--log", log, "--pubkey", pub])
            XCTAssertEqual(verify.status, 0, "\(kind): \(verify.stdout)")

            // The third party's check: openssl, sha256sum and POSIX tools only. (It refuses an ECDSA
            // signature with a high S; csirt writes low-S ones.)
            let lines = LogFixtures.lines(of: log)
            XCTAssertEqual(lines.count, 8)
            try assertVerified(script, log: log, pub: pub, summary: "checkpoint 4 verified: 4 entries, 8 lines, head \(Self.hash(lines[6]))")

            // The same script catches a changed entry: the next line no longer links to it.
            var changed = lines
            changed[2] = Self.replacing("note 0", with: "note 9", in: changed[2])
            let tampered = directory.file("tampered-\(kind.rawValue).log")
            LogFixtures.write(changed, to: tampered)
            try assertRefused(script, log: tampered, pub: pub, "\(kind) changed entry", because: "line 4: head is not the SHA-256 of line 3")

            if kind == .ecdsaP256 {
                // (r, n − s) verifies as well as (r, s), but csirt writes only low-S signatures.
                var twin = lines
                let signature = try XCTUnwrap(Self.field("sig", of: lines[7]))
                let der = try XCTUnwrap(Data(base64Encoded: signature), "sig is Base64")
                let highS = try Self.highSTwin(of: [UInt8](der)).base64EncodedString()
                twin[7] = Self.replacing(signature, with: highS, in: lines[7])
                let path = directory.file("high-s.log")
                LogFixtures.write(twin, to: path)
                try assertRefused(script, log: path, pub: pub, "high-S twin", because: "line 8: ECDSA signature with a high S")
            }
        }
    }

    func testRotatedKeyVerifiesAndTheRetiredKeySealsNothing() throws {
        let script = try DocumentedScript.openSSLCheck()
        let directory = TemporaryDirectory()
        let home = directory.file("home")
        try csirt(["init"], home: home)
        try csirt(["audit", "note", "before rotation"], home: home)
        let oldPub = try XCTUnwrap(try Self.publicKeys(in: home).first)
        try csirt(["audit", "rotate-key"], home: home)
        try csirt(["audit", "note", "after rotation"], home: home)
        let newPub = try XCTUnwrap(try Self.publicKeys(in: home).first { $0 != oldPub })
        let log = home + "/audit/audit.log"
        let lines = LogFixtures.lines(of: log)
        XCTAssertEqual(lines.count, 9)
        XCTAssertEqual(try CSIRTBinary.run(["audit", "verify", "--log", log, "--pubkey", oldPub, "--pubkey", newPub]).status, 0)

        // After the rotation the last checkpoint is by the new key.
        try assertVerified(script, log: log, pub: newPub, summary: "checkpoint 5 verified: 4 entries, 9 lines, head \(Self.hash(lines[7]))")
        // The old key was retired by the audit.rotate-key entry (line 5).
        try assertRefused(script, log: log, pub: oldPub, "retired key", because: "line 5: this audit.rotate-key entry retired PUB")
    }

    // MARK: Rewrites made without a key

    func testRewritesWithoutAKeyAreRefused() throws {
        let script = try DocumentedScript.openSSLCheck()
        let directory = TemporaryDirectory()
        let (key, pub) = try OpenSSLCLI.makeKey(.ed25519, in: directory, name: "ed")
        let log = try makeHome(directory.file("home"), signingKey: key)
        // Another log signed with the same key, whose checkpoints are genuine too.
        let other = LogFixtures.lines(of: try makeHome(directory.file("other"), signingKey: key))
        let lines = LogFixtures.lines(of: log)
        let n = lines.count
        XCTAssertEqual(n, 8)
        try assertVerified(script, log: log, pub: pub, summary: "checkpoint 4 verified: 4 entries, 8 lines, head \(Self.hash(lines[6]))")

        let file = Self.file
        let relinked = Self.relinked
        func edited(_ index: Int, _ old: String, _ new: String) -> [[UInt8]] {
            var copy = lines
            copy[index] = Self.replacing(old, with: new, in: copy[index])
            return relinked(copy, index + 1)
        }
        let forgedPrev = #","zz":"x","prev":""# + Self.hash(lines[n - 2]) + #""}"#
        var relinkedForged = edited(2, "note 0", "note 9")
        relinkedForged[n - 1] = Array(lines[n - 1].dropLast()) + Array((#","zz":"x","prev":""# + Self.hash(relinkedForged[n - 2]) + #""}"#).utf8)
        let forgedEntry = { (prev: [UInt8], seq: Int) in
            Array(#"{"action":"audit.note","actor":"tanaka","details":{"text":"all clear"},"prev":""#.utf8) + Array(Self.hash(prev).utf8)
                + Array(#"","seq":\#(seq),"target":"audit-log","time":"2026-11-23T13:27:55Z"}"#.utf8)
        }
        let signature = try XCTUnwrap(Self.field("sig", of: lines[n - 1]))
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
        // The last character before the padding carries bits the decoder ignores: flip one.
        var sigChars = Array(signature)
        let padding = try XCTUnwrap(sigChars.firstIndex(of: "="))
        let value = try XCTUnwrap(alphabet.firstIndex(of: sigChars[padding - 1]))
        sigChars[padding - 1] = alphabet[value ^ 1]
        var reordered = lines
        reordered[2] = Self.replacing(#""action":"audit.note","actor":"tanaka","#, with: #""actor":"tanaka","action":"audit.note","#, in: lines[2])
        reordered = relinked(reordered, 3)

        let rewrites: [(String, [UInt8], String)] = [
            ("final newline removed", Array(file(lines).dropLast()), "line \(n): no final LF"),
            ("trailing forged prev", file(Array(lines.dropLast()) + [Array(lines[n - 1].dropLast()) + Array(forgedPrev.utf8)]),
             "line \(n): not canonical JSON: key \"prev\""),
            ("changed entry, chain re-linked, forged prev", file(relinkedForged), "line \(n): not canonical JSON: key \"prev\""),
            ("changed entry, chain re-linked", file(edited(2, "note 0", "note 9")), "line \(n): the signature does not verify with PUB"),
            ("duplicated key", file(edited(2, #""actor":"tanaka","#, #""actor":"tanaka","actor":"tanaka","#)),
             "line 3: not canonical JSON: key \"actor\""),
            ("duplicated key in details", file(edited(2, #"{"text":"note 0"}"#, #"{"text":"note 0","text":"note 9"}"#)),
             "line 3: not canonical JSON: key \"text\""),
            ("reordered keys", file(reordered), "is not after \"actor\""),
            ("space after a colon", file(edited(2, #""actor":"#, #""actor": "#)), "line 3: not canonical JSON: unexpected space"),
            ("\\u escape of a plain character", file(edited(2, #""actor":"tanaka""#, #""actor":"t\u0061naka""#)),
             "line 3: not canonical JSON: escape \\u0061"),
            ("escaped slash", file(edited(4, "a/b", #"a\/b"#)), "line 5: not canonical JSON: escape \\/"),
            ("checkpoint of another log appended", file(lines + [other[n - 1]]), "line \(n + 1): head is not the SHA-256 of line \(n)"),
            ("checkpoint of another log instead of the last", file(Array(lines.dropLast()) + [other[n - 1]]),
             "line \(n): head is not the SHA-256 of line \(n - 1)"),
            ("forged entry under an old checkpoint, copied", file(Array(lines[0..<4]) + [forgedEntry(lines[3], 3), lines[3]]),
             "line 6: head is not the SHA-256 of line 5"),
            ("forged entry under an old checkpoint, next checkpoint", file(Array(lines[0..<4]) + [forgedEntry(lines[3], 3), lines[5]]),
             "line 6: head is not the SHA-256 of line 5"),
            ("last checkpoint missing", file(Array(lines.dropLast())), "line \(n - 1): unsealed"),
            ("entry appended after the last checkpoint", file(lines + [forgedEntry(lines[n - 1], 5)]), "line \(n + 1): unsealed"),
            ("CRLF", file(lines).flatMap { (byte: UInt8) -> [UInt8] in byte == 0x0a ? [0x0d, 0x0a] : [byte] }, "line 1: CR"),
            ("BOM", [0xef, 0xbb, 0xbf] + file(lines), "line 1: starts with a UTF-8 byte order mark"),
            ("NUL in a string", file(edited(2, "note 0", "note\u{0}0")), "line 3: NUL byte"),
            ("blank line", file(Array(lines[0..<3]) + [[]] + Array(lines[3...])), "line 4: blank line"),
            ("non-canonical Base64", file(Array(lines.dropLast()) + [Self.replacing(signature, with: String(sigChars), in: lines[n - 1])]),
             "line \(n): sig must be canonical standard Base64"),
            ("seq gap", file(edited(2, #""seq":2"#, #""seq":3"#)), "line 3: seq 3 where 2 was expected"),
            ("entry with an extra key", file(relinked(Array(lines[0..<2]) + [Array(lines[2].dropLast()) + Array(#","zz":1}"#.utf8)] + Array(lines[3...]), 3)),
             "line 3: unexpected key \"zz\" after \"time\""),
            ("line over 1 MiB", file(edited(2, "note 0", String(repeating: "x", count: 1 << 20))), "line 3: longer than 1 MiB"),
        ]
        for (index, (name, bytes, fragment)) in rewrites.enumerated() {
            let path = directory.write("rewrite-\(index).log", bytes: bytes)
            try assertRefused(script, log: path, pub: pub, name, because: fragment)
        }
    }

    // MARK: Helpers

    /// SHA-256 of a line with its LF, in hex: what the next line links to.
    static func hash(_ line: [UInt8]) -> String {
        Digest(hashing: line + [0x0a]).hex
    }

    static func file(_ lines: [[UInt8]]) -> [UInt8] {
        lines.flatMap { $0 + [0x0a] }
    }

    static func replacing(_ old: String, with new: String, in line: [UInt8]) -> [UInt8] {
        Array(String(decoding: line, as: UTF8.self).replacingOccurrences(of: old, with: new).utf8)
    }

    /// A string field of a line (no escapes in it).
    static func field(_ name: String, of line: [UInt8]) -> String? {
        let text = String(decoding: line, as: UTF8.self)
        guard let start = text.range(of: "\"\(name)\":\"")?.upperBound, let end = text[start...].firstIndex(of: "\"") else { return nil }
        return String(text[start..<end])
    }

    /// The lines with every link from `start` on recomputed, as a forger without the key can.
    static func relinked(_ lines: [[UInt8]], _ start: Int) -> [[UInt8]] {
        var out = lines
        for index in out.indices where index >= max(start, 1) {
            var text = String(decoding: out[index], as: UTF8.self)
            let name = text.hasPrefix(#"{"action":"#) ? #""prev":""# : #""head":""#
            if let value = text.range(of: name)?.upperBound, let end = text.index(value, offsetBy: 64, limitedBy: text.endIndex) {
                text.replaceSubrange(value..<end, with: hash(out[index - 1]))
            }
            out[index] = Array(text.utf8)
        }
        return out
    }

    static func publicKeys(in home: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: home + "/keys").filter { $0.hasSuffix(".pub.pem") }.sorted().map { home + "/keys/" + $0 }
    }

    /// The DER ECDSA signature (r, n − s) for the P-256 order n: it verifies like (r, s).
    static func highSTwin(of der: [UInt8]) throws -> Data {
        let order: [UInt8] = [
            0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
            0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
        ]
        // SEQUENCE { INTEGER r, INTEGER s }, short lengths (a P-256 signature is at most 72 bytes).
        guard der.count > 8, der[0] == 0x30, Int(der[1]) == der.count - 2, der[2] == 0x02 else { throw TestFailure("not a DER ECDSA signature") }
        let sStart = 4 + Int(der[3])
        guard sStart + 2 < der.count, der[sStart] == 0x02, sStart + 2 + Int(der[sStart + 1]) == der.count else {
            throw TestFailure("not a DER ECDSA signature")
        }
        let r = Array(der[4..<sStart])
        var s = Array(der[(sStart + 2)...].drop { $0 == 0 })
        guard s.count <= 32 else { throw TestFailure("s is longer than 32 bytes") }
        s = [UInt8](repeating: 0, count: 32 - s.count) + s
        var twin = [UInt8](repeating: 0, count: 32)
        var borrow = 0
        for i in (0..<32).reversed() {
            let difference = Int(order[i]) - Int(s[i]) - borrow
            twin[i] = UInt8((difference + 256) % 256)
            borrow = difference < 0 ? 1 : 0
        }
        var minimal = Array(twin.drop { $0 == 0 })
        if minimal.first.map({ $0 >= 0x80 }) ?? true { minimal.insert(0, at: 0) }
        let body = [0x02, UInt8(r.count)] + r + [0x02, UInt8(minimal.count)] + minimal
        return Data([0x30, UInt8(body.count)] + body)
    }
}

/// The shell script in docs/audit-log.md, exactly as documented.
enum DocumentedScript {
    static func openSSLCheck() throws -> String {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        let doc = try String(contentsOf: url.appendingPathComponent("docs/audit-log.md"), encoding: .utf8)
        guard let begin = doc.range(of: "<!-- begin: openssl-check -->\n```sh\n"),
              let end = doc.range(of: "```\n<!-- end: openssl-check -->", range: begin.upperBound..<doc.endIndex)
        else { throw TestFailure("docs/audit-log.md lacks the openssl-check block") }
        let path = NSTemporaryDirectory() + "csirt-openssl-check-\(getpid()).sh"
        try String(doc[begin.upperBound..<end.lowerBound]).write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}
