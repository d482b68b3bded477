import ArgumentParser
import CSIRTApplication
import Foundation
import Incidents

struct ListIncidentsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List incidents, filtered.")

    @OptionGroup var homeOptions: HomeOptions
    @Option(name: .customLong("status"), help: ArgumentHelp("Only this status (repeat for several).", valueName: "status")) var statuses: [IncidentStatus] = []
    @Flag(help: "Only open incidents (not closed or rejected).") var open = false
    @Option(name: .customLong("severity"), help: ArgumentHelp("Only this severity (repeat).", valueName: "severity")) var severities: [Severity] = []
    @Option(name: .customLong("category"), help: ArgumentHelp("Only this category (repeat).", valueName: "category")) var categories: [IncidentCategory] = []
    @Option(name: .customLong("segment"), help: ArgumentHelp("Only this segment (repeat).", valueName: "segment")) var segments: [AffectedSegment] = []
    @Option(help: "Only incidents assigned to this person.") var assignee: String?
    @Option(help: ArgumentHelp("Detected at or after this time.", valueName: "time")) var from: String?
    @Option(help: ArgumentHelp("Detected before this time.", valueName: "time")) var to: String?
    @Option(help: "At most this many incidents.") var limit: Int?
    @Option(help: "Output format: table, json or csv.") var format: ListFormat = .table

    func validate() throws {
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
    }

    func run() throws {
        let app = try Application.open(home: homeOptions.resolvedHome)
        var filter = IncidentFilter()
        filter.statuses = statuses
        filter.openOnly = open
        filter.severities = severities
        filter.categories = categories
        filter.segments = segments
        filter.assignee = assignee
        filter.from = try from.map { text throws(CSIRTError) in try TimeInput.parse(text, what: "--from") }
        filter.to = try to.map { text throws(CSIRTError) in try TimeInput.parse(text, what: "--to") }
        filter.limit = limit
        let incidents = try app.listIncidents(filter)
        switch format {
        case .json:
            Output.json(.array(incidents.map(IncidentRepresentation.json)))
        case .csv:
            print(IncidentRepresentation.csvLine(IncidentRepresentation.csvHeader))
            for incident in incidents { print(IncidentRepresentation.csvLine(IncidentRepresentation.csvRow(incident))) }
        case .table:
            Self.printTable(incidents)
        }
    }

    static func printTable(_ incidents: [Incident]) {
        guard !incidents.isEmpty else {
            print("no incidents")
            return
        }
        let rows = incidents.map { incident in
            [incident.id.description, incident.status.rawValue, incident.severity.name, incident.category.rawValue,
             incident.segment.rawValue, incident.assignee ?? "-", IncidentText.local(incident.detectedAt), incident.title]
        }
        let header = ["ID", "STATUS", "SEVERITY", "CATEGORY", "SEGMENT", "ASSIGNEE", "DETECTED", "TITLE"]
        let widths = (0..<header.count - 1).map { column in ([header] + rows).map { $0[column].count }.max()! }
        for row in [header] + rows {
            let padded = (0..<header.count - 1).map { row[$0].padding(toLength: widths[$0], withPad: " ", startingAt: 0) }
            print(Output.sanitize((padded + [row.last!]).joined(separator: "  ")))
        }
    }
}
