// Incident query benchmark — run by hand, never by `swift test`:
//
//     swift build -c release && .build/release/incident-bench [--incidents N] [--check-runs N]
//
// Fills a fresh csirt home with N incidents (default 100,000) and their playbook tasks, written
// straight into the database in one transaction (the audit log is not involved), and N
// segmentation check runs (default 1,000: one real check of the non-compliant example, copied
// across 50 sites and ten years). Then times the real binary — `csirt incident list --status
// containment --format json`, `csirt incident overdue` and `csirt report compliance --format html`
// over the ten years — next to `sqlite3` answering comparable queries on the same file.
import CSIRTApplication
import CSIRTStore
import Foundation
import GRDB
import Incidents

var count = 100_000
var checkRuns = 1_000
var repeats = 5
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
    switch argument {
    case "--incidents": count = Int(arguments.popFirst()!)!
    case "--repeats": repeats = Int(arguments.popFirst()!)!
    case "--check-runs": checkRuns = Int(arguments.popFirst()!)!
    default: fatalError("unknown argument \(argument)")
    }
}

let binDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path
let csirt = binDirectory + "/csirt"
let root = FileManager.default.currentDirectoryPath + "/bench-out/incidents-home"
try? FileManager.default.removeItem(atPath: root)
let environment = ["CSIRT_HOME": root, "CSIRT_ACTOR": "bench"]

@discardableResult
func run(_ executable: String, _ arguments: [String]) -> (seconds: Double, status: Int32, bytes: Int) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    let start = DispatchTime.now()
    try! process.run()
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9, process.terminationStatus, output.count)
}

precondition(run(csirt, ["init"]).status == 0, "csirt init failed")
let home = CSIRTHome(root: root)
let catalog = try PlaybookCatalog.load(directory: PlaybookCatalog.defaultDirectory(home: home))
let database = try AppDatabase.open(path: home.databasePath)

// Mostly closed incidents over ten years; about 1% still open, detected in the last 30 days.
var generator = SystemRandomNumberGenerator()
let now = Date()
let openStatuses: [IncidentStatus] = [.reported, .triage, .containment, .eradication, .recovery]
let started = Date()
var taskRows = 0
try database.write { db in
    for n in 1...count {
        let year = 2016 + (n - 1) * 11 / count
        let category = IncidentCategory.allCases[n % IncidentCategory.allCases.count]
        let isOpen = n % 100 == 0
        let detected = isOpen ? now.addingTimeInterval(-Double.random(in: 3600...(30 * 86_400), using: &generator))
            : Date(timeIntervalSince1970: 1_451_606_400 + Double(n) / Double(count) * 3.1e8)
        var incident = Incident(id: IncidentID(year: year, number: n), title: "incident \(n): \(category.rawValue) on host-\(n % 500)",
                                description: "generated", category: category, severity: Severity(rawValue: 1 + n % 4)!,
                                segment: AffectedSegment.allCases[n % 4], assets: ["host-\(n % 500)"],
                                personalData: n % 7 == 0 ? PersonalData(people: 1 + n % 400) : nil, reporter: "bench",
                                assignee: ["tanaka", "suzuki", "sato"][n % 3], detectedAt: detected, reportedAt: detected.addingTimeInterval(600),
                                playbookID: catalog.playbook(for: category)?.id)
        var at = detected.addingTimeInterval(1200)
        let target = isOpen ? openStatuses[(n / 100) % openStatuses.count] : (n % 13 == 0 ? .rejected : .closed)
        while incident.status != target {
            let transition: Transition = target == .rejected && incident.status == .triage ? .reject
                : incident.status == .recovery ? .close : .advance(to: incident.status.next!)
            incident = incident.applying(transition, at: at)!
            at = at.addingTimeInterval(3600 * 6)
        }
        var tasks = TaskPlanner.plan(incident, playbook: catalog.playbook(for: category), rules: .standard)
        if !isOpen {
            // Done in time, as most are; one incident in fifty finished its steps late (at closing).
            for i in tasks.indices {
                tasks[i].state = .done
                tasks[i].completedAt = n % 50 == 0 ? at : min(at, tasks[i].dueAt.map { $0.addingTimeInterval(-600) } ?? at)
                tasks[i].completedBy = "bench"
            }
        }
        let playbook = catalog.playbook(for: category)
        var record = IncidentRecord(id: incident.id.description, year: year, number: n, title: incident.title, description: incident.description,
                                    category: category.rawValue, severity: incident.severity.rawValue, segment: incident.segment.rawValue,
                                    assets: incident.assets, personalData: nil, reporter: "bench", assignee: incident.assignee,
                                    status: incident.status.rawValue, detectedAt: incident.detectedAt, reportedAt: incident.reportedAt,
                                    containedAt: incident.containedAt, recoveredAt: incident.recoveredAt, closedAt: incident.closedAt,
                                    tags: [], playbookID: playbook?.id, playbookDigest: nil,
                                    phaseEnteredAt: Dictionary(uniqueKeysWithValues: incident.phaseEnteredAt.map { ($0.key.rawValue, $0.value) }),
                                    version: 1)
        if let data = incident.personalData { record.personalData = "{\"people\":\(data.people),\"kinds\":[],\"specialCare\":false,\"financialHarm\":false,\"encrypted\":false}" }
        try record.insert(db)
        for task in tasks {
            try IncidentTaskRecord(incidentID: record.id, taskID: task.id, kind: task.kind.rawValue, phase: task.phase?.rawValue,
                                   titleJa: task.title.ja, titleEn: task.title.en, owner: task.owner, required: task.required,
                                   evidenceRequired: task.evidenceRequired, dueAt: task.dueAt, state: task.state.rawValue, evidence: nil,
                                   reason: nil, completedAt: task.completedAt, completedBy: task.completedBy, position: task.position).insert(db)
            taskRows += 1
        }
    }
}
// Check runs: one real run of the non-compliant example, then copies of it and its findings.
let example = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Examples/segmentation/alpha/network-noncompliant.yaml").path
if checkRuns > 0 {
    precondition(run(csirt, ["check", "segmentation", example]).status == 1, "the example check did not find its violations")
    try database.write { db in
        for n in 1..<checkRuns {
            let checkedAt = Date(timeIntervalSince1970: 1_451_606_400 + Double(n) / Double(checkRuns) * 3.1e8)
            try db.execute(sql: """
                INSERT INTO segmentationRun (site, siteFile, policyID, model, checkedAt, compliant, violations, warnings, inputs, report)
                SELECT 'site-' || ?, siteFile, policyID, model, ?, compliant, violations, warnings, inputs, report FROM segmentationRun WHERE id = 1
                """, arguments: [n % 50, checkedAt])
            try db.execute(sql: """
                INSERT INTO segmentationFinding SELECT ?, ordinal, kind, level, ruleID, severity, firewall, file, line, ruleText, witness, message
                FROM segmentationFinding WHERE runID = 1
                """, arguments: [db.lastInsertedRowID])
        }
    }
}
print(String(format: "csirt incident benchmark — %d cores; %d incidents, %d tasks, %d check runs written in %.1f s; best of %d runs",
             ProcessInfo.processInfo.activeProcessorCount, count, taskRows, checkRuns, Date().timeIntervalSince(started), repeats))

