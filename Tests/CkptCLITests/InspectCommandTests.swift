import CkptKit
import CkptTestSupport
import Foundation
import XCTest

/// `ckpt inspect`, run as the built executable: output, JSON schema and exit codes.
final class InspectCommandTests: XCTestCase {
    private func totals(_ golden: GoldenFile) -> (tensors: Int, parameters: Int, bytes: Int) {
        (golden.tensors.count,
         golden.tensors.reduce(0) { $0 + $1.shape.reduce(1, *) },
         golden.tensors.reduce(0) { $0 + $1.end - $1.begin })
    }

    func testTextReport() throws {
        let golden = try GoldenFile("mixed.json")
        let path = PackagePaths.goldenSafetensors("mixed.safetensors")
        let result = try CkptProcess.run(["inspect", path])
        XCTAssertEqual(result.exitCode, 0, result.stderr)
        XCTAssertEqual(result.stderr, "")
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let (tensors, parameters, bytes) = totals(golden)
        XCTAssertEqual(Array(lines.prefix(6)), [
            "\(path) (safetensors, 1 file)",
            "  tensors:    \(tensors)",
            "  parameters: \(parameters)",
            "  bytes:      \(bytes) (\(bytes) B)",
            "  metadata:   format=pt",
            // Not a model: the layout section says so and the tensors are still listed.
            "  layout:     unrecognised (not a recognised checkpoint layout (hf, dinov2, timm, dinov3, hf-dinov3, timm-dinov3, dino-head, dinov2-train))",
        ])
        let tensorLines = lines.dropFirst(6).filter { !$0.isEmpty }
        XCTAssertEqual(tensorLines.count, golden.tensors.count)
        // One line per tensor, sorted by name, with dtype, shape and bytes; the shape column lines up
        // even after the longest dtype name (F8_E4M3).
        let shapeColumns = Set(tensorLines.map { $0.distance(from: $0.startIndex, to: $0.firstIndex(of: "[")!) })
        XCTAssertEqual(shapeColumns.count, 1, "shape column not aligned:\n\(tensorLines.joined(separator: "\n"))")
        for t in golden.tensors {
            let shape = "[" + t.shape.map(String.init).joined(separator: ", ") + "]"
            let line = tensorLines.first { $0.split(separator: " ").first.map(String.init) == t.name }
            XCTAssertNotNil(line, t.name)
            XCTAssertEqual(line?.split(separator: " ", omittingEmptySubsequences: true).map(String.init),
                           [t.name, t.dtype] + shape.split(separator: " ").map(String.init) + ["\(t.end - t.begin)", "B"], t.name)
        }
    }

