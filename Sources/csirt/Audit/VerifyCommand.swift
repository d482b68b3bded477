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
            keys, and --checkpoint with a checkpoint kept elsewhere to catch truncation or rollback.
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
                                                      signatures: signatures, progress: progress)
        progressLine?.finish()
        switch format {
        case .json: Output.json(AuditRepresentation.json(report))
        case .text: Self.printText(report)
        }
        if report.failure != nil { throw ExitCode(1) }
    }

    static func printText(_ report: VerificationReport) {
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
            print("  key       \(key.keyID.prefix(16))… \(key.algorithm): \(Output.grouped(key.checkpoints)) checkpoints, seq \(key.firstSize)–\(key.lastSize)")
        }
        if report.anchorChecked { print("  anchor    the log extends the given checkpoint") }
    }
}
