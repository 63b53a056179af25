import CkptTestSupport
import Foundation
import XCTest

/// A command analyses each checkpoint's layout once and passes the analysis on (`ViTWeights(analysis:)`,
/// the interpolation convention, `--like`'s expectation). Debug builds count `Layouts.analyze` calls and print
/// the count when `CKPT_DEBUG_ANALYSES` is set; a release build (`CKPT_BINARY`) has no counter, so the test skips.
final class AnalysisCountTests: XCTestCase {
    var root: String { PackagePaths.golden }

    func analyses(_ arguments: [String]) throws -> Int {
        let r = try CkptProcess.run(arguments, wrapper: ["/usr/bin/env", "CKPT_DEBUG_ANALYSES=1"])
        XCTAssertEqual(r.status, 0, r.summary)
        guard let line = r.stderr.split(separator: "\n").first(where: { $0.hasPrefix("ckpt: debug: ") }) else {
            throw XCTSkip("this ckpt build does not count analyses (not a debug build): \(r.summary)")
        }
        return Int(line.split(separator: " ")[2])!
    }

    func testEachCheckpointIsAnalysedOnce() throws {
        let tmp = try TemporaryDirectory("ckpt-analyses")
        defer { _ = tmp }
        let images = ["camera.png", "rocket.jpg", "gray16.png"].map { root + "/images/inputs/" + $0 }
        let tinyImages = root + "/forward/tiny-images-hf"
        let cases: [(String, [String], Int)] = [
            ("embed --image", ["embed", root + "/models/tiny/hf", "--image"] + images
                + ["--preprocessor", tinyImages + "/preprocessor_config.json", "-o", tmp.file("e.safetensors")], 1),
            ("embed --pixels", ["embed", root + "/models/tiny/hf", "--pixels", tinyImages + "/pixels.safetensors",
                                "-o", tmp.file("p.safetensors")], 1),
            ("verify --golden", ["verify", root + "/models/tiny/hf", "--golden", tinyImages], 1),
            // Two files: the checkpoint and the one it is compared with, each once.
            ("verify --like", ["verify", root + "/models/tiny/dinov2.safetensors", "--like", root + "/models/tiny/hf"], 2),
            ("diff", ["diff", root + "/models/tiny/hf", root + "/models/tiny/dinov2.safetensors"], 2),
            // A release bundle: three files, each analysed once for its report, the cross-file checks and the
            // golden case's head.
            ("verify --release --golden", ["verify", "--release", root + "/hub/cache/models--ckpt-golden--tiny-release/"
                + "snapshots/ed5b701be0e5fa5b0d643ff6a84642f64b4b05ba", "--golden", root + "/user-cases/tiny-release-images"], 3),
            ("embed DINOv3", ["embed", root + "/models/tiny-dinov3/hf", "--pixels",
                              root + "/forward/tiny-dinov3-64x96/pixels.safetensors", "-o", tmp.file("d3.safetensors")], 1),
        ]
        for (label, arguments, expected) in cases {
            XCTAssertEqual(try analyses(arguments), expected, label)
        }
    }
}
