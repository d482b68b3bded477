/// What an API token may do. `responder` works incidents; `officer` runs checks and reports and
/// reads incidents; `auditor` reads everything and verifies the audit log; `admin` may do all,
/// tokens included.
public enum APIRole: String, Sendable, CaseIterable, Codable {
    case responder, officer, auditor, admin

    /// What a request needs.
    public enum Permission: Sendable, CaseIterable {
        case readIncidents, changeIncidents, runChecks, readChecks, runReports, verifyAudit, manageTokens
    }

    public func allows(_ permission: Permission) -> Bool {
        switch self {
        case .admin: return true
        case .responder: return [.readIncidents, .changeIncidents].contains(permission)
        case .officer: return [.readIncidents, .runChecks, .readChecks, .runReports].contains(permission)
        case .auditor: return [.readIncidents, .readChecks, .verifyAudit].contains(permission)
        }
    }
}
