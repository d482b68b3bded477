import ArgumentParser
import CSIRTApplication
import CSIRTCrypto
import Foundation
import Incidents

struct AssignIncidentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "assign", abstract: "Assign an incident to someone.")
    @OptionGroup var homeOptions: HomeOptions
    @OptionGroup var actorOptions: ActorOptions
    @OptionGroup var version: VersionOption
    @Argument(help: ArgumentHelp("The incident.", valueName: "id")) var id: String
    @Argument(help: ArgumentHelp("Who takes it.", valueName: "assignee")) var assignee: String

    func run() throws {
        let detail = try Application.open(home: homeOptions.resolvedHome)
            .assign(id, to: assignee, actor: actorOptions.resolvedActor, expectedVersion: version.ifVersion)
        print("\(detail.incident.id) assigned to \(assignee) (version \(detail.incident.version))")
    }
}

struct NoteIncidentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "note", abstract: "Add a note to an incident's timeline.")
    @OptionGroup var homeOptions: HomeOptions
    @OptionGroup var actorOptions: ActorOptions
    @OptionGroup var version: VersionOption
    @Argument(help: ArgumentHelp("The incident.", valueName: "id")) var id: String
    @Argument(help: ArgumentHelp("The note.", valueName: "text")) var text: String

    func run() throws {
        let detail = try Application.open(home: homeOptions.resolvedHome)
            .addNote(id, text: text, actor: actorOptions.resolvedActor, expectedVersion: version.ifVersion)
        print("\(detail.incident.id): note added (version \(detail.incident.version))")
    }
}

struct AdvanceIncidentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "advance", abstract: "Move an incident to its next phase (or reject it from triage).",
        discussion: "Without --to, moves to the next phase. `--to rejected --reason TEXT` marks a false positive during triage.")
    @OptionGroup var homeOptions: HomeOptions
    @OptionGroup var actorOptions: ActorOptions
    @OptionGroup var version: VersionOption
    @Argument(help: ArgumentHelp("The incident.", valueName: "id")) var id: String
    @Option(help: ArgumentHelp("The phase to move to.", valueName: "status")) var to: IncidentStatus?
    @Option(help: "Why (needed to reject).") var reason: String?
    @Option(help: ArgumentHelp("When it happened, if not now (for past incidents).", valueName: "time")) var at: String?

    func run() throws {
        let time = try at.map { text throws(CSIRTError) in try TimeInput.parse(text, what: "--at") }
        let detail = try Application.open(home: homeOptions.resolvedHome)
            .advance(id, to: to, reason: reason, at: time, actor: actorOptions.resolvedActor, expectedVersion: version.ifVersion)
        print("\(detail.incident.id) is now \(detail.incident.status.rawValue) (version \(detail.incident.version))")
    }
}

struct StepIncidentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "step", abstract: "Mark a step, notification or legal report done or skipped.",
        discussion: """
            Examples:
              csirt incident step INC-2026-0001 isolate-host --done --evidence "switch port 3/14 shut, 10:42"
              csirt incident step INC-2026-0001 ppc-preliminary --done --evidence-file ppc-report.pdf
              csirt incident step INC-2026-0001 restore-backup --skip --reason "no data lost"
            """)
    @OptionGroup var homeOptions: HomeOptions
    @OptionGroup var actorOptions: ActorOptions
    @OptionGroup var version: VersionOption
    @Argument(help: ArgumentHelp("The incident.", valueName: "id")) var id: String
    @Argument(help: ArgumentHelp("The step id.", valueName: "step")) var step: String
    @Flag(help: "The step is done.") var done = false
    @Flag(help: "The step is skipped (needs --reason).") var skip = false
    @Option(help: "Evidence, as text.") var evidence: String?
    @Option(name: .customLong("evidence-file"), help: ArgumentHelp("Evidence file: its name, size and SHA-256 are recorded.", valueName: "path"))
    var evidenceFile: String?
    @Option(help: "Why the step is skipped.") var reason: String?

    func validate() throws {
        guard done != skip else { throw ValidationError("give exactly one of --done and --skip") }
        if skip && reason == nil { throw ValidationError("--skip needs --reason") }
        if evidence != nil && evidenceFile != nil { throw ValidationError("give --evidence or --evidence-file, not both") }
        if skip && (evidence != nil || evidenceFile != nil) { throw ValidationError("evidence goes with --done") }
    }

    func run() throws {
        let app = try Application.open(home: homeOptions.resolvedHome)
        var proof = evidence
        if let evidenceFile { proof = try EvidenceFile.describe(evidenceFile) }
        let outcome: StepOutcome = done ? .done(evidence: proof) : .skipped(reason: reason ?? "")
        let detail = try app.updateStep(id, step: step, outcome: outcome, actor: actorOptions.resolvedActor, expectedVersion: version.ifVersion)
        print("\(detail.incident.id): \(step) \(done ? "done" : "skipped") (version \(detail.incident.version))")
    }
}

