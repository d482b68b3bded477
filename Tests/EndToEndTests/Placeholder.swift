import XCTest
final class PEndToEndTests: XCTestCase { func testNothing() {} }
