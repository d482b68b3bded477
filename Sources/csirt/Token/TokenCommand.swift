import ArgumentParser
import CanonicalJSON
import CSIRTApplication
import Foundation

struct TokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Bearer tokens for the HTTP API: create, list, revoke.",
        discussion: """
            Roles: responder (incidents), officer (checks and reports, reads incidents), auditor \
            (reads everything, verifies the audit log), admin (everything, tokens too). A token's \
            secret is printed once, at creation; csirt keeps only its SHA-256.
            """,
        subcommands: [CreateTokenCommand.self, ListTokensCommand.self, RevokeTokenCommand.self]
    )
}

extension APIRole: ExpressibleByArgument {}

struct CreateTokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Create a token and print its secret (once).",
        discussion: "Example: csirt token create --name ticketing --role responder"
    )

    @Option(name: .long, help: ArgumentHelp("A name for the token (who or what uses it); never reused.", valueName: "name"))
    var name: String

    @Option(name: .long, help: ArgumentHelp("responder, officer, auditor or admin.", valueName: "role"))
    var role: APIRole

    @OptionGroup var homeOptions: HomeOptions
    @OptionGroup var actorOptions: ActorOptions

    func run() throws {
        let app = try Application.open(home: homeOptions.resolvedHome)
        let secret = try app.createToken(name: name, role: role, actor: actorOptions.resolvedActor)
        print(secret)
        if Output.stderrIsTerminal {
            Output.warning("this is the only time the token is shown; store it now")
        }
    }
}

struct ListTokensCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List tokens (never their secrets).")

    @Option(name: .long, help: "Output format: text or json.")
    var format: OutputFormat = .text

    @OptionGroup var homeOptions: HomeOptions

    func run() throws {
        let app = try Application.open(home: homeOptions.resolvedHome)
        let tokens = try app.tokens()
        let formatter = ISO8601DateFormatter()
        switch format {
        case .json:
            Output.json(.array(tokens.map { token in
                var object: [String: JSONValue] = ["name": .string(token.name), "role": .string(token.role.rawValue),
                                                   "created_at": .string(formatter.string(from: token.createdAt)), "created_by": .string(token.createdBy)]
                object["revoked_at"] = token.revokedAt.map { .string(formatter.string(from: $0)) } ?? .null
                return .object(object)
            }))
        case .text:
            for token in tokens {
                let state = token.revokedAt.map { "revoked \(formatter.string(from: $0))" } ?? "active"
                let fields = [token.name, token.role.rawValue, state, "created \(formatter.string(from: token.createdAt)) by \(token.createdBy)"]
                print(fields.map(Output.sanitize).joined(separator: "\t"))
            }
        }
    }
}

struct RevokeTokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Revoke a token: it stops working at once.")

    @Argument(help: ArgumentHelp("The token's name.", valueName: "name"))
    var name: String

    @OptionGroup var homeOptions: HomeOptions
    @OptionGroup var actorOptions: ActorOptions

    func run() throws {
        let app = try Application.open(home: homeOptions.resolvedHome)
        try app.revokeToken(name: name, actor: actorOptions.resolvedActor)
        print("Revoked \(Output.sanitize(name))")
    }
}
