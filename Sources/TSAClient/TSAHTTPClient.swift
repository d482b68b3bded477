import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// The transport csirt uses to ask a Time-Stamping Authority for a token (RFC 3161 §3.4, "TSP
// over HTTP"): one POST of the DER request, one DER response.
//
// Why not URLSession: on Linux it lives in FoundationNetworking, which links libcurl, and the
// whole csirt binary would then need libcurl at run time for this one request. A TSA exchange is
// a single small POST, so a minimal HTTP/1.1 client over a POSIX socket (and OpenSSL's libssl
// for https://, which ships in the same package as the libcrypto csirt already needs) is enough.
//
// Everything here blocks; call it from a thread that may block (not from a Swift concurrency
// executor thread that others wait on). One deadline bounds connecting, TLS, sending and
// receiving; name resolution (getaddrinfo) cannot be interrupted and is not bounded by it.

/// A failed exchange with a TSA: one plain line that names the URL (password removed), e.g.
/// `http://127.0.0.1:9/tsr: cannot connect: Connection refused`.
public struct TSAClientError: Error, CustomStringConvertible, Sendable, Equatable {
    public let message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}

/// Posts time-stamp queries to a TSA over `http://` or `https://`.
public struct TSAHTTPClient: Sendable {
    /// Responses larger than this are refused: a time-stamp response is a few KiB, and the limit
    /// keeps a misconfigured URL (or a hostile server) from making csirt read without end.
    public static let maximumResponseSize = 1 << 20
    public static let defaultTimeout: Duration = .seconds(30)

    /// The total time allowed for connecting, the TLS handshake, sending and receiving.
    public var timeout: Duration
    /// A PEM file of CA certificates trusted for https:// in addition to the system's
    /// (`SSL_CTX_set_default_verify_paths`), e.g. a company CA that certifies the TSA's server.
    public var extraCAFile: String?

    public init(timeout: Duration = TSAHTTPClient.defaultTimeout, extraCAFile: String? = nil) {
        self.timeout = timeout
        self.extraCAFile = extraCAFile
    }

    /// POSTs `query` (a DER `TimeStampReq`) to `url` with `Content-Type:
    /// application/timestamp-query` and returns the body of a 2xx `application/timestamp-reply`
    /// response (a DER `TimeStampResp`; parse it with `TimestampResponse(der:)`).
    /// `url` is `http[s]://[user:password@]host[:port][/path]`; user and password, if present,
    /// are sent as HTTP basic authentication (percent-decoded).
    /// `url` as csirt shows and records it: any password replaced by `***`.
    public static func displayURL(_ url: String) -> String {
        TSAURL.redacted(url)
    }

    public func post(query: [UInt8], to url: String) throws -> [UInt8] {
        let target = try TSAURL(url)
        guard timeout > .zero else { throw TSAClientError("\(target.display): the timeout must be positive") }
        let deadline = ContinuousClock.now + timeout
        let connection = try TSAConnection(target, deadline: deadline, timeout: timeout, extraCAFile: extraCAFile)
        try connection.sendAll(Self.request(query, for: target))
        var reader = HTTPResponseReader(connection: connection, url: target.display)
        return try reader.readTimestampReply(limit: Self.maximumResponseSize)
    }

    static func request(_ body: [UInt8], for url: TSAURL) -> [UInt8] {
        var head = "POST \(url.target) HTTP/1.1\r\n"
        head += "Host: \(url.hostHeader)\r\n"
        head += "User-Agent: csirt\r\n"
        head += "Content-Type: application/timestamp-query\r\n"
        head += "Accept: application/timestamp-reply\r\n"
        head += "Content-Length: \(body.count)\r\n"
        head += "Connection: close\r\n"
        if let user = url.user {
            let credentials = Data("\(user):\(url.password ?? "")".utf8).base64EncodedString()
            head += "Authorization: Basic \(credentials)\r\n"
        }
        head += "\r\n"
        return Array(head.utf8) + body
    }
}

// MARK: - URL

/// The parts of an `http://` / `https://` URL the client needs. Parsed by hand: the accepted
/// syntax is small and the rules (IPv6 brackets, user info, default ports) are explicit here.
