import XCTest
final class PCSIRTApplicationTests: XCTestCase { func testNothing() {} }
