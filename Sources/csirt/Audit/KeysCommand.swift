import ArgumentParser
import CSIRTApplication

struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "List signing keys, their algorithms and the seq ranges they signed."
    )

    @OptionGroup var homeOptions: HomeOptions

    @Option(name: .long, help: "Output format: text or json.")
    var format: OutputFormat = .text

    func run() throws {
        let app = try Application.open(home: homeOptions.resolvedHome)
        let (keys, problem) = try app.signingKeys()
        switch format {
        case .json:
            Output.json(.array(keys.map(AuditRepresentation.json)))
        case .text:
            for key in keys {
                let range = key.usage.map { "signed seq \($0.firstSize)–\($0.lastSize) (\(Output.grouped($0.checkpoints)) checkpoints)" } ?? "signed nothing yet"
                print("\(key.keyID)  \(key.algorithm)  \(key.status.rawValue)  \(range)")
            }
        }
        if let problem {
            Output.warning("the audit log does not verify (\(problem)); seq ranges stop before the first bad line")
        }
    }
}
