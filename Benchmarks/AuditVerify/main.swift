// Audit-log verification benchmark — run by hand, never by `swift test`:
//
//     swift build -c release && .build/release/audit-verify-bench [--entries N] [--dir DIR]
//
// Builds a log of N entries (default 1,000,000) with the real writer, then times the real
// `csirt audit verify` binary on it, and `sha256sum` on the same file in the same run.
// A second log has a checkpoint after every entry (as N separate CLI commands would leave)
// and is verified with `--signatures latest` and with every signature checked.
import AuditLog
import CanonicalJSON
import CSIRTCrypto
import Foundation

struct Options {
    var entries = 1_000_000
    var directory = FileManager.default.currentDirectoryPath + "/bench-out"
    var repeats = 3
    var dense = true

    init(_ arguments: [String]) {
        var i = 1
        while i < arguments.count {
            switch arguments[i] {
            case "--entries": entries = Int(arguments[i + 1])!; i += 1
            case "--dir": directory = arguments[i + 1]; i += 1
            case "--repeats": repeats = Int(arguments[i + 1])!; i += 1
            case "--no-dense": dense = false
            default: fatalError("unknown argument \(arguments[i])")
            }
            i += 1
        }
    }
}

func run(_ executable: String, _ arguments: [String]) -> (seconds: Double, status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    let start = DispatchTime.now()
    try! process.run()
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
    return (seconds, process.terminationStatus, String(decoding: output, as: UTF8.self))
}

func best(_ repeats: Int, _ body: () -> (seconds: Double, status: Int32, output: String)) -> (Double, String) {
    var times: [Double] = []
    var output = ""
    for _ in 0..<repeats {
        let result = body()
        precondition(result.status == 0, "command failed: \(result.output)")
        times.append(result.seconds)
        output = result.output
    }
    return (times.min()!, output)
}

func fileSize(_ path: String) -> Int {
    ((try? FileManager.default.attributesOfItem(atPath: path)[.size]) as? NSNumber)?.intValue ?? 0
}

func details(_ n: Int) -> [String: JSONValue] {
    ["incident": .string("INC-2026-\(String(format: "%04d", n % 10_000))"), "note": .string("contained host 10.20.\(n % 250).\(n % 199); 端末をネットワークから隔離"), "step": .integer(Int64(n % 40))]
}

/// Batches of 1,000 entries, each sealed: the writer's own code path.
func buildBatched(path: String, entries: Int, key: PrivateKey) throws {
    let time = RFC3339.format(Date())
    _ = try AuditLogWriter.create(path: path, initDraft: AuditEntryDraft(actor: "bench", action: "init", target: "home", details: ["format": "csirt-audit/v1"]), signer: key, time: time)
    let writer = AuditLogWriter(path: path)
    var written = 1
    while written < entries {
        let batch = min(1_000, entries - written)
        try writer.append((0..<batch).map { AuditEntryDraft(actor: "tanaka", action: "incident.note", target: "INC-2026-0001", details: details(written + $0)) }, signers: [key], time: time)
        written += batch
    }
}

/// One checkpoint after every entry, written in one pass (the writer would fsync a million times).
func buildDense(path: String, entries: Int, key: PrivateKey) throws {
    let time = RFC3339.format(Date())
    var out: [UInt8] = []
    out.reserveCapacity(entries * 560)
    var prev = Digest.zero
    var origin = Digest.zero
    for seq in 1...entries {
        let draft = seq == 1 ? AuditEntryDraft(actor: "bench", action: "init", target: "home", details: ["format": "csirt-audit/v1"])
            : AuditEntryDraft(actor: "tanaka", action: "incident.note", target: "INC-2026-0001", details: details(seq))
        let line = AuditEntry(seq: Int64(seq), time: time, draft: draft, prev: prev).line + [0x0a]
        prev = Digest(hashing: line)
        if seq == 1 { origin = prev }
        out += line
        let checkpoint = try Checkpoint.sign(origin: origin, size: Int64(seq), head: prev, number: Int64(seq), key: key).line + [0x0a]
        prev = Digest(hashing: checkpoint)
        out += checkpoint
    }
    _ = FileManager.default.createFile(atPath: path, contents: Data(out))
}

let options = Options(CommandLine.arguments)
let binDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path
let csirt = binDirectory + "/csirt"
precondition(FileManager.default.isExecutableFile(atPath: csirt), "build csirt first: swift build -c release")
try? FileManager.default.createDirectory(atPath: options.directory, withIntermediateDirectories: true)

let key = try PrivateKey.generateEd25519()
let pub = options.directory + "/bench.pub.pem"
_ = FileManager.default.createFile(atPath: pub, contents: Data(key.publicKey.pem.utf8))

print("csirt audit-verify benchmark — \(ProcessInfo.processInfo.activeProcessorCount) cores, \(options.entries) entries, best of \(options.repeats)")

func measure(label: String, path: String, entries: Int, extra: [String] = [], repeats: Int) {
    let size = fileSize(path)
    let (sha, _) = best(repeats) { run("/usr/bin/sha256sum", [path]) }
    let (verify, output) = best(repeats) { run(csirt, ["audit", "verify", "--log", path, "--pubkey", pub] + extra) }
    precondition(output.hasPrefix("OK"), output)
    let rate = Double(entries) / verify
    print(String(format: "%@\n  file %.1f MB; sha256sum %.3f s; csirt audit verify %@%.3f s = %.0f entries/s, %.2f× sha256sum",
                 label, Double(size) / 1e6, sha, extra.isEmpty ? "" : extra.joined(separator: " ") + " ", verify, rate, verify / sha))
}

let batchedPath = options.directory + "/batched.log"
try? FileManager.default.removeItem(atPath: batchedPath)
var start = Date()
try buildBatched(path: batchedPath, entries: options.entries, key: key)
print(String(format: "built %@ in %.1f s", batchedPath, Date().timeIntervalSince(start)))
measure(label: "A. \(options.entries) entries, a checkpoint every 1,000 entries (every signature verified)",
        path: batchedPath, entries: options.entries, repeats: options.repeats)

if options.dense {
    let densePath = options.directory + "/dense.log"
    try? FileManager.default.removeItem(atPath: densePath)
    start = Date()
    try buildDense(path: densePath, entries: options.entries, key: key)
    print(String(format: "built %@ in %.1f s", densePath, Date().timeIntervalSince(start)))
    measure(label: "B. \(options.entries) entries, a checkpoint after every entry, newest signature per key",
            path: densePath, entries: options.entries, extra: ["--signatures", "latest"], repeats: options.repeats)
    measure(label: "C. the same log, every one of its \(options.entries) signatures verified",
            path: densePath, entries: options.entries, repeats: 1)
}
