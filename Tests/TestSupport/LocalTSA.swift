import Foundation

/// Thrown when the local TSA cannot run here (no openssl or python3): tests turn it into an
/// `XCTSkip` with this message, so a missing tool shows as a skip with a reason, never a pass.
public struct LocalTSAUnavailable: Error, CustomStringConvertible {
    public let description: String
}

/// A Time-Stamping Authority on the loopback interface, made with the real openssl CLI, for tests
/// of csirt's RFC 3161 client and verifier.
///
/// `create(in:)` writes, in `directory`:
/// - `ca.pem` / `ca.key`: a self-signed CA (basicConstraints critical CA:TRUE);
/// - `tsa.pem` / `tsa.key`: the TSA certificate it signs, `extendedKeyUsage = critical,timeStamping`;
/// - `other-ca.pem`, `other-tsa.pem` (+ keys): a second, unrelated authority and its TSA;
/// - `tsa.cnf`: an openssl config whose `[tsa_trusted]` section (also `[tsa_untrusted]`,
///   `[tsa_rejecting]`, `[tsa_short]`) is what `openssl ts -reply -config tsa.cnf` signs with:
///   SHA-256 ESS cert id, accuracy, ordering, the TSA name, millisecond genTime, a serial file.
///
/// `start(in:)` also runs `LocalTSAScript` (python3 http.server) on 127.0.0.1 and waits for its
/// port. The child is stopped by `stop()`, by `deinit`, and by itself when this process exits
/// (it watches its stdin), so a failing or crashing test leaves no process behind.
public final class LocalTSA {
    /// The URL paths of the responder; see `LocalTSAScript` for what each does.
    public enum Behaviour: String, CaseIterable, Sendable {
        case normal = "/tsr"
        case chunked = "/chunked"
        case closeDelimited = "/close-delimited"
        case untrustedSigner = "/untrusted"
        case shortLivedSigner = "/short-lived"
        case rejection = "/rejection"
        case http500 = "/http500"
        case wrongContentType = "/wrong-type"
        case hang = "/hang"
        case oversize = "/oversize"
        case oversizeChunked = "/oversize-chunked"
        case oversizeCloseDelimited = "/oversize-close"
        /// Requires basic authentication as `LocalTSA.basicAuthUser:basicAuthPassword`.
        case basicAuth = "/auth"
    }

    /// The `[tsa_*]` sections of the config: who signs.
    public enum Signer: String, Sendable {
        case trusted = "tsa_trusted"
        /// Certified by the other CA: a valid token that csirt's CA does not vouch for.
        case untrusted = "tsa_untrusted"
        /// Accepts only SHA-512 imprints, so it rejects csirt's SHA-256 requests (badAlg).
        case rejecting = "tsa_rejecting"
        /// Uses the certificate from `makeShortLivedSigner(validFor:)`.
        case shortLived = "tsa_short"
    }

    public static let defaultPolicy = "1.2.3.4.1"
    public static let basicAuthUser = "user"
    public static let basicAuthPassword = "pass"

    public let directory: String
    public let openssl: String
    public var configPath: String { file("tsa.cnf") }
    public var caCertificatePath: String { file("ca.pem") }
    public var tsaCertificatePath: String { file("tsa.pem") }
    public var otherCACertificatePath: String { file("other-ca.pem") }
    public var otherTSACertificatePath: String { file("other-tsa.pem") }
    /// The short-lived TSA certificate (after `makeShortLivedSigner`).
    public var shortLivedTSACertificatePath: String { file("tsa-short.pem") }
    /// The self-signed server certificate (DNS:localhost) of an https responder.
    public var tlsCertificatePath: String { file("tls.pem") }

    public private(set) var port: Int?
    public private(set) var isHTTPS = false
    /// The loopback address the responder listens on: 127.0.0.1 or ::1.
    public private(set) var listenAddress = "127.0.0.1"
    /// The responder's process id while it runs.
    public var processIdentifier: Int32? { process?.processIdentifier }
    private var process: Process?
    private var stdinPipe: Pipe?