func best(_ repeats: Int, _ body: () -> (seconds: Double, status: Int32, bytes: Int)) -> (Double, Int) {
    var times: [Double] = []
    var bytes = 0
    for _ in 0..<repeats {
        let result = body()
        times.append(result.seconds)
        bytes = result.bytes
    }
    return (times.min()!, bytes)
}

let sqlitePath = "/usr/bin/sqlite3"
let nowText = ISO8601DateFormatter().string(from: now).replacingOccurrences(of: "T", with: " ").replacingOccurrences(of: "Z", with: "")
let measurements: [(String, [String], String)] = [
    ("incident list --status containment --format json", ["incident", "list", "--status", "containment", "--format", "json"],
     "SELECT json_group_array(json_object('id', id, 'title', title, 'category', category, 'severity', severity, 'status', status, 'assignee', assignee, 'detected_at', detectedAt)) FROM incident WHERE status = 'containment'"),
    ("incident overdue --format json", ["incident", "overdue", "--format", "json"],
     "SELECT json_group_array(json_object('incident', t.incidentID, 'task', t.taskID, 'due', t.dueAt)) FROM incidentTask t JOIN incident i ON i.id = t.incidentID WHERE t.state = 'open' AND t.dueAt < '\(nowText)' AND (i.status NOT IN ('closed','rejected') OR t.kind = 'legal')"),
]
let today = String(ISO8601DateFormatter().string(from: now).prefix(10))
let reportPath = root + "/../compliance-report.html"
let measurementsWithReport = measurements + [
    ("report compliance --format html (last full month)", ["report", "compliance", "--format", "html", "--lang", "ja", "--out", reportPath],
     "SELECT severity, COUNT(*) FROM incident WHERE reportedAt >= date('now', 'start of month', '-1 month') GROUP BY 1; SELECT COUNT(*) FROM incidentTask WHERE state = 'open' AND dueAt < '\(nowText)'; SELECT site, MAX(id) FROM segmentationRun GROUP BY site"),
    ("report compliance --format html (2016 to today)", ["report", "compliance", "--format", "html", "--lang", "ja", "--from", "2016-01-01", "--to", today, "--out", reportPath],
     "SELECT strftime('%Y-%m', reportedAt), severity, COUNT(*) FROM incident GROUP BY 1, 2; SELECT category, COUNT(*) FROM incident GROUP BY 1; SELECT COUNT(*) FROM incidentTask WHERE state = 'open' AND dueAt < '\(nowText)'; SELECT site, MAX(id) FROM segmentationRun GROUP BY site"),
]
for (label, csirtArguments, sql) in measurementsWithReport {
    let (mine, bytes) = best(repeats) { run(csirt, csirtArguments) }
    let (reference, _) = best(repeats) { run(sqlitePath, [home.databasePath, sql]) }
    print(String(format: "  csirt %@: %.0f ms (%d bytes of output); sqlite3 comparable query: %.0f ms; ratio %.1f×",
                 label, mine * 1000, bytes, reference * 1000, mine / reference))
}
if let size = (try? FileManager.default.attributesOfItem(atPath: reportPath))?[.size] as? Int {
    print("  (the HTML report: \(size) bytes, \(reportPath))")
}
