import CkptKit
import CkptTestSupport
import XCTest

/// The strict JSON reader used for untrusted headers, indexes and configs.
final class StrictJSONParserTests: XCTestCase {
    func testKeepsMemberOrderAndNumberText() throws {
        let value = try StrictJSONParser.parse("{\"b\": [1, -0.5e3, 0], \"a\": {\"x\": null, \"y\": true, \"z\": false}}")
        XCTAssertEqual(value, .object([
            ("b", .array([.number("1"), .number("-0.5e3"), .number("0")])),
            ("a", .object([("x", .null), ("y", .bool(true)), ("z", .bool(false))])),
        ]))
    }

    func testEscapesAndSurrogatePairs() throws {
        let value = try StrictJSONParser.parse(#"["\"\\\/\b\f\n\r\t", "\u00e4\ud83d\ude00", "ω"]"#)
        XCTAssertEqual(value, .array([.string("\"\\/\u{08}\u{0C}\n\r\t"), .string("ä😀"), .string("ω")]))
    }

    /// Each malformed document with the message it must be refused with.
    func testRefusals() {
        let cases: [(String, String)] = [
            ("{\"a\":1,\"a\":2}", "duplicate key \"a\""),
            ("[01]", "expected ',' or ']'"),
            ("[1.]", "invalid number: no digits after '.'"),
            ("[1e]", "invalid number: no digits in exponent"),
            ("[-]", "invalid number"),
            ("[+1]", "unexpected character '+'"),
            ("[\"\\ud800\"]", "lone leading surrogate in \\u escape"),
            ("[\"\\udc00\"]", "lone trailing surrogate in \\u escape"),
            ("[\"\\ud800\\u0041\"]", "invalid trailing surrogate"),
            ("[\"\\x\"]", "invalid escape '\\x'"),
            ("[\"a\nb\"]", "raw control character in string"),
            ("[\"abc", "unterminated string"),
            ("{\"a\" 1}", "expected ':'"),
            ("{1:2}", "expected a string key"),
            ("[1,]", "unexpected character ']'"),
            ("[tru]", "invalid literal"),
            ("{\"a\":1", "unexpected end of JSON in an object"),
            ("[1", "unexpected end of JSON in an array"),
            ("", "unexpected end of JSON"),
            ("1 2", "unexpected bytes after the JSON document"),
        ]
        for (text, message) in cases {
            XCTAssertThrowsError(try StrictJSONParser.parse(text), text) {
                XCTAssertEqual(($0 as? JSONError)?.message, message, text)
            }
        }
    }

    func testInvalidUTF8InString() {
        XCTAssertThrowsError(try StrictJSONParser.parse([0x5B, 0x22, 0xC3, 0x28, 0x22, 0x5D])) {
            XCTAssertEqual(($0 as? JSONError)?.message, "string is not valid UTF-8")
        }
    }

    func testDepthLimit() throws {
        let ok = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        XCTAssertNoThrow(try StrictJSONParser.parse(ok))
        let deep = String(repeating: "[", count: 100_000)
        XCTAssertThrowsError(try StrictJSONParser.parse(deep)) {
            XCTAssertEqual($0 as? JSONError, JSONError(offset: 64, message: "nesting deeper than 64 levels"))
        }
    }

    func testCompactWriterMatchesSerdeJSONEscaping() {
        let value = JSONValue.object([("k\"\\\n\u{01}", .string("ä\t\u{1F}")), ("n", .array([.int(1), .int(-2)]))])
        XCTAssertEqual(JSONWriter.compact(value), "{\"k\\\"\\\\\\n\\u0001\":\"ä\\t\\u001f\",\"n\":[1,-2]}")
    }
}

/// Never trap: truncations and single-byte corruptions of a real file either open or throw
/// a typed error.
final class SafetensorsNoTrapTests: XCTestCase {
    func testTruncationsOfAGoldenFileAreRefusedCleanly() throws {
        let golden = try GoldenFile("mixed.json")
        let bytes = try readBytes(PackagePaths.goldenSafetensors(golden.file))
        let dir = try TemporaryDirectory()
        // The length prefix, every 5th length through the header, every length around its end, then every 7th.
        let headerEnd = 8 + golden.headerLength
        let lengths = Array(0..<16) + Array(stride(from: 16, to: headerEnd - 32, by: 5)) + Array((headerEnd - 32)..<(headerEnd + 64))
            + Array(stride(from: headerEnd + 64, to: bytes.count, by: 7))
        for length in lengths {
            let path = try dir.write("t.safetensors", Array(bytes[0..<length]))
            XCTAssertThrowsError(try SafetensorsFile(path: path), "length \(length)") {
                guard case .malformedSafetensors? = $0 as? CkptError else { return XCTFail("length \(length): \($0)") }
            }
        }
    }

    func testHeaderByteCorruptionsNeverTrap() throws {
        let golden = try GoldenFile("mixed.json")
        let bytes = try readBytes(PackagePaths.goldenSafetensors(golden.file))
        let headerEnd = 8 + golden.headerLength
        var refused = 0
        for offset in 0..<headerEnd {
            for value: UInt8 in [0x00, 0x22, 0x39, 0x7D] where bytes[offset] != value {
                var mutated = bytes
                mutated[offset] = value
                let length = UInt64(littleEndian: mutated.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
                guard length <= UInt64(SafetensorsHeader.maxHeaderLength), Int(length) <= mutated.count - 8 else { refused += 1; continue }
                do {
                    _ = try SafetensorsHeader.parse(headerBytes: Array(mutated[8..<(8 + Int(length))]),
                                                    dataSize: mutated.count - 8 - Int(length))
                } catch {
                    refused += 1
                }
            }
        }
        XCTAssertGreaterThan(refused, 0)
    }
}
