import ArgumentParser
import CSIRTApplication
import Foundation

struct ShowIncidentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show an incident with its tasks and timeline.")

    @OptionGroup var homeOptions: HomeOptions
    @Argument(help: ArgumentHelp("The incident.", valueName: "id")) var id: String
    @Option(help: "Output format: table, json or csv.") var format: ListFormat = .table

    func run() throws {
        let app = try Application.open(home: homeOptions.resolvedHome)
        let detail = try app.incident(id)
        let now = Date()
        switch format {
        case .json: Output.json(IncidentRepresentation.json(detail, at: now))
        case .csv:
            print(IncidentRepresentation.csvLine(["task", "kind", "phase", "title", "owner", "required", "due_at", "state", "evidence", "reason"]))
            for task in detail.tasks {
                print(IncidentRepresentation.csvLine([task.id, task.kind.rawValue, task.phase?.rawValue ?? "", task.title.en, task.owner,
                                                      String(task.required), task.dueAt.map { TimeInput.format($0, zone: TimeZone(identifier: "UTC")!) } ?? "",
                                                      task.state.rawValue, task.evidence ?? "", task.reason ?? ""]))
            }
        case .table:
            IncidentText.printDetail(detail, now: now)
        }
    }
}
