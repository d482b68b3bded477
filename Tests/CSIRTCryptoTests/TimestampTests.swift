import CSIRTCrypto
import Foundation
import TestSupport
import XCTest

/// RFC 3161 requests, responses and verification against tokens signed by the real
/// `openssl ts -reply` (LocalTSA without its HTTP responder), and agreement with
/// `openssl ts -verify`, the command an auditor runs by hand.
final class TimestampTests: XCTestCase {
    private var directory: TemporaryDirectory!
    private var tsa: LocalTSA!

    override func setUpWithError() throws {
        directory = TemporaryDirectory()
        do {
            tsa = try LocalTSA.create(in: directory.path)
        } catch let unavailable as LocalTSAUnavailable {
            throw XCTSkip(unavailable.description)
        }
    }

    override func tearDown() {
        tsa?.stop()
        tsa = nil
        directory = nil
    }

    private let line = #"{"checkpoint":{"origin":"csirt.example/audit","size":42,"head":"3f2a"}}"#
    private var digest: [UInt8] { SHA256.hash(line) }

    private func trust(_ caPath: String? = nil, untrusted: String? = nil) throws -> TimestampTrust {
        let ca = caPath ?? tsa.caCertificatePath
        return try TimestampTrust(caBundlePEM: Self.read(ca), source: ca,
                                  untrustedPEM: try untrusted.map(Self.read), untrustedSource: untrusted ?? "")
    }

    private static func read(_ path: String) throws -> [UInt8] {
        try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// A request for `digest` and the response LocalTSA's `signer` gives.
    private func stamp(signer: LocalTSA.Signer = .trusted, certReq: Bool = true, tokenOnly: Bool = false,
                       nonce: [UInt8]?? = .none) throws -> (TimestampRequest, [UInt8]) {
        let request: TimestampRequest
        if case .some(let fixed) = nonce {
            request = try TimestampRequest(sha256: digest, nonce: fixed, certReq: certReq)
        } else {
            request = try TimestampRequest(sha256: digest, certReq: certReq)
        }
        return (request, try tsa.reply(to: request.der, signer: signer, tokenOnly: tokenOnly))
    }

    private func openssl(_ arguments: [String]) throws -> ProcessResult {
        try TestProcess.run(tsa.openssl, arguments)
    }

    // MARK: - Requests

    func testRequestIsWhatOpenSSLWouldSend() throws {
        let request = try TimestampRequest(sha256: digest)
        XCTAssertEqual(request.nonce?.count, TimestampRequest.nonceByteCount)
        let path = directory.write("request.tsq", bytes: request.der)
        let text = try openssl(["ts", "-query", "-in", path, "-text"])
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.contains("Version: 1"), text.stdout)
        XCTAssertTrue(text.stdout.contains("Hash Algorithm: sha256"), text.stdout)
        XCTAssertTrue(text.stdout.contains("Policy OID: unspecified"), text.stdout)
        XCTAssertTrue(text.stdout.contains("Nonce: 0x" + Hex.encode(request.nonce!).uppercased()), text.stdout)
        XCTAssertTrue(text.stdout.contains("Certificate required: yes"), text.stdout)

        // Byte for byte what the CLI makes for the same digest and nonce (the CLI has no -nonce
        // option, so compare everything but the nonce: a request without one).
        let plain = try TimestampRequest(sha256: digest, nonce: nil)
        let cliPath = directory.file("cli.tsq")
        let cli = try openssl(["ts", "-query", "-sha256", "-digest", Hex.encode(digest), "-cert", "-no_nonce", "-out", cliPath])
        XCTAssertEqual(cli.status, 0, cli.stderr)
        XCTAssertEqual(plain.der, try Self.read(cliPath))
    }

