@testable import CanonicalJSON
import XCTest

final class CanonicalJSONTests: XCTestCase {
    func serialize(_ value: JSONValue) -> String {
        String(decoding: CanonicalJSON.serialize(value), as: UTF8.self)
    }

    func testSerializesSortedCompactAndMinimallyEscaped() {
        let value: JSONValue = ["b": 1, "a": ["z": true, "y": .null], "é": "x", "B": [1, -2, "s"]]
        XCTAssertEqual(serialize(value), #"{"B":[1,-2,"s"],"a":{"y":null,"z":true},"b":1,"é":"x"}"#)
        XCTAssertEqual(serialize("a/b \"q\" \\ 日本\n\t\u{01}\u{1f}"), #""a/b \"q\" \\ 日本\n\t\u0001\u001f""#)
    }

    func testParsesWhatItSerializes() throws {
        let value: JSONValue = ["details": ["text": "封印 / \"x\"\n", "n": .integer(Int64.min), "m": .integer(Int64.max)], "list": [[], [:], false]]
        XCTAssertEqual(try CanonicalJSON.parse(CanonicalJSON.serialize(value)), value)
    }

    func testRejectsEverythingNonCanonical() {
        let bad: [(String, [UInt8])] = [
            ("whitespace", Array(#"{"a": 1}"#.utf8)),
            ("unsorted", Array(#"{"b":1,"a":2}"#.utf8)),
            ("duplicate", Array(#"{"a":1,"a":2}"#.utf8)),
            ("fraction", Array(#"{"a":1.5}"#.utf8)),
            ("exponent", Array(#"{"a":1e3}"#.utf8)),
            ("leading zero", Array(#"{"a":01}"#.utf8)),
            ("minus zero", Array(#"{"a":-0}"#.utf8)),
            ("overflow", Array(#"{"a":9223372036854775808}"#.utf8)),
            ("escaped slash", Array(#"{"a":"\/"}"#.utf8)),
            ("needless \\u", Array(#"{"a":"\u0041"}"#.utf8)),
            ("uppercase \\u", Array(#"{"a":"\u001F"}"#.utf8)),
            ("short-form as \\u", Array(#"{"a":"\u000a"}"#.utf8)),
            ("raw control", [0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0x09, 0x22, 0x7d]),
            ("invalid UTF-8", [0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]),
            ("overlong UTF-8", [0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc0, 0xaf, 0x22, 0x7d]),
            ("surrogate", [0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x7d]),
            ("truncated", Array(#"{"a":"x"#.utf8)),
            ("trailing bytes", Array(#"{"a":1}x"#.utf8)),
            ("single quotes", Array("{'a':1}".utf8)),
            ("too deep", Array((String(repeating: "[", count: 65) + String(repeating: "]", count: 65)).utf8)),
        ]
        for (name, bytes) in bad {
            XCTAssertThrowsError(try CanonicalJSON.parse(bytes), name)
        }
    }
}
