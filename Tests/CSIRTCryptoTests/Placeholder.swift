import XCTest
final class PCSIRTCryptoTests: XCTestCase { func testNothing() {} }
