import ArgumentParser
import CSIRTApplication
import CSIRTServer
import Foundation
import Logging

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the HTTP API on the csirt home (see docs/api.md).",
        discussion: """
            Every route but /healthz needs a bearer token from `csirt token create`. SIGTERM or \
            SIGINT stops the server gracefully: requests in flight finish, then the audit log is \
            sealed with a server.stop entry. One log line per request goes to stderr.
            Example: csirt serve --host 0.0.0.0 --port 8080
            """
    )

    enum LogFormat: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    @Option(name: .long, help: ArgumentHelp("The address to listen on.", valueName: "address"))
    var host = "127.0.0.1"

    @Option(name: .long, help: ArgumentHelp("The TCP port (0: any free port, named in the start-up log line).", valueName: "port"))
    var port = 8080

    @Option(name: .customLong("max-body-bytes"), help: ArgumentHelp("Larger request bodies get 413.", valueName: "bytes"))
    var maxBodyBytes = APIService.defaultMaxBodyBytes

    @Option(name: .customLong("log-format"), help: "Log lines as text or json (one JSON object per line).")
    var logFormat: LogFormat = .text

    @Option(name: .customLong("log-level"), help: ArgumentHelp("trace, debug, info, notice, warning, error or critical.", valueName: "level"))
    var logLevel = "info"

    @OptionGroup var homeOptions: HomeOptions
    @OptionGroup var actorOptions: ActorOptions

    func validate() throws {
        guard (0...65_535).contains(port) else { throw ValidationError("--port must be from 0 to 65535") }
        guard maxBodyBytes >= 1_024 else { throw ValidationError("--max-body-bytes must be at least 1024") }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level must be one of: \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    func run() async throws {
        let app = try Application.open(home: homeOptions.resolvedHome)
        let format = logFormat
        LoggingSystem.bootstrap { label in
            switch format {
            case .json: return JSONLineLogHandler(label: label)
            case .text: return StreamLogHandler.standardError(label: label)
            }
        }
        var logger = Logger(label: "csirt.serve")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        let service = APIService(app: app, maxBodyBytes: maxBodyBytes, logger: logger)
        try await service.run(host: host, port: port, actor: actorOptions.resolvedActor)
    }
}
