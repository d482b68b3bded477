import CanonicalJSON
import Foundation
import Logging

/// One JSON object per log line on stderr (`csirt serve --log-format json`), for log shippers:
/// `time`, `level`, `label`, `message` and the metadata's keys.
public struct JSONLineLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    let label: String

    public init(label: String) {
        self.label = label
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var object: [String: JSONValue] = [
            "time": .string(RFC3339.format(Date())),
            "level": .string(event.level.rawValue),
            "label": .string(label),
            "message": .string(event.message.description),
        ]
        for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { _, new in new }) {
            object[key] = .string(value.description)
        }
        var line = CanonicalJSON.serialize(.object(object))
        line.append(0x0a)
        // A log line that cannot be written (a full disk) must not take the server down.
        try? FileHandle.standardError.write(contentsOf: line)
    }
}
