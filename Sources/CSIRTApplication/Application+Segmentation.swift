import AuditLog
import CanonicalJSON
import CSIRTStore
import Foundation
import GRDB
import Segmentation

extension Application {
    /// Runs a check and stores it with its findings, in one transaction with its audit entry.
    public func checkSegmentation(siteFile: String, policyFile: String?, actor: String) throws(CSIRTError) -> SegmentationRun {
        var run = try SegmentationRun.check(siteFile: siteFile, policyFile: policyFile,
                                            policyDirectory: PolicyCatalog.defaultDirectory(home: home), now: clock())
        try record(&run, actor: actor)
        return run
    }

    /// Runs a check on uploaded files (the HTTP API): the site description is `uploaded[siteFile]`,
    /// its firewall references name other uploaded files, and the policy is one of the catalog's
    /// (by id), so that a request can never make the server read its own disk.
    public func checkSegmentation(siteFile: String, uploaded: [String: [UInt8]], policyID: String?, actor: String) throws(CSIRTError) -> SegmentationRun {
        let directory = PolicyCatalog.defaultDirectory(home: home)
        var policyFile: String? = nil
        if let policyID {
            guard policyID.range(of: "^[A-Za-z0-9][A-Za-z0-9._-]*$", options: .regularExpression) != nil,
                  FileManager.default.fileExists(atPath: directory + "/" + policyID + ".yaml") else {
                throw CSIRTError(.notFound, "no policy \"\(policyID)\" in \(directory)")
            }
            policyFile = directory + "/" + policyID + ".yaml"
        }
        var run = try SegmentationRun.check(siteFile: siteFile, policyFile: policyFile, policyDirectory: directory, now: clock(), uploaded: uploaded)
        try record(&run, actor: actor)
        return run
    }

    /// Stores a run and its findings; the audit entry names the inputs by SHA-256 and the verdict.
    public func record(_ run: inout SegmentationRun, actor: String) throws(CSIRTError) {
        let document = SegmentationDocument(run, includeRun: false)
        let inputs = String(decoding: (try? JSONEncoder().encode(run.inputs)) ?? Data(), as: UTF8.self)
        let snapshot = run
        let (id, _) = try perform { db in
            var record = SegmentationRunRecord(site: snapshot.site.name, siteFile: snapshot.siteFile, policyID: snapshot.policy.id,
                                               model: snapshot.site.model.rawValue, checkedAt: snapshot.checkedAt, compliant: snapshot.result.isCompliant,
                                               violations: snapshot.result.violations.count, warnings: snapshot.result.warnings.count,
                                               inputs: inputs, report: String(decoding: document.encoded(), as: UTF8.self))
            try record.insert(db)
            let runID = record.id!
            for (ordinal, finding) in snapshot.result.findings.enumerated() {
                try SegmentationFindingRecord(runID: runID, ordinal: ordinal, kind: finding.kind.rawValue, level: finding.level.rawValue,
                                              ruleID: finding.policyRule?.id, severity: finding.policyRule?.severity.rawValue, firewall: finding.firewall,
                                              file: finding.location.file, line: finding.location.line, ruleText: finding.ruleText,
                                              witness: finding.witness?.description, message: finding.message).insert(db)
            }
            let violated = Array(Set(snapshot.result.violations.compactMap { $0.policyRule?.id })).sorted()
            let details: [String: JSONValue] = [
                "site": .string(snapshot.site.name),
                "site_file": .string(snapshot.siteFile),
                "policy": .string(snapshot.policy.id),
                "compliant": .bool(snapshot.result.isCompliant),
                "violations": .integer(Int64(snapshot.result.violations.count)),
                "warnings": .integer(Int64(snapshot.result.warnings.count)),
                "violated_rules": .array(violated.map(JSONValue.string)),
                "inputs": .array(snapshot.inputs.map { .object(["kind": .string($0.kind), "file": .string($0.file), "sha256": .string($0.sha256)]) }),
            ]
            return Mutation(value: runID, entry: AuditEntryDraft(actor: actor, action: "check.segmentation", target: "run/\(runID)", details: details))
        }
        run.id = id
    }

    /// Past runs, newest first.
    public func segmentationRuns(limit: Int) throws(CSIRTError) -> [SegmentationRunRecord] {
        try mapErrors {
            try database.read { db in
                try SegmentationRunRecord.order(Column("id").desc).limit(limit).fetchAll(db)
            }
        }
    }

    /// The newest run of each site (for `/metrics`).
    public func latestSegmentationRunPerSite() throws(CSIRTError) -> [SegmentationRunRecord] {
        try mapErrors {
            try database.read { db in
                try SegmentationRunRecord.fetchAll(db, sql: "SELECT * FROM segmentationRun WHERE id IN (SELECT MAX(id) FROM segmentationRun GROUP BY site) ORDER BY site")
            }
        }
    }

    public func segmentationRun(id: Int64) throws(CSIRTError) -> SegmentationRunRecord {
        let record = try mapErrors { try database.read { db in try SegmentationRunRecord.fetchOne(db, key: id) } }
        guard let record else { throw CSIRTError(.notFound, "no segmentation run \(id)") }
        return record
    }
}
