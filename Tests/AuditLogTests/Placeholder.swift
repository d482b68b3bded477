import XCTest
final class PAuditLogTests: XCTestCase { func testNothing() {} }
