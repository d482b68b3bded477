import Foundation

/// Thin POSIX helpers. The log is appended with O_APPEND under an exclusive `flock` and its size
/// is read under a shared one, so a reader never sees half a batch and two writers never
/// interleave. Every failure of a lock or a stat is an error: csirt never carries on unlocked or
/// takes an unknown size for zero (fail closed).
enum LogFile {
    static func describe(errno code: Int32) -> String {
        String(cString: strerror(code))
    }

    /// Opens a regular file for reading. A FIFO, a device or a socket is refused at once: opening
    /// with O_NONBLOCK keeps a FIFO without a writer from hanging, and fstat tells what it is.
    static func openForReading(_ path: String, what: String = "an audit log") throws(AuditLogError) -> Int32 {
        try openRegular(path, flags: O_RDONLY, what: what)
    }

    static func openRegular(_ path: String, flags: Int32, what: String) throws(AuditLogError) -> Int32 {
        let fd = open(path, flags | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else {
            let code = errno
            if code == ENOENT { throw AuditLogError("\(path): no such file") }
            throw AuditLogError("\(path): cannot open: \(describe(errno: code))")
        }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let code = errno
            close(fd)
            throw AuditLogError("\(path): cannot stat: \(describe(errno: code))")
        }
        let type = info.st_mode & S_IFMT
        guard type == S_IFREG else {
            close(fd)
            let kind: String
            switch type {
            case S_IFDIR: kind = "a directory"
            case S_IFIFO: kind = "a FIFO"
            case S_IFCHR, S_IFBLK: kind = "a device"
            case S_IFSOCK: kind = "a socket"
            default: kind = "not a regular file"
            }
            throw AuditLogError("\(path): is \(kind), not \(what)")
        }
        // Back to blocking I/O for the regular file (O_NONBLOCK only guarded the open).
        let current = fcntl(fd, F_GETFL)
        guard current >= 0, fcntl(fd, F_SETFL, current & ~O_NONBLOCK) == 0 else {
            let code = errno
            close(fd)
            throw AuditLogError("\(path): cannot configure the file: \(describe(errno: code))")
        }
        return fd
    }

    static func lock(_ fd: Int32, exclusive: Bool, path: String) throws(AuditLogError) {
        while flock(fd, exclusive ? LOCK_EX : LOCK_SH) != 0 {
            let code = errno
            if code == EINTR { continue }
            throw AuditLogError("\(path): cannot lock the audit log: \(describe(errno: code))")
        }
    }

    static func unlock(_ fd: Int32, path: String) throws(AuditLogError) {
        while flock(fd, LOCK_UN) != 0 {
            let code = errno
            if code == EINTR { continue }
            throw AuditLogError("\(path): cannot unlock the audit log: \(describe(errno: code))")
        }
    }

    static func size(_ fd: Int32, path: String) throws(AuditLogError) -> Int {
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw AuditLogError("\(path): cannot stat: \(describe(errno: errno))")
        }
        return Int(info.st_size)
    }

    static func readExactly(_ fd: Int32, count: Int, at offset: Int) throws(AuditLogError) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, count - done, off_t(offset + done)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw AuditLogError("read failed: \(describe(errno: errno))")
            }
            if n == 0 { break }
            done += n
        }
        return Array(buffer.prefix(done))
    }

    /// Reads up to `count` bytes at `offset` into `buffer`; returns how many arrived (fewer only at the end of the file).
    static func read(_ fd: Int32, into buffer: UnsafeMutableRawPointer, count: Int, at offset: Int, path: String) throws(AuditLogError) -> Int {
        var done = 0
        while done < count {
            let n = pread(fd, buffer + done, count - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw AuditLogError("\(path): cannot read: \(describe(errno: errno))")
            }
            if n == 0 { break }
            done += n
        }
        return done
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Int32? {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + done, bytes.count - done) }
            if n < 0 {
                if errno == EINTR { continue }
                return errno
            }
            done += n
        }
        return nil
    }

    /// Makes a new directory entry durable (after creating a file in it).
    static func syncDirectory(of path: String) {
        let directory = (path as NSString).deletingLastPathComponent
        let fd = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }
}

/// The cut guard: a byte-range lock far past any real end of the log, separate from the `flock`
/// that orders appends. A verifier holds it shared from the moment it notes the log's size until
/// it has read every byte up to that size; a writer holds it exclusive only to cut a torn or
/// unsealed tail (after a crash). So a verification of a large log, which may take a minute,
/// never blocks ordinary appends — they only add bytes past the size it noted — and the bytes it
/// reads can never be cut and rewritten under it.
///
/// Open-file-description locks (Linux) belong to the descriptor, not the process, so threads of
/// one server do not share them and closing another descriptor of the file does not drop them.
enum CutGuard {
    #if os(Linux)
    private static let setLock: Int32 = 37  // F_OFD_SETLK
    private static let setLockWait: Int32 = 38  // F_OFD_SETLKW
    #else
    private static let setLock = F_SETLK
    private static let setLockWait = F_SETLKW
    #endif
    private static let offset = off_t(1) << 62

    private static func request(_ type: Int32) -> flock {
        var lock = flock()
        lock.l_type = Int16(type)
        lock.l_whence = Int16(SEEK_SET)
        lock.l_start = offset
        lock.l_len = 1
        lock.l_pid = 0
        return lock
    }

    /// Waits for the guard: shared for a verifier, exclusive for a writer about to cut.
    static func acquire(_ fd: Int32, exclusive: Bool, path: String) throws(AuditLogError) {
        var lock = request(exclusive ? Int32(F_WRLCK) : Int32(F_RDLCK))
        while fcntl(fd, setLockWait, &lock) != 0 {
            let code = errno
            if code == EINTR { continue }
            throw AuditLogError("\(path): cannot lock the audit log against cuts: \(describe(code))")
        }
    }

    /// Takes the exclusive guard if no verifier holds it; false if one does.
    static func tryExclusive(_ fd: Int32, path: String) throws(AuditLogError) -> Bool {
        var lock = request(Int32(F_WRLCK))
        while fcntl(fd, setLock, &lock) != 0 {
            let code = errno
            if code == EINTR { continue }
            if code == EAGAIN || code == EACCES { return false }
            throw AuditLogError("\(path): cannot lock the audit log against cuts: \(describe(code))")
        }
        return true
    }

    static func release(_ fd: Int32) {
        var lock = request(Int32(F_UNLCK))
        _ = fcntl(fd, setLock, &lock)
    }

    private static func describe(_ code: Int32) -> String { LogFile.describe(errno: code) }
}
