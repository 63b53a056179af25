import CkptKit
@testable import CkptVerify
import XCTest

/// The documented `ckpt.verify/1` schema (README, `StrictReport`), checked member by member.
enum VerifySchema {
    static let topLevel = ["schema", "status", "path", "expectation", "strict", "manifest", "checked", "counts", "problems", "diagnoses", "golden"]
    static let problemMembers = ["key", "kind", "severity", "expected", "actual", "detail", "hint"]
    static let kinds = ["layout", "missing", "unexpected", "renamed", "shape", "dtype", "bytes", "file", "metadata",
                        "non_finite", "golden", "all_zeros", "duplicate"]
    static let diagnosisKinds = ["prefixed", "chunked", "other_layout", "no_mask_token"]

    static func check(_ json: JSONValue, _ label: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let members = try XCTUnwrap(json.objectValue, label)
        XCTAssertEqual(members.map(\.0), topLevel, "\(label): top-level members", file: file, line: line)
        XCTAssertEqual(json["schema"], .string("ckpt.verify/1"), label, file: file, line: line)
        XCTAssertNotNil(json["path"]?.stringValue, label, file: file, line: line)
        XCTAssertNotNil(json["strict"]?.boolValue, label, file: file, line: line)
        XCTAssertTrue(json["manifest"] == .null || json["manifest"]?.stringValue != nil, label, file: file, line: line)
        let expectation = try XCTUnwrap(json["expectation"]?.objectValue, label)
        XCTAssertEqual(expectation.map(\.0), ["source", "name", "layout", "summary", "heads_assumed"], label, file: file, line: line)
        XCTAssertTrue(["spec", "like", "detected"].contains(json["expectation"]?["source"]?.stringValue ?? ""), label, file: file, line: line)
        XCTAssertEqual(try XCTUnwrap(json["checked"]?.objectValue).map(\.0), ["tensors", "parameters", "bytes"], label, file: file, line: line)
        let problems = try XCTUnwrap(json["problems"]?.arrayValue, label)
        var errors = 0, warnings = 0
        var sawWarning = false
        for p in problems {
            XCTAssertEqual(p.objectValue?.map(\.0), problemMembers, "\(label): problem members", file: file, line: line)
            XCTAssertNotNil(p["key"]?.stringValue, label, file: file, line: line)
            XCTAssertTrue(kinds.contains(p["kind"]?.stringValue ?? ""), "\(label): kind \(String(describing: p["kind"]))", file: file, line: line)
            XCTAssertNotNil(p["detail"]?.stringValue, label, file: file, line: line)
            XCTAssertTrue(p["hint"] == .null || p["hint"]?.stringValue != nil, label, file: file, line: line)
            switch p["severity"]?.stringValue {
            case "error"?:
                errors += 1
                XCTAssertFalse(sawWarning, "\(label): errors come before warnings", file: file, line: line)
            case "warning"?: warnings += 1; sawWarning = true
            default: XCTFail("\(label): severity \(String(describing: p["severity"]))", file: file, line: line)
            }
        }
        XCTAssertEqual(json["counts"]?["errors"]?.intValue, errors, label, file: file, line: line)
        XCTAssertEqual(json["counts"]?["warnings"]?.intValue, warnings, label, file: file, line: line)
        XCTAssertEqual(json["status"]?.stringValue, errors == 0 ? "pass" : "fail", label, file: file, line: line)
        for d in try XCTUnwrap(json["diagnoses"]?.arrayValue, label) {
            XCTAssertEqual(d.objectValue?.map(\.0), ["kind", "count", "detail", "hint"], label, file: file, line: line)
            XCTAssertTrue(diagnosisKinds.contains(d["kind"]?.stringValue ?? ""), label, file: file, line: line)
        }
        // Round trip through our strict parser: the text is valid JSON.
        XCTAssertEqual(try StrictJSONParser.parse(JSONWriter.pretty(json)), json, label, file: file, line: line)
    }
}
