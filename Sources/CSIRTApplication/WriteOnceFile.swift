import Foundation

/// Files csirt writes once and never replaces (keys, time-stamp tokens): written under a
/// temporary name with their final mode, fsynced, then hard-linked into place — which fails if
/// the name is taken — so a file appears whole or not at all, and never over another.
enum WriteOnceFile {
    enum Outcome { case created, identicalExists }

    /// `what` names the file in errors ("the key file"). With `identicalIsFine`, an existing file
    /// with exactly these bytes counts as done.
    @discardableResult
    static func create(_ path: String, bytes: [UInt8], mode: mode_t, what: String, identicalIsFine: Bool = false) throws(CSIRTError) -> Outcome {
        if identicalIsFine, let existing = FileManager.default.contents(atPath: path) {
            guard [UInt8](existing) == bytes else { throw CSIRTError(.input, "\(path): already exists with other contents; csirt never overwrites \(what)") }
            return .identicalExists
        }
        let temporary = path + ".tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw CSIRTError(.input, "\(temporary): cannot create: \(String(cString: strerror(errno)))") }
        defer { unlink(temporary) }
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd) == 0
        close(fd)
        guard written == bytes.count, synced else { throw CSIRTError(.input, "\(path): cannot write \(what)") }
        guard link(temporary, path) == 0 else {
            if errno == EEXIST { throw CSIRTError(.input, "\(path): already exists; csirt never overwrites \(what)") }
            throw CSIRTError(.input, "\(path): cannot create: \(String(cString: strerror(errno)))")
        }
        let directory = open((path as NSString).deletingLastPathComponent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directory >= 0 {
            fsync(directory)
            close(directory)
        }
        return .created
    }
}
