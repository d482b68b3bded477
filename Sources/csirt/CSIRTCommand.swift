import ArgumentParser
import CSIRTApplication
import Foundation

@main
struct CSIRTCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "csirt",
        abstract: "Incident response, three-layer segmentation checks and a signed audit log for a municipal CSIRT.",
        discussion: """
            Data lives in the csirt home: --home DIR, else $CSIRT_HOME, else $XDG_DATA_HOME/csirt, \
            else ~/.local/share/csirt.

            Exit codes: 0 ok, 1 the thing checked failed, 2 usage or input error.
            """,
        version: "0.1.0",
        subcommands: [InitCommand.self, IncidentCommand.self, PlaybookCommand.self, CheckCommand.self, AuditCommand.self, ReportCommand.self, TokenCommand.self, ServeCommand.self, ConfigCommand.self]
    )

    /// Runs the command and exits with csirt's codes: 0 ok, 1 check failed, 2 usage or input error.
    /// (ArgumentParser's own default for usage errors is 64; cron jobs here rely on 2.)
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            finish(with: error)
        }
    }

    static func finish(with error: any Error) -> Never {
        switch error {
        case let error as CSIRTError:
            Output.error(error.message)
            Foundation.exit(error.exitCode)
        case let code as ExitCode:
            Foundation.exit(code.rawValue)
        default:
            let code = exitCode(for: error)
            if code == .success {
                // --help, --version
                print(fullMessage(for: error))
                Foundation.exit(0)
            }
            let message = self.message(for: error).split(separator: "\n").first.map(String.init) ?? "invalid usage"
            Output.error("\(message) (see `csirt help`)")
            Foundation.exit(2)
        }
    }
}
