import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

struct TSAURL {
    let isHTTPS: Bool
    /// Without brackets for IPv6.
    let host: String
    let port: UInt16
    /// Path and query, at least "/".
    let target: String
    let user: String?
    let password: String?
    /// The URL as shown in errors: the password replaced by `***`.
    let display: String

    var isIPAddress: Bool { Self.isIPAddress(host) }

    /// `Host:` header value: IPv6 in brackets, the port only when not the default.
    var hostHeader: String {
        let name = host.contains(":") ? "[\(host)]" : host
        return port == (isHTTPS ? 443 : 80) ? name : "\(name):\(port)"
    }

    init(_ text: String) throws {
        let shown = Self.redacted(text)
        func invalid(_ why: String) -> TSAClientError { TSAClientError("\(shown): \(why)") }
        guard text.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7f }) else {
            throw invalid("not a valid URL (spaces, control or non-ASCII characters must be percent-encoded)")
        }
        guard let schemeEnd = text.firstRange(of: "://") else { throw invalid("not an http:// or https:// URL") }
        switch text[..<schemeEnd.lowerBound].lowercased() {
        case "http": isHTTPS = false
        case "https": isHTTPS = true
        default: throw invalid("not an http:// or https:// URL")
        }
        var rest = text[schemeEnd.upperBound...]
        if let fragment = rest.firstIndex(of: "#") { rest = rest[..<fragment] }
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        var authority = rest[..<authorityEnd]
        let path = rest[authorityEnd...]
        target = path.isEmpty ? "/" : path.hasPrefix("?") ? "/" + path : String(path)

        if let at = authority.lastIndex(of: "@") {
            let info = authority[..<at]
            authority = authority[authority.index(after: at)...]
            let colon = info.firstIndex(of: ":")
            guard let user = Self.percentDecoded(info[..<(colon ?? info.endIndex)]),
                  let password = colon.map({ Self.percentDecoded(info[info.index(after: $0)...]) }) ?? .some(nil)
            else { throw invalid("malformed percent-encoding in the user name or password") }
            self.user = user
            self.password = password
        } else {
            user = nil
            password = nil
        }

        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw invalid("unterminated IPv6 address") }
            host = String(authority[authority.index(after: authority.startIndex)..<close])
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw invalid("unexpected text after the IPv6 address") }
                portText = after.dropFirst()
            }
            guard Self.isIPAddress(host), host.contains(":") else { throw invalid("\(host) is not an IPv6 address") }
        } else if let colon = authority.lastIndex(of: ":") {
            host = String(authority[..<colon])
            portText = authority[authority.index(after: colon)...]
        } else {
            host = String(authority)
        }
        guard !host.isEmpty else { throw invalid("no host name") }
        if let portText {
            guard let value = UInt16(portText), value > 0, portText.allSatisfy(\.isASCII) else {
                throw invalid("\"\(portText)\" is not a port number (1–65535)")
            }
            port = value
        } else {
            port = isHTTPS ? 443 : 80
        }
        display = shown
    }

    static func isIPAddress(_ host: String) -> Bool {
        var v4 = in_addr(), v6 = in6_addr()
        return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
    }

    /// The URL with the password (between `user:` and `@`) replaced by `***`.
    static func redacted(_ text: String) -> String {
        guard let schemeEnd = text.firstRange(of: "://") else { return text }
        let rest = text[schemeEnd.upperBound...]
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        guard let at = rest[..<authorityEnd].lastIndex(of: "@"),
              let colon = rest[..<at].firstIndex(of: ":")
        else { return text }
        return String(text[..<rest.index(after: colon)]) + "***" + String(text[at...])
    }

    static func percentDecoded(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%") {
                guard let high = iterator.next(), let low = iterator.next(),
                      let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16)
                else { return nil }
                bytes.append(value)
            } else {
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }
}

// MARK: - Connection (TCP, optionally TLS)

/// One TCP connection, non-blocking underneath so that every wait is bounded by the deadline.
/// TLS runs over memory BIOs: OpenSSL never touches the socket, so csirt does all socket I/O
/// itself with `send(…, MSG_NOSIGNAL)` — OpenSSL's socket BIO writes with `write(2)`, which would
/// raise SIGPIPE (and kill csirt) if the server closed the connection first.