    private init(directory: String, openssl: String) {
        self.directory = directory
        self.openssl = openssl
    }

    deinit {
        stop()
    }

    public func file(_ name: String) -> String { directory + "/" + name }

    /// Makes the two authorities and the config, without starting a server (for tests that run
    /// `openssl ts -reply` directly through `reply(to:signer:)`).
    public static func create(in directory: String) throws -> LocalTSA {
        guard let openssl = Self.findExecutable("openssl") else {
            throw LocalTSAUnavailable(description: "the openssl CLI is not on PATH; the local TSA needs it to make certificates and sign tokens")
        }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let tsa = LocalTSA(directory: directory, openssl: openssl)
        try tsa.makeAuthorities()
        return tsa
    }

    /// `create(in:)`, then the HTTP responder on `listenAddress` (127.0.0.1, or ::1 for IPv6);
    /// https with a self-signed certificate for `localhost` when `https`.
    public static func start(in directory: String, https: Bool = false, listenAddress: String = "127.0.0.1") throws -> LocalTSA {
        guard findPython() != nil else { throw pythonUnavailable }
        let tsa = try create(in: directory)
        try tsa.serve(https: https, listenAddress: listenAddress)
        return tsa
    }

    /// `scheme://host:port/path` of a behaviour; `host` defaults to the listen address (use
    /// "localhost" for https, whose certificate names only that).
    public func url(_ behaviour: Behaviour = .normal, host: String? = nil, userInfo: String? = nil) -> String {
        let name = host ?? (listenAddress.contains(":") ? "[\(listenAddress)]" : listenAddress)
        return "\(isHTTPS ? "https" : "http")://\(userInfo.map { $0 + "@" } ?? "")\(name):\(port ?? 0)\(behaviour.rawValue)"
    }

    /// The request line and headers of the last request the responder received.
    public var lastRequestHead: String {
        (try? String(contentsOfFile: file("last-request.txt"), encoding: .utf8)) ?? ""
    }

    /// Signs `query` with `openssl ts -reply` directly (no HTTP): the DER TimeStampResp.
    public func reply(to query: [UInt8], signer: Signer = .trusted, tokenOnly: Bool = false) throws -> [UInt8] {
        let name = UUID().uuidString
        let queryPath = file("\(name).tsq"), responsePath = file("\(name).tsr")
        defer {
            try? FileManager.default.removeItem(atPath: queryPath)
            try? FileManager.default.removeItem(atPath: responsePath)
        }
        guard FileManager.default.createFile(atPath: queryPath, contents: Data(query)) else { throw TestFailure("cannot write \(queryPath)") }
        try run(["ts", "-reply", "-config", configPath, "-section", signer.rawValue, "-queryfile", queryPath, "-out", responsePath]
            + (tokenOnly ? ["-token_out"] : []))
        return try [UInt8](Data(contentsOf: URL(fileURLWithPath: responsePath)))
    }

