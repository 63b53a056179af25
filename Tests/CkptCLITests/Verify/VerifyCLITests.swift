import CkptKit
import CkptTestSupport
import Foundation
import XCTest

/// Runs the built `ckpt` and pins the exit codes and JSON of `verify`, `manifest` and `diff`.
final class VerifyCLITests: XCTestCase {
    /// `golden/<relative>` (repository root, or `CKPT_GOLDEN_DIR`), skipping when absent.
    func golden(_ relative: String) throws -> String {
        var dir = ProcessInfo.processInfo.environment["CKPT_GOLDEN_DIR"]
        if dir == nil {
            let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().deletingLastPathComponent()
            dir = repo.appendingPathComponent("golden").path
        }
        let p = dir! + "/" + relative
        guard FileManager.default.fileExists(atPath: p) else { throw XCTSkip("golden file \(relative) is not there") }
        return p
    }

    func run(_ arguments: [String]) throws -> (code: Int32, stdout: String, stderr: String) {
        let r = try CkptProcess.run(arguments)
        return (r.status, r.stdout, r.stderr)
    }

    func scratch() throws -> String {
        let dir = NSTemporaryDirectory() + "ckpt-verify-cli-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        return dir
    }

    func testExitCodes() throws {
        let hf = try golden("models/tiny/hf")
        let dinov2 = try golden("models/tiny/dinov2.safetensors")
        let dir = try scratch()
        let garbage = dir + "/garbage.safetensors"
        try Data("not a checkpoint".utf8).write(to: URL(fileURLWithPath: garbage))
        let cases: [([String], Int32)] = [
            (["verify", "--strict", hf], 0),
            (["verify", "--strict", dinov2, "--like", hf], 0),
            (["verify", "--strict", try golden("models/tiny/hf-nomask")], 1),
            (["verify", "--strict", try golden("models/tiny/train.safetensors")], 1),
            (["verify", "--strict", hf, "--expect", "raddino"], 1),
            (["verify", "--strict", hf, "--dtype", "f16"], 1),
            (["verify", hf, "--dtype", "F99"], 64),
            (["verify", hf, "--atol", "0.1"], 64),
            (["verify", "--strict", garbage], 2),
            (["verify", "--strict", dir + "/absent.safetensors"], 2),
            (["verify", "--strict", hf, "--manifest", garbage], 2),
            (["verify", hf, "--expect", "vit-huge"], 64),
            (["verify", hf, "--expect", "raddino", "--like", dinov2], 64),
            (["verify", hf, "--expect", "raddino", "--image-size", "224"], 64),
            (["verify", hf, "--no-such-flag"], 64),
            (["diff", hf, dinov2], 0),
            (["diff", hf, try golden("models/tiny-reg4/hf")], 1),
            (["diff", hf, dinov2, "--atol", "-1"], 64),
            (["diff", hf, garbage], 2),
            (["manifest", garbage], 2),
        ]
        for (arguments, code) in cases {
            let r = try run(arguments)
            XCTAssertEqual(r.code, code, "ckpt \(arguments.joined(separator: " "))\n\(r.stdout)\n\(r.stderr)")
        }
    }

    /// Human output: the verdict is the first line, and there is no colour or progress bar off a TTY.
    func testTextOutput() throws {
        let r = try run(["verify", "--strict", try golden("models/tiny/hf-nomask")])
        let lines = r.stdout.split(separator: "\n")
        XCTAssertTrue(lines.first?.hasPrefix("FAIL ") ?? false, r.stdout)
        XCTAssertTrue(r.stdout.contains("embeddings.mask_token"), r.stdout)
        XCTAssertFalse(r.stdout.contains("\u{1B}["), "no ANSI codes in a pipe")
        XCTAssertEqual(r.stderr, "", "no progress bar off a TTY")
        let ok = try run(["verify", "--strict", try golden("models/tiny/dinov2.safetensors")])
        XCTAssertTrue(ok.stdout.hasPrefix("PASS "), ok.stdout)
    }

    /// `--json` is `ckpt.verify/1` and names the problem.
    func testJSONNamesProblems() throws {
        let r = try run(["verify", "--strict", "--json", try golden("models/tiny/train.safetensors")])
        XCTAssertEqual(r.code, 1)
        let json = try StrictJSONParser.parse(r.stdout)
        XCTAssertEqual(json["schema"], .string("ckpt.verify/1"))
        XCTAssertEqual(json["status"], .string("fail"))
        let problems = try XCTUnwrap(json["problems"]?.arrayValue)
        XCTAssertTrue(problems.contains { $0["kind"] == .string("missing") && $0["key"] == .string("blocks.0.norm1.weight") })
        XCTAssertEqual(json["diagnoses"]?.arrayValue?.first?["kind"], .string("prefixed"))
    }

    /// `ckpt manifest -o` then `verify --manifest`: the file passes, a copy with one flipped bit fails
    /// and the JSON names the tensor.
    func testManifestRoundTrip() throws {
        let source = try golden("models/tiny/hf/model.safetensors")
        let dir = try scratch()
        let manifest = dir + "/release.json"
        var r = try run(["manifest", source, "-o", manifest])
        XCTAssertEqual(r.code, 0, r.stderr)
        XCTAssertEqual(try Manifest.load(manifest).tensors.count, 43)
        r = try run(["manifest", source, "-o", manifest])
        XCTAssertEqual(r.code, 2, "refuses to overwrite without --force: \(r.stderr)")
        XCTAssertEqual(try run(["manifest", source, "-o", manifest, "--force"]).code, 0)
        XCTAssertEqual(try run(["verify", "--strict", source, "--manifest", manifest]).code, 0)

        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: source)))
        let file = try SafetensorsFile(path: source)
        let name = "encoder.layer.0.mlp.fc2.weight"
        bytes[file.fileOffset(of: try XCTUnwrap(file.info(name))) + 17] ^= 0x04
        let candidate = dir + "/candidate.safetensors"
        try Data(bytes).write(to: URL(fileURLWithPath: candidate))
        r = try run(["verify", "--strict", "--json", candidate, "--manifest", manifest])
        XCTAssertEqual(r.code, 1)
        let problems = try XCTUnwrap(try StrictJSONParser.parse(r.stdout)["problems"]?.arrayValue)
        XCTAssertEqual(problems.map { "\($0["kind"]!.stringValue!) \($0["key"]!.stringValue!)" },
                       ["bytes \(name)", "file model.safetensors"])
    }

    /// `ckpt diff --json` across layouts: `ckpt.diff/1`, identical, B mapped.
    func testDiffJSON() throws {
        let r = try run(["diff", "--json", try golden("models/tiny/dinov2.safetensors"), try golden("models/tiny/hf")])
        XCTAssertEqual(r.code, 0, r.stdout)
        let json = try StrictJSONParser.parse(r.stdout)
        XCTAssertEqual(json.objectValue?.map(\.0), ["schema", "status", "a", "b", "layout", "atol", "counts", "tensors", "only_in_a", "only_in_b"])
        XCTAssertEqual(json["schema"], .string("ckpt.diff/1"))
        XCTAssertEqual(json["status"], .string("identical"))
        XCTAssertEqual(json["layout"]?["mapped"], .bool(true))
        XCTAssertEqual(json["counts"]?["identical"], .int(35))
        for t in try XCTUnwrap(json["tensors"]?.arrayValue) {
            XCTAssertEqual(t.objectValue?.map(\.0), ["key", "status", "dtype_a", "dtype_b", "shape_a", "shape_b", "max_abs_diff", "max_rel_diff", "cosine"])
        }
    }
}
