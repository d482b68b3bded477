import ArgumentParser
import CSIRTApplication
import Foundation
import Incidents

extension IncidentCategory: ExpressibleByArgument {}
extension AffectedSegment: ExpressibleByArgument {}
extension IncidentStatus: ExpressibleByArgument {}

extension Severity: ExpressibleByArgument {
    public init?(argument: String) {
        self.init(name: argument)
    }

    public static var allValueStrings: [String] { allCases.map(\.name) }
}

enum ListFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json, csv
}

/// `--if-version N`: fail with a conflict unless the incident is still at version N.
struct VersionOption: ParsableArguments {
    @Option(name: .customLong("if-version"), help: ArgumentHelp("Only change the incident if it is still at this version (optimistic locking).", valueName: "n"))
    var ifVersion: Int?
}

/// Personal data involved in an incident.
struct PersonalDataOptions: ParsableArguments {
    @Option(name: .customLong("personal-data"), help: ArgumentHelp("Number of people whose personal data is involved.", valueName: "people"))
    var people: Int?

    @Option(name: .customLong("data-kind"), help: ArgumentHelp("Kind of personal data (repeat): name, address, tax, my-number …", valueName: "kind"))
    var kinds: [String] = []

    @Flag(name: .customLong("special-care"), help: "Special-care-required data (要配慮個人情報) is involved.")
    var specialCare = false

    @Flag(name: .customLong("financial-harm"), help: "The data could be used for financial harm (財産的被害).")
    var financialHarm = false

    @Option(name: .customLong("wrongful-purpose"), help: ArgumentHelp("Leak for a wrongful purpose (不正の目的): yes or no (default: from the category).", valueName: "yes|no"))
    var wrongfulPurpose: String?

    @Flag(help: "The data was protected by strong encryption (exempt from reporting).")
    var encrypted = false

    func validate() throws {
        if let people, people < 1 { throw ValidationError("--personal-data must be at least 1") }
        if people == nil && (!kinds.isEmpty || specialCare || financialHarm || wrongfulPurpose != nil || encrypted) {
            throw ValidationError("--data-kind, --special-care, --financial-harm, --wrongful-purpose and --encrypted need --personal-data N")
        }
        if let wrongfulPurpose, !["yes", "no"].contains(wrongfulPurpose) { throw ValidationError("--wrongful-purpose takes yes or no") }
    }

    var personalData: PersonalData? {
        people.map {
            PersonalData(people: $0, kinds: kinds, specialCare: specialCare, financialHarm: financialHarm,
                         wrongfulPurpose: wrongfulPurpose.map { $0 == "yes" }, encrypted: encrypted)
        }
    }
}

enum IncidentText {
    static func local(_ date: Date?) -> String {
        date.map { TimeInput.format($0) } ?? "-"
    }

    static func duration(_ seconds: TimeInterval) -> String {
        let total = Int(seconds)
        if total >= 86_400 { return "\(total / 86_400)d \(total % 86_400 / 3600)h" }
        if total >= 3600 { return "\(total / 3600)h \(total % 3600 / 60)m" }
        return "\(total / 60)m"
    }

    static func printDetail(_ detail: IncidentDetail, now: Date) {
        // Titles, notes and assets are whatever people typed: print them as plain lines.
        func print(_ line: String) { Swift.print(Output.sanitize(line)) }
        let incident = detail.incident
        print("\(incident.id)  \(incident.title)")
        print("  status      \(incident.status.rawValue) (version \(incident.version))")
        print("  category    \(incident.category.rawValue), severity \(incident.severity.name), segment \(incident.segment.rawValue)")
        print("  reporter    \(incident.reporter); assignee \(incident.assignee ?? "-")")
        print("  detected    \(local(incident.detectedAt)); reported \(local(incident.reportedAt))")
        if incident.containedAt != nil || incident.closedAt != nil {
            print("  contained   \(local(incident.containedAt)); recovered \(local(incident.recoveredAt)); closed \(local(incident.closedAt))")
        }
        if !incident.assets.isEmpty { print("  assets      \(incident.assets.joined(separator: ", "))") }
        if !incident.tags.isEmpty { print("  tags        \(incident.tags.joined(separator: ", "))") }
        if let data = incident.personalData {
            var flags: [String] = []
            if data.specialCare { flags.append("special-care") }
            if data.financialHarm { flags.append("financial-harm") }
            if data.wrongfulPurpose ?? incident.category.presumesWrongfulPurpose { flags.append("wrongful-purpose") }
            if data.encrypted { flags.append("encrypted") }
            print("  personal    \(data.people) people" + (data.kinds.isEmpty ? "" : " (\(data.kinds.joined(separator: ", ")))") + (flags.isEmpty ? "" : "; \(flags.joined(separator: ", "))"))
        }
        print("  playbook    \(detail.playbook.map { "\($0.id) v\($0.version) — \($0.title.en)" } ?? "-")")
        if !detail.tasks.isEmpty {
            print("  tasks")
            for task in detail.tasks {
                let mark = task.state == .done ? "x" : task.state == .skipped ? "-" : (task.isOverdue(at: now) ? "!" : " ")
                let due = task.dueAt.map { "due \(local($0))" } ?? "due when its phase starts"
                let where_ = task.phase?.rawValue ?? task.kind.rawValue
                print("    [\(mark)] \(task.id) (\(where_), \(task.owner)\(task.required ? "" : ", optional")\(task.evidenceRequired ? ", evidence" : "")) \(task.title.en); \(task.state == .open ? due : task.state.rawValue)")
            }
        }
        print("  timeline")
        for event in detail.timeline {
            print("    \(local(event.time))  \(event.author)  \(event.text)")
        }
    }
}
