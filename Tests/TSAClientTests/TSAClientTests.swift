import CSIRTCrypto
import Foundation
import TestSupport
import TSAClient
import XCTest

/// The TSA client against the local TSA's real HTTP (and HTTPS) responder.
final class TSAClientTests: XCTestCase {
    private var directory: TemporaryDirectory!
    private var tsa: LocalTSA!

    override func setUp() {
        directory = TemporaryDirectory()
    }

    override func tearDown() {
        tsa?.stop()
        tsa = nil
        directory = nil
    }

    private func startTSA(https: Bool = false) throws -> LocalTSA {
        do {
            tsa = try LocalTSA.start(in: directory.path, https: https)
            return tsa
        } catch let unavailable as LocalTSAUnavailable {
            throw XCTSkip(unavailable.description)
        }
    }

    private let digest = SHA256.hash(#"{"checkpoint":{"size":7}}"#)

    private func trust(_ tsa: LocalTSA) throws -> TimestampTrust {
        try TimestampTrust(caBundlePEM: [UInt8](Data(contentsOf: URL(fileURLWithPath: tsa.caCertificatePath))), source: tsa.caCertificatePath)
    }

    /// The error `post` throws, failing the test if it returns.
    private func postError(_ client: TSAHTTPClient = TSAHTTPClient(), to url: String,
                           file: StaticString = #filePath, line: UInt = #line) throws -> TSAClientError {
        let request = try TimestampRequest(sha256: digest)
        do {
            let body = try client.post(query: request.der, to: url)
            XCTFail("expected an error, got \(body.count) bytes", file: file, line: line)
            throw TestFailure("no error")
        } catch let error as TSAClientError {
            return error
        }
    }

    // MARK: - Success

    func testRequestOverHTTPVerifies() throws {
        let tsa = try startTSA()
        for behaviour in [LocalTSA.Behaviour.normal, .chunked, .closeDelimited] {
            let request = try TimestampRequest(sha256: digest)
            let body = try TSAHTTPClient(timeout: .seconds(10)).post(query: request.der, to: tsa.url(behaviour))
            let response = try TimestampResponse(der: body)
            XCTAssertEqual(response.status, .granted, "\(behaviour)")
            let token = try XCTUnwrap(response.token)
            let result = token.verify(sha256: digest, nonce: request.nonce, trust: try trust(tsa))
            XCTAssertTrue(result.isValid, "\(behaviour): \(result.failureReason ?? "")")
            XCTAssertEqual(abs(token.genTime.unixSeconds - Int64(Date().timeIntervalSince1970)), 0, accuracy: 60)
        }
        let head = tsa.lastRequestHead
        XCTAssertTrue(head.hasPrefix("POST /close-delimited HTTP/1.1\n"), head)
        XCTAssertTrue(head.contains("Content-Type: application/timestamp-query"), head)
        XCTAssertTrue(head.contains("Accept: application/timestamp-reply"), head)
        XCTAssertTrue(head.contains("Host: 127.0.0.1:\(tsa.port!)"), head)
        XCTAssertFalse(head.contains("Authorization"), head)
    }

    func testBasicAuthentication() throws {
        let tsa = try startTSA()
        let request = try TimestampRequest(sha256: digest)
        let body = try TSAHTTPClient().post(query: request.der, to: tsa.url(.basicAuth, userInfo: "\(LocalTSA.basicAuthUser):\(LocalTSA.basicAuthPassword)"))
        XCTAssertEqual(try TimestampResponse(der: body).status, .granted)
        XCTAssertTrue(tsa.lastRequestHead.contains("Authorization: Basic dXNlcjpwYXNz"), tsa.lastRequestHead)

        let refused = try postError(to: tsa.url(.basicAuth))
        XCTAssertEqual(refused.message, "\(tsa.url(.basicAuth)): the TSA answered HTTP 401 Unauthorized")
        // A wrong password is sent, refused, and never shown.
        let wrong = try postError(to: tsa.url(.basicAuth, userInfo: "user:s%65cret"))
        XCTAssertEqual(wrong.message, "http://user:***@127.0.0.1:\(tsa.port!)/auth: the TSA answered HTTP 401 Unauthorized")
        XCTAssertTrue(tsa.lastRequestHead.contains("Authorization: Basic " + Data("user:secret".utf8).base64EncodedString()), tsa.lastRequestHead)
    }

    func testIPv6Loopback() throws {
        guard Self.canListenOnIPv6Loopback() else { throw XCTSkip("no IPv6 loopback (::1) on this machine") }
        do {
            tsa = try LocalTSA.start(in: directory.path, listenAddress: "::1")
        } catch let unavailable as LocalTSAUnavailable {
            throw XCTSkip(unavailable.description)
        }
        let url = tsa.url()
        XCTAssertTrue(url.hasPrefix("http://[::1]:"), url)
        let request = try TimestampRequest(sha256: digest)
        let body = try TSAHTTPClient().post(query: request.der, to: url)
        XCTAssertTrue(try XCTUnwrap(TimestampResponse(der: body).token).verify(sha256: digest, nonce: request.nonce, trust: try trust(tsa)).isValid)
        XCTAssertTrue(tsa.lastRequestHead.contains("Host: [::1]:\(tsa.port!)"), tsa.lastRequestHead)
    }

    func testLocalTSALeavesNoProcessBehind() throws {
        let tsa = try startTSA()
        let pid = try XCTUnwrap(tsa.processIdentifier)
        XCTAssertEqual(kill(pid, 0), 0, "the responder runs")
        tsa.stop()
        XCTAssertEqual(kill(pid, 0), -1)
        XCTAssertEqual(errno, ESRCH, "stop() leaves no process")

        // Dropping the last reference stops it too (a test that throws halfway).
        var other: LocalTSA? = try LocalTSA.start(in: directory.path + "/second-" + UUID().uuidString.prefix(8).description, https: false)
        let otherPID = try XCTUnwrap(other?.processIdentifier)
        other = nil
        XCTAssertNil(other)
        XCTAssertEqual(kill(otherPID, 0), -1)
        XCTAssertEqual(errno, ESRCH, "deinit leaves no process")
    }

    // MARK: - Failures

    /// A loopback TCP socket bound to a free port (listening with `backlog` when given); the
    /// caller closes it.
    private static func loopbackSocket(listen backlog: Int32? = nil) -> (fd: Int32, port: UInt16) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let port: UInt16 = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                _ = bind(fd, raw, length)
                if let backlog { _ = listen(fd, backlog) }
                _ = getsockname(fd, raw, &length)
            }
            return UInt16(bigEndian: pointer.pointee.sin_port)
        }
        return (fd, port)
    }

    private static func canListenOnIPv6Loopback() -> Bool {
        let fd = socket(AF_INET6, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in6()
        address.sin6_family = sa_family_t(AF_INET6)
        address.sin6_addr = in6addr_loopback
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) == 0 }
        }
    }

    func testConnectTimeoutIsHonoured() throws {
        // A listener that never accepts, its backlog full: further SYNs go unanswered.
        let listener = Self.loopbackSocket(listen: 0)
        defer { close(listener.fd) }
        var fillers: [Int32] = []
        defer { fillers.forEach { close($0) } }
        for _ in 0..<8 {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = listener.port.bigEndian
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            _ = withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            fillers.append(fd)
        }
        usleep(200_000)

        let url = "http://127.0.0.1:\(listener.port)/tsr"
        let started = Date()
        let error = try postError(TSAHTTPClient(timeout: .milliseconds(1500)), to: url)
        let elapsed = Date().timeIntervalSince(started)
        XCTAssertEqual(error.message, "\(url): cannot connect: no connection within 1.5 s")
        XCTAssertGreaterThanOrEqual(elapsed, 1.4)
        XCTAssertLessThan(elapsed, 3)
    }

    func testConnectionRefusedFailsFast() throws {
        // A port that was free a moment ago: bind, read the port, close.
        let (fd, port) = Self.loopbackSocket()
        close(fd)
        XCTAssertNotEqual(port, 0)

        let url = "http://127.0.0.1:\(port)/tsr"
        let started = Date()
        let error = try postError(TSAHTTPClient(timeout: .seconds(20)), to: url)
        XCTAssertEqual(error.message, "\(url): cannot connect: Connection refused")
        XCTAssertLessThan(Date().timeIntervalSince(started), 2)
    }

    func testHTTP500() throws {
        let tsa = try startTSA()
        let error = try postError(to: tsa.url(.http500))
        XCTAssertEqual(error.message, "\(tsa.url(.http500)): the TSA answered HTTP 500 Internal Server Error")
    }

    func testNotFound() throws {
        let tsa = try startTSA()
        let url = "http://127.0.0.1:\(tsa.port!)/no-such-path"
        XCTAssertEqual(try postError(to: url).message, "\(url): the TSA answered HTTP 404 Not Found")
    }

    func testWrongContentType() throws {
        let tsa = try startTSA()
        let error = try postError(to: tsa.url(.wrongContentType))
        XCTAssertEqual(error.message,
                       "\(tsa.url(.wrongContentType)): the TSA answered with Content-Type text/html; charset=utf-8, expected application/timestamp-reply")
    }

    func testRejectionStatusArrivesAsAResponse() throws {
        let tsa = try startTSA()
        let body = try TSAHTTPClient().post(query: try TimestampRequest(sha256: digest).der, to: tsa.url(.rejection))
        let response = try TimestampResponse(der: body)
        XCTAssertEqual(response.status, .rejection)
        XCTAssertEqual(response.failureInfo, [.badAlg])
        XCTAssertNil(response.token)
        XCTAssertThrowsError(try TimestampToken(der: body)) { XCTAssertTrue("\($0)".contains("did not grant"), "\($0)") }
    }

    func testServerThatNeverAnswersTimesOut() throws {
        let tsa = try startTSA()
        let started = Date()
        let error = try postError(TSAHTTPClient(timeout: .seconds(2)), to: tsa.url(.hang))
        let elapsed = Date().timeIntervalSince(started)
        XCTAssertEqual(error.message, "\(tsa.url(.hang)): timed out after 2 s waiting for the response")
        XCTAssertGreaterThanOrEqual(elapsed, 1.9)
        XCTAssertLessThan(elapsed, 4)
    }

    func testOversizedBodiesAreRefused() throws {
        let tsa = try startTSA()
        XCTAssertEqual(try postError(to: tsa.url(.oversize)).message,
                       "\(tsa.url(.oversize)): the response body of 2097152 bytes is larger than the 1 MiB csirt accepts")
        let chunked = try postError(to: tsa.url(.oversizeChunked))
        XCTAssertTrue(chunked.message.hasPrefix("\(tsa.url(.oversizeChunked)): the response body (chunked, over "), chunked.message)
        XCTAssertTrue(chunked.message.hasSuffix("bytes) is larger than the 1 MiB csirt accepts"), chunked.message)
        XCTAssertEqual(try postError(to: tsa.url(.oversizeCloseDelimited)).message,
                       "\(tsa.url(.oversizeCloseDelimited)): the response body (sent without a length) is larger than the 1 MiB csirt accepts")
    }

    func testUnusableURLs() throws {
        for (url, message) in [
            ("ftp://tsa.example/tsr", "ftp://tsa.example/tsr: not an http:// or https:// URL"),
            ("tsa.example/tsr", "tsa.example/tsr: not an http:// or https:// URL"),
            ("http:///tsr", "http:///tsr: no host name"),
            ("http://tsa.example:99999/tsr", "http://tsa.example:99999/tsr: \"99999\" is not a port number (1–65535)"),
            ("http://tsa.example/a b", "http://tsa.example/a b: not a valid URL (spaces, control or non-ASCII characters must be percent-encoded)"),
            ("https://u:secret@[::1/tsr", "https://u:***@[::1/tsr: unterminated IPv6 address"),
        ] {
            XCTAssertEqual(try postError(to: url).message, message)
        }
        XCTAssertEqual(try postError(TSAHTTPClient(timeout: .zero), to: "http://127.0.0.1:1/").message,
                       "http://127.0.0.1:1/: the timeout must be positive")
    }

    // MARK: - HTTPS

    func testHTTPSWithTheServerCertificateAsExtraCA() throws {
        let tsa = try startTSA(https: true)
        let url = tsa.url(.normal, host: "localhost")
        XCTAssertTrue(url.hasPrefix("https://localhost:"), url)
        let request = try TimestampRequest(sha256: digest)
        let body = try TSAHTTPClient(timeout: .seconds(10), extraCAFile: tsa.tlsCertificatePath).post(query: request.der, to: url)
        let token = try XCTUnwrap(try TimestampResponse(der: body).token)
        XCTAssertTrue(token.verify(sha256: digest, nonce: request.nonce, trust: try trust(tsa)).isValid)
        XCTAssertTrue(tsa.lastRequestHead.contains("Host: localhost:\(tsa.port!)"), tsa.lastRequestHead)

        // Chunked over TLS too.
        let chunked = try TSAHTTPClient(extraCAFile: tsa.tlsCertificatePath).post(query: request.der, to: tsa.url(.chunked, host: "localhost"))
        XCTAssertEqual(try TimestampResponse(der: chunked).status, .granted)
    }

    func testHTTPSIsRefusedWithoutTheCA() throws {
        let tsa = try startTSA(https: true)
        let url = tsa.url(.normal, host: "localhost")
        XCTAssertEqual(try postError(to: url).message,
                       "\(url): TLS handshake failed: the server's certificate is not trusted: self-signed certificate")
    }

    func testHTTPSChecksTheHostName() throws {
        let tsa = try startTSA(https: true)
        // The certificate names DNS:localhost only.
        let url = tsa.url(.normal, host: "127.0.0.1")
        XCTAssertEqual(try postError(TSAHTTPClient(extraCAFile: tsa.tlsCertificatePath), to: url).message,
                       "\(url): TLS handshake failed: the server's certificate is not trusted: IP address mismatch")
    }

    func testHTTPSWithAMissingCAFile() throws {
        let tsa = try startTSA(https: true)
        let url = tsa.url(.normal, host: "localhost")
        let error = try postError(TSAHTTPClient(extraCAFile: directory.file("missing.pem")), to: url)
        XCTAssertTrue(error.message.hasPrefix("\(url): cannot load CA certificates from \(directory.file("missing.pem"))"), error.message)
    }

    func testPlainHTTPToATLSServerFails() throws {
        let tsa = try startTSA(https: true)
        let url = "http://127.0.0.1:\(tsa.port!)/tsr"
        let error = try postError(TSAHTTPClient(timeout: .seconds(5)), to: url)
        // The TLS server drops the connection on the plaintext request: a close or a reset.
        XCTAssertTrue(["\(url): the server closed the connection without answering",
                       "\(url): cannot receive the response: Connection reset by peer"].contains(error.message), error.message)
    }
}
