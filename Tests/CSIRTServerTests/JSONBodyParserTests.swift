@testable import CSIRTServer
import Foundation
import XCTest

/// The request-body parser: RFC 8259 JSON, plus two refusals (a member named twice, nesting
/// deeper than 64 levels), each error with its byte.
final class JSONBodyParserTests: XCTestCase {
    private func parse(_ text: String) throws -> BodyValue {
        try JSONBodyParser.parse(Array(text.utf8))
    }

    private func failure(_ text: String) -> String? {
        do {
            _ = try JSONBodyParser.parse(Array(text.utf8))
            return nil
        } catch {
            return error.description
        }
    }

    private func text(_ string: String) -> String {
        string.unicodeScalars.map { $0.value >= 0x20 && $0.value < 0x80 ? String($0) : "U+\(String($0.value, radix: 16))" }.joined()
    }

    /// A rendering that shows each value's kind, for comparing whole documents.
    private func render(_ value: BodyValue) -> String {
        switch value {
        case .null: return "null"
        case .bool(let flag): return "b:\(flag)"
        case .integer(let number): return "i:\(number)"
        case .number(let number): return "d:\(number)"
        case .string(let string): return "s:" + text(string)
        case .array(let items): return "[" + items.map(render).joined(separator: ",") + "]"
        case .object(let members): return "{" + members.keys.sorted().map { text($0) + "=" + render(members[$0]!) }.joined(separator: ",") + "}"
        }
    }

    func testValues() throws {
        XCTAssertEqual(render(try parse(" {\"a\" : [1, -0, 2.5, 1e3, -9223372036854775808, 9223372036854775808, 1e400, -1E+400],\n\t\"b\":{},\"c\":[],\"d\":true,\"e\":false,\"f\":null}\r\n")),
                       "{a=[i:1,i:0,d:2.5,d:1000.0,i:-9223372036854775808,d:9.223372036854776e+18,d:inf,d:-inf],b={},c=[],d=b:true,e=b:false,f=null}")
        XCTAssertEqual(render(try parse(#""q\"b\\s\/n\nt\tr\rb\bf\fé\u00e9\u6f22\ud83d\ude00""#)), "s:q\"b\\s/nU+atU+9rU+dbU+8fU+cU+e9U+e9U+6f22U+1f600")
        XCTAssertEqual(render(try parse("\"マイナンバー\"")), "s:U+30deU+30a4U+30caU+30f3U+30d0U+30fc")
        XCTAssertEqual(render(try parse("\"\\u0000\"")), "s:U+0", "NUL is JSON; the fields refuse it")
        let deep = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        XCTAssertNoThrow(try parse(deep))
    }

    func testErrorsNameTheProblemAndItsByte() {
        XCTAssertEqual(failure("{\"a\":1,\"a\":2}"), "the member \"a\" appears twice at byte 8")
        XCTAssertEqual(failure(String(repeating: "[", count: 65) + String(repeating: "]", count: 65)), "nested deeper than 64 levels at byte 65")
        XCTAssertEqual(failure("[1,]"), "unexpected ']' at byte 4")
        XCTAssertEqual(failure("{\"a\":1,}"), "expected a member name in quotes, found '}' at byte 8")
        XCTAssertEqual(failure("{\"a\" 1}"), "expected ':' after a member name, found '1' at byte 6")
        XCTAssertEqual(failure("[1 2]"), "expected ',' or ']' in an array, found '2' at byte 4")
        XCTAssertEqual(failure("01"), "a number may not start with 0 at byte 1")
        XCTAssertEqual(failure("-"), "a number needs digits at byte 2")
        XCTAssertEqual(failure(".5"), "unexpected '.' at byte 1")
        XCTAssertEqual(failure("1."), "a number needs digits after '.' at byte 3")
        XCTAssertEqual(failure("1e+"), "a number needs digits in its exponent at byte 4")
        XCTAssertEqual(failure("tru"), "unexpected 't' at byte 1")
        XCTAssertEqual(failure("nul"), "unexpected 'n' at byte 1")
        XCTAssertEqual(failure("{} x"), "unexpected 'x' after the value at byte 4")
        XCTAssertEqual(failure("\"abc"), "a string is not closed at byte 1")
        XCTAssertEqual(failure("\"a\u{1}b\""), "a control character (byte 0x1) must be escaped in a string at byte 3")
        XCTAssertEqual(failure("\"\\x\""), "unknown escape \\x at byte 2")
        XCTAssertEqual(failure("\"\\ud800\""), "\\ud800 is half of a surrogate pair at byte 2")
        XCTAssertEqual(failure("\"\\ud800\\u0041\""), "\\ud800 is half of a surrogate pair at byte 2")
        XCTAssertEqual(failure("\"\\udc00\""), "\\udc00 is half of a surrogate pair at byte 2")
        XCTAssertEqual(failure("\"\\u12\""), "\\u needs four hex digits at byte 4")
        XCTAssertEqual(failure("{\"a\":"), "unexpected end of the body at byte 6")
        XCTAssertEqual(failure("[1"), "unexpected end of the body in an array at byte 3")
        XCTAssertEqual(failure("\u{feff}{}"), "a byte-order mark is not allowed before JSON at byte 1")
        XCTAssertEqual(failure("[\u{feff}]"), "unexpected byte 0xef at byte 2")
        XCTAssertEqual(failure("\"\\"), "a string is not closed at byte 2")
    }

    /// Documents written by Python's json module (a reference implementation) read as Python
    /// reads them: Python prints each document and its rendering in `render`'s notation.
    func testAgreesWithPython() throws {
        let script = """
        import json, random
        random.seed(7)
        def value(depth):
            k = random.randrange(8 if depth < 5 else 5)
            if k == 0: return None
            if k == 1: return random.choice([True, False])
            if k == 2: return random.randrange(-2**63, 2**63)
            if k == 3: return random.choice(["", "a\\"b\\\\c", "\\u0001\\t\\n", "漢字 ☃ 😀", "\\ud7ff\\ue000", "/x/"])
            if k == 4: return random.choice([0.5, -1.25e-07, 3e+200])
            if k in (5, 6): return {("k%d" % i) + random.choice(["", "é", "\\n"]): value(depth + 1) for i in range(random.randrange(4))}
            return [value(depth + 1) for _ in range(random.randrange(4))]
        def text(s): return "".join(c if 0x20 <= ord(c) < 0x80 else "U+%x" % ord(c) for c in s)
        def render(v):
            if v is None: return "null"
            if isinstance(v, bool): return "b:" + ("true" if v else "false")
            if isinstance(v, int): return "i:%d" % v
            if isinstance(v, float): return "d:" + repr(v)
            if isinstance(v, str): return "s:" + text(v)
            if isinstance(v, list): return "[" + ",".join(render(x) for x in v) + "]"
            return "{" + ",".join(text(k) + "=" + render(v[k]) for k in sorted(v)) + "}"
        for ensure_ascii in (True, False):
            for _ in range(100):
                v = value(0)
                print(json.dumps(v, ensure_ascii=ensure_ascii, indent=random.choice([None, 1])).replace("\\n", " "))
                print(render(v))
        """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        let lines = output.split(separator: 0x0a, omittingEmptySubsequences: false).dropLast()
        XCTAssertEqual(lines.count, 400)
        for index in stride(from: 0, to: lines.count - 1, by: 2) {
            let document = Array(lines[lines.startIndex + index])
            let expected = String(decoding: lines[lines.startIndex + index + 1], as: UTF8.self)
            XCTAssertEqual(render(try JSONBodyParser.parse(document)), expected, String(decoding: document, as: UTF8.self))
        }
    }
}
