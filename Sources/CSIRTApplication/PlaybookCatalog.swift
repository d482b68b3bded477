import Foundation
import Incidents
import YAMLFormats

/// The playbooks in a directory, validated as a set: each file valid, ids unique, each category
/// covered by at most one playbook.
public struct PlaybookCatalog: Sendable {
    public let directory: String
    public let playbooks: [Playbook]

    /// `CSIRT_PLAYBOOKS`, else `HOME/playbooks` (filled by `csirt init`), else the `Playbooks/`
    /// folder of the source tree csirt was built from.
    /// The environment as the process started: read once, since reading it copies every variable
    /// (a server opens incidents, and so looks for its playbooks, many times a second).
    public static let launchEnvironment = ProcessInfo.processInfo.environment

    public static func defaultDirectory(home: CSIRTHome, environment: [String: String] = PlaybookCatalog.launchEnvironment) -> String {
        if let explicit = environment["CSIRT_PLAYBOOKS"], !explicit.isEmpty { return explicit }
        let inHome = home.root + "/playbooks"
        if FileManager.default.fileExists(atPath: inHome) { return inHome }
        return shippedDirectory
    }

    /// The `Playbooks/` folder of the source tree csirt was built from.
    static var shippedDirectory: String {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.appendingPathComponent("Playbooks").path
    }

    /// What identifies a directory's playbooks: each file's name, size and modification time.
    struct Fingerprint: Hashable, Sendable {
        var directory: String
        var files: [String]
    }

    static let memo = Memo<Fingerprint, Result<PlaybookCatalog, CSIRTError>>(limit: 16)

    /// The last catalog loaded, with the directory's and its files' modification times: while none
    /// has changed, it is the catalog (a file added, removed or renamed changes the directory's).
    /// Cheaper than listing the directory, which a server would do for every incident it opens.
    static let lastLoaded = LastLoaded()

    final class LastLoaded: @unchecked Sendable {
        struct Entry {
            var directory: String
            var directoryStamp: FileStamp
            var files: [(path: String, stamp: FileStamp)]
            var catalog: PlaybookCatalog
        }
        private let lock = NSLock()
        private var entry: Entry?

        func catalog(directory: String) -> PlaybookCatalog? {
            guard let entry = lock.withLock({ self.entry }), entry.directory == directory,
                  FileStamp(path: directory) == entry.directoryStamp,
                  entry.files.allSatisfy({ FileStamp(path: $0.path) == $0.stamp }) else { return nil }
            return entry.catalog
        }

        func remember(_ entry: Entry) {
            lock.withLock { self.entry = entry }
        }
    }

    /// Size and modification time of a file, or nil when it cannot be read.
    struct FileStamp: Equatable {
        var size: Int
        var seconds: Int
        var nanoseconds: Int

        init?(path: String) {
            var info = stat()
            guard stat(path, &info) == 0 else { return nil }
            size = Int(info.st_size)
            seconds = Int(info.st_mtim.tv_sec)
            nanoseconds = Int(info.st_mtim.tv_nsec)
        }
    }

    /// The catalog, parsed again only when a file in the directory was added, removed or changed.
    public static func load(directory: String) throws(CSIRTError) -> PlaybookCatalog {
        if let known = lastLoaded.catalog(directory: directory) { return known }
        let directoryStamp = FileStamp(path: directory)
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
        } catch {
            throw CSIRTError(.input, "\(directory): cannot read the playbooks directory (set CSIRT_PLAYBOOKS)")
        }
        var fingerprint = Fingerprint(directory: directory, files: [])
        // Stamped before parsing: a file changed meanwhile is parsed again next time.
        var files: [(path: String, stamp: FileStamp)] = []
        for name in names {
            guard let stamp = FileStamp(path: directory + "/" + name) else { return try parse(directory: directory, names: names) }
            files.append((directory + "/" + name, stamp))
            fingerprint.files.append("\(name)\u{0}\(stamp.size)\u{0}\(stamp.seconds).\(stamp.nanoseconds)")
        }
        let catalog = try memo.value(for: fingerprint) { () -> Result<PlaybookCatalog, CSIRTError> in
            do throws(CSIRTError) { return .success(try parse(directory: directory, names: names)) } catch { return .failure(error) }
        }.get()
        if let directoryStamp {
            lastLoaded.remember(.init(directory: directory, directoryStamp: directoryStamp, files: files, catalog: catalog))
        }
        return catalog
    }

    static func parse(directory: String, names: [String]) throws(CSIRTError) -> PlaybookCatalog {
        var playbooks: [Playbook] = []
        var problems: [String] = []
        for name in names {
            switch validate(path: directory + "/" + name) {
            case .success(let playbook): playbooks.append(playbook)
            case .failure(let error): problems += error.problems.map(\.description)
            }
        }
        problems += crossCheck(playbooks)
        if let first = problems.first {
            throw CSIRTError(.input, problems.count == 1 ? first : "\(first) (and \(problems.count - 1) more problems; run `csirt playbook validate`)")
        }
        return PlaybookCatalog(directory: directory, playbooks: playbooks)
    }

    /// Problems across files: duplicate ids, a category claimed twice.
    static func crossCheck(_ playbooks: [Playbook]) -> [String] {
        var problems: [String] = []
        var ids: Set<String> = []
        var owner: [IncidentCategory: String] = [:]
        for playbook in playbooks {
            if !ids.insert(playbook.id).inserted { problems.append("playbook id \(playbook.id) is used by two files") }
            for category in playbook.categories {
                if let other = owner[category] {
                    problems.append("category \(category.rawValue) is covered by both \(other) and \(playbook.id)")
                }
                owner[category] = playbook.id
            }
        }
        return problems
    }

    /// Validates one file.
    public static func validate(path: String) -> Result<Playbook, YAMLProblems> {
        guard let data = FileManager.default.contents(atPath: path) else {
            return .failure(YAMLProblems(problems: [YAMLProblem(file: path, line: 1, column: 1, message: "cannot read the file")]))
        }
        guard data.count <= 1 << 20 else {
            return .failure(YAMLProblems(problems: [YAMLProblem(file: path, line: 1, column: 1, message: "larger than 1 MiB, too large for a playbook")]))
        }
        guard let text = String(data: data, encoding: .utf8) else {
            return .failure(YAMLProblems(problems: [YAMLProblem(file: path, line: 1, column: 1, message: "not UTF-8 text")]))
        }
        return validate(text: text, file: path)
    }

    /// Validates a playbook given as text (an upload); `file` names it in the problems.
    public static func validate(text: String, file: String) -> Result<Playbook, YAMLProblems> {
        do {
            return .success(try PlaybookDecoder.decode(text, file: file))
        } catch {
            return .failure(error)
        }
    }

    public func playbook(id: String) throws(CSIRTError) -> Playbook {
        guard let playbook = playbooks.first(where: { $0.id == id }) else {
            throw CSIRTError(.notFound, "no playbook \"\(id)\" in \(directory) (known: \(playbooks.map(\.id).joined(separator: ", ")))")
        }
        return playbook
    }

    public func playbook(for category: IncidentCategory) -> Playbook? {
        playbooks.first { $0.categories.contains(category) }
    }
}