    /// Issues `tsa-short.pem` (for `Signer.shortLived` / `.shortLivedSigner`), valid from an hour
    /// ago until `seconds` from now, with `openssl ca` (the only 3.0 CLI that takes exact dates).
    public func makeShortLivedSigner(validFor seconds: Int) throws {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMddHHmmss'Z'"
        let now = Date()
        try run(["req", "-new", "-config", configPath, "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                 "-keyout", file("tsa-short.key"), "-out", file("tsa-short.csr"), "-subj", "/O=csirt tests/CN=csirt short-lived TSA"])
        try run(["ca", "-config", configPath, "-name", "ca_short", "-batch", "-notext",
                 "-cert", caCertificatePath, "-keyfile", file("ca.key"), "-in", file("tsa-short.csr"), "-out", shortLivedTSACertificatePath,
                 "-startdate", formatter.string(from: now.addingTimeInterval(-3600)),
                 "-enddate", formatter.string(from: now.addingTimeInterval(TimeInterval(seconds))),
                 "-extfile", configPath, "-extensions", "v3_tsa"])
    }

    /// Starts the responder (idempotent).
    public func serve(https: Bool = false, listenAddress: String = "127.0.0.1") throws {
        guard process == nil else { return }
        guard let python = Self.findPython() else { throw Self.pythonUnavailable }
        if https {
            try run(["req", "-x509", "-config", configPath, "-extensions", "v3_tls", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                     "-nodes", "-keyout", file("tls.key"), "-out", tlsCertificatePath, "-days", "30", "-subj", "/CN=localhost"])
        }
        let script = file("local-tsa.py"), portFile = file("port")
        try LocalTSAScript.source.write(toFile: script, atomically: true, encoding: .utf8)
        try? FileManager.default.removeItem(atPath: portFile)
        _ = FileManager.default.createFile(atPath: file("local-tsa.log"), contents: nil)

        let child = Process()
        child.executableURL = URL(fileURLWithPath: python)
        child.arguments = [script, directory, openssl, portFile] + (https ? [tlsCertificatePath, file("tls.key")] : [])
        child.environment = ProcessInfo.processInfo.environment.merging(["LOCAL_TSA_HOST": listenAddress]) { _, new in new }
        let input = Pipe()
        child.standardInput = input
        child.standardOutput = FileHandle.nullDevice
        child.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: file("local-tsa.log")))
        try child.run()
        process = child
        stdinPipe = input
        isHTTPS = https
        self.listenAddress = listenAddress

        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline {
            if let text = try? String(contentsOfFile: portFile, encoding: .utf8), let value = Int(text) {
                port = value
                return
            }
            guard child.isRunning else { break }
            usleep(20_000)
        }
        let log = (try? String(contentsOfFile: file("local-tsa.log"), encoding: .utf8)) ?? ""
        stop()
        throw TestFailure("the local TSA responder did not start: \(log)")
    }

    /// Stops the responder and waits for it to exit (SIGTERM, then SIGKILL after 2 s).
    public func stop() {
        guard let child = process else { return }
        process = nil
        try? stdinPipe?.fileHandleForWriting.close()
        stdinPipe = nil
        if child.isRunning { child.terminate() }
        let deadline = Date().addingTimeInterval(2)
        while child.isRunning && Date() < deadline { usleep(10_000) }
        if child.isRunning { kill(child.processIdentifier, SIGKILL) }
        child.waitUntilExit()
        port = nil
    }

    // MARK: - Making the authorities

    private func makeAuthorities() throws {
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
        for name in ["serial", "other-serial", "reject-serial", "short-serial"] {
            try "01\n".write(toFile: file(name), atomically: true, encoding: .utf8)
        }
        try "1000\n".write(toFile: file("ca-serial"), atomically: true, encoding: .utf8)
        _ = FileManager.default.createFile(atPath: file("ca-index.txt"), contents: nil)
        try FileManager.default.createDirectory(atPath: file("ca-newcerts"), withIntermediateDirectories: true)

        try makeCA("ca", subject: "/O=csirt tests/CN=csirt test TSA root")
        try makeTSA("tsa", issuer: "ca", subject: "/O=csirt tests/CN=csirt test TSA", serial: "2")
        try makeCA("other-ca", subject: "/O=another authority/CN=another TSA root")
        try makeTSA("other-tsa", issuer: "other-ca", subject: "/O=another authority/CN=another TSA", serial: "2")
    }

    private func makeCA(_ name: String, subject: String) throws {
        try run(["req", "-x509", "-config", configPath, "-extensions", "v3_ca", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                 "-nodes", "-keyout", file("\(name).key"), "-out", file("\(name).pem"), "-days", "3650", "-subj", subject])
    }

