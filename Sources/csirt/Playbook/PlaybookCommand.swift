import Foundation
import ArgumentParser
import CSIRTApplication
import Incidents

struct PlaybookCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "playbook", abstract: "List, show and validate CSIRT playbooks.",
        discussion: "Playbooks are read from $CSIRT_PLAYBOOKS, else HOME/playbooks, else the Playbooks/ folder csirt was built from. Format: docs/playbook-format.md.",
        subcommands: [ListPlaybooksCommand.self, ShowPlaybookCommand.self, ValidatePlaybooksCommand.self])
}

struct ListPlaybooksCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the playbooks and the categories they cover.")
    @OptionGroup var homeOptions: HomeOptions
    @Option(help: "Output format: text or json.") var format: OutputFormat = .text

    func run() throws {
        let catalog = try PlaybookCatalog.load(directory: PlaybookCatalog.defaultDirectory(home: homeOptions.resolvedHome))
        switch format {
        case .json:
            Output.json(.array(catalog.playbooks.map(PlaybookRepresentation.summary)))
        case .text:
            for playbook in catalog.playbooks {
                print("\(playbook.id) v\(playbook.version)  \(playbook.title.ja) / \(playbook.title.en)  [\(playbook.categories.map(\.rawValue).joined(separator: ", "))]  \(playbook.steps.count) steps, \(playbook.notifications.count) notifications")
            }
            let uncovered = IncidentCategory.allCases.filter { catalog.playbook(for: $0) == nil }
            if !uncovered.isEmpty { Output.warning("no playbook covers: \(uncovered.map(\.rawValue).joined(separator: ", "))") }
        }
    }
}

struct ShowPlaybookCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show a playbook's steps and notifications.")
    @OptionGroup var homeOptions: HomeOptions
    @Argument(help: ArgumentHelp("The playbook id.", valueName: "id")) var id: String
    @Option(help: "Output format: text or json.") var format: OutputFormat = .text

    func run() throws {
        let catalog = try PlaybookCatalog.load(directory: PlaybookCatalog.defaultDirectory(home: homeOptions.resolvedHome))
        let playbook = try catalog.playbook(id: id)
        switch format {
        case .json:
            Output.json(PlaybookRepresentation.json(playbook))
        case .text:
            print("\(playbook.id) v\(playbook.version): \(playbook.title.ja) / \(playbook.title.en)")
            print("  categories: \(playbook.categories.map(\.rawValue).joined(separator: ", "))")
            for phase in playbook.phases {
                print("  \(phase.phase.rawValue)")
                for step in phase.steps {
                    let due = step.due.map { ", due \($0.text) from \(step.from.rawValue)" } ?? ""
                    print("    \(step.id) (\(step.role.rawValue)\(step.required ? "" : ", optional")\(step.evidenceRequired ? ", evidence" : "")\(due)): \(step.title.ja) / \(step.title.en)")
                }
            }
            if !playbook.notifications.isEmpty { print("  notifications") }
            for notification in playbook.notifications {
                print("    \(notification.id) → \(notification.to.rawValue), due \(notification.due.text) from detection: \(notification.title.ja) / \(notification.title.en)")
            }
            for reference in playbook.references { print("  ref: \(reference)") }
        }
    }
}

struct ValidatePlaybooksCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate", abstract: "Check playbook files; problems as FILE:LINE:COLUMN: message.",
        discussion: "Exit 0 when every file is valid, 1 when any is not, 2 when a file cannot be read.")
    @Argument(help: ArgumentHelp("Playbook files (YAML).", valueName: "path")) var paths: [String]

    func validate() throws {
        if paths.isEmpty { throw ValidationError("give at least one playbook file") }
    }

    func run() throws {
        var valid: [Playbook] = []
        var invalid = 0
        for path in paths {
            guard FileManagerCheck.isReadableFile(path) else { throw CSIRTError(.input, "\(path): no such file") }
            switch PlaybookCatalog.validate(path: path) {
            case .success(let playbook):
                valid.append(playbook)
                print("\(path): ok (\(playbook.id) v\(playbook.version), \(playbook.steps.count) steps)")
            case .failure(let problems):
                invalid += 1
                for problem in problems.problems { print(Output.sanitize(problem.description)) }
            }
        }
        if invalid > 0 { throw ExitCode(1) }
    }
}


enum FileManagerCheck {
    static func isReadableFile(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
    }
}
