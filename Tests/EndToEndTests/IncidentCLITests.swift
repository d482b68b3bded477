import AuditLog
import CanonicalJSON
import Foundation
import TestSupport
import XCTest

/// Incidents through the real binary, with a playbook directory of the test's own.
final class IncidentCLITests: XCTestCase {
    var directory: TemporaryDirectory!
    var env: [String: String] = [:]

    static let playbook = """
        id: malware
        version: 1
        title: {ja: マルウェア感染, en: Malware infection}
        categories: [malware]
        phases:
          triage:
            - id: confirm
              title: {ja: 確認, en: Confirm}
              do: {ja: 確認する, en: Check}
              role: responder
              due: PT1H
              from: detection
          containment:
            - id: isolate
              title: {ja: 隔離, en: Isolate}
              do: {ja: 抜線, en: Unplug}
              role: responder
              evidence: true
              due: PT2H
          recovery:
            - id: lessons
              title: {ja: 振り返り, en: Lessons learned}
              do: {ja: 再発防止策, en: Prevention}
              role: security-officer
              required: false
        notifications:
          - id: notify-ciso
            to: ciso
            title: {ja: CISO報告, en: Tell the CISO}
            due: PT4H
        """

    static let phishing = """
        id: phishing
        version: 1
        title: {ja: 標的型メール, en: Phishing}
        categories: [phishing]
        phases:
          triage:
            - id: collect-mail
              title: {ja: メール保全, en: Keep the mail}
              do: {ja: 保全, en: Keep it}
              role: responder
              due: PT30M
              from: detection
        notifications:
          - id: warn-staff
            to: ciso
            title: {ja: 注意喚起, en: Warn staff}
            due: PT2H
        """

    override func setUpWithError() throws {
        directory = TemporaryDirectory()
        let playbooks = directory.file("playbooks")
        try FileManager.default.createDirectory(atPath: playbooks, withIntermediateDirectories: true)
        _ = directory.write("playbooks/malware.yaml", Self.playbook)
        _ = directory.write("playbooks/phishing.yaml", Self.phishing)
        env = ["CSIRT_HOME": directory.file("home"), "CSIRT_PLAYBOOKS": playbooks, "CSIRT_ACTOR": "tanaka"]
        XCTAssertEqual(try csirt(["init"]).status, 0)
    }

    func csirt(_ arguments: [String], actor: String? = nil) throws -> ProcessResult {
        var environment = env
        if let actor { environment["CSIRT_ACTOR"] = actor }
        return try CSIRTBinary.run(arguments, environment: environment)
    }

    func auditEntries() -> [AuditEntry] {
        LogFixtures.lines(of: env["CSIRT_HOME"]! + "/audit/audit.log").compactMap { try? AuditEntry.parse($0) }
    }

