import ArgumentParser
import CSIRTApplication

struct VerifyFileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-file",
        abstract: "Verify a detached signature made with the openssl CLI.",
        discussion: """
            Accepts what these commands make:
              openssl dgst -sha256 -sign KEY -out SIG FILE          (ECDSA P-256, RSA PKCS#1 v1.5)
              openssl dgst -sha256 -sign KEY -sigopt rsa_padding_mode:pss -out SIG FILE   (RSA-PSS: --pss)
              openssl pkeyutl -sign -rawin -inkey ED25519KEY -in FILE -out SIG            (Ed25519)
            ECDSA signatures are malleable: from one valid signature anyone can make its high-S twin, \
            which OpenSSL also accepts. --strict accepts the low-S form only (csirt writes that form; \
            the openssl CLI writes either). Ed25519 and RSA PKCS#1 v1.5 signatures have one form already.
            Exit 0 when the signature verifies, 1 when it does not, 2 on bad input.
            """
    )

    @Argument(help: ArgumentHelp("The signed file.", valueName: "file"))
    var file: String

    @Option(name: .long, help: ArgumentHelp("The binary signature file.", valueName: "sig"))
    var signature: String

    @Option(name: .long, help: ArgumentHelp("The signer's public key (PEM).", valueName: "pem"))
    var pubkey: String

    @Flag(name: .long, help: "RSA-PSS padding (MGF1-SHA-256, salt length read from the signature).")
    var pss = false

    @Flag(name: .long, help: "Accept only the one valid form of a signature: an ECDSA signature must be low-S (its high-S twin, which anyone can make from it, is refused).")
    var strict = false

    @Option(name: .long, help: "Output format: text or json.")
    var format: OutputFormat = .text

    func run() throws {
        let result = try AuditVerification.verifyDetachedSignature(filePath: file, signaturePath: signature, publicKeyPath: pubkey, pss: pss, strict: strict)
        switch format {
        case .json:
            Output.json(["ok": .bool(result.valid), "file": .string(file), "alg": .string(result.algorithm),
                         "keyid": .string(result.keyID), "bytes": .integer(Int64(result.bytes))])
        case .text:
            if result.valid {
                print("OK \(file): \(result.algorithm) signature by key \(result.keyID) verifies")
            } else {
                let why = result.problem.map { ": \($0)" } ?? ""
                print("FAILED \(file): the \(result.algorithm) signature in \(signature) does not verify with key \(result.keyID)\(why)")
            }
        }
        if !result.valid { throw ExitCode(1) }
    }
}
