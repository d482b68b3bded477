import ArgumentParser
import CSIRTApplication
import Foundation
import Incidents

struct ExportIncidentsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Export incidents with their tasks and timelines.",
        discussion: "JSON holds everything; CSV one row per incident; table the full text of each.")

    @OptionGroup var homeOptions: HomeOptions
    @Argument(help: ArgumentHelp("Incidents to export (default: all).", valueName: "id")) var ids: [String] = []
    @Option(help: "Output format: json, csv or table.") var format: ListFormat = .json

    func run() throws {
        let app = try Application.open(home: homeOptions.resolvedHome)
        let details = ids.isEmpty
            ? try app.listIncidents(IncidentFilter()).map { incident throws(CSIRTError) in try app.incident(incident.id.description) }
            : try ids.map { id throws(CSIRTError) in try app.incident(id) }
        let now = Date()
        switch format {
        case .json: Output.json(.array(details.map { IncidentRepresentation.json($0, at: now) }))
        case .csv:
            print(IncidentRepresentation.csvLine(IncidentRepresentation.csvHeader))
            for detail in details { print(IncidentRepresentation.csvLine(IncidentRepresentation.csvRow(detail.incident))) }
        case .table:
            for detail in details {
                IncidentText.printDetail(detail, now: now)
                print("")
            }
        }
    }
}

struct OverdueCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "overdue", abstract: "List overdue steps and reports; exit 1 if there are any (for cron).",
        discussion: "Steps and notifications of open incidents, and legal reports of every incident.")

    @OptionGroup var homeOptions: HomeOptions
    @Option(help: ArgumentHelp("Check as of this time (default: now).", valueName: "time")) var at: String?
    @Option(help: "Output format: text or json.") var format: OutputFormat = .text

    func run() throws {
        let app = try Application.open(home: homeOptions.resolvedHome)
        let time = try at.map { text throws(CSIRTError) in try TimeInput.parse(text, what: "--at") } ?? Date()
        let items = try app.overdue(at: time)
        switch format {
        case .json: Output.json(.array(items.map(IncidentRepresentation.json)))
        case .text:
            if items.isEmpty { print("nothing overdue as of \(TimeInput.format(time))") }
            for item in items {
                print(Output.sanitize("\(item.incidentID) [\(item.severity.name), \(item.status.rawValue)] \(item.task.id) (\(item.task.owner)): \(item.task.title.en) — due \(IncidentText.local(item.task.dueAt)), overdue by \(IncidentText.duration(item.overdueBy))"))
            }
        }
        if !items.isEmpty { throw ExitCode(1) }
    }
}
