import Foundation
import GRDB

/// One `csirt check segmentation` run: what was checked, the verdict, and the whole result as JSON.
public struct SegmentationRunRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "segmentationRun"

    public var id: Int64?
    public var site: String
    public var siteFile: String
    public var policyID: String
    public var model: String
    public var checkedAt: Date
    public var compliant: Bool
    public var violations: Int
    public var warnings: Int
    public var inputs: String
    public var report: String

    public init(id: Int64? = nil, site: String, siteFile: String, policyID: String, model: String, checkedAt: Date, compliant: Bool,
                violations: Int, warnings: Int, inputs: String, report: String) {
        self.id = id
        self.site = site
        self.siteFile = siteFile
        self.policyID = policyID
        self.model = model
        self.checkedAt = checkedAt
        self.compliant = compliant
        self.violations = violations
        self.warnings = warnings
        self.inputs = inputs
        self.report = report
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}

/// One finding of a run, as columns (for reports and trends per policy rule).
public struct SegmentationFindingRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "segmentationFinding"

    public var runID: Int64
    public var ordinal: Int
    public var kind: String
    public var level: String
    public var ruleID: String?
    public var severity: String?
    public var firewall: String?
    public var file: String
    public var line: Int
    public var ruleText: String?
    public var witness: String?
    public var message: String

    public init(runID: Int64, ordinal: Int, kind: String, level: String, ruleID: String?, severity: String?, firewall: String?, file: String,
                line: Int, ruleText: String?, witness: String?, message: String) {
        self.runID = runID
        self.ordinal = ordinal
        self.kind = kind
        self.level = level
        self.ruleID = ruleID
        self.severity = severity
        self.firewall = firewall
        self.file = file
        self.line = line
        self.ruleText = ruleText
        self.witness = witness
        self.message = message
    }
}
