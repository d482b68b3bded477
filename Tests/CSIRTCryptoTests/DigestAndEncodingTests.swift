import CSIRTCrypto
import XCTest

final class DigestAndEncodingTests: XCTestCase {
    func testSHA256KnownVectors() {
        XCTAssertEqual(Hex.encode(SHA256.hash([UInt8]())), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(Hex.encode(SHA256.hash("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    func testIncrementalHasherMatchesOneShot() {
        let data = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 * 7) }
        let hasher = SHA256Hasher()
        data.withUnsafeBytes { raw in
            hasher.update(UnsafeRawBufferPointer(rebasing: raw[0..<3333]))
            hasher.update(UnsafeRawBufferPointer(rebasing: raw[3333...]))
        }
        XCTAssertEqual(hasher.finalize(), SHA256.hash(data))
    }

    func testBase64RoundTripAndStrictness() {
        for length in 0..<20 {
            let bytes = (0..<length).map { UInt8($0 * 13 & 0xff) }
            XCTAssertEqual(Base64.decode(Base64.encode(bytes)), bytes)
        }
        XCTAssertEqual(Base64.encode(Array("foobar".utf8)), "Zm9vYmFy")
        XCTAssertEqual(Base64.encode(Array("fo".utf8)), "Zm8=")
        XCTAssertNil(Base64.decode("Zm8"), "missing padding")
        XCTAssertNil(Base64.decode("Zm=8"), "padding in the middle")
        XCTAssertNil(Base64.decode("Zm 8="), "whitespace")
        XCTAssertNil(Base64.decode("Zm8=Zm8="), "padding before the end")
        XCTAssertNil(Base64.decode("Zm9="), "non-zero bits under the padding: a second spelling of Zm8=")
        XCTAssertNil(Base64.decode("Zh=="), "non-zero bits under the padding: a second spelling of Zg==")
    }

    func testHexRoundTrip() {
        XCTAssertEqual(Hex.decode("00ff10ab"), [0x00, 0xff, 0x10, 0xab])
        XCTAssertNil(Hex.decode("0F"), "uppercase is not the canonical form")
        XCTAssertNil(Hex.decode("abc"))
        XCTAssertEqual(Hex.encode([0xde, 0xad]), "dead")
    }
}
