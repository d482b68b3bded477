import CanonicalJSON

/// One line's facts after the parallel pass. Plain data (no references), so that a window of
/// them is reused from one window to the next without allocation or reference counting.
struct LineRecord {
    enum Kind: UInt8 { case entry, checkpoint, invalid, torn }

    /// What OpenSSL said of a checkpoint's signature, when the parallel pass checked it.
    enum Signature: UInt8 { case notChecked, valid, invalid, malformedBase64 }

    /// Byte offset of the line's first byte in the file.
    var offset: Int
    /// Bytes before the LF (a torn line: to the end of the file; an overlong line whose end was
    /// not read: -1).
    var length: Int
    var kind: Kind
    /// Checkpoints: index of the trusted key that signed it, `unknownKey` or `wrongAlgorithm`.
    var keyIndex: Int16 = LineRecord.unknownKey
    /// Checkpoints: `origin` equals the hash of line 1.
    var originMatches = false
    /// Entries: the action is `init`.
    var isInit = false
    var signature: Signature = .notChecked
    /// Checkpoints: byte for byte the anchor checkpoint line.
    var equalsAnchorLine = false
    /// False for an overlong line whose bytes were not all read: its hash is unknown.
    var hashKnown = true
    /// `seq` of an entry, `size` of a checkpoint.
    var number: Int64 = 0
    var checkpointNumber: Int64 = 0
    /// Entries: `time` in seconds since 1970.
    var time: Int64 = 0
    /// `prev` of an entry, `head` of a checkpoint.
    var link = Digest()
    /// SHA-256 of the line's bytes including its newline.
    var hash = Digest()

    static let unknownKey: Int16 = -1
    static let wrongAlgorithm: Int16 = -2

    /// The offset just past the line's LF.
    var end: Int { offset + length + 1 }
}

/// What some entries say that verification uses: key rotations retire a key, voids mark changes
/// the database never held, timestamp entries name a token kept beside the log.
enum LineNote {
    case rotation(oldKeyID: String, newKeyID: String)
    case void(from: Int64, to: Int64, reason: String)
    case timestamp(checkpoint: Int64, tokenSHA256: String, file: String)

    static let rotationAction = "audit.rotate-key"
    static let voidAction = "audit.void"
    static let timestampAction = "audit.timestamp"

    /// The note an entry line carries, from its details (nil when it carries none, or its details
    /// lack the fields: such an entry is then an ordinary one).
    static func read(action: String, line: UnsafeBufferPointer<UInt8>) -> LineNote? {
        guard let value = try? CanonicalJSON.parse(Array(line)), let details = value["details"] else { return nil }
        switch action {
        case rotationAction:
            guard let old = details["old_keyid"]?.stringValue, let new = details["new_keyid"]?.stringValue else { return nil }
            return .rotation(oldKeyID: old, newKeyID: new)
        case voidAction:
            guard let from = details["from_seq"]?.integerValue, let to = details["to_seq"]?.integerValue else { return nil }
            return .void(from: from, to: to, reason: details["reason"]?.stringValue ?? "")
        case timestampAction:
            guard let number = details["checkpoint"]?.integerValue, let sha = details["token_sha256"]?.stringValue else { return nil }
            return .timestamp(checkpoint: number, tokenSHA256: sha, file: details["file"]?.stringValue ?? "")
        default:
            return nil
        }
    }
}
