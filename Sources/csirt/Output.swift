import CanonicalJSON
import Foundation

/// Where csirt writes: results to stdout, errors and progress to stderr.
enum Output {
    static func error(_ message: String) {
        FileHandle.standardError.write(Data("csirt: error: \(sanitize(message))\n".utf8))
    }

    static func warning(_ message: String) {
        FileHandle.standardError.write(Data("csirt: warning: \(sanitize(message))\n".utf8))
    }

    /// One line of plain text, whatever a file or a tampered log put in it: control, format
    /// (bidi, zero-width) and line-separator characters are shown as \u{…} escapes.
    static func sanitize(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar.properties.generalCategory {
            case .control, .format, .lineSeparator, .paragraphSeparator, .surrogate, .privateUse, .unassigned:
                out.append(contentsOf: "\\u{\(String(scalar.value, radix: 16))}".unicodeScalars)
            default:
                out.append(scalar)
            }
        }
        return String(out)
    }

    /// Compact JSON with sorted keys (the same canonical form the audit log uses).
    static func json(_ value: JSONValue) {
        print(String(decoding: CanonicalJSON.serialize(value), as: UTF8.self))
    }

    static var stderrIsTerminal: Bool { isatty(STDERR_FILENO) == 1 }

    static func grouped(_ number: some BinaryInteger) -> String {
        let digits = String(number)
        var out = ""
        for (index, character) in digits.reversed().enumerated() {
            if index > 0 && index % 3 == 0 && character != "-" { out.append(",") }
            out.append(character)
        }
        return String(out.reversed())
    }
}

/// A progress line on stderr, for long verifications at a terminal.
final class ProgressLine: @unchecked Sendable {
    private let lock = NSLock()
    private var lastPercent = -1
    private var lastPhase = ""
    private let label: String

    init(label: String) {
        self.label = label
    }

    func update(phase: String, done: Int, total: Int) {
        let percent = total > 0 ? done * 100 / total : 100
        lock.lock()
        defer { lock.unlock() }
        guard percent != lastPercent || phase != lastPhase else { return }
        lastPercent = percent
        lastPhase = phase
        FileHandle.standardError.write(Data("\r\u{1b}[K\(label): \(phase) \(percent)%".utf8))
    }

    func finish() {
        lock.lock()
        defer { lock.unlock() }
        if lastPercent >= 0 { FileHandle.standardError.write(Data("\r\u{1b}[K".utf8)) }
    }
}