    func json(_ result: ProcessResult) throws -> JSONValue {
        try CanonicalJSON.parse(Array(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines).utf8))
    }

    @discardableResult
    func ok(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws -> ProcessResult {
        let result = try csirt(arguments)
        XCTAssertEqual(result.status, 0, "\(arguments): \(result.stderr)", file: file, line: line)
        return result
    }

    func refused(_ arguments: [String], _ fragment: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let before = auditEntries().count
        let result = try csirt(arguments)
        XCTAssertEqual(result.status, 2, "\(arguments): \(result.stdout)", file: file, line: line)
        XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr, file: file, line: line)
        XCTAssertTrue(result.stderr.contains(fragment), "\(result.stderr) lacks \(fragment)", file: file, line: line)
        XCTAssertEqual(auditEntries().count, before, "nothing written for \(arguments)", file: file, line: line)
    }

    func testLifecycleWritesOneAuditEntryPerChange() throws {
        let opened = try ok(["incident", "open", "--title", "EDR alert on PC-12", "--category", "malware", "--severity", "high",
                             "--segment", "lgwan", "--asset", "pc-12", "--personal-data", "150", "--data-kind", "name",
                             "--detected", "2026-11-20T09:00:00+09:00", "--format", "json"])
        let incident = try json(opened)
        XCTAssertEqual(incident["id"], "INC-2026-0001")
        XCTAssertEqual(incident["status"], "reported")
        guard case .array(let tasks)? = incident["tasks"] else { return XCTFail("no tasks") }
        XCTAssertEqual(tasks.compactMap { $0["id"]?.stringValue }, ["confirm", "isolate", "lessons", "notify-ciso", "ppc-preliminary", "ppc-final"])
        XCTAssertEqual(tasks[0]["due_at"], "2026-11-20T01:00:00Z", "PT1H from detection")
        XCTAssertEqual(tasks[1]["due_at"], .null, "containment has not started")
        XCTAssertEqual(tasks[4]["due_at"], "2026-11-23T15:00:00Z", "速報: 3 days, end of day in Japan")
        XCTAssertEqual(tasks[5]["due_at"], "2027-01-19T15:00:00Z", "確報: 60 days for malware (wrongful purpose)")

        let commands: [[String]] = [
            ["incident", "assign", "INC-2026-0001", "suzuki"],
            ["incident", "note", "INC-2026-0001", "EDR quarantined the file"],
            ["incident", "advance", "INC-2026-0001"],
            ["incident", "step", "INC-2026-0001", "confirm", "--done"],
            ["incident", "advance", "INC-2026-0001"],
            ["incident", "step", "INC-2026-0001", "isolate", "--done", "--evidence", "switch port 3/14 shut"],
            ["incident", "advance", "INC-2026-0001"],
            ["incident", "advance", "INC-2026-0001"],
            ["incident", "step", "INC-2026-0001", "notify-ciso", "--done"],
            ["incident", "step", "INC-2026-0001", "ppc-preliminary", "--done", "--evidence", "PPC form 2026-1123-01"],
            ["incident", "step", "INC-2026-0001", "ppc-final", "--done", "--evidence-file", directory.write("final.txt", "確報\n")],
            ["incident", "close", "INC-2026-0001"],
            ["incident", "reopen", "INC-2026-0001", "--reason", "same malware found on PC-13"],
        ]
        for command in commands {
            let before = auditEntries()
            try ok(command)
            let after = auditEntries()
            XCTAssertEqual(after.count, before.count + 1, "one audit entry for \(command)")
            XCTAssertEqual(after.last?.target, "INC-2026-0001")
            XCTAssertEqual(after.last?.actor, "tanaka")
        }
        XCTAssertEqual(auditEntries().map(\.action).dropFirst(), ["incident.open", "incident.assign", "incident.note", "incident.advance",
            "incident.step", "incident.advance", "incident.step", "incident.advance", "incident.advance", "incident.step", "incident.step",
            "incident.step", "incident.close", "incident.reopen"])
        let shown = try json(try ok(["incident", "show", "INC-2026-0001", "--format", "json"]))
        XCTAssertEqual(shown["status"], "triage")
        XCTAssertEqual(shown["version"], 14)
        XCTAssertEqual(shown["assignee"], "suzuki")
        XCTAssertEqual(shown["contained_at"], .null, "reopened: the phases start again (the timeline keeps the first pass)")
        guard case .array(let timeline)? = shown["timeline"] else { return XCTFail("no timeline") }
        XCTAssertEqual(timeline.count, 14)
        guard case .array(let finalTasks)? = shown["tasks"] else { return XCTFail("no tasks") }
        let final = finalTasks.first { $0["id"] == "ppc-final" }
        XCTAssertTrue(final?["evidence"]?.stringValue?.contains("sha256 ") == true, "\(String(describing: final))")
        XCTAssertEqual(try csirt(["audit", "verify"]).status, 0)
    }

    func testIllegalTransitionsAndBadInputAreRefusedAndWriteNothing() throws {
        try ok(["incident", "open", "--title", "t", "--category", "malware", "--severity", "low"])
        try refused(["incident", "advance", "INC-2026-0001", "--to", "containment"], "cannot advance to containment from reported")
        try refused(["incident", "close", "INC-2026-0001"], "cannot close from reported")
        try refused(["incident", "reopen", "INC-2026-0001", "--reason", "x"], "cannot reopen from reported")
        try refused(["incident", "advance", "INC-2026-0001", "--to", "rejected", "--reason", "fp"], "cannot reject from reported")
        try ok(["incident", "advance", "INC-2026-0001"])
        try refused(["incident", "advance", "INC-2026-0001", "--to", "rejected"], "rejecting needs --reason")
        try refused(["incident", "advance", "INC-2026-0001", "--to", "closed"], "use `csirt incident close`")
        try refused(["incident", "show", "INC-2026-0099"], "INC-2026-0099: no such incident")
        try refused(["incident", "note", "INC-2026-0099", "x"], "no such incident")
        try refused(["incident", "note", "INC-26-1", "x"], "is not an incident id")
        try refused(["incident", "open", "--title", "t", "--category", "flood", "--severity", "low"], "flood")
        try refused(["incident", "open", "--title", "t", "--category", "malware", "--severity", "extreme"], "extreme")
        try refused(["incident", "open", "--title", "t", "--category", "malware", "--severity", "low", "--playbook", "nope"], "no playbook \"nope\"")
        try refused(["incident", "open", "--title", "t", "--category", "malware", "--severity", "low", "--detected", "yesterday"], "is not a time")
        try refused(["incident", "open", "--title", "t", "--category", "malware", "--severity", "low", "--detected", "2099-01-01"], "in the future")
        try refused(["incident", "open", "--title", " ", "--category", "malware", "--severity", "low"], "the title is empty")
        try refused(["incident", "step", "INC-2026-0001", "nosuch", "--done"], "no step \"nosuch\"")
        try refused(["incident", "step", "INC-2026-0001", "confirm", "--skip"], "--skip needs --reason")
        try refused(["incident", "step", "INC-2026-0001", "confirm", "--done", "--skip", "--reason", "x"], "exactly one of --done and --skip")
        try refused(["incident", "step", "INC-2026-0001", "confirm", "--done", "--evidence-file", directory.file("missing")], "no such file")
        try ok(["incident", "step", "INC-2026-0001", "confirm", "--skip", "--reason", "EDR already confirmed"])
        try refused(["incident", "step", "INC-2026-0001", "confirm", "--done"], "already skipped")
        try ok(["incident", "advance", "INC-2026-0001", "--to", "rejected", "--reason", "false positive: test file"])
        try refused(["incident", "advance", "INC-2026-0001"], "nothing to advance to")
        XCTAssertEqual(try csirt(["audit", "verify"]).status, 0)
    }

    func testClosingWithOpenRequiredStepsNeedsForceAndReason() throws {
        try ok(["incident", "open", "--title", "t", "--category", "malware", "--severity", "low"])
        for _ in 0..<4 { try ok(["incident", "advance", "INC-2026-0001"]) }
        try refused(["incident", "close", "INC-2026-0001"], "required steps are still open: confirm, isolate, notify-ciso")
        try refused(["incident", "close", "INC-2026-0001", "--force"], "--force needs --reason")
        try ok(["incident", "close", "INC-2026-0001", "--force", "--reason", "handled by the vendor's SOC, records on paper"])
        let entry = auditEntries().last!
        XCTAssertEqual(entry.action, "incident.close")
        XCTAssertEqual(entry.details["forced"], true)
        XCTAssertEqual(entry.details["open_required"], ["confirm", "isolate", "notify-ciso"])
    }

    func testOverdueForCron() throws {
        try ok(["incident", "open", "--title", "t", "--category", "malware", "--severity", "low", "--detected", "2026-11-20T09:00:00+09:00"])
        let early = try csirt(["incident", "overdue", "--at", "2026-11-20T09:30:00+09:00"])
        XCTAssertEqual(early.status, 0, early.stdout)
        let later = try csirt(["incident", "overdue", "--at", "2026-11-20T14:00:00+09:00", "--format", "json"])
        XCTAssertEqual(later.status, 1)
        guard case .array(let items) = try json(later) else { return XCTFail(later.stdout) }
        XCTAssertEqual(items.compactMap { $0["task"]?["id"]?.stringValue }, ["confirm", "notify-ciso"])
        XCTAssertEqual(items[0]["overdue_seconds"], 14_400)
        try ok(["incident", "step", "INC-2026-0001", "confirm", "--done"])
        try ok(["incident", "step", "INC-2026-0001", "notify-ciso", "--done"])
        XCTAssertEqual(try csirt(["incident", "overdue", "--at", "2026-11-20T14:00:00+09:00"]).status, 0)
        try refused(["incident", "overdue", "--at", "soon"], "is not a time")
    }

    func testUpdatingCategoryOrDetectionRecomputesOpenTasks() throws {
        try ok(["incident", "open", "--title", "t", "--category", "malware", "--severity", "low", "--detected", "2026-11-20T09:00:00+09:00"])
        try ok(["incident", "step", "INC-2026-0001", "notify-ciso", "--done"])
        try ok(["incident", "update", "INC-2026-0001", "--detected", "2026-11-20T08:00:00+09:00"])
        var shown = try json(try ok(["incident", "show", "INC-2026-0001", "--format", "json"]))
        guard case .array(let tasks)? = shown["tasks"] else { return XCTFail() }
        XCTAssertEqual(tasks.first { $0["id"] == "confirm" }?["due_at"], "2026-11-20T00:00:00Z", "PT1H from the new detection time, 08:00 JST")
        try ok(["incident", "update", "INC-2026-0001", "--category", "phishing"])
        shown = try json(try ok(["incident", "show", "INC-2026-0001", "--format", "json"]))
        XCTAssertEqual(shown["playbook"], "phishing")
        guard case .array(let switched)? = shown["tasks"] else { return XCTFail() }
        XCTAssertEqual(switched.compactMap { $0["id"]?.stringValue }, ["collect-mail", "warn-staff", "notify-ciso"], "done work stays; open tasks come from the new playbook")
        try refused(["incident", "update", "INC-2026-0001"], "nothing to change")
    }

    func testListFiltersAndFormats() throws {
        try ok(["incident", "open", "--title", "one, with comma", "--category", "malware", "--severity", "high", "--segment", "lgwan", "--assignee", "sato"])
        try ok(["incident", "open", "--title", "two \"quoted\"", "--category", "phishing", "--severity", "low", "--segment", "internet"])
        try ok(["incident", "open", "--title", "=cmd()", "--category", "malware", "--severity", "critical", "--segment", "mynumber"])
        try ok(["incident", "advance", "INC-2026-0002"])
        func ids(_ arguments: [String]) throws -> [String] {
            guard case .array(let list) = try json(try ok(["incident", "list", "--format", "json"] + arguments)) else { return [] }
            return list.compactMap { $0["id"]?.stringValue }
        }
        XCTAssertEqual(try ids([]), ["INC-2026-0001", "INC-2026-0002", "INC-2026-0003"])
        XCTAssertEqual(try ids(["--status", "triage"]), ["INC-2026-0002"])
        XCTAssertEqual(try ids(["--category", "malware"]), ["INC-2026-0001", "INC-2026-0003"])
        XCTAssertEqual(try ids(["--severity", "high", "--severity", "critical"]), ["INC-2026-0001", "INC-2026-0003"])
        XCTAssertEqual(try ids(["--segment", "mynumber"]), ["INC-2026-0003"])
        XCTAssertEqual(try ids(["--assignee", "sato"]), ["INC-2026-0001"])
        XCTAssertEqual(try ids(["--from", "2000-01-01", "--to", "2000-01-02"]), [])
        XCTAssertEqual(try ids(["--limit", "1"]), ["INC-2026-0001"])

        let csv = try ok(["incident", "list", "--format", "csv"]).stdout
        let rows = CSV.parse(csv)
        XCTAssertEqual(rows.count, 4)
        XCTAssertEqual(rows[0].first, "id")
        XCTAssertEqual(rows[1][1], "one, with comma")
        XCTAssertEqual(rows[2][1], "two \"quoted\"")
        XCTAssertEqual(rows[3][1], "'=cmd()", "no formula injection into spreadsheets")
        let table = try ok(["incident", "list"]).stdout
        XCTAssertTrue(table.contains("INC-2026-0002  triage"), table)
        try refused(["incident", "list", "--status", "open"], "open")
    }

    /// Two processes changing one incident at once: every accepted change is kept, the rest get a
    /// conflict (exit 2); nothing is lost or written twice.
    func testConcurrentChangesFromTwoProcesses() throws {
        try ok(["incident", "open", "--title", "t", "--category", "malware", "--severity", "low"])
        let binary = CSIRTBinary.path
        let script = directory.write("writer.sh", """
            for i in $(seq 1 25); do
              "\(binary)" incident note INC-2026-0001 "$1 note $i" --actor "$1" >/dev/null 2>"$2.err.$i"
              echo "$? $1 note $i"
            done
            """)
        let result = try TestProcess.shell("sh '\(script)' alice '\(directory.path)/a' & sh '\(script)' bob '\(directory.path)/b' & wait", environment: env)
        let outcomes = result.stdout.split(separator: "\n").map { $0.split(separator: " ", maxSplits: 1) }
        XCTAssertEqual(outcomes.count, 50)
        let accepted = outcomes.filter { $0[0] == "0" }.map { String($0[1]) }
        let conflicts = outcomes.filter { $0[0] == "2" }
        XCTAssertEqual(accepted.count + conflicts.count, 50, result.stdout)
        let errors = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.contains(".err.") }
            .map { try String(contentsOfFile: directory.file($0), encoding: .utf8) }.filter { !$0.isEmpty }
        XCTAssertEqual(errors.count, conflicts.count)
        for error in errors { XCTAssertTrue(error.contains("changed by someone else meanwhile"), error) }

        let shown = try json(try ok(["incident", "show", "INC-2026-0001", "--format", "json"]))
        XCTAssertEqual(shown["version"], .integer(Int64(1 + accepted.count)))
        guard case .array(let timeline)? = shown["timeline"] else { return XCTFail() }
        let notes = timeline.filter { $0["kind"] == "note" }.compactMap { $0["text"]?.stringValue }
        XCTAssertEqual(Set(notes), Set(accepted), "exactly the accepted notes, once each")
        XCTAssertEqual(notes.count, accepted.count)
        XCTAssertEqual(auditEntries().filter { $0.action == "incident.note" }.count, accepted.count)
        XCTAssertEqual(try csirt(["audit", "verify"]).status, 0)
    }

    /// A past incident imported with its real times; legal reports do not block closing.
    func testImportingAPastIncident() throws {
        try ok(["incident", "open", "--title", "lost laptop", "--category", "malware", "--severity", "medium", "--reporter", "kato",
                "--detected", "2026-10-01T09:00:00+09:00", "--personal-data", "300"])
        for (step, flags) in [("confirm", ["--done"]), ("notify-ciso", ["--done"])] { try ok(["incident", "step", "INC-2026-0001", step] + flags) }
        try ok(["incident", "advance", "INC-2026-0001", "--at", "2026-10-01T10:00:00+09:00"])
        try ok(["incident", "advance", "INC-2026-0001", "--at", "2026-10-01T11:00:00+09:00"])
        try ok(["incident", "step", "INC-2026-0001", "isolate", "--done", "--evidence", "unplugged 11:20"])
        try ok(["incident", "advance", "INC-2026-0001", "--at", "2026-10-01T12:00:00+09:00"])
        try ok(["incident", "advance", "INC-2026-0001", "--at", "2026-10-02T09:00:00+09:00"])
        try refused(["incident", "close", "INC-2026-0001", "--at", "2026-10-01T08:00:00+09:00"], "is before the incident entered recovery")
        try ok(["incident", "close", "INC-2026-0001", "--at", "2026-10-03T09:00:00+09:00"])
        let shown = try json(try ok(["incident", "show", "INC-2026-0001", "--format", "json"]))
        XCTAssertEqual(shown["reporter"], "kato")
        XCTAssertEqual(shown["contained_at"], "2026-10-01T03:00:00Z")
        XCTAssertEqual(shown["closed_at"], "2026-10-03T00:00:00Z")
        // The PPC reports are still owed after closing: the preliminary one is overdue, the final
        // one (60 days: malware presumes a wrongful purpose) is due by the end of 30 November.
        let overdue = try csirt(["incident", "overdue", "--at", "2026-12-01T09:00:00+09:00", "--format", "json"])
        XCTAssertEqual(overdue.status, 1)
        XCTAssertTrue(overdue.stdout.contains("ppc-preliminary") && overdue.stdout.contains("ppc-final"), overdue.stdout)
        XCTAssertFalse(try csirt(["incident", "overdue", "--at", "2026-11-30T23:59:00+09:00"]).stdout.contains("ppc-final"))
        try refused(["incident", "update", "INC-2026-0001", "--severity", "medium"], "nothing to change")
        try refused(["incident", "update", "INC-2026-0001", "--detected", "2099-01-01"], "after the incident was logged")
        try refused(["incident", "open", "--title", "t", "--category", "malware", "--severity", "low", "--detected", "26-11-20"], "not a plausible time")
    }

    func testPreliminaryDeadlineIsConfigurable() throws {
        try ok(["config", "set", "ppc.preliminary-days", "5"])
        XCTAssertEqual(auditEntries().last?.action, "config.set")
        try refused(["config", "set", "ppc.preliminary-days", "0"], "from 1 to 30")
        try refused(["config", "set", "legal.time-zone", "Mars/Olympus"], "unknown time zone")
        try refused(["config", "set", "colour", "blue"], "unknown setting")
        let opened = try json(try ok(["incident", "open", "--title", "t", "--category", "malware", "--severity", "low", "--personal-data", "1",
                                      "--special-care", "--detected", "2026-11-20T09:00:00+09:00", "--format", "json"]))
        guard case .array(let tasks)? = opened["tasks"] else { return XCTFail() }
        XCTAssertEqual(tasks.first { $0["id"] == "ppc-preliminary" }?["due_at"], "2026-11-25T15:00:00Z", "5 days")
    }

    func testIfVersionConflict() throws {
        try ok(["incident", "open", "--title", "t", "--category", "malware", "--severity", "low"])
        try ok(["incident", "assign", "INC-2026-0001", "sato", "--if-version", "1"])
        try refused(["incident", "assign", "INC-2026-0001", "kato", "--if-version", "1"], "now version 2, this change was based on version 1")
    }

    func testPlaybookValidateCommand() throws {
        let good = directory.write("good.yaml", Self.playbook)
        let bad = directory.write("bad.yaml", Self.playbook.replacingOccurrences(of: "due: PT2H", with: "due: two hours"))
        let valid = try csirt(["playbook", "validate", good])
        XCTAssertEqual(valid.status, 0, valid.stdout)
        let invalid = try csirt(["playbook", "validate", good, bad])
        XCTAssertEqual(invalid.status, 1)
        XCTAssertTrue(invalid.stdout.contains("\(bad):19:12: due: \"two hours\" is not an ISO 8601 duration"), invalid.stdout)
        XCTAssertEqual(try csirt(["playbook", "validate", directory.file("none.yaml")]).status, 2)
        let list = try ok(["playbook", "list", "--format", "json"])
        XCTAssertTrue(list.stdout.contains(#""id":"malware""#))
        let show = try ok(["playbook", "show", "malware"])
        XCTAssertTrue(show.stdout.contains("isolate (responder, evidence, due PT2H from phase)"), show.stdout)
    }
}

/// A small RFC 4180 reader, to read csirt's CSV back.
enum CSV {
    static func parse(_ text: String) -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var field = ""
        var quoted = false
        var chars = Array(text)[...]
        while let c = chars.popFirst() {
            if quoted {
                if c == "\"" {
                    if chars.first == "\"" { field.append("\""); chars.removeFirst() } else { quoted = false }
                } else { field.append(c) }
            } else if c == "\"" { quoted = true }
            else if c == "," { row.append(field); field = "" }
            else if c == "\n" { row.append(field); rows.append(row); row = []; field = "" }
            else { field.append(c) }
        }
        if !field.isEmpty || !row.isEmpty { row.append(field); rows.append(row) }
        return rows
    }
}