    func testRequestOptions() throws {
        let request = try TimestampRequest(sha256: digest, nonce: [0, 0, 0x12, 0x34], certReq: false, policy: "1.2.3.4.5")
        XCTAssertEqual(request.nonce, [0x12, 0x34], "leading zero bytes cannot survive an ASN.1 INTEGER")
        let text = try openssl(["ts", "-query", "-in", directory.write("r.tsq", bytes: request.der), "-text"])
        XCTAssertTrue(text.stdout.contains("Nonce: 0x1234"), text.stdout)
        XCTAssertTrue(text.stdout.contains("Certificate required: no"), text.stdout)
        XCTAssertTrue(text.stdout.contains("Policy OID: 1.2.3.4.5"), text.stdout)

        XCTAssertThrowsError(try TimestampRequest(sha256: [1, 2, 3])) { XCTAssertTrue("\($0)".contains("32 bytes"), "\($0)") }
        XCTAssertThrowsError(try TimestampRequest(sha256: digest, policy: "tsa policy")) { XCTAssertTrue("\($0)".contains("dotted OID"), "\($0)") }
        XCTAssertThrowsError(try TimestampRequest(sha256: digest, nonce: [0, 0])) { XCTAssertTrue("\($0)".contains("positive"), "\($0)") }
        XCTAssertNotEqual(try TimestampRequest(sha256: digest).nonce, try TimestampRequest(sha256: digest).nonce)
    }

    // MARK: - Responses and tokens

    func testGrantedResponseFactsAndVerification() throws {
        let (request, der) = try stamp()
        let response = try TimestampResponse(der: der)
        XCTAssertEqual(response.status, .granted)
        XCTAssertEqual(response.failureInfo, [])
        let token = try XCTUnwrap(response.token)
        XCTAssertEqual(token.form, .response)
        XCTAssertEqual(token.der, der)
        XCTAssertEqual(token.hashAlgorithm, "sha256")
        XCTAssertEqual(token.messageImprint, digest)
        XCTAssertEqual(token.nonce, request.nonce)
        XCTAssertEqual(token.policy, LocalTSA.defaultPolicy)
        XCTAssertTrue(token.serialNumber.hasPrefix("0x"), token.serialNumber)
        XCTAssertEqual(token.tsaName, "O = csirt tests, CN = csirt test TSA")
        XCTAssertEqual(token.signerSubject, "O = csirt tests, CN = csirt test TSA")
        XCTAssertTrue(token.hasEmbeddedCertificates)
        XCTAssertNotNil(token.accuracy)
        XCTAssertEqual(token.accuracy?.seconds, 1)
        XCTAssertEqual(token.accuracy?.milliseconds, 500)
        XCTAssertEqual(token.accuracy?.microseconds, 100)
        XCTAssertEqual(token.accuracy?.totalMicroseconds, 1_500_100)
        XCTAssertEqual(abs(token.genTime.unixSeconds - Int64(Date().timeIntervalSince1970)), 0, accuracy: 60)

        // The same facts as `openssl ts -reply -text`.
        let text = try openssl(["ts", "-reply", "-in", directory.write("r.tsr", bytes: der), "-text"]).stdout
        XCTAssertTrue(text.contains("Serial number: \(token.serialNumber)"), text)
        XCTAssertTrue(text.contains("Nonce: 0x" + Hex.encode(request.nonce!).uppercased()), text)

        let result = token.verify(sha256: digest, nonce: request.nonce, trust: try trust())
        XCTAssertTrue(result.isValid, result.failureReason ?? "")
        XCTAssertNil(result.failureReason)
        XCTAssertEqual(result.checkedAt, token.genTime.unixSeconds)
        XCTAssertEqual(result.signerSubject, "O = csirt tests, CN = csirt test TSA")

        // A stored token, read back, is the same token and verifies without the nonce.
        let stored = try TimestampToken(der: der)
        XCTAssertEqual(stored, token)
        XCTAssertTrue(stored.verify(sha256: digest, trust: try trust()).isValid)
    }

