import ArgumentParser
import CSIRTApplication
import Foundation

struct TimestampCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "timestamp",
        abstract: "Anchor the newest checkpoint with an RFC 3161 time-stamp from a Time-Stamping Authority.",
        discussion: """
            Sends the SHA-256 of the newest checkpoint line (with its newline) to the TSA, stores the \
            token it returns in audit/timestamps/ and records it in an audit.timestamp entry. The token \
            proves, with the TSA's signature, that the log up to that checkpoint existed at the TSA's \
            time: no one holding csirt's own key can back-date a rewrite past it. A cron job can run \
            this once a day. `csirt audit verify --tsa-ca CA.pem` checks every stored token; \
            docs/audit-log.md shows the `openssl ts -verify` command an auditor runs by hand.
            Exit 0 when the token is stored, 2 when the TSA cannot be reached or its answer is not a \
            granted token over that checkpoint (nothing is written then).
            """
    )

    @OptionGroup var homeOptions: HomeOptions
    @OptionGroup var actorOptions: ActorOptions

    @Option(name: .long, help: ArgumentHelp("The TSA's URL, http:// or https:// (default: the audit.tsa-url setting).", valueName: "url"))
    var tsa: String?

    @Option(name: .long, help: ArgumentHelp("The TSA's certificate or its CA (PEM): verify the token's signature and chain before storing it.", valueName: "pem"))
    var tsaCert: String?

    @Option(name: .long, help: ArgumentHelp("Give up on the TSA after this many seconds (1–300).", valueName: "seconds"))
    var timeout: Int = 30

    @Option(name: .long, help: "Output format: text or json.")
    var format: OutputFormat = .text

    func validate() throws {
        guard (1...300).contains(timeout) else { throw ValidationError("--timeout takes 1 to 300 seconds") }
    }

    func run() throws {
        let app = try Application.open(home: homeOptions.resolvedHome)
        let outcome = try app.timestampLatestCheckpoint(tsaURL: tsa, tsaCertificatePath: tsaCert, actor: actorOptions.resolvedActor,
                                                        timeout: .seconds(timeout))
        let time = TimeInput.format(Date(timeIntervalSince1970: TimeInterval(outcome.genTime)), zone: app.legalTimeZone())
        switch format {
        case .json:
            Output.json(["checkpoint": .integer(outcome.checkpoint.number), "size": .integer(outcome.checkpoint.size),
                         "imprint": .string(outcome.imprint), "tsa": .string(outcome.tsa), "file": .string(outcome.file),
                         "gen_time": .string(time), "serial": .string(outcome.serialNumber),
                         "signer": outcome.signer.map { .string($0) } ?? .null,
                         "verified_with_certificate": .bool(outcome.verifiedWithCertificate),
                         "seq": .integer(outcome.receipt.entries[0].seq)])
        case .text:
            print(Output.sanitize("Timestamped checkpoint \(outcome.checkpoint.number) (seq \(outcome.checkpoint.size)) at \(time) by \(outcome.tsa)"))
            print(Output.sanitize("  token     \(outcome.file) (serial \(outcome.serialNumber)\(outcome.signer.map { ", signed by \($0)" } ?? ""))"))
            print("  imprint   \(outcome.imprint)")
            print("  recorded  as seq \(outcome.receipt.entries[0].seq)\(outcome.verifiedWithCertificate ? "" : "; give --tsa-cert to check the TSA's signature now")")
        }
    }
}