/// Evidence given as a file is recorded by name, size and SHA-256: enough to prove later which
/// file was meant, without copying it into the database.
enum EvidenceFile {
    static func describe(_ path: String) throws -> String {
        var info = stat()
        if stat(path, &info) == 0, info.st_mode & S_IFMT != S_IFREG {
            throw CSIRTError(.input, "\(path): not a regular file")
        }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
                throw CSIRTError(.input, isDirectory.boolValue ? "\(path): is a directory" : "\(path): cannot open")
            }
            throw CSIRTError(.input, "\(path): no such file")
        }
        defer { try? handle.close() }
        let hasher = SHA256Hasher()
        var size = 0
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            chunk.withUnsafeBytes { hasher.update($0) }
            size += chunk.count
        }
        return "file \((path as NSString).lastPathComponent) (\(size) bytes, sha256 \(Hex.encode(hasher.finalize())))"
    }
}

struct CloseIncidentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "close", abstract: "Close an incident in recovery.",
        discussion: "Refused while required steps are open, unless --force --reason (recorded in the timeline and the audit log).")
    @OptionGroup var homeOptions: HomeOptions
    @OptionGroup var actorOptions: ActorOptions
    @OptionGroup var version: VersionOption
    @Argument(help: ArgumentHelp("The incident.", valueName: "id")) var id: String
    @Flag(help: "Close although required steps are open.") var force = false
    @Option(help: "Why (needed with --force).") var reason: String?
    @Option(help: ArgumentHelp("When recovery ended, if not now.", valueName: "time")) var at: String?

    func run() throws {
        let time = try at.map { text throws(CSIRTError) in try TimeInput.parse(text, what: "--at") }
        let detail = try Application.open(home: homeOptions.resolvedHome)
            .close(id, force: force, reason: reason, at: time, actor: actorOptions.resolvedActor, expectedVersion: version.ifVersion)
        print("\(detail.incident.id) closed (version \(detail.incident.version))")
    }
}

struct ReopenIncidentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "reopen", abstract: "Reopen a closed incident (back to triage).")
    @OptionGroup var homeOptions: HomeOptions
    @OptionGroup var actorOptions: ActorOptions
    @OptionGroup var version: VersionOption
    @Argument(help: ArgumentHelp("The incident.", valueName: "id")) var id: String
    @Option(help: "Why it is reopened.") var reason: String

    func run() throws {
        let detail = try Application.open(home: homeOptions.resolvedHome)
            .reopen(id, reason: reason, actor: actorOptions.resolvedActor, expectedVersion: version.ifVersion)
        print("\(detail.incident.id) reopened, now \(detail.incident.status.rawValue) (version \(detail.incident.version))")
    }
}

struct UpdateIncidentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "update", abstract: "Change an incident's fields.",
        discussion: "A new category (and so playbook) or detection time recomputes the due times of everything not done yet.")
    @OptionGroup var homeOptions: HomeOptions
    @OptionGroup var actorOptions: ActorOptions
    @OptionGroup var version: VersionOption
    @OptionGroup var personal: PersonalDataOptions
    @Argument(help: ArgumentHelp("The incident.", valueName: "id")) var id: String
    @Option var title: String?
    @Option var description: String?
    @Option(help: ArgumentHelp("The category.", valueName: "category")) var category: IncidentCategory?
    @Option(help: ArgumentHelp("The severity.", valueName: "severity")) var severity: Severity?
    @Option(help: ArgumentHelp("The affected segment.", valueName: "segment")) var segment: AffectedSegment?
    @Option(help: ArgumentHelp("When the municipality became aware.", valueName: "time")) var detected: String?
    @Option(name: .customLong("asset"), help: ArgumentHelp("Replace the assets (repeat).", valueName: "host")) var assets: [String] = []
    @Option(name: .customLong("tag"), help: ArgumentHelp("Replace the tags (repeat).", valueName: "tag")) var tags: [String] = []
    @Flag(name: .customLong("no-personal-data"), help: "No personal data is involved after all.") var noPersonalData = false

    func validate() throws {
        if noPersonalData && personal.people != nil { throw ValidationError("--no-personal-data and --personal-data contradict each other") }
    }

    func run() throws {
        var changes = IncidentChanges()
        changes.title = title
        changes.description = description
        changes.category = category
        changes.severity = severity
        changes.segment = segment
        changes.detectedAt = try detected.map { text throws(CSIRTError) in try TimeInput.parse(text, what: "--detected") }
        if !assets.isEmpty { changes.assets = assets }
        if !tags.isEmpty { changes.tags = tags }
        if noPersonalData { changes.personalData = .some(nil) }
        if let data = personal.personalData { changes.personalData = .some(data) }
        let detail = try Application.open(home: homeOptions.resolvedHome)
            .update(id, changes: changes, actor: actorOptions.resolvedActor, expectedVersion: version.ifVersion)
        print("\(detail.incident.id) updated (version \(detail.incident.version))")
    }
}
