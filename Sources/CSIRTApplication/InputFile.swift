import Foundation

/// Reads a file the user named, with errors that name it. Only regular files: a FIFO, a device
/// or a socket is refused before a byte is read (opened with O_NONBLOCK, so that a FIFO without
/// a writer cannot hang csirt, and `/dev/zero` cannot feed it forever).
enum InputFile {
    static func read(_ path: String, limit: Int, what: String) throws(CSIRTError) -> [UInt8] {
        let fd = try openRegular(path, what: what)
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw CSIRTError(.input, "\(path): cannot stat: \(String(cString: strerror(errno)))") }
        guard Int(info.st_size) <= limit else {
            throw CSIRTError(.input, "\(path): larger than \(limit / 1024) KiB, too large for \(what)")
        }
        // Room for the size fstat gave and one more byte, growing to one byte past the limit: a
        // file that grew after the stat is still caught, and memory follows the real size.
        var bytes = [UInt8](repeating: 0, count: min(limit, Int(info.st_size)) + 1)
        var done = 0
        while true {
            if done == bytes.count {
                guard bytes.count <= limit else { break }
                bytes += [UInt8](repeating: 0, count: min(limit + 1, max(bytes.count * 2, 4_096)) - bytes.count)
            }
            let n = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + done, $0.count - done) }
            if n < 0 {
                if errno == EINTR { continue }
                throw CSIRTError(.input, "\(path): cannot read: \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            done += n
        }
        guard done <= limit else {
            throw CSIRTError(.input, "\(path): larger than \(limit / 1024) KiB, too large for \(what)")
        }
        return Array(bytes.prefix(done))
    }

    /// Opens a regular file for reading; anything else is an input error naming it.
    static func openRegular(_ path: String, what: String) throws(CSIRTError) -> Int32 {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else {
            let code = errno
            if code == ENOENT { throw CSIRTError(.input, "\(path): no such file") }
            if code == EACCES { throw CSIRTError(.input, "\(path): cannot open (permission denied)") }
            throw CSIRTError(.input, "\(path): cannot open: \(String(cString: strerror(code)))")
        }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let code = errno
            close(fd)
            throw CSIRTError(.input, "\(path): cannot stat: \(String(cString: strerror(code)))")
        }
        let type = info.st_mode & S_IFMT
        guard type == S_IFREG else {
            close(fd)
            let kind: String
            switch type {
            case S_IFDIR: kind = "is a directory"
            case S_IFIFO: kind = "is a FIFO"
            case S_IFCHR, S_IFBLK: kind = "is a device"
            case S_IFSOCK: kind = "is a socket"
            default: kind = "is not a regular file"
            }
            throw CSIRTError(.input, "\(path): \(kind), expected \(what)")
        }
        let flags = fcntl(fd, F_GETFL)
        guard flags >= 0, fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) == 0 else {
            let code = errno
            close(fd)
            throw CSIRTError(.input, "\(path): cannot read: \(String(cString: strerror(code)))")
        }
        return fd
    }
}

extension InputFile {
    /// Reads a regular file in 1 MiB pieces; returns the number of bytes read.
    static func stream(_ path: String, what: String = "a file to verify", _ body: (UnsafeRawBufferPointer) -> Void) throws(CSIRTError) -> Int {
        let fd = try openRegular(path, what: what)
        defer { close(fd) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        var total = 0
        while true {
            let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if n < 0 {
                if errno == EINTR { continue }
                throw CSIRTError(.input, "\(path): cannot read: \(String(cString: strerror(errno)))")
            }
            if n == 0 { return total }
            body(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            total += n
        }
    }
}
