import ArgumentParser
import CSIRTApplication

struct NoteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "note",
        abstract: "Record a statement in the audit log (e.g. where a checkpoint copy was stored).",
        discussion: "Example: csirt audit note \"checkpoint 412 printed and handed to the CISO\""
    )

    @OptionGroup var homeOptions: HomeOptions
    @OptionGroup var actorOptions: ActorOptions

    @Argument(help: ArgumentHelp("The statement.", valueName: "text"))
    var text: String

    func run() throws {
        let app = try Application.open(home: homeOptions.resolvedHome)
        let receipt = try app.recordNote(actor: actorOptions.resolvedActor, text: text)
        print("Recorded as seq \(receipt.entries[0].seq)")
    }
}
