import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import COpenSSL

final class TSAConnection {
    private let fd: Int32
    private let deadline: ContinuousClock.Instant
    private let timeout: Duration
    private let url: String
    private var tls: (context: OpaquePointer, ssl: OpaquePointer, incoming: OpaquePointer, outgoing: OpaquePointer)?

    init(_ target: TSAURL, deadline: ContinuousClock.Instant, timeout: Duration, extraCAFile: String?) throws {
        self.deadline = deadline
        self.timeout = timeout
        url = target.display
        fd = try Self.openSocket(target, deadline: deadline, timeout: timeout)
        if target.isHTTPS {
            do {
                try startTLS(target, extraCAFile: extraCAFile)
            } catch {
                closeAll()
                throw error
            }
        }
    }

    deinit {
        closeAll()
    }

    private func closeAll() {
        if let tls {
            // SSL_free frees the two memory BIOs given to SSL_set_bio.
            SSL_free(tls.ssl)
            SSL_CTX_free(tls.context)
            self.tls = nil
        }
        if fd >= 0 { close(fd) }
    }

    // MARK: TCP

    private static func openSocket(_ target: TSAURL, deadline: ContinuousClock.Instant, timeout: Duration) throws -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(target.host, String(target.port), &hints, &list)
        guard status == 0, let list else {
            let reason = status == EAI_SYSTEM ? String(cString: strerror(errno)) : String(cString: gai_strerror(status))
            throw TSAClientError("\(target.display): cannot resolve \(target.host): \(reason)")
        }
        defer { freeaddrinfo(list) }