    private func makeTSA(_ name: String, issuer: String, subject: String, serial: String) throws {
        try run(["req", "-new", "-config", configPath, "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                 "-keyout", file("\(name).key"), "-out", file("\(name).csr"), "-subj", subject])
        try run(["x509", "-req", "-in", file("\(name).csr"), "-CA", file("\(issuer).pem"), "-CAkey", file("\(issuer).key"),
                 "-set_serial", serial, "-days", "3650", "-extfile", configPath, "-extensions", "v3_tsa", "-out", file("\(name).pem")])
    }

    private var config: String {
        let tsaCommon = """
            crypto_device = builtin
            signer_digest = sha256
            default_policy = \(Self.defaultPolicy)
            other_policies = 1.2.3.4.5
            accuracy = secs:1, millisecs:500, microsecs:100
            clock_precision_digits = 3
            ordering = yes
            tsa_name = yes
            ess_cert_id_chain = no
            ess_cert_id_alg = sha256
            """
        return """
            # Written by LocalTSA for csirt's tests.
            dir = \(directory)

            [req]
            distinguished_name = req_dn
            prompt = no
            [req_dn]
            CN = unused

            [v3_ca]
            basicConstraints = critical,CA:TRUE
            keyUsage = critical,keyCertSign,cRLSign
            subjectKeyIdentifier = hash

            [v3_tsa]
            basicConstraints = critical,CA:FALSE
            keyUsage = critical,digitalSignature,nonRepudiation
            extendedKeyUsage = critical,timeStamping
            subjectKeyIdentifier = hash
            authorityKeyIdentifier = keyid,issuer

            [v3_tls]
            basicConstraints = critical,CA:FALSE
            extendedKeyUsage = serverAuth
            subjectAltName = DNS:localhost

            # `openssl ca -name ca_short`, for the short-lived TSA certificate.
            [ca_short]
            database = $dir/ca-index.txt
            new_certs_dir = $dir/ca-newcerts
            serial = $dir/ca-serial
            default_md = sha256
            policy = policy_any
            unique_subject = no
            [policy_any]
            organizationName = optional
            commonName = supplied

            [tsa]
            default_tsa = tsa_trusted

            [tsa_trusted]
            serial = $dir/serial
            signer_cert = $dir/tsa.pem
            signer_key = $dir/tsa.key
            certs = $dir/ca.pem
            digests = sha256, sha384, sha512
            \(tsaCommon)

            [tsa_untrusted]
            serial = $dir/other-serial
            signer_cert = $dir/other-tsa.pem
            signer_key = $dir/other-tsa.key
            certs = $dir/other-ca.pem
            digests = sha256, sha384, sha512
            \(tsaCommon)

            [tsa_rejecting]
            serial = $dir/reject-serial
            signer_cert = $dir/tsa.pem
            signer_key = $dir/tsa.key
            certs = $dir/ca.pem
            digests = sha512
            \(tsaCommon)

            [tsa_short]
            serial = $dir/short-serial
            signer_cert = $dir/tsa-short.pem
            signer_key = $dir/tsa-short.key
            certs = $dir/ca.pem
            digests = sha256
            \(tsaCommon)

            """
    }

    // MARK: - Tools

    /// Runs openssl; a failure throws with its output.
    @discardableResult
    public func run(_ arguments: [String]) throws -> ProcessResult {
        let result = try TestProcess.run(openssl, arguments, environment: ["OPENSSL_CONF": configPath])
        guard result.status == 0 else {
            throw TestFailure("openssl \(arguments.joined(separator: " ")) failed (\(result.status)): \(result.stderr)\(result.stdout)")
        }
        return result
    }

    private static let pythonUnavailable = LocalTSAUnavailable(
        description: "python3 (with its ssl and http.server modules) is not on PATH; the local TSA's HTTP responder needs it")

    public static func findExecutable(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// The real python3 interpreter (not a pyenv-style shim script), checked to have the modules
    /// the responder uses. Running the interpreter itself makes the child's pid the server's pid,
    /// so stopping it cannot leave a grandchild running.
    static func findPython() -> String? {
        guard let python3 = findExecutable("python3"),
              let result = try? TestProcess.run(python3, ["-c", "import sys, ssl, http.server; print(sys.executable)"]),
              result.status == 0
        else { return nil }
        let executable = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        return FileManager.default.isExecutableFile(atPath: executable) ? executable : python3
    }
}
