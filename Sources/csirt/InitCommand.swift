import ArgumentParser
import CSIRTApplication

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create the csirt home: database, signing key and audit log.",
        discussion: """
            Without --signing-key, generates an Ed25519 key through OpenSSL (PKCS#8 PEM, mode 0600, \
            public key beside it in keys/). With --signing-key, takes an unencrypted Ed25519, \
            ECDSA P-256 or RSA (≥ 2048 bit) private key made by `openssl genpkey` or `openssl genrsa`.
            Running init again changes nothing and never overwrites a key.
            """
    )

    @OptionGroup var homeOptions: HomeOptions
    @OptionGroup var actorOptions: ActorOptions

    @Option(name: .long, help: ArgumentHelp("PEM private key to sign audit checkpoints with.", valueName: "pem"))
    var signingKey: String?

    func run() throws {
        let outcome = try Application.initialize(home: homeOptions.resolvedHome, signingKeyPath: signingKey, actor: actorOptions.resolvedActor)
        let home = outcome.home
        if outcome.created {
            print("Initialised csirt home \(home.root)")
            print("  database     \(home.databasePath) (SQLite, WAL)")
            print("  audit log    \(home.auditLogPath)")
            print("  signing key  \(outcome.algorithm.keyTypeName) \(outcome.keyID)\(outcome.generatedKey ? " (generated)" : "")")
            print("               \(home.privateKeyPath(keyID: outcome.keyID)) (mode 0600)")
            print("               \(home.publicKeyPath(keyID: outcome.keyID))")
        } else {
            print("csirt home \(home.root) is already initialised (signing key \(outcome.algorithm.keyTypeName) \(outcome.keyID)); nothing changed")
        }
    }
}
