import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

struct HTTPResponseReader {
    let connection: TSAConnection
    let url: String
    private var buffer: [UInt8] = []
    private var position = 0
    private var atEnd = false
    private var receivedAny = false

    private static let maximumHeaderSize = 64 * 1024

    init(connection: TSAConnection, url: String) {
        self.connection = connection
        self.url = url
    }

    private func failure(_ why: String) -> TSAClientError { TSAClientError("\(url): \(why)") }

    /// Reads more into the buffer; false at the end of the stream.
    private mutating func fill() throws -> Bool {
        guard !atEnd else { return false }
        let bytes = try connection.receiveSome()
        if bytes.isEmpty {
            atEnd = true
            return false
        }
        if position > 0 && position == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            position = 0
        }
        buffer += bytes
        receivedAny = true
        return true
    }

    private var available: Int { buffer.count - position }

    /// One line without its CRLF (a bare LF is tolerated).
    private mutating func readLine(limit: Int, what: String) throws -> String {
        // How far past `position` has been searched; relative, because fill() may compact.
        var searched = 0
        while true {
            if let newline = buffer[(position + searched)...].firstIndex(of: 0x0a) {
                var end = newline
                if end > position && buffer[end - 1] == 0x0d { end -= 1 }
                let line = String(decoding: buffer[position..<end], as: UTF8.self)
                position = newline + 1
                return line
            }
            searched = available
            guard available <= limit else { throw failure("\(what) longer than \(limit) bytes") }
            guard try fill() else {
                throw failure(!receivedAny ? "the server closed the connection without answering" : "the connection closed in the middle of the \(what)")
            }
        }
    }

    private mutating func readHead() throws -> (status: Int, reason: String, headers: [(name: String, value: String)]) {
        while true {
            let statusLine = try readLine(limit: Self.maximumHeaderSize, what: "status line")
            let parts = statusLine.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), parts[1].count == 3, let status = Int(parts[1]) else {
                throw failure("not an HTTP response (\"\(statusLine.prefix(40))\")")
            }
            var headers: [(name: String, value: String)] = []
            var size = statusLine.utf8.count
            while true {
                let line = try readLine(limit: Self.maximumHeaderSize, what: "response headers")
                size += line.utf8.count
                guard size <= Self.maximumHeaderSize else { throw failure("response headers longer than \(Self.maximumHeaderSize) bytes") }
                if line.isEmpty { break }
                if line.first == " " || line.first == "\t", let last = headers.popLast() {
                    // Obsolete line folding: a continuation of the previous header.
                    headers.append((last.name, last.value + " " + line.trimmingCharacters(in: .whitespaces)))
                    continue
                }
                guard let colon = line.firstIndex(of: ":") else { throw failure("malformed response header \"\(line.prefix(40))\"") }
                headers.append((line[..<colon].trimmingCharacters(in: .whitespaces).lowercased(),
                                line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
            }
            // 1xx responses are interim (e.g. 100 Continue); the real one follows.
            if (100..<200).contains(status) && status != 101 { continue }
            return (status, parts.count > 2 ? String(parts[2]) : "", headers)
        }
    }

    /// The body of a successful `application/timestamp-reply` response.
    mutating func readTimestampReply(limit: Int) throws -> [UInt8] {
        let head = try readHead()
        guard (200..<300).contains(head.status) else {
            throw failure("the TSA answered HTTP \(head.status)\(head.reason.isEmpty ? "" : " " + head.reason)")
        }
        func header(_ name: String) -> [String] { head.headers.filter { $0.name == name }.map(\.value) }

        let contentType = header("content-type").first
        let mediaType = contentType?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased()
        guard mediaType == "application/timestamp-reply" else {
            throw failure(contentType.map { "the TSA answered with Content-Type \($0), expected application/timestamp-reply" }
                ?? "the TSA answered without a Content-Type, expected application/timestamp-reply")
        }

        let body: [UInt8]
        let codings = header("transfer-encoding").flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        let lengths = header("content-length").flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }
        if codings.last == "chunked" {
            body = try readChunked(limit: limit)
        } else if !codings.isEmpty {
            // A transfer coding other than chunked last: the body runs to the end (RFC 9112 §6.3).
            body = try readToEnd(limit: limit)
        } else if let first = lengths.first {
            guard lengths.allSatisfy({ $0 == first }), !first.isEmpty,
                  first.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let length = Int(first)
            else { throw failure("malformed Content-Length") }
            guard length <= limit else { throw tooLarge("of \(length) bytes", limit) }
            body = try readExactly(length)
        } else {
            body = try readToEnd(limit: limit)
        }
        guard !body.isEmpty else { throw failure("the TSA answered with an empty body") }
        return body
    }

    private func tooLarge(_ size: String, _ limit: Int) -> TSAClientError {
        failure("the response body \(size) is larger than the \(limit == 1 << 20 ? "1 MiB" : "\(limit) bytes") csirt accepts")
    }

    private mutating func readExactly(_ count: Int) throws -> [UInt8] {
        while available < count {
            guard try fill() else { throw failure("the connection closed after \(available) of \(count) body bytes") }
        }
        defer { position += count }
        return Array(buffer[position..<position + count])
    }

    private mutating func readToEnd(limit: Int) throws -> [UInt8] {
        while try fill() {
            guard available <= limit else { throw tooLarge("(sent without a length)", limit) }
        }
        guard available <= limit else { throw tooLarge("(sent without a length)", limit) }
        defer { position = buffer.count }
        return Array(buffer[position...])
    }

    private mutating func readChunked(limit: Int) throws -> [UInt8] {
        var body: [UInt8] = []
        while true {
            let line = try readLine(limit: 1024, what: "chunk size line")
            let sizeText = line.split(separator: ";", maxSplits: 1).first?.trimmingCharacters(in: .whitespaces) ?? ""
            guard !sizeText.isEmpty, sizeText.count <= 16, let size = Int(sizeText, radix: 16), size >= 0 else {
                throw failure("malformed chunk size \"\(line.prefix(20))\"")
            }
            if size == 0 {
                // Trailer fields, up to the empty line.
                while true {
                    let trailer = try readLine(limit: Self.maximumHeaderSize, what: "trailer")
                    if trailer.isEmpty { return body }
                }
            }
            guard body.count + size <= limit else { throw tooLarge("(chunked, over \(body.count + size) bytes)", limit) }
            body += try readExactly(size)
            guard try readLine(limit: 2, what: "chunk end").isEmpty else { throw failure("malformed chunked body") }
        }
    }
}
