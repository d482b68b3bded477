import Foundation

/// Thin POSIX helpers: the log is appended with O_APPEND under an exclusive flock and read under a
/// shared one, so a reader never sees half a batch and two writers never interleave.
enum LogFile {
    static func describe(errno code: Int32) -> String {
        String(cString: strerror(code))
    }

    static func openForReading(_ path: String) throws(AuditLogError) -> Int32 {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            if code == ENOENT { throw AuditLogError("\(path): no such file") }
            throw AuditLogError("\(path): cannot open: \(describe(errno: code))")
        }
        var info = stat()
        if fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFDIR {
            close(fd)
            throw AuditLogError("\(path): is a directory, not an audit log")
        }
        return fd
    }

    static func lock(_ fd: Int32, exclusive: Bool) {
        // flock is advisory; on a file system without it (rare) we go on unlocked rather than refuse.
        while flock(fd, exclusive ? LOCK_EX : LOCK_SH) != 0 && errno == EINTR {}
    }

    static func size(_ fd: Int32) -> Int {
        var info = stat()
        guard fstat(fd, &info) == 0 else { return 0 }
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

/// A file's first `count` bytes read into memory (as much as is there when read).
final class LoadedFile {
    private let storage: UnsafeMutableRawBufferPointer
    let count: Int

    init(fd: Int32, count: Int, path: String) throws(AuditLogError) {
        precondition(count > 0)
        storage = UnsafeMutableRawBufferPointer.allocate(byteCount: count, alignment: 16)
        var done = 0
        while done < count {
            let n = pread(fd, storage.baseAddress! + done, count - done, off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                let code = errno
                storage.deallocate()
                throw AuditLogError("\(path): cannot read: \(LogFile.describe(errno: code))")
            }
            if n == 0 { break }
            done += n
        }
        self.count = done
    }

    deinit {
        storage.deallocate()
    }

    var bytes: UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: storage.baseAddress!.assumingMemoryBound(to: UInt8.self), count: count)
    }
}
