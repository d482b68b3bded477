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

/// A read-only memory map of a whole file, for verifying signatures over large archives without
/// copying them. An empty file maps to an empty buffer.
final class MappedInput {
    private let base: UnsafeMutableRawPointer?
    private let count: Int

    init(path: String) throws(CSIRTError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { throw CSIRTError(.input, "\(path): no such file") }
            throw CSIRTError(.input, "\(path): cannot open: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw CSIRTError(.input, "\(path): cannot read: \(String(cString: strerror(errno)))") }
        guard info.st_mode & S_IFMT == S_IFREG else { throw CSIRTError(.input, "\(path): not a regular file") }
        count = Int(info.st_size)
        if count == 0 {
            base = nil
            return
        }
        guard let pointer = mmap(nil, count, PROT_READ, MAP_PRIVATE, fd, 0), pointer != MAP_FAILED else {
            throw CSIRTError(.input, "\(path): cannot map the file: \(String(cString: strerror(errno)))")
        }
        base = pointer
    }

    deinit {
        if let base { munmap(base, count) }
    }

    var bytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: base, count: count)
    }
}
