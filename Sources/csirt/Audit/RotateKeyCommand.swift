import ArgumentParser
import CSIRTApplication

struct RotateKeyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rotate-key",
        abstract: "Replace the signing key; later checkpoints use the new one.",
        discussion: """
            The rotation entry is sealed by both the old and the new key. The old private key is then \
            deleted; its public key stays in keys/ so that the whole log still verifies.
            """
    )

    @OptionGroup var homeOptions: HomeOptions
    @OptionGroup var actorOptions: ActorOptions

    @Option(name: .long, help: ArgumentHelp("PEM private key to use (default: generate an Ed25519 key).", valueName: "pem"))
    var signingKey: String?

    func run() throws {
        let app = try Application.open(home: homeOptions.resolvedHome)
        let outcome = try app.rotateKey(actor: actorOptions.resolvedActor, signingKeyPath: signingKey)
        print("Rotated the signing key at seq \(outcome.receipt.entries[0].seq)")
        print("  retired  \(outcome.oldKeyID)")
        print("  active   \(outcome.algorithm.keyTypeName) \(outcome.newKeyID)")
    }
}
