import XCTest

@testable import BSNN

final class JSONTests: XCTestCase {
    func testParsesAllKinds() throws {
        let v = try JSONParser.parse(#" {"a": [1, -2.5e3, 0.125, true, false, null], "b": {"c": "x\ny\u00e9\ud83d\ude00\/"}} "#)
        XCTAssertEqual(v["a"], .array([.number(1), .number(-2500), .number(0.125), .bool(true), .bool(false), .null]))
        XCTAssertEqual(v["b"]?["c"], .string("x\nyé😀/"))
        XCTAssertEqual(v.objectValue?.map(\.key), ["a", "b"], "member order is kept")
    }

    func testSerializerIsDeterministic() throws {
        let v = JSONValue.object([
            JSONMember("z", .array([.number(3), .number(0.1), .number(-0.0), .number(1e-5), .number(.nan)])),
            JSONMember("a", .string("q\"\\\u{01}\t")),
        ])
        XCTAssertEqual(v.serialized(), #"{"z":[3,0.1,-0,1e-05,null],"a":"q\"\\\u0001\t"}"#)
        XCTAssertEqual(v.serialized(sortedKeys: true), #"{"a":"q\"\\\u0001\t","z":[3,0.1,-0,1e-05,null]}"#)
        // Round trip of everything representable.
        let w = JSONValue.object([JSONMember("k😀", .array([.number(123456789.5), .number(-1.7976931348623157e308), .string("\u{7f}é")]))])
        XCTAssertEqual(try JSONParser.parse(w.serialized()), w)
    }

    func testRejectsMalformedInputWithOffsets() {
        let cases: [(String, String)] = [
            ("", "offset 0"), ("{", "end of input"), ("[1,]", "offset 3"), ("{\"a\":1,}", "string key"),
            ("01", "leading zeros"), ("1.", "after '.'"), ("1e", "exponent"), ("-", "digit"), ("+1", "expected a value"),
            ("NaN", "expected a value"), ("1e400", "range"), ("\"abc", "unterminated"), ("\"\\x\"", "invalid escape"),
            ("\"\\ud800\"", "surrogate"), ("\"\\udc00\"", "unpaired"), ("\"\\ud800\\u0041\"", "low surrogate"),
            ("\"a\u{01}\"", "control"), ("{\"a\":1,\"a\":2}", "duplicate"), ("[1] x", "end of input"),
            ("tru", "'true'"), ("\"\\u12g4\"", "hex digit"), ("{\"a\" 1}", "':'"),
        ]
        for (text, fragment) in cases {
            assertThrowsKind(formatKind, try JSONParser.parse(text), contains: fragment)
        }
        assertThrowsKind(formatKind, try JSONParser.parse([0x22, 0xFF, 0x22]), contains: "UTF-8")
    }

    func testDepthLimit() throws {
        let ok = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        XCTAssertNoThrow(try JSONParser.parse(ok))
        let deep = String(repeating: "[", count: 100_000)
        assertThrowsKind(formatKind, try JSONParser.parse(deep), contains: "deeper than 64")
    }

    func testIntValue() {
        XCTAssertEqual(JSONValue.number(42).intValue, 42)
        XCTAssertNil(JSONValue.number(1.5).intValue)
        XCTAssertNil(JSONValue.number(1e300).intValue)
        XCTAssertNil(JSONValue.string("1").intValue)
    }
}
