import COpenSSL

/// OpenSSL's error queue read in full, including the "additional data" OpenSSL attaches to some
/// errors. Time-stamp verification needs it: a chain failure is queued as the bare reason
/// "certificate verify error" with the useful part ("Verify error:unable to get local issuer
/// certificate") only in the attached data, which `ERR_get_error` alone does not return.
struct TimestampErrorQueue {
    struct Entry {
        let library: Int32
        let reason: Int32
        /// OpenSSL's reason string ("message imprint mismatch").
        let text: String
        /// The attached data, if any ("Verify error:certificate has expired").
        let data: String?
    }

    let entries: [Entry]

    /// Reads and empties this thread's queue, oldest first.
    static func drain() -> TimestampErrorQueue {
        var entries: [Entry] = []
        while true {
            var data: UnsafePointer<CChar>?
            var flags: Int32 = 0
            let code = ERR_get_error_all(nil, nil, nil, &data, &flags)
            if code == 0 { break }
            let text: String
            if let reason = ERR_reason_error_string(code) {
                text = String(cString: reason)
            } else {
                var buffer = [CChar](repeating: 0, count: 256)
                ERR_error_string_n(code, &buffer, buffer.count)
                text = TimestampASN1.string(from: buffer)
            }
            let attached = (flags & ERR_TXT_STRING) != 0 ? data.map { String(cString: $0) } : nil
            entries.append(Entry(library: ERR_GET_LIB(code), reason: ERR_GET_REASON(code), text: text,
                                 data: attached?.isEmpty == false ? attached : nil))
        }
        return TimestampErrorQueue(entries: entries)
    }

    func contains(library: Int32, reason: Int32) -> Bool {
        entries.contains { $0.library == library && $0.reason == reason }
    }

    /// The first attached "Verify error:…" text, without its prefix.
    var certificateVerifyError: String? {
        for entry in entries {
            if let data = entry.data, let range = data.firstRange(of: "Verify error:") {
                return String(data[range.upperBound...])
            }
        }
        return nil
    }

    /// Every reason with its data, most specific last, for messages that have no better wording.
    var summary: String {
        entries.map { entry in entry.data.map { "\(entry.text): \($0)" } ?? entry.text }.joined(separator: "; ")
    }
}
