import ArgumentParser

struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Verify and manage the hash-chained, signed audit log.",
        discussion: "The format is specified in docs/audit-log.md, precisely enough to check it with the openssl CLI alone.",
        subcommands: [
            VerifyCommand.self, CheckpointCommand.self, VerifyFileCommand.self,
            RotateKeyCommand.self, KeysCommand.self, NoteCommand.self, TimestampCommand.self,
        ]
    )
}
