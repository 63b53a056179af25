import XCTest
import CkptKit
@testable import CkptLayout

/// `Pattern`, the `{i}` key templates of the layout tables, matched on UTF-8 bytes.
final class PatternTests: XCTestCase {
    func testMatch() {
        let cases: [(String, String, Int??)] = [
            ("blocks.{i}.attn.qkv.weight", "blocks.11.attn.qkv.weight", .some(11)),
            ("blocks.{i}.attn.qkv.weight", "blocks.0.attn.qkv.weight", .some(0)),
            ("blocks.{i}.attn.qkv.weight", "blocks.01.attn.qkv.weight", nil),      // leading zero
            ("blocks.{i}.attn.qkv.weight", "blocks.+1.attn.qkv.weight", nil),      // sign
            ("blocks.{i}.attn.qkv.weight", "blocks..attn.qkv.weight", nil),        // no digits
            ("blocks.{i}.attn.qkv.weight", "blocks.1.attn.qkv.bias", nil),         // tail differs
            ("blocks.{i}.attn.qkv.weight", "block.1.attn.qkv.weight", nil),        // head differs
            ("blocks.{i}.attn.qkv.weight", "blocks.99999999999999999999.attn.qkv.weight", nil),  // overflows Int
            ("blocks.{i}.attn.qkv.weight", "blocks.٣.attn.qkv.weight", nil),      // non-ASCII digit
            ("{i}.weight", "7.weight", .some(7)),                                  // placeholder first
            ("layer.{i}", "layer.12", .some(12)),                                  // placeholder last
            ("cls_token", "cls_token", .some(nil)),                                // exact, no placeholder
            ("cls_token", "cls_tokens", nil),
            ("cls_token", "", nil),
            ("ünï.{i}.cödé", "ünï.3.cödé", .some(3)),                             // multi-byte UTF-8 around it
        ]
        for (pattern, name, want) in cases {
            let got = Pattern.match(pattern, name)
            XCTAssertEqual(got.map { $0 ?? -1 }, want.map { $0 ?? -1 }, "\(pattern) vs \(name)")
        }
    }

    func testFillIsTheInverseOfMatch() {
        for pattern in ["blocks.{i}.norm1.weight", "{i}", "x.{i}", "cls_token"] {
            for i in [0, 7, 123] {
                let name = Pattern.fill(pattern, i)
                XCTAssertFalse(name.contains("{i}"), name)
                let back = Pattern.match(pattern, name)
                XCTAssertEqual(back.map { $0 ?? -1 }, pattern.contains("{i}") ? i : -1, "\(pattern) → \(name)")
            }
        }
        XCTAssertEqual(Pattern.fill("blocks.{i}.x", nil), "blocks.{i}.x")
    }

    /// A table reports every pattern a name matches, with its tag, in the order appended; and the
    /// compiled fill agrees with `Pattern.fill`.
    func testTableListsEveryMatchInOrder() {
        var table = Pattern.Table()
        let patterns = ["blocks.{i}.mlp.fc1.weight", "cls_token", "blocks.{i}.mlp.fc2.weight", "blocks.{i}.mlp.fc1.weight", "{i}"]
        for (tag, p) in patterns.enumerated() { table.append(Pattern.Compiled(p), tag: 10 * tag) }
        func matches(_ name: String) -> [String] {
            var name = name
            return name.withUTF8 { table.matches($0) }.map { "\($0.tag):\($0.block.map(String.init) ?? "-")" }
        }
        XCTAssertEqual(matches("blocks.3.mlp.fc1.weight"), ["0:3", "30:3"])
        XCTAssertEqual(matches("cls_token"), ["10:-"])
        XCTAssertEqual(matches("42"), ["40:42"])
        XCTAssertEqual(matches("blocks.3.mlp.fc1.bias"), [])
        XCTAssertEqual(matches(""), [])
        for p in patterns {
            for i in [nil, 0, 12] as [Int?] { XCTAssertEqual(Pattern.Compiled(p).filled(i), Pattern.fill(p, i), "\(p) \(String(describing: i))") }
        }
    }

    func testDecimal() {
        XCTAssertEqual(Pattern.decimal("0"), 0)
        XCTAssertEqual(Pattern.decimal("40"), 40)
        XCTAssertNil(Pattern.decimal(""))
        XCTAssertNil(Pattern.decimal("00"))
        XCTAssertNil(Pattern.decimal("1e2"))
        XCTAssertNil(Pattern.decimal("-1"))
        XCTAssertEqual(Pattern.decimal("9223372036854775807"), Int.max)
        XCTAssertNil(Pattern.decimal("9223372036854775808"))
    }
}
