import ArgumentParser
import AuditLog
import CSIRTApplication
import Foundation

extension AuditLogVerifier.SignaturePolicy: ExpressibleByArgument {}

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Recompute the hash chain and verify every checkpoint signature.",
        discussion: """
            Exit 0 when the log is intact, 1 when it is not (the first bad line is named), 2 on bad input.
            Without --pubkey, trusts every public key in the home's keys/ — give --pubkey to pin the \
            keys, and --checkpoint with a checkpoint kept elsewhere to catch truncation or rollback. \
            Without --log, the home's own log is also held to what its database recorded of csirt's \
            last write. --tsa-ca checks the RFC 3161 tokens `csirt audit timestamp` stored.
            """
    )

    @OptionGroup var homeOptions: HomeOptions

    @Option(name: .long, help: ArgumentHelp("The log to verify (default: the home's audit/audit.log).", valueName: "path"))
    var log: String?

    @Option(name: .long, parsing: .singleValue, help: ArgumentHelp("A trusted public key (PEM); repeat for several.", valueName: "pem"))
    var pubkey: [String] = []

    @Option(name: .long, help: ArgumentHelp("A checkpoint line kept elsewhere (from `csirt audit checkpoint`) that the log must extend.", valueName: "file"))
    var checkpoint: String?

    @Option(name: .long, help: ArgumentHelp("Signatures to check with OpenSSL: all, or latest (the newest of each key; the chain binds every earlier line to it).", valueName: "all|latest"))
    var signatures: AuditLogVerifier.SignaturePolicy = .all

    @Option(name: .long, help: ArgumentHelp("CA certificates (PEM) of the Time-Stamping Authority: check every RFC 3161 token stored in timestamps/ beside the log.", valueName: "pem"))
    var tsaCA: String?

    @Option(name: .long, help: "Output format: text or json.")
    var format: OutputFormat = .text

    func run() throws {
        let home = homeOptions.resolvedHome
        let path = log ?? home.auditLogPath
        var progressLine: ProgressLine? = nil
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        let size = (attributes?[.size] as? NSNumber)?.intValue ?? 0
        if Output.stderrIsTerminal && size > 32 << 20 {
            progressLine = ProgressLine(label: "verifying \(path)")
        }
        var progress: VerificationProgress? = nil
        if let line = progressLine {
            progress = { phase, done, total in line.update(phase: phase.rawValue, done: done, total: total) }
        }
        let report = try AuditVerification.verify(home: home, logPath: log, publicKeyPaths: pubkey, anchorPath: checkpoint,
                                                      signatures: signatures, timestampCAPath: tsaCA, progress: progress)
        progressLine?.finish()
        let zone = AuditVerification.displayZone(home: log == nil ? home : nil)
        switch format {
        case .json: Output.json(AuditRepresentation.json(report, zone: zone))
        case .text: Self.printText(report, zone: zone)
        }
        if report.failure != nil { throw ExitCode(1) }
    }

    static func printText(_ report: VerificationReport, zone: TimeZone) {
        func time(_ seconds: Int64) -> String { TimeInput.format(Date(timeIntervalSince1970: TimeInterval(seconds)), zone: zone) }
        if let failure = report.failure {
            let seq = failure.seq.map { " (seq \($0))" } ?? ""
            print(Output.sanitize("FAILED \(report.path):\(failure.line)\(seq): \(failure.reason.rawValue): \(failure.message)"))
            return
        }
        print("OK \(report.path): \(Output.grouped(report.entries)) entries, \(Output.grouped(report.checkpoints)) checkpoints, \(Output.grouped(report.lines)) lines intact")
        if let last = report.lastCheckpoint {
            print("  head      seq \(last.size), checkpoint \(last.number) signed by \(last.algorithm) key \(last.keyID)")
        }
        if let origin = report.origin { print("  origin    \(origin.hex)") }
        for key in report.keys {
            let retired = key.retiredAtSeq.map { ", retired at seq \($0)" } ?? ""
            print("  key       \(key.keyID.prefix(16))… \(key.algorithm): \(Output.grouped(key.checkpoints)) checkpoints, seq \(key.firstSize)–\(key.lastSize)\(retired)")
        }
        if report.anchorChecked { print("  anchor    the log extends the given checkpoint") }
        if report.positionChecked { print("  database  the log still holds csirt's last recorded write") }
        for void in report.voided {
            print(Output.sanitize("  voided    seq \(void.fromSeq)–\(void.toSeq) (\(void.reason)): sealed, but their changes never reached the database (audit.void, line \(void.line))"))
        }
        for stamp in report.timestamps {
            let late = stamp.isLate ? "; late: it proves the log only from \(time(stamp.tokenTime)), not from the checkpoint's time" : ""
            print(Output.sanitize("  timestamp checkpoint \(stamp.checkpoint) (line \(stamp.line), last entry \(time(stamp.checkpointTime))): TSA time \(time(stamp.tokenTime)) [\(stamp.file)]\(late)"))
        }
        if let unrecorded = report.unrecorded {
            let range = unrecorded.fromSeq.map { from in "seq \(from)–\(unrecorded.toSeq ?? from)" } ?? "lines \(unrecorded.fromLine)–"
            Output.warning("\(range) (from line \(unrecorded.fromLine)) are sealed in the log, but the database never committed their changes (csirt stopped between the two); they stay in the log, and the next csirt write records them as void")
        }
    }
}
