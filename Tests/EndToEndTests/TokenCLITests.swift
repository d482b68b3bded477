import Foundation
import TestSupport
import XCTest

/// `csirt token` through the real binary.
final class TokenCLITests: XCTestCase {
    func testCreateListRevoke() throws {
        let directory = TemporaryDirectory()
        let env = ["CSIRT_HOME": directory.file("home"), "CSIRT_ACTOR": "admin-sato"]
        XCTAssertEqual(try CSIRTBinary.run(["init"], environment: env).status, 0)
        let created = try CSIRTBinary.run(["token", "create", "--name", "chat-bot", "--role", "officer"], environment: env)
        XCTAssertEqual(created.status, 0, created.stderr)
        let secret = created.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertTrue(secret.hasPrefix("csirt_") && secret.count == 70, secret)
        let listed = try CSIRTBinary.run(["token", "list"], environment: env)
        XCTAssertTrue(listed.stdout.hasPrefix("chat-bot\tofficer\tactive\t"), listed.stdout)
        XCTAssertFalse(listed.stdout.contains(secret))
        for (arguments, fragment) in [(["token", "create", "--name", "chat-bot", "--role", "admin"], "exists"),
                                      (["token", "create", "--name", "x", "--role", "root"], "'root' is invalid"),
                                      (["token", "revoke", "nobody"], "no token named nobody")] {
            let refused = try CSIRTBinary.run(arguments, environment: env)
            XCTAssertEqual(refused.status, 2, "\(arguments)")
            XCTAssertEqual(refused.stderr.split(separator: "\n").count, 1, refused.stderr)
            XCTAssertTrue(refused.stderr.contains(fragment), refused.stderr)
        }
        XCTAssertEqual(try CSIRTBinary.run(["token", "revoke", "chat-bot"], environment: env).status, 0)
        XCTAssertTrue(try CSIRTBinary.run(["token", "list", "--format", "json"], environment: env).stdout.contains("\"revoked_at\":\"20"))
        XCTAssertEqual(try CSIRTBinary.run(["audit", "verify"], environment: env).status, 0)
    }
}
