import Foundation

/// What a finished process printed and how it exited.
public struct ProcessResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
}

public enum TestProcess {
    /// Runs `executable` with `arguments` and waits; stdin is empty.
    @discardableResult
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                           currentDirectory: String? = nil) throws -> ProcessResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        }
        if let currentDirectory { process.currentDirectoryURL = URL(fileURLWithPath: currentDirectory) }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Read both pipes to the end before waiting, so a chatty child never blocks on a full pipe.
        nonisolated(unsafe) var errData = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errData = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return ProcessResult(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                             stderr: String(decoding: errData, as: UTF8.self))
    }

    /// A shell command line, for pipelines (`sh -c`).
    @discardableResult
    public static func shell(_ command: String, environment: [String: String]? = nil, currentDirectory: String? = nil) throws -> ProcessResult {
        try run("/bin/sh", ["-c", command], environment: environment, currentDirectory: currentDirectory)
    }
}

/// The built `csirt` binary beside the test bundle (or `$CSIRT_BIN`).
public enum CSIRTBinary {
    public static var path: String {
        if let fromEnvironment = ProcessInfo.processInfo.environment["CSIRT_BIN"] { return fromEnvironment }
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        // On Linux the test runner is DIR/csirtPackageTests.xctest; on macOS the bundle is one level deeper.
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("csirt").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory.deleteLastPathComponent()
        }
        fatalError("csirt binary not found near \(CommandLine.arguments[0]); set CSIRT_BIN")
    }

    @discardableResult
    public static func run(_ arguments: [String], environment: [String: String]? = nil) throws -> ProcessResult {
        try TestProcess.run(path, arguments, environment: environment)
    }
}

/// A directory removed when the object goes away.
public final class TemporaryDirectory {
    public let path: String

    public init() {
        let template = NSTemporaryDirectory() + "csirt-test-XXXXXX"
        var bytes = Array(template.utf8CString)
        guard let made = mkdtemp(&bytes) else { fatalError("mkdtemp failed") }
        path = String(cString: made)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    public func file(_ name: String) -> String { path + "/" + name }

    public func write(_ name: String, _ contents: String) -> String {
        let target = file(name)
        _ = FileManager.default.createFile(atPath: target, contents: Data(contents.utf8))
        return target
    }

    public func write(_ name: String, bytes: [UInt8]) -> String {
        let target = file(name)
        _ = FileManager.default.createFile(atPath: target, contents: Data(bytes))
        return target
    }
}

/// Keys made by the real openssl CLI.
/// JSON Schema validation with python3-jsonschema (Draft 7 rules, which the SARIF and csirt
/// schemas follow).
public enum JSONSchemaCheck {
    /// nil when python3-jsonschema is not installed (the caller skips); else the process result,
    /// status 0 when `document` is valid against `schema`.
    public static func validate(_ document: String, against schema: String) throws -> ProcessResult? {
        let result = try TestProcess.run("/usr/bin/env", ["python3", "-c", """
            import json, sys
            try:
                import jsonschema
            except ImportError:
                print("no jsonschema"); sys.exit(3)
            jsonschema.validate(json.load(open(sys.argv[2])), json.load(open(sys.argv[1])))
            """, schema, document])
        return result.status == 3 ? nil : result
    }
}

public enum OpenSSLCLI {
    public enum KeyKind: String, CaseIterable, Sendable {
        case ed25519, ecdsaP256, rsa2048
    }

    /// Generates a private key (PEM) and its public key (PEM) in `directory`; returns their paths.
    public static func makeKey(_ kind: KeyKind, in directory: TemporaryDirectory, name: String) throws -> (privateKey: String, publicKey: String) {
        let key = directory.file("\(name).pem"), pub = directory.file("\(name).pub.pem")
        let generate: String
        switch kind {
        case .ed25519: generate = "openssl genpkey -algorithm ed25519 -out '\(key)'"
        case .ecdsaP256: generate = "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out '\(key)'"
        case .rsa2048: generate = "openssl genrsa -out '\(key)' 2048"
        }
        let result = try TestProcess.shell("\(generate) 2>&1 && openssl pkey -in '\(key)' -pubout -out '\(pub)' 2>&1")
        guard result.status == 0 else { throw TestFailure("openssl failed: \(result.stdout)") }
        return (key, pub)
    }

    /// Signs `file` as a cron job would, into `signature`.
    public static func sign(_ file: String, key: String, kind: KeyKind, pss: Bool = false, signature: String) throws {
        let command: String
        switch kind {
        case .ed25519: command = "openssl pkeyutl -sign -rawin -inkey '\(key)' -in '\(file)' -out '\(signature)'"
        case .ecdsaP256, .rsa2048:
            command = "openssl dgst -sha256 -sign '\(key)' \(pss ? "-sigopt rsa_padding_mode:pss" : "") -out '\(signature)' '\(file)'"
        }
        let result = try TestProcess.shell(command + " 2>&1")
        guard result.status == 0 else { throw TestFailure("openssl failed: \(result.stdout)") }
    }
}

public struct TestFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