    func testGenTimeIsExactToTheSecond() throws {
        let token = try TimestampToken(der: try stamp().1)
        let text = token.genTime.generalizedTime
        XCTAssertTrue(text.hasSuffix("Z"), text)
        let t = Array(text)
        let calendar = "\(String(t[0..<4]))-\(String(t[4..<6]))-\(String(t[6..<8])) \(String(t[8..<10])):\(String(t[10..<12])):\(String(t[12..<14]))"
        guard let dateCommand = LocalTSA.findExecutable("date") else { throw XCTSkip("date(1) is not on PATH; this test checks genTime against it") }
        let date = try TestProcess.run(dateCommand, ["-u", "-d", calendar, "+%s"])
        XCTAssertEqual(date.status, 0, date.stderr)
        XCTAssertEqual(token.genTime.unixSeconds, Int64(date.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        // clock_precision_digits = 3: a fraction unless the milliseconds happened to be .000.
        if let fraction = token.genTime.fraction {
            XCTAssertTrue(text.contains("." + fraction + "Z"), text)
            XCTAssertTrue((1...3).contains(fraction.count), fraction)
        } else {
            XCTAssertFalse(text.contains("."), text)
        }
        XCTAssertTrue(token.genTime.description.hasPrefix(calendar.replacingOccurrences(of: " ", with: "T")), token.genTime.description)
    }

    func testBareTokenForm() throws {
        let (_, der) = try stamp(tokenOnly: true)
        let token = try TimestampToken(der: der)
        XCTAssertEqual(token.form, .token)
        XCTAssertEqual(token.tokenDER, der)
        XCTAssertTrue(token.verify(sha256: digest, trust: try trust()).isValid)
        XCTAssertThrowsError(try TimestampResponse(der: der)) { XCTAssertTrue("\($0)".contains("bare time-stamp token"), "\($0)") }

        // The token inside a response is the bare token.
        let (_, responseDER) = try stamp()
        let fromResponse = try TimestampToken(der: responseDER)
        XCTAssertEqual(try TimestampToken(der: fromResponse.tokenDER).form, .token)
        XCTAssertEqual(try TimestampToken(der: fromResponse.tokenDER).serialNumber, fromResponse.serialNumber)
    }

    func testRejection() throws {
        let (_, der) = try stamp(signer: .rejecting)
        let response = try TimestampResponse(der: der)
        XCTAssertEqual(response.status, .rejection)
        XCTAssertEqual(response.failureInfo, [.badAlg])
        XCTAssertNil(response.token)
        XCTAssertTrue(response.statusText.joined().contains("not supported"), "\(response.statusText)")
        XCTAssertTrue(response.summary.hasPrefix("rejection: "), response.summary)
        XCTAssertTrue(response.summary.hasSuffix("(badAlg)"), response.summary)
        XCTAssertThrowsError(try TimestampToken(der: der, source: "tsa.tsr")) { error in
            XCTAssertTrue("\(error)".hasPrefix("tsa.tsr: the TSA did not grant a time-stamp: rejection"), "\(error)")
        }
    }

    func testMalformedInput() throws {
        XCTAssertThrowsError(try TimestampToken(der: [])) { XCTAssertTrue("\($0)".contains("empty"), "\($0)") }
        XCTAssertThrowsError(try TimestampToken(der: Array("<html>hello</html>".utf8))) { XCTAssertTrue("\($0)".contains("it is text"), "\($0)") }
        XCTAssertThrowsError(try TimestampToken(der: [0x30, 0x03, 0x02, 0x01, 0x05])) { XCTAssertTrue("\($0)".contains("not a DER time-stamp"), "\($0)") }
        let (_, der) = try stamp()
        XCTAssertThrowsError(try TimestampToken(der: der + [0])) { XCTAssertTrue("\($0)".contains("1 unexpected bytes"), "\($0)") }
        XCTAssertThrowsError(try TimestampToken(der: Array(der.dropLast(10)))) { XCTAssertTrue("\($0)".contains("not a DER"), "\($0)") }

        XCTAssertThrowsError(try TimestampTrust(caBundlePEM: [], source: "ca.pem")) { XCTAssertTrue("\($0)".contains("empty"), "\($0)") }
        let key = try Self.read(tsa.file("ca.key"))
        XCTAssertThrowsError(try TimestampTrust(caBundlePEM: key, source: "ca.key")) { XCTAssertTrue("\($0)".contains("no PEM certificate"), "\($0)") }
        var broken = try Self.read(tsa.caCertificatePath)
        broken[100] = UInt8(ascii: "!")
        XCTAssertThrowsError(try TimestampTrust(caBundlePEM: broken, source: "ca.pem")) { XCTAssertTrue("\($0)".contains("malformed PEM certificate"), "\($0)") }
    }

    // MARK: - Verification failures

    func testWrongImprintFails() throws {
        let token = try TimestampToken(der: try stamp().1)
        let other = SHA256.hash(line + " ")
        let result = token.verify(sha256: other, trust: try trust())
        XCTAssertFalse(result.isValid)
        XCTAssertEqual(result.failureReason,
                       "the token time-stamps another digest: its imprint is sha256 \(Hex.encode(digest)), expected sha256 \(Hex.encode(other))")
        XCTAssertFalse(token.verify(sha256: [1, 2, 3], trust: try trust()).isValid)
    }

    func testWrongNonceFails() throws {
        let (request, der) = try stamp()
        let token = try TimestampToken(der: der)
        var wrong = try XCTUnwrap(request.nonce)
        wrong[wrong.count - 1] ^= 1
        let result = token.verify(sha256: digest, nonce: wrong, trust: try trust())
        XCTAssertFalse(result.isValid)
        XCTAssertTrue(result.failureReason?.contains("is not the request's \(Hex.encode(wrong))") == true, result.failureReason ?? "")
        XCTAssertTrue(token.verify(sha256: digest, nonce: request.nonce, trust: try trust()).isValid)

        // A response without the nonce the request had.
        let (_, withoutNonce) = try stamp(nonce: .some(nil))
        let missing = try TimestampToken(der: withoutNonce).verify(sha256: digest, nonce: wrong, trust: try trust())
        XCTAssertFalse(missing.isValid)
        XCTAssertTrue(missing.failureReason?.contains("carries no nonce") == true, missing.failureReason ?? "")
    }

    func testTokenFromAnUntrustedTSAFails() throws {
        let token = try TimestampToken(der: try stamp(signer: .untrusted).1)
        XCTAssertEqual(token.signerSubject, "O = another authority, CN = another TSA")
        let result = token.verify(sha256: digest, trust: try trust())
        XCTAssertFalse(result.isValid)
        XCTAssertEqual(result.failureReason,
                       "the TSA certificate (O = another authority, CN = another TSA) is not trusted at the token's genTime \(token.genTime): self-signed certificate in certificate chain; trusted CAs: O = csirt tests, CN = csirt test TSA root")
    }

    func testCAOfAnotherAuthorityFails() throws {
        let token = try TimestampToken(der: try stamp().1)
        let result = token.verify(sha256: digest, trust: try trust(tsa.otherCACertificatePath))
        XCTAssertFalse(result.isValid)
        XCTAssertTrue(result.failureReason?.contains("is not trusted") == true, result.failureReason ?? "")
        XCTAssertTrue(result.failureReason?.contains("trusted CAs: O = another authority, CN = another TSA root") == true, result.failureReason ?? "")

        // A bundle with both CAs trusts both TSAs.
        let bundle = try Self.read(tsa.caCertificatePath) + Self.read(tsa.otherCACertificatePath)
        let both = try TimestampTrust(caBundlePEM: bundle, source: "bundle.pem")
        XCTAssertEqual(both.anchorSubjects.count, 2)
        XCTAssertTrue(token.verify(sha256: digest, trust: both).isValid)
        XCTAssertTrue(try TimestampToken(der: try stamp(signer: .untrusted).1).verify(sha256: digest, trust: both).isValid)
    }

    func testTSACertificateAsTrustAnchorIsNotEnough() throws {
        // Trusting the TSA certificate itself, not its CA: no self-signed anchor, so no chain.
        let token = try TimestampToken(der: try stamp().1)
        let result = token.verify(sha256: digest, trust: try trust(tsa.tsaCertificatePath))
        XCTAssertFalse(result.isValid, "OpenSSL builds chains to a self-signed root unless told to accept partial chains")
    }

    func testTokenWithoutEmbeddedCertificateNeedsTheTSACertificate() throws {
        let token = try TimestampToken(der: try stamp(certReq: false).1)
        XCTAssertFalse(token.hasEmbeddedCertificates)
        XCTAssertNil(token.signerSubject)
        let alone = token.verify(sha256: digest, trust: try trust())
        XCTAssertFalse(alone.isValid)
        XCTAssertEqual(alone.failureReason,
                       "the TSA certificate that signed the token is not embedded in the token; supply it as an untrusted certificate")
        let helped = token.verify(sha256: digest, trust: try trust(untrusted: tsa.tsaCertificatePath))
        XCTAssertTrue(helped.isValid, helped.failureReason ?? "")
        XCTAssertEqual(helped.signerSubject, "O = csirt tests, CN = csirt test TSA")
    }

    func testAlteredTokenFails() throws {
        let (request, der) = try stamp()
        let token = try TimestampToken(der: der)
        // Change the echoed nonce inside the signed TSTInfo: still well-formed, no longer signed.
        let nonce = try XCTUnwrap(request.nonce)
        let offset = try XCTUnwrap((0...(der.count - nonce.count)).first { Array(der[$0..<$0 + nonce.count]) == nonce })
        var altered = der
        altered[offset + nonce.count - 1] ^= 0x01
        let forged = try TimestampToken(der: altered)
        XCTAssertNotEqual(forged.nonce, token.nonce)
        XCTAssertEqual(forged.genTime, token.genTime)
        let result = forged.verify(sha256: digest, trust: try trust())
        XCTAssertFalse(result.isValid)
        XCTAssertEqual(result.failureReason, "the token's signature does not verify: it was altered or signed with another key")
    }

    func testConcurrentVerificationsShareOneTrust() throws {
        let token = try TimestampToken(der: try stamp().1)
        let trust = try trust()
        let other = SHA256.hash("other"), digest = digest
        let outcomes = ConcurrentResults(count: 64)
        DispatchQueue.concurrentPerform(iterations: 64) { index in
            // Odd iterations must fail with their own reason: OpenSSL's error queue is per thread.
            let result = token.verify(sha256: index % 2 == 0 ? digest : other, trust: trust)
            outcomes.set(index, result.isValid == (index % 2 == 0)
                         && (index % 2 == 0 || result.failureReason?.hasPrefix("the token time-stamps another digest") == true))
        }
        XCTAssertEqual(outcomes.values, Array(repeating: true, count: 64))
    }

    // MARK: - Time of the check

    func testVerifiesAtGenTimeAfterTheTSACertificateExpired() throws {
        try tsa.makeShortLivedSigner(validFor: 3)
        let (_, der) = try stamp(signer: .shortLived)
        let token = try TimestampToken(der: der)
        let expiry = try openssl(["x509", "-in", tsa.shortLivedTSACertificatePath, "-noout", "-enddate"]).stdout
        // Wait until the certificate has expired (its notAfter is whole seconds).
        Thread.sleep(forTimeInterval: 4.5)

        let atGenTime = token.verify(sha256: digest, trust: try trust())
        XCTAssertTrue(atGenTime.isValid, (atGenTime.failureReason ?? "") + " " + expiry)
        let now = Int64(Date().timeIntervalSince1970)
        let atNow = token.verify(sha256: digest, trust: try trust(), checkTime: now)
        XCTAssertFalse(atNow.isValid)
        XCTAssertTrue(atNow.failureReason?.contains("at Unix time \(now): certificate has expired") == true, atNow.failureReason ?? "")

        // `openssl ts -verify` checks at the current time unless given -attime.
        let path = directory.write("short.tsr", bytes: der)
        let plain = try openssl(["ts", "-verify", "-digest", Hex.encode(digest), "-in", path, "-CAfile", tsa.caCertificatePath])
        XCTAssertNotEqual(plain.status, 0, plain.stdout)
        XCTAssertTrue(plain.stderr.contains("certificate has expired"), plain.stderr)
        let attime = try openssl(["ts", "-verify", "-digest", Hex.encode(digest), "-in", path, "-CAfile", tsa.caCertificatePath,
                                  "-attime", String(token.genTime.unixSeconds)])
        XCTAssertEqual(attime.status, 0, attime.stderr)
    }

    // MARK: - The auditor's command

    func testOpenSSLVerifyAgreesOnTheStoredToken() throws {
        let (_, der) = try stamp()
        let path = directory.write("checkpoint.tsr", bytes: der)
        let hex = Hex.encode(digest)
        func verify(_ extra: [String], digest: String = hex, file: String = path) throws -> ProcessResult {
            try openssl(["ts", "-verify", "-digest", digest, "-in", file, "-CAfile", tsa.caCertificatePath] + extra)
        }
        let withUntrusted = try verify(["-untrusted", tsa.tsaCertificatePath])
        XCTAssertEqual(withUntrusted.status, 0, withUntrusted.stderr)
        XCTAssertEqual(withUntrusted.stdout, "Verification: OK\n")
        // The TSA certificate is embedded (certReq), so -untrusted is not needed.
        let embedded = try verify([])
        XCTAssertEqual(embedded.status, 0, embedded.stderr)
        XCTAssertEqual(embedded.stdout, "Verification: OK\n")
        XCTAssertTrue(try TimestampToken(der: der).verify(sha256: digest, trust: try trust()).isValid)

        // Both refuse another digest.
        let other = SHA256.hash("another line")
        let wrong = try verify([], digest: Hex.encode(other))
        XCTAssertEqual(wrong.status, 1)
        XCTAssertEqual(wrong.stdout, "Verification: FAILED\n")
        XCTAssertTrue(wrong.stderr.contains("message imprint mismatch"), wrong.stderr)
        XCTAssertFalse(try TimestampToken(der: der).verify(sha256: other, trust: try trust()).isValid)

        // Both refuse another authority's CA.
        let otherCA = try openssl(["ts", "-verify", "-digest", hex, "-in", path, "-CAfile", tsa.otherCACertificatePath])
        XCTAssertEqual(otherCA.status, 1, otherCA.stdout)

        // Without an embedded certificate, -untrusted TSA.pem is needed, for both.
        let (_, bare) = try stamp(certReq: false)
        let barePath = directory.write("no-cert.tsr", bytes: bare)
        XCTAssertEqual(try verify([], file: barePath).status, 1)
        XCTAssertEqual(try verify(["-untrusted", tsa.tsaCertificatePath], file: barePath).status, 0)

        // A bare token: -token_in.
        let (_, tokenOnly) = try stamp(tokenOnly: true)
        let tokenPath = directory.write("token.tst", bytes: tokenOnly)
        let token = try verify(["-token_in"], file: tokenPath)
        XCTAssertEqual(token.status, 0, token.stderr)
        XCTAssertEqual(token.stdout, "Verification: OK\n")
    }
}

/// Results written from concurrent iterations, one slot each.
private final class ConcurrentResults: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [Bool]

    init(count: Int) { storage = Array(repeating: false, count: count) }

    func set(_ index: Int, _ value: Bool) {
        lock.lock()
        storage[index] = value
        lock.unlock()
    }

    var values: [Bool] {
        lock.lock()
        defer { lock.unlock() }
        return storage
    }
}