    func testJSONReportSchema() throws {
        let golden = try GoldenFile("mixed.json")
        let path = PackagePaths.goldenSafetensors("mixed.safetensors")
        let result = try CkptProcess.run(["inspect", path, "--json"])
        XCTAssertEqual(result.exitCode, 0, result.stderr)
        // Top-level keys in the documented order.
        let parsed = try StrictJSONParser.parse(result.stdout)
        XCTAssertEqual(parsed.objectValue?.map(\.0), ["schema", "path", "source", "files", "metadata", "totals", "tensors", "layout"])
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(json["schema"] as? String, "ckpt.inspect/1")
        XCTAssertEqual(json["path"] as? String, path)
        XCTAssertEqual(json["source"] as? String, "safetensors")
        XCTAssertEqual(json["files"] as? [String], [path])
        XCTAssertEqual(json["metadata"] as? [String: String], golden.metadata)
        let (tensors, parameters, bytes) = totals(golden)
        let t = try XCTUnwrap(json["totals"] as? [String: Int])
        XCTAssertEqual(t, ["tensors": tensors, "parameters": parameters, "bytes": bytes])
        let list = try XCTUnwrap(json["tensors"] as? [[String: Any]])
        XCTAssertEqual(list.map { $0["name"] as! String }, golden.tensors.map(\.name).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
        for entry in list {
            let name = entry["name"] as! String
            let want = try XCTUnwrap(golden[name])
            XCTAssertEqual(entry["dtype"] as? String, want.dtype, name)
            XCTAssertEqual(entry["shape"] as? [Int], want.shape, name)
            XCTAssertEqual(entry["bytes"] as? Int, want.end - want.begin, name)
            XCTAssertEqual(Set(entry.keys), ["name", "dtype", "shape", "bytes"], name)
        }
    }

    func testNoMetadataIsNull() throws {
        let result = try CkptProcess.run(["inspect", PackagePaths.goldenSafetensors("nometa.safetensors"), "--json"])
        XCTAssertEqual(result.exitCode, 0, result.stderr)
        XCTAssertEqual(try StrictJSONParser.parse(result.stdout)["metadata"], .null)
    }

    func testSourceKinds() throws {
        let cases: [(String, String, Int)] = [
            ("mixed.safetensors", "safetensors", 1),
            ("mixed.safetensors.zst", "safetensors.zst", 1),
            ("single", "hf-directory", 1),
            ("sharded", "sharded-directory", 3),
        ]
        for (name, source, files) in cases {
            let result = try CkptProcess.run(["inspect", PackagePaths.goldenSafetensors(name), "--json"])
            XCTAssertEqual(result.exitCode, 0, "\(name): \(result.stderr)")
            let json = try StrictJSONParser.parse(result.stdout)
            XCTAssertEqual(json["source"], .string(source), name)
            XCTAssertEqual(json["files"]?.arrayValue?.count, files, name)
            let text = try CkptProcess.run(["inspect", PackagePaths.goldenSafetensors(name)])
            XCTAssertTrue(text.stdout.hasPrefix("\(PackagePaths.goldenSafetensors(name)) (\(source), \(files) file"), "\(name): \(text.stdout)")
        }
    }

    /// An original-layout model (no config.json) gets a `heads:` line naming the rule under its layout
    /// line; an HF folder, whose config.json gives the count, does not.
    func testAssumedHeadCountIsNamed() throws {
        let original = try CkptProcess.run(["inspect", PackagePaths.golden + "/models/tiny/dinov2.safetensors"])
        XCTAssertEqual(original.exitCode, 0, original.stderr)
        let lines = original.stdout.split(separator: "\n").map(String.init)
        let layout = try XCTUnwrap(lines.firstIndex { $0.hasPrefix("  layout:") }, original.stdout)
        XCTAssertEqual(lines[layout + 1], "  heads:      2 assumed (head width 16, since the width 32 is not a multiple of 64); no config.json gives them")
        let hf = try CkptProcess.run(["inspect", PackagePaths.golden + "/models/tiny/hf"])
        XCTAssertEqual(hf.exitCode, 0, hf.stderr)
        XCTAssertFalse(hf.stdout.contains("heads:"), hf.stdout)
    }

    func testNewerDTypesAreListed() throws {
        let golden = try GoldenFile("exotic.json")
        let result = try CkptProcess.run(["inspect", PackagePaths.goldenSafetensors("exotic.safetensors")])
        XCTAssertEqual(result.exitCode, 0, result.stderr)
        for t in golden.tensors {
            XCTAssertTrue(result.stdout.contains(" \(t.dtype) "), "\(t.dtype) missing:\n\(result.stdout)")
        }
    }

    // MARK: - Exit codes

    func testMissingFileExits2() throws {
        let result = try CkptProcess.run(["inspect", "/nonexistent/model.safetensors"])
        XCTAssertEqual(result.exitCode, 2)
        XCTAssertEqual(result.stdout, "")
        XCTAssertEqual(result.stderr, "ckpt: error: /nonexistent/model.safetensors: open failed: No such file or directory (errno 2)\n")
    }

    func testMalformedFileExits2() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("bad.safetensors", RawSafetensors.bytes(header: "{\"t\":{\"dtype\":\"F32\",\"shape\":[2304,768],\"data_offsets\":[0,12]}}",
                                                                         data: [UInt8](repeating: 0, count: 12)))
        let result = try CkptProcess.run(["inspect", path])
        XCTAssertEqual(result.exitCode, 2)
        XCTAssertEqual(result.stderr, "ckpt: error: \(path): tensor \"t\": data_offsets [0, 12] hold 12 bytes but shape [2304, 768] of F32 needs 7077888\n")
    }

    func testCorruptZstdExits2() throws {
        let path = PackagePaths.goldenSafetensors("corrupt.safetensors.zst")
        let result = try CkptProcess.run(["inspect", path])
        XCTAssertEqual(result.exitCode, 2)
        XCTAssertTrue(result.stderr.hasPrefix("ckpt: error: \(path): zstd: "), result.stderr)
    }

    func testUsageErrorsExit64() throws {
        for args in [["inspect"], ["inspect", "a", "b"], ["inspect", "--bogus", "x"], ["frobnicate"]] {
            let result = try CkptProcess.run(args)
            XCTAssertEqual(result.exitCode, 64, "\(args): \(result.stderr)")
            XCTAssertFalse(result.stderr.isEmpty, "\(args)")
        }
    }

    func testHelpExits0() throws {
        let result = try CkptProcess.run(["inspect", "--help"])
        XCTAssertEqual(result.exitCode, 0)
        XCTAssertTrue(result.stdout.contains("--json"))
    }
}
