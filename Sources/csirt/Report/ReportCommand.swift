import ArgumentParser
import CSIRTApplication
import Foundation
import Reports

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Reports for security officers and auditors.",
        subcommands: [ComplianceReportCommand.self]
    )
}

extension ReportFormat: ExpressibleByArgument {}
extension ReportLanguage: ExpressibleByArgument {}

struct ComplianceReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compliance",
        abstract: "Evaluate the control catalog for a period and write the report.",
        discussion: """
            Each control of the catalog (--controls, else controls.yaml from $CSIRT_POLICIES, HOME/policies \
            or the shipped Policies/) gets pass, fail, not-applicable or manual, with its reason, from csirt's \
            own evidence: the latest segmentation check per site, the incidents and their steps and legal \
            reports, the audit log (verified as `csirt audit verify` does) and the playbooks. The format is \
            in docs/controls-format.md and docs/reports.md.

            --from and --to take dates (YYYY-MM-DD, --to included) in the legal time zone, or RFC 3339 \
            times; without them the report covers the last full calendar month. The same store, period, \
            catalog, format and language give byte-identical output. Producing a report is an audit entry \
            (report.compliance) with the output's SHA-256.

            Exit codes: 0 every control passes, is not applicable or needs a person; 1 a control fails; \
            2 bad input.
            """
    )

    @Option(name: .long, help: ArgumentHelp("First day (or time) of the period.", valueName: "date"))
    var from: String?

    @Option(name: .long, help: ArgumentHelp("Last day of the period (included), or the time it ends.", valueName: "date"))
    var to: String?

    @Option(name: .long, help: ArgumentHelp("The control catalog.", valueName: "file"))
    var controls: String?

    @Option(name: .long, help: "Output format: md, html (one self-contained file), json, csv, sarif (SARIF 2.1.0: the segmentation findings) or oscal (OSCAL assessment results).")
    var format: ReportFormat = .md

    @Option(name: .long, help: "Language of the report: ja or en (default: from LC_ALL/LC_MESSAGES/LANG).")
    var lang: ReportLanguage?

    @Option(name: .long, help: ArgumentHelp("Write the report to this file (atomically) instead of stdout.", valueName: "file"))
    var out: String?

    @Flag(name: .long, help: "Also write a detached signature by the home's signing key to FILE.sig (needs --out).")
    var sign = false

    @OptionGroup var homeOptions: HomeOptions
    @OptionGroup var actorOptions: ActorOptions

    func validate() throws {
        if let out, out.isEmpty { throw ValidationError("--out needs a file name") }
        if sign && out == nil { throw ValidationError("--sign writes FILE.sig beside the report: give --out FILE") }
    }

    func run() throws {
        let app = try Application.open(home: homeOptions.resolvedHome)
        let period = try app.reportPeriod(from: from, to: to)
        let language = lang ?? ReportLanguage.fromEnvironment(ProcessInfo.processInfo.environment)
        let produced = try app.prepareComplianceReport(period: period, controlsPath: controls, format: format, language: language, sign: sign)
        guard let out else {
            _ = try app.recordComplianceReport(produced, actor: actorOptions.resolvedActor)
            FileHandle.standardOutput.write(Data(produced.bytes))
            if produced.report.failed { throw ExitCode(1) }
            return
        }
        // Staged beside their final names before the report is audited, put in place after: a
        // report that cannot be written is neither written halfway nor recorded.
        var staged = [try AtomicFile.stage(Data(produced.bytes), for: out)]
        do {
            if let signature = produced.signature { staged.append(try AtomicFile.stage(Data(signature), for: out + ".sig")) }
            _ = try app.recordComplianceReport(produced, actor: actorOptions.resolvedActor)
        } catch {
            for file in staged { file.discard() }
            throw error
        }
        for file in staged { try file.commit() }
        if produced.report.failed { throw ExitCode(1) }
    }
}
