import ArgumentParser
import CSIRTApplication
import Foundation

struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "List signing keys, their algorithms, the seq ranges they signed and when they were retired."
    )

    @OptionGroup var homeOptions: HomeOptions

    @Option(name: .long, help: "Output format: text or json.")
    var format: OutputFormat = .text

    func run() throws {
        let app = try Application.open(home: homeOptions.resolvedHome)
        let (keys, problem) = try app.signingKeys()
        let zone = app.legalTimeZone()
        switch format {
        case .json:
            Output.json(.array(keys.map(AuditRepresentation.json)))
        case .text:
            for key in keys {
                let range = key.usage.map { "signed seq \($0.firstSize)–\($0.lastSize) (\(Output.grouped($0.checkpoints)) checkpoints)" } ?? "signed nothing yet"
                var retired = ""
                if let rotation = key.retirement {
                    let when = TimeInput.format(Date(timeIntervalSince1970: TimeInterval(rotation.time)), zone: zone)
                    retired = "  retired at seq \(rotation.seq) (\(when)): seals nothing after it"
                } else if let at = key.retiredAt {
                    retired = "  retired \(at)"
                }
                print("\(key.keyID)  \(key.algorithm)  \(key.status.rawValue)  \(range)\(retired)")
            }
        }
        if let problem {
            Output.warning("the audit log does not verify (\(problem)); seq ranges stop before the first bad line")
        }
    }
}
