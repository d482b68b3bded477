// Audit-log verification benchmark — run by hand, never by `swift test`:
//
//     swift build -c release && .build/release/audit-verify-bench [--entries N,N…] [--dir DIR] [--repeats R] [--dense]
//
// For each size (default 1,000,000 and 5,000,000 entries) it builds a log with a checkpoint
// every 1,000 entries (the writer's own code path), then runs the real `csirt audit verify`
// binary on it and `sha256sum` on the same file in the same run, and prints for each: wall
// time, CPU time (user + system, from wait4), peak RSS, and csirt's ratios to sha256sum.
// `--dense` adds a 1,000,000-entry log with a checkpoint after every entry (as a million CLI
// commands would leave), verified with `--signatures latest` and with every signature.
import AuditLog
import CanonicalJSON
import CSIRTCrypto
import Foundation

struct Options {
    var entries = [1_000_000, 5_000_000]
    var directory = FileManager.default.currentDirectoryPath + "/bench-out"
    var repeats = 3
    var dense = false

    init(_ arguments: [String]) {
        var i = 1
        while i < arguments.count {
            switch arguments[i] {
            case "--entries": entries = arguments[i + 1].split(separator: ",").map { Int($0)! }; i += 1
            case "--dir": directory = arguments[i + 1]; i += 1
            case "--repeats": repeats = Int(arguments[i + 1])!; i += 1
            case "--dense": dense = true
            default: fatalError("unknown argument \(arguments[i])")
            }
            i += 1
        }
    }
}

/// One finished process: wall seconds, CPU seconds (user + system), peak resident set, exit status, stdout.
struct Measured {
    var wall: Double
    var cpu: Double
    var peakRSSMiB: Double
    var status: Int32
    var output: String
}

/// Runs a command with posix_spawn and reads its own resource usage with wait4, so that the
/// figures are the command's alone (RUSAGE_CHILDREN would mix runs).
func run(_ executable: String, _ arguments: [String]) -> Measured {
    var pipe: [Int32] = [0, 0]
    precondition(Glibc.pipe(&pipe) == 0)
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    posix_spawn_file_actions_adddup2(&actions, pipe[1], 1)
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    posix_spawn_file_actions_addclose(&actions, pipe[0])
    let argv = ([executable] + arguments).map { strdup($0) } + [nil]
    defer { for pointer in argv { free(pointer) } }
    var pid: pid_t = 0
    let start = DispatchTime.now()
    precondition(posix_spawn(&pid, executable, &actions, nil, argv, environ) == 0, "cannot start \(executable)")
    posix_spawn_file_actions_destroy(&actions)
    close(pipe[1])
    var output = Data()
    var buffer = [UInt8](repeating: 0, count: 65_536)
    while true {
        let n = read(pipe[0], &buffer, buffer.count)
        if n <= 0 { break }
        output.append(contentsOf: buffer[0..<n])
    }
    close(pipe[0])
    var status: Int32 = 0
    var usage = rusage()
    precondition(wait4(pid, &status, 0, &usage) == pid)
    let wall = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
    func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
    return Measured(wall: wall, cpu: seconds(usage.ru_utime) + seconds(usage.ru_stime), peakRSSMiB: Double(usage.ru_maxrss) / 1024,
                    status: (status >> 8) & 0xff, output: String(decoding: output, as: UTF8.self))
}

/// The best of `repeats` runs by wall time (its CPU and RSS with it); every run must succeed.
func best(_ repeats: Int, _ body: () -> Measured) -> Measured {
    var runs: [Measured] = []
    for _ in 0..<repeats {
        let result = body()
        precondition(result.status == 0, "command failed: \(result.output)")
        runs.append(result)
    }
    return runs.min { $0.wall < $1.wall }!
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
    var position: LogPosition? = nil
    while written < entries {
        let batch = min(1_000, entries - written)
        position = try writer.append((0..<batch).map { AuditEntryDraft(actor: "tanaka", action: "incident.note", target: "INC-2026-0001", details: details(written + $0)) },
                                     signers: [key], time: time, expecting: position).position
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

print("csirt audit-verify benchmark — \(ProcessInfo.processInfo.activeProcessorCount) cores, best of \(options.repeats) by wall time")

func measure(label: String, path: String, entries: Int, extra: [String] = [], repeats: Int) {
    let size = fileSize(path)
    let sha = best(repeats) { run("/usr/bin/sha256sum", [path]) }
    let verify = best(repeats) { run(csirt, ["audit", "verify", "--log", path, "--pubkey", pub] + extra) }
    precondition(verify.output.hasPrefix("OK"), verify.output)
    print(label)
    print(String(format: "  file %.1f MB, %d entries", Double(size) / 1e6, entries))
    print(String(format: "  sha256sum           wall %6.2f s  cpu %6.2f s  peak RSS %7.1f MiB", sha.wall, sha.cpu, sha.peakRSSMiB))
    print(String(format: "  csirt audit verify  wall %6.2f s  cpu %6.2f s  peak RSS %7.1f MiB  %@",
                 verify.wall, verify.cpu, verify.peakRSSMiB, extra.joined(separator: " ")))
    print(String(format: "  ratio to sha256sum  wall %.2f×  cpu %.2f×;  %.0f entries/s",
                 verify.wall / sha.wall, verify.cpu / sha.cpu, Double(entries) / verify.wall))
}

for entries in options.entries {
    let path = options.directory + "/batched-\(entries).log"
    try? FileManager.default.removeItem(atPath: path)
    let start = Date()
    try buildBatched(path: path, entries: entries, key: key)
    print(String(format: "built %@ in %.1f s", path, Date().timeIntervalSince(start)))
    measure(label: "\(entries) entries, a checkpoint every 1,000 entries, every signature verified", path: path, entries: entries, repeats: options.repeats)
}

if options.dense {
    let entries = 1_000_000
    let path = options.directory + "/dense.log"
    try? FileManager.default.removeItem(atPath: path)
    let start = Date()
    try buildDense(path: path, entries: entries, key: key)
    print(String(format: "built %@ in %.1f s", path, Date().timeIntervalSince(start)))
    measure(label: "\(entries) entries, a checkpoint after every entry, newest signature per key",
            path: path, entries: entries, extra: ["--signatures", "latest"], repeats: options.repeats)
    measure(label: "the same log, every one of its \(entries) signatures verified", path: path, entries: entries, repeats: 1)
}
