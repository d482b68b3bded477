import ArgumentParser
import CSIRTApplication
import Foundation
import Incidents

struct OpenIncidentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "open",
        abstract: "Log a new incident; its category's playbook becomes tasks with due times.",
        discussion: """
            Example:
              csirt incident open --title "USB memory lost on the train" --category lost-media \\
                --severity high --segment lgwan --personal-data 230 --data-kind name --data-kind address
            """
    )

    @OptionGroup var homeOptions: HomeOptions
    @OptionGroup var actorOptions: ActorOptions
    @OptionGroup var personal: PersonalDataOptions

    @Option(help: "A short title.") var title: String
    @Option(help: ArgumentHelp("The category: \(IncidentCategory.allCases.map(\.rawValue).joined(separator: ", ")).", valueName: "category"))
    var category: IncidentCategory
    @Option(help: ArgumentHelp("low, medium, high or critical (or 1–4).", valueName: "severity")) var severity: Severity
    @Option(help: "What happened.") var description: String = ""
    @Option(help: ArgumentHelp("Affected segment: mynumber, lgwan, internet or unknown.", valueName: "segment")) var segment: AffectedSegment = .unknown
    @Option(name: .customLong("asset"), help: ArgumentHelp("An affected host name or address (repeat).", valueName: "host")) var assets: [String] = []
    @Option(help: "Who is working on it.") var assignee: String?
    @Option(help: "Who reported it (default: the actor).") var reporter: String?
    @Option(help: ArgumentHelp("When the municipality became aware (default: now).", valueName: "time")) var detected: String?
    @Option(name: .customLong("tag"), help: ArgumentHelp("A tag (repeat).", valueName: "tag")) var tags: [String] = []
    @Option(help: ArgumentHelp("Use this playbook instead of the category's.", valueName: "id")) var playbook: String?
    @Option(help: "Output format: text or json.") var format: OutputFormat = .text

    func run() throws {
        let app = try Application.open(home: homeOptions.resolvedHome)
        var new = NewIncident(title: title, category: category, severity: severity)
        new.description = description
        new.segment = segment
        new.assets = assets
        new.personalData = personal.personalData
        new.assignee = assignee
        new.reporter = reporter
        new.detectedAt = try detected.map { text throws(CSIRTError) in try TimeInput.parse(text, what: "--detected") }
        new.tags = tags
        new.playbookID = playbook
        let detail = try app.openIncident(new, actor: actorOptions.resolvedActor)
        switch format {
        case .json: Output.json(IncidentRepresentation.json(detail, at: Date()))
        case .text:
            let incident = detail.incident
            print("Opened \(incident.id): \(incident.category.rawValue), \(incident.severity.name)"
                + (detail.playbook.map { ", playbook \($0.id) v\($0.version)" } ?? ", no playbook") + ", \(detail.tasks.count) tasks")
            if let next = detail.tasks.filter({ $0.state == .open && $0.dueAt != nil }).min(by: { $0.dueAt! < $1.dueAt! }) {
                print("  next due: \(next.id) — \(next.title.en) by \(IncidentText.local(next.dueAt))")
            }
            for task in detail.tasks where task.kind == .legal {
                print("  legal: \(task.title.en), due \(IncidentText.local(task.dueAt))")
            }
        }
    }
}
