import AuditLog
import CSIRTApplication
import Foundation
import TestSupport
import XCTest

/// API tokens: shown once, stored as a hash, authenticated in constant time, revoked at once.
final class TokenTests: XCTestCase {
    func testTokensAuthenticateUntilRevokedAndAreNeverStored() throws {
        let directory = TemporaryDirectory()
        let home = CSIRTHome(root: directory.file("home"))
        _ = try Application.initialize(home: home, signingKeyPath: nil, actor: "setup")
        let app = try Application.open(home: home)
        let secret = try app.createToken(name: "ticketing", role: .responder, actor: "admin-sato")
        XCTAssertTrue(secret.hasPrefix("csirt_"))
        XCTAssertEqual(secret.count, 70)
        let other = try app.createToken(name: "auditor-1", role: .auditor, actor: "admin-sato")
        XCTAssertNotEqual(secret, other)

        XCTAssertEqual(try app.authenticate(bearer: secret)?.name, "ticketing")
        XCTAssertEqual(try app.authenticate(bearer: secret)?.role, .responder)
        XCTAssertEqual(try app.authenticate(bearer: other)?.role, .auditor)
        // One changed digit, a cut token, something else entirely: nothing.
        var wrong = Array(secret)
        wrong[wrong.count - 1] = wrong.last == "0" ? "1" : "0"
        XCTAssertNil(try app.authenticate(bearer: String(wrong)))
        XCTAssertNil(try app.authenticate(bearer: String(secret.dropLast())))
        XCTAssertNil(try app.authenticate(bearer: ""))

        try app.revokeToken(name: "ticketing", actor: "admin-sato")
        XCTAssertNil(try app.authenticate(bearer: secret))
        XCTAssertEqual(try app.authenticate(bearer: other)?.name, "auditor-1")

        XCTAssertThrowsError(try app.createToken(name: "ticketing", role: .admin, actor: "x"))
        XCTAssertThrowsError(try app.createToken(name: "Bad Name", role: .admin, actor: "x"))
        XCTAssertThrowsError(try app.revokeToken(name: "nobody", actor: "x"))

        // The secret is in neither the database nor the audit log.
        for path in [home.databasePath, home.databasePath + "-wal", home.auditLogPath] {
            let bytes = (try? Data(contentsOf: URL(fileURLWithPath: path))) ?? Data()
            XCTAssertNil(bytes.range(of: Data(secret.utf8)), path)
        }
        let entries = LogFixtures.lines(of: home.auditLogPath).compactMap { try? AuditEntry.parse($0) }
        XCTAssertEqual(entries.map(\.action), ["init", "token.create", "token.create", "token.revoke"])
        XCTAssertEqual(entries[1].target, "token/ticketing")
        XCTAssertEqual(entries[1].actor, "admin-sato")
        XCTAssertNil(try AuditVerification.verify(home: home, logPath: nil, publicKeyPaths: [], anchorPath: nil).failure)
    }

    func testRolesAllowWhatTheIssueSays() {
        XCTAssertTrue(APIRole.responder.allows(.changeIncidents))
        XCTAssertFalse(APIRole.responder.allows(.runChecks))
        XCTAssertFalse(APIRole.responder.allows(.manageTokens))
        XCTAssertTrue(APIRole.officer.allows(.runChecks))
        XCTAssertTrue(APIRole.officer.allows(.readIncidents))
        XCTAssertFalse(APIRole.officer.allows(.changeIncidents))
        XCTAssertTrue(APIRole.auditor.allows(.verifyAudit))
        XCTAssertFalse(APIRole.auditor.allows(.changeIncidents))
        XCTAssertFalse(APIRole.auditor.allows(.runChecks))
        XCTAssertTrue(APIRole.Permission.allCases.allSatisfy(APIRole.admin.allows))
    }
}
