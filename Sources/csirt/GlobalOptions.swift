import ArgumentParser
import CSIRTApplication
import Foundation

/// Options every command that touches the home takes.
struct HomeOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The csirt data home.", valueName: "dir"))
    var home: String?

    var resolvedHome: CSIRTHome { CSIRTHome.resolve(explicit: home) }
}

/// Options for commands that record who did something.
struct ActorOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Who is acting, for the audit log (default: $CSIRT_ACTOR, else the OS user).", valueName: "name"))
    var actor: String?

    var resolvedActor: String {
        if let actor, !actor.isEmpty { return actor }
        if let fromEnvironment = ProcessInfo.processInfo.environment["CSIRT_ACTOR"], !fromEnvironment.isEmpty { return fromEnvironment }
        if let entry = getpwuid(geteuid()), let name = entry.pointee.pw_name, name.pointee != 0 { return String(cString: name) }
        if let user = ProcessInfo.processInfo.environment["USER"], !user.isEmpty { return user }
        return "uid:\(geteuid())"
    }

    func validate() throws {
        if let actor {
            guard !actor.trimmingCharacters(in: .whitespaces).isEmpty else { throw ValidationError("--actor must not be empty") }
            guard actor.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7f }) else {
                throw ValidationError("--actor must not contain control characters")
            }
        }
    }
}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text
    case json
}
