import ArgumentParser

struct IncidentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "incident",
        abstract: "Log and track incidents through CSIRT playbooks.",
        discussion: """
            Lifecycle: reported → triage → containment → eradication → recovery → closed, plus \
            rejected (a false positive) from triage and reopen from closed. Every change writes one \
            audit entry. See docs/incidents.md.
            """,
        subcommands: [
            OpenIncidentCommand.self, ListIncidentsCommand.self, ShowIncidentCommand.self, AssignIncidentCommand.self,
            NoteIncidentCommand.self, AdvanceIncidentCommand.self, StepIncidentCommand.self, CloseIncidentCommand.self,
            ReopenIncidentCommand.self, UpdateIncidentCommand.self, ExportIncidentsCommand.self, OverdueCommand.self,
        ]
    )
}
