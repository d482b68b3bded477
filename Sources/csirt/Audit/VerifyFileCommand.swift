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

    @Option(name: .long, help: "Output format: text or json.")
    var format: OutputFormat = .text

    func run() throws {
        let result = try AuditVerification.verifyDetachedSignature(filePath: file, signaturePath: signature, publicKeyPath: pubkey, pss: pss)
        switch format {
        case .json:
            Output.json(["ok": .bool(result.valid), "file": .string(file), "alg": .string(result.algorithm),
                         "keyid": .string(result.keyID), "bytes": .integer(Int64(result.bytes))])
        case .text:
            if result.valid {
                print("OK \(file): \(result.algorithm) signature by key \(result.keyID) verifies")
            } else {
                print("FAILED \(file): the \(result.algorithm) signature in \(signature) does not verify with key \(result.keyID)")
            }
        }
        if !result.valid { throw ExitCode(1) }
    }
}
