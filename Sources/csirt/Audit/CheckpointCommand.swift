import ArgumentParser
import CSIRTApplication

struct CheckpointCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkpoint",
        abstract: "Print the latest signed checkpoint, to keep elsewhere as an anchor.",
        discussion: """
            The default output is the checkpoint line exactly as it stands in the log. Keep it off this \
            host (mail, paper, another server); later, `csirt audit verify --checkpoint FILE` proves that \
            the log still holds everything that checkpoint sealed.
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case line, text, json
    }

    @OptionGroup var homeOptions: HomeOptions

    @Option(name: .long, help: ArgumentHelp("The log to read (default: the home's audit/audit.log).", valueName: "path"))
    var log: String?

    @Option(name: .long, help: "Output format: line (the raw checkpoint line), text or json.")
    var format: Format = .line

    func run() throws {
        let latest = try AuditVerification.latestCheckpoint(home: homeOptions.resolvedHome, logPath: log)
        let checkpoint = latest.checkpoint
        switch format {
        case .line:
            print(latest.line)
        case .text:
            print("checkpoint \(checkpoint.number): seq \(checkpoint.size), head \(checkpoint.head.hex)")
            print("  origin  \(checkpoint.origin.hex)")
            print(Output.sanitize("  key     \(checkpoint.algorithm) \(checkpoint.keyID)"))
        case .json:
            Output.json(AuditRepresentation.json(latest))
        }
        if latest.unsealedAfter {
            Output.warning("entries follow this checkpoint that no checkpoint seals; run `csirt audit verify`")
        }
    }
}
