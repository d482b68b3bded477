import COpenSSL

/// A failure in key handling or signing, phrased for the person who gave csirt the key.
public struct CryptoError: Error, CustomStringConvertible, Sendable, Equatable {
    public let message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }

    /// Builds an error from a context phrase and whatever OpenSSL left on this thread's error queue.
    /// Must be called before any suspension point: the queue is per thread.
    static func openSSL(_ context: String) -> CryptoError {
        let detail = OpenSSLErrorQueue.drain()
        return CryptoError(detail.isEmpty ? context : "\(context) (\(detail))")
    }
}

enum OpenSSLErrorQueue {
    static func clear() {
        ERR_clear_error()
    }

    /// Reads and empties the error queue; returns the reasons, most specific last.
    static func drain() -> String {
        var reasons: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            if let reason = ERR_reason_error_string(code) {
                reasons.append(String(cString: reason))
            } else {
                var buffer = [CChar](repeating: 0, count: 256)
                ERR_error_string_n(code, &buffer, buffer.count)
                reasons.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
            }
        }
        return reasons.joined(separator: "; ")
    }
}
