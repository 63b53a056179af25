import CkptTestSupport
import Foundation
import XCTest
import CkptKit

/// `ckpt embed`, run as a process: outputs, exit codes and messages.
final class EmbedCommandTests: XCTestCase {
    /// The golden root: `golden/` of this repository or `$CKPT_GOLDEN_ROOT`.
    static var goldenRoot: String? { PackagePaths.goldenRoot(containing: "forward") }

    func run(_ args: [String]) throws -> (code: Int32, out: String, err: String) {
        let r = try CkptProcess.run(args)
        return (r.status, r.stdout, r.stderr)
    }

    func tempPath(_ name: String) -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ckpt-embed-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        return dir.appendingPathComponent(name).path
    }

    func golden() throws -> String {
        guard let root = Self.goldenRoot else { throw XCTSkip("no golden data (set CKPT_GOLDEN_ROOT)") }
        return root
    }

    /// The written embeddings equal the upstream reference within the case's tolerance.
    func testEmbedMatchesGoldenCaseInBothLayouts() throws {
        let root = try golden()
        let cases = [("tiny-42x70-dinov2", "models/tiny/dinov2.safetensors", [String]()),
                     ("tiny-42x70-hf", "models/tiny/hf", [String]()),
                     ("tiny-42x70-dinov2", "models/tiny/hf", ["--interpolation", "dinov2"]),
                     ("tiny-reg4-56-dinov2", "models/tiny-reg4/dinov2.safetensors", [String]()),
                     // timm files: timm's own outputs, and those of the files they were converted from.
                     ("tiny-reg4-timm-native", "models/tiny-reg4/timm.safetensors", [String]()),
                     ("tiny-reg4-56-timm", "models/tiny-reg4/timm.safetensors", [String]()),
                     ("tiny-reg4-56-dinov2", "models/tiny-reg4/timm.safetensors", [String]()),
                     ("tiny-reg4-42x70-hf", "models/tiny-reg4/timm.safetensors", ["--interpolation", "hf"]),
                     ("tiny-swiglu-timm-native", "models/tiny-swiglu/timm.safetensors", [String]()),
                     ("tiny-swiglu-56-dinov2", "models/tiny-swiglu/timm.safetensors", [String]()),
                     ("tiny-42x70-dinov2", "models/tiny/timm.safetensors", [String]())]
        for (name, weights, extra) in cases {
            let dir = root + "/forward/" + name
            let out = tempPath("out.safetensors")
            let r = try run(["embed", root + "/" + weights, "--pixels", dir + "/pixels.safetensors", "-o", out, "--threads", "1"] + extra)
            XCTAssertEqual(r.code, 0, "\(name) \(weights): \(r.err)")
            let written = try Checkpoint.open(out)
            let expected = try Checkpoint.open(dir + "/expected.safetensors")
            let json = try StrictJSONParser.parse(FileSystem.readSmallFile(dir + "/golden.json"))
            let atol = try XCTUnwrap(json["tolerance"]?["atol"]?.doubleValue), rtol = try XCTUnwrap(json["tolerance"]?["rtol"]?.doubleValue)
            for ref in expected.tensors {
                let got = try XCTUnwrap(written[ref.name], "\(name): \(ref.name) missing from the output")
                XCTAssertEqual(got.shape, ref.shape, "\(name): \(ref.name)")
                let a = try got.floatValues(), b = try ref.floatValues()
                let bad = zip(a, b).filter { !(abs(Double($0) - Double($1)) <= atol + rtol * abs(Double($1))) }.count
                XCTAssertEqual(bad, 0, "\(name) with \(weights) \(extra): \(ref.name) has \(bad) values out of tolerance")
            }
        }
    }

    func testHeadAddsHeadOutput() throws {
        let root = try golden()
        let dir = root + "/forward/tiny-head"
        let out = tempPath("head.safetensors")
        let r = try run(["embed", root + "/models/tiny/dinov2.safetensors", "--pixels", dir + "/pixels.safetensors", "-o", out,
                         "--head", root + "/models/tiny/head-param.safetensors"])
        XCTAssertEqual(r.code, 0, r.err)
        let written = try Checkpoint.open(out), expected = try Checkpoint.open(dir + "/expected.safetensors")
        let got = try XCTUnwrap(written["head_output"]), ref = try XCTUnwrap(expected["head_output"])
        XCTAssertEqual(got.shape, ref.shape)
        let json = try StrictJSONParser.parse(FileSystem.readSmallFile(dir + "/golden.json"))
        let atol = try XCTUnwrap(json["tolerance"]?["atol"]?.doubleValue), rtol = try XCTUnwrap(json["tolerance"]?["rtol"]?.doubleValue)
        for (a, b) in zip(try got.floatValues(), try ref.floatValues()) {
            XCTAssertLessThanOrEqual(abs(Double(a) - Double(b)), atol + rtol * abs(Double(b)))
        }
    }

    /// Input mistakes: exit 2 with the file named, 64 for bad flags, never a partial output.
    func testErrors() throws {
        let root = try golden()
        let weights = root + "/models/tiny/dinov2.safetensors"
        let pixels = root + "/forward/tiny-native/pixels.safetensors"
        let out = tempPath("e.safetensors")
        func pixelValues(_ name: String, _ dtype: DType, _ shape: [Int]) throws -> String {
            let path = tempPath(name)
            let bytes = [UInt8](repeating: 0, count: dtype.byteCount(for: shape)!)
            try SafetensorsWriter.write([OutputTensor(TensorEntry(name: "pixel_values", dtype: dtype, shape: shape, bytes: bytes))], to: path)
            return path
        }
        let twoChannels = try pixelValues("two.safetensors", .f32, [1, 2, 28, 28])
        let integers = try pixelValues("int.safetensors", .i32, [1, 3, 28, 28])
        let small = try pixelValues("small.safetensors", .f32, [1, 3, 10, 28])
        let table: [(String, [String], Int32, String)] = [
            ("pixels without pixel_values", ["embed", weights, "--pixels", weights, "-o", out], 2, "no tensor \"pixel_values\""),
            ("two-channel pixels", ["embed", weights, "--pixels", twoChannels, "-o", out], 2,
             "\(twoChannels): tensor \"pixel_values\" has shape [1, 2, 28, 28], expected [B, 3, H, W]"),
            ("integer pixels", ["embed", weights, "--pixels", integers, "-o", out], 2,
             "\(integers): tensor \"pixel_values\" is I32, not a floating-point tensor"),
            ("pixels smaller than a patch", ["embed", weights, "--pixels", small, "-o", out], 2,
             "\(small): image 10×28 is smaller than one 14×14 patch"),
            ("heads that do not divide the width", ["embed", weights, "--pixels", pixels, "-o", out, "--heads", "5"], 2,
             "\(weights): 5 attention heads do not divide the embedding width 32"),
            ("weights without a backbone", ["embed", pixels, "--pixels", pixels, "-o", out], 2, pixels),
            ("zero threads", ["embed", weights, "--pixels", pixels, "-o", out, "--threads", "0"], 64, "--threads"),
            ("unknown interpolation", ["embed", weights, "--pixels", pixels, "-o", out, "--interpolation", "bilinear"], 64, "interpolation"),
        ]
        for (label, args, code, message) in table {
            let r = try run(args)
            XCTAssertEqual(r.code, code, "\(label): \(r.err)")
            XCTAssertTrue(r.err.contains(message), "\(label): stderr \(r.err)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: out), "\(label): wrote an output")
        }
        let first = try run(["embed", weights, "--pixels", pixels, "-o", out])
        XCTAssertEqual(first.code, 0, first.err)
        XCTAssertTrue(first.out.contains("forward ") && first.out.contains("GFLOP/s") && first.out.contains("OpenBLAS"), first.out)
        let again = try run(["embed", weights, "--pixels", pixels, "-o", out])
        XCTAssertEqual(again.code, 2, "existing output without --force")
        XCTAssertTrue(again.err.contains("--force"), again.err)
        // Refused before the pass: with an existing output, a missing pixels file is not even read.
        let early = try run(["embed", weights, "--pixels", tempPath("missing.safetensors"), "-o", out])
        XCTAssertEqual(early.code, 2)
        XCTAssertTrue(early.err.contains("output exists"), early.err)
    }
}
