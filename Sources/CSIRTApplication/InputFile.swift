import Foundation

/// Reads a file the user named, with errors that name it.
enum InputFile {
    static func read(_ path: String, limit: Int, what: String) throws(CSIRTError) -> [UInt8] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw CSIRTError(.input, "\(path): no such file")
        }
        guard !isDirectory.boolValue else { throw CSIRTError(.input, "\(path): is a directory, expected \(what)") }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw CSIRTError(.input, "\(path): cannot open (permission denied?)")
        }
        defer { try? handle.close() }
        let data: Data
        do {
            data = try handle.read(upToCount: limit + 1) ?? Data()
        } catch {
            throw CSIRTError(.input, "\(path): cannot read: \(error.localizedDescription)")
        }
        guard data.count <= limit else {
            throw CSIRTError(.input, "\(path): larger than \(limit / 1024) KiB, too large for \(what)")
        }
        return [UInt8](data)
    }
}

extension InputFile {
    /// Reads a regular file in 1 MiB pieces; returns the number of bytes read.
    static func stream(_ path: String, _ body: (UnsafeRawBufferPointer) -> Void) throws(CSIRTError) -> Int {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { throw CSIRTError(.input, "\(path): no such file") }
            throw CSIRTError(.input, "\(path): cannot open: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { throw CSIRTError(.input, "\(path): not a regular file") }
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