        // Try each address in turn (e.g. ::1 then 127.0.0.1 for "localhost") within the deadline.
        var lastError = "no address"
        var entry: UnsafeMutablePointer<addrinfo>? = list
        while let address = entry {
            entry = address.pointee.ai_next
            let fd = socket(address.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), address.pointee.ai_protocol)
            if fd < 0 {
                lastError = String(cString: strerror(errno))
                continue
            }
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            var code: Int32 = 0
            if connect(fd, address.pointee.ai_addr, address.pointee.ai_addrlen) != 0 {
                code = errno
                if code == EINPROGRESS {
                    guard let result = awaitConnection(fd, until: deadline) else {
                        close(fd)
                        throw TSAClientError("\(target.display): cannot connect: no connection within \(describe(timeout))")
                    }
                    code = result
                }
            }
            if code == 0 { return fd }
            lastError = String(cString: strerror(code))
            close(fd)
        }
        throw TSAClientError("\(target.display): cannot connect: \(lastError)")
    }

    /// Waits for a non-blocking connect to finish: 0 or the errno it failed with; nil on timeout.
    private static func awaitConnection(_ fd: Int32, until deadline: ContinuousClock.Instant) -> Int32? {
        var pending = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        while let milliseconds = milliseconds(until: deadline) {
            let ready = poll(&pending, 1, milliseconds)
            if ready > 0 {
                var code: Int32 = 0
                var length = socklen_t(MemoryLayout<Int32>.size)
                return getsockopt(fd, SOL_SOCKET, SO_ERROR, &code, &length) == 0 ? code : errno
            }
            if ready < 0 && errno != EINTR { return errno }
        }
        return nil
    }

    /// Milliseconds left before the deadline for poll(2), rounded up; nil once it has passed.
    static func milliseconds(until deadline: ContinuousClock.Instant) -> Int32? {
        let left = deadline - ContinuousClock.now
        guard left > .zero else { return nil }
        let (seconds, attoseconds) = left.components
        let milliseconds = seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 1
        return Int32(clamping: milliseconds)
    }

    static func describe(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let milliseconds = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        return milliseconds % 1000 == 0 ? "\(milliseconds / 1000) s" : "\(Double(milliseconds) / 1000) s"
    }

    /// Waits until the socket is ready for `events` or the deadline passes.
    private func wait(for events: Int32, _ phase: String) throws {
        while true {
            guard let milliseconds = Self.milliseconds(until: deadline) else {
                throw TSAClientError("\(url): timed out after \(Self.describe(timeout)) \(phase)")
            }
            var descriptor = pollfd(fd: fd, events: Int16(events), revents: 0)
            let ready = poll(&descriptor, 1, milliseconds)
            if ready > 0 { return }
            if ready < 0 && errno != EINTR {
                throw TSAClientError("\(url): \(phase): \(String(cString: strerror(errno)))")
            }
        }
    }

    private func rawSend(_ bytes: UnsafeRawBufferPointer, _ phase: String) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = send(fd, bytes.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
            if sent >= 0 {
                offset += sent
            } else if errno == EAGAIN || errno == EWOULDBLOCK {
                try wait(for: Int32(POLLOUT), phase)
            } else if errno != EINTR {
                throw TSAClientError("\(url): cannot send the request: \(String(cString: strerror(errno)))")
            }
        }
    }

    /// Up to `maximum` bytes; empty at end of stream.
    private func rawReceive(maximum: Int, _ phase: String) throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: maximum)
        while true {
            let received = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, maximum, 0) }
            if received >= 0 { return Array(buffer.prefix(received)) }
            if errno == EAGAIN || errno == EWOULDBLOCK {
                try wait(for: Int32(POLLIN), phase)
            } else if errno != EINTR {
                throw TSAClientError("\(url): cannot receive the response: \(String(cString: strerror(errno)))")
            }
        }
    }

    // MARK: TLS

    private func startTLS(_ target: TSAURL, extraCAFile: String?) throws {
        ERR_clear_error()
        guard let context = SSL_CTX_new(TLS_client_method()) else { throw tlsError("cannot create a TLS context") }
        // The context is configured completely before SSL_new: SSL_new copies the verify mode and
        // the protocol bounds, so settings made on the context afterwards would not apply.
        func configure() throws {
            guard csirt_SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION) == 1 else { throw tlsError("cannot require TLS 1.2") }
            SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
            guard SSL_CTX_set_default_verify_paths(context) == 1 else { throw tlsError("cannot load the system CA certificates") }
            if let extraCAFile {
                guard SSL_CTX_load_verify_file(context, extraCAFile) == 1 else {
                    throw tlsError("cannot load CA certificates from \(extraCAFile)")
                }
            }
        }
        do {
            try configure()
        } catch {
            SSL_CTX_free(context)
            throw error
        }
        guard let ssl = SSL_new(context) else {
            SSL_CTX_free(context)
            throw tlsError("cannot create a TLS connection")
        }
        let incoming = BIO_new(BIO_s_mem()), outgoing = BIO_new(BIO_s_mem())
        guard let incoming, let outgoing else {
            BIO_free(incoming)
            BIO_free(outgoing)
            SSL_free(ssl)
            SSL_CTX_free(context)
            throw tlsError("cannot create TLS buffers")
        }
        // From here the SSL owns both BIOs, and closeAll frees the SSL and the context.
        SSL_set_bio(ssl, incoming, outgoing)
        tls = (context, ssl, incoming, outgoing)

        // The name to check is set per connection: a host name (also sent as SNI) against the
        // certificate's DNS names, an IP address against its IP SANs (RFC 6066 forbids IP SNI).
        if target.isIPAddress {
            guard X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), target.host) == 1 else {
                throw tlsError("cannot set the expected IP address")
            }
        } else {
            guard SSL_set1_host(ssl, target.host) == 1, csirt_SSL_set_tlsext_host_name(ssl, target.host) == 1 else {
                throw tlsError("cannot set the expected host name")
            }
        }
        SSL_set_connect_state(ssl)
        let result = try drive("during the TLS handshake", handshake: true) { SSL_do_handshake(ssl) }
        guard result == 1 else { throw TSAClientError("\(url): TLS handshake failed: the server closed the connection") }
    }

    /// Runs one SSL operation to completion, moving bytes between the socket and the memory
    /// BIOs as OpenSSL asks. Returns the operation's result; 0 for a clean TLS close or the end of
    /// the TCP stream.
    private func drive(_ phase: String, handshake: Bool = false, _ operation: () -> Int32) throws -> Int32 {
        guard let tls else { return 0 }
        while true {
            ERR_clear_error()
            let result = operation()
            let error = result > 0 ? SSL_ERROR_NONE : SSL_get_error(tls.ssl, result)
            try flushTLS(phase)
            switch error {
            case SSL_ERROR_NONE:
                return result
            case SSL_ERROR_ZERO_RETURN:
                return 0
            case SSL_ERROR_WANT_READ:
                let bytes = try rawReceive(maximum: 16 * 1024, phase)
                if bytes.isEmpty { return 0 }
                guard BIO_write(tls.incoming, bytes, Int32(bytes.count)) == Int32(bytes.count) else {
                    throw tlsError("cannot buffer TLS data")
                }
            default:
                let verify = SSL_get_verify_result(tls.ssl)
                if verify != Int(X509_V_OK) {
                    let reason = X509_verify_cert_error_string(verify).map { String(cString: $0) } ?? "error \(verify)"
                    throw TSAClientError("\(url): TLS handshake failed: the server's certificate is not trusted: \(reason)")
                }
                throw tlsError(handshake ? "TLS handshake failed" : "TLS error \(phase)")
            }
        }
    }

    /// Sends whatever OpenSSL has written to the outgoing BIO.
    private func flushTLS(_ phase: String) throws {
        guard let tls else { return }
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while BIO_ctrl_pending(tls.outgoing) > 0 {
            let count = BIO_read(tls.outgoing, &chunk, Int32(chunk.count))
            guard count > 0 else { break }
            try chunk.withUnsafeBytes { try rawSend(UnsafeRawBufferPointer(rebasing: $0.prefix(Int(count))), phase) }
        }
    }

    private func tlsError(_ what: String) -> TSAClientError {
        var reasons: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            reasons.append(ERR_reason_error_string(code).map { String(cString: $0) } ?? "error \(code)")
        }
        return TSAClientError("\(url): \(what)" + (reasons.isEmpty ? "" : ": " + reasons.joined(separator: "; ")))
    }

    // MARK: Streams

    func sendAll(_ bytes: [UInt8]) throws {
        let phase = "while sending the request"
        guard let tls else {
            try bytes.withUnsafeBytes { try rawSend($0, phase) }
            return
        }
        var offset = 0
        while offset < bytes.count {
            let written = try bytes.withUnsafeBytes { raw in
                try drive(phase) { SSL_write(tls.ssl, raw.baseAddress! + offset, Int32(raw.count - offset)) }
            }
            guard written > 0 else { throw TSAClientError("\(url): the server closed the connection \(phase)") }
            offset += Int(written)
        }
    }

    /// Some bytes of the response; empty at the end of the stream. Over TLS a TCP close without
    /// close_notify also counts as the end: the body's length is checked by HTTP framing where
    /// the server gives one, and a truncated time-stamp response fails to parse.
    func receiveSome() throws -> [UInt8] {
        let phase = "waiting for the response"
        guard let tls else { return try rawReceive(maximum: 64 * 1024, phase) }
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        let count = try buffer.withUnsafeMutableBytes { raw in
            try drive(phase) { SSL_read(tls.ssl, raw.baseAddress, Int32(raw.count)) }
        }
        return count > 0 ? Array(buffer.prefix(Int(count))) : []
    }
}

// MARK: - HTTP response

/// Reads one HTTP/1.x response: status line, headers, then a body framed by Content-Length, by
/// chunked transfer coding, or by the end of the connection.
