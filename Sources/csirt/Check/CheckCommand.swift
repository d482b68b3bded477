import ArgumentParser
import CSIRTApplication
import Foundation
import Segmentation

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check a site's firewalls against the three-layer separation policies.",
        subcommands: [SegmentationCheckCommand.self, CheckRunsCommand.self]
    )
}

enum CheckFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json, sarif
}

struct SegmentationCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "segmentation",
        abstract: "Check firewall configs exactly against a three-layer policy.",
        discussion: """
            Reads the site description (network.yaml), each firewall config it names (iptables-save or \
            nftables JSON, relative to it) and the policy (--policy, else three-layer-MODEL.yaml from \
            $CSIRT_POLICIES, HOME/policies or the shipped Policies/). Every violation names the policy \
            rule, the firewall rule (file:line) that lets the traffic through and a packet that proves it.

            The run and its findings are stored in the home and written to the audit log, unless \
            --no-record is given (then no home is needed).

            Exit codes: 0 compliant, 1 violations found, 2 bad input.
            """
    )

    @Argument(help: ArgumentHelp("The site description.", valueName: "network.yaml"))
    var site: String

    @Option(name: .long, help: ArgumentHelp("The policy to check against (default: the site model's).", valueName: "file"))
    var policy: String?

    @Option(name: .long, help: "Output format: text, json or sarif (SARIF 2.1.0).")
    var format: CheckFormat = .text

    @Option(name: .long, help: ArgumentHelp("Write the result to this file (atomically) instead of stdout.", valueName: "file"))
    var out: String?

    @Flag(name: .long, help: "Do not store the run or write an audit entry.")
    var noRecord = false

    @OptionGroup var homeOptions: HomeOptions
    @OptionGroup var actorOptions: ActorOptions

    func validate() throws {
        if let out, out.isEmpty { throw ValidationError("--out needs a file name") }
    }

    func run() throws {
        // Refuse an unwritable --out before the run is stored and audited, not after.
        if let out {
            let directory = (out as NSString).deletingLastPathComponent
            guard access(directory.isEmpty ? "." : directory, W_OK) == 0 else {
                throw CSIRTError(.input, "\(out): cannot write there (no such directory, or no permission)")
            }
        }
        var run: SegmentationRun
        if noRecord {
            let home = homeOptions.resolvedHome
            run = try SegmentationRun.check(siteFile: site, policyFile: policy,
                                            policyDirectory: PolicyCatalog.defaultDirectory(home: home.exists ? home : nil))
        } else {
            let app = try Application.open(home: homeOptions.resolvedHome)
            run = try app.checkSegmentation(siteFile: site, policyFile: policy, actor: actorOptions.resolvedActor)
        }
        let data: Data
        switch format {
        case .json: data = SegmentationDocument(run, includeRun: true).encoded() + Data("\n".utf8)
        case .sarif: data = SegmentationSARIF.encode(run) + Data("\n".utf8)
        case .text: data = Data(SegmentationText.render(run, color: out == nil && isatty(STDOUT_FILENO) == 1).utf8)
        }
        if let out {
            try AtomicFile.write(data, to: out)
        } else {
            FileHandle.standardOutput.write(data)
        }
        if !run.result.isCompliant { throw ExitCode(1) }
    }
}

struct CheckRunsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs",
        abstract: "List past segmentation checks, newest first (or show one with --id)."
    )

    @Option(name: .long, help: "How many runs to list.")
    var limit = 20

    @Option(name: .long, help: ArgumentHelp("Print this run's stored result (JSON).", valueName: "run"))
    var id: Int64?

    @OptionGroup var homeOptions: HomeOptions

    func validate() throws {
        guard limit > 0 else { throw ValidationError("--limit must be at least 1") }
    }

    func run() throws {
        let app = try Application.open(home: homeOptions.resolvedHome)
        if let id {
            print(try app.segmentationRun(id: id).report)
            return
        }
        let formatter = ISO8601DateFormatter()
        for record in try app.segmentationRuns(limit: limit) {
            let verdict = record.compliant ? "compliant" : "\(record.violations) violation\(record.violations == 1 ? "" : "s")"
            let fields = ["\(record.id ?? 0)", formatter.string(from: record.checkedAt), record.site, record.policyID, verdict, "\(record.warnings) warnings"]
            print(fields.map(Output.sanitize).joined(separator: "\t"))
        }
    }
}

/// Writes a file whole or not at all: a temporary file beside it, then a rename.
enum AtomicFile {
    static func write(_ data: Data, to path: String) throws(CSIRTError) {
        try stage(data, for: path).commit()
    }

    /// The data written under a temporary name beside `path`, to be put in place by `commit()`.
    struct Staged {
        let temporary: String
        let path: String

        func commit() throws(CSIRTError) {
            guard rename(temporary, path) == 0 else {
                let reason = String(cString: strerror(errno))
                discard()
                throw CSIRTError(.input, "\(path): cannot write: \(reason)")
            }
        }

        func discard() { unlink(temporary) }
    }

    static func stage(_ data: Data, for path: String) throws(CSIRTError) -> Staged {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw CSIRTError(.input, "\(path): is a directory")
        }
        let temporary = path + ".tmp-\(getpid())"
        guard FileManager.default.createFile(atPath: temporary, contents: data) else {
            throw CSIRTError(.input, "\(path): cannot write (does the directory exist, may csirt write there, is the disk full?)")
        }
        return Staged(temporary: temporary, path: path)
    }
}
