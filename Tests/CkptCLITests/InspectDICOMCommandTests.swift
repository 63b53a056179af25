import CkptKit
import CkptTestSupport
import Foundation
import XCTest

/// `ckpt inspect` on DICOM files: recognised by content, the JSON report against the golden
/// SimpleITK readings, `--decode`, and a checkpoint name winning over DICOM-looking content.
final class InspectDICOMCommandTests: XCTestCase {
    static let inputs = PackagePaths.golden + "/dicom/inputs"

    func testJSONReportHasTheHeaderAndTheGeometrySimpleITKReads() throws {
        let golden = try StrictJSONParser.parse(String(decoding: try readBytes(Self.inputs + "/inputs.json"), as: UTF8.self))
        for name in ["ct_small.dcm", "geo_oblique.dcm", "bare_implicit", "rg3_deflated.dcm"] {
            let path = Self.inputs + "/" + name
            let result = try CkptProcess.run(["inspect", path, "--json"])
            XCTAssertEqual(result.exitCode, 0, "\(name): \(result.stderr)")
            let report = try StrictJSONParser.parse(result.stdout)
            let sitk = try XCTUnwrap(golden["files"]?[name]?["sitk"], name)
            XCTAssertEqual(report["schema"]?.stringValue, "ckpt.inspect-dicom/1")
            XCTAssertEqual(report["path"]?.stringValue, path)
            XCTAssertEqual([report["columns"]?.intValue, report["rows"]?.intValue], sitk["size"]?.arrayValue?.map(\.intValue), name)
            XCTAssertEqual(report["pixel_type"]?.stringValue, sitk["pixel_type"]?.stringValue, name)
            for key in ["spacing", "origin", "direction"] {
                XCTAssertEqual(report[key]?.arrayValue?.map(\.doubleValue), sitk[key]?.arrayValue?.map(\.doubleValue), "\(name) \(key)")
            }
            XCTAssertEqual(report["transfer_syntax"]?["uid"]?.stringValue, golden["files"]?[name]?["transfer_syntax"]?.stringValue)
            XCTAssertEqual(report["readable"], .bool(true), name)
        }
    }

    func testDecodeReportsTheRangeSimpleITKReads() throws {
        let golden = try StrictJSONParser.parse(String(decoding: try readBytes(Self.inputs + "/inputs.json"), as: UTF8.self))
        let result = try CkptProcess.run(["inspect", Self.inputs + "/ct_jpegls.dcm", "--decode", "--json"])
        XCTAssertEqual(result.exitCode, 0, result.stderr)
        let decoded = try XCTUnwrap(try StrictJSONParser.parse(result.stdout)["decoded"])
        let sitk = try XCTUnwrap(golden["files"]?["ct_jpegls.dcm"]?["sitk"])
        XCTAssertEqual(decoded["min"]?.doubleValue, sitk["min"]?.doubleValue)
        XCTAssertEqual(decoded["max"]?.doubleValue, sitk["max"]?.doubleValue)
        XCTAssertEqual(decoded["pixel_type"]?.stringValue, "int32")
    }

    func testPixelLimitNamesItsFlag() throws {
        let path = Self.inputs + "/mr_small.dcm"
        let result = try CkptProcess.run(["inspect", path, "--decode", "--max-image-pixels", "4095"])
        XCTAssertEqual(result.exitCode, 2)
        XCTAssertTrue(result.stderr.contains("\(path): DICOM image of 64 x 64 = 4096 pixels is over the limit of 4095"), result.stderr)
        XCTAssertTrue(result.stderr.contains("--max-image-pixels"), result.stderr)
    }

    func testACheckpointNameIsNotReadAsDICOM() throws {
        let scratch = try TemporaryDirectory("ckpt-inspect-dicom")
        let path = scratch.file("scan.safetensors")
        try Data(try readBytes(Self.inputs + "/mr_small.dcm")).write(to: URL(fileURLWithPath: path))
        let result = try CkptProcess.run(["inspect", path])
        XCTAssertEqual(result.exitCode, 2)
        XCTAssertFalse(result.stdout.contains("DICOM"), result.stdout)
        XCTAssertTrue(result.stderr.contains(path), result.stderr)
    }
}
