import CkptKit
import CkptTestSupport
import XCTest
@testable import CkptForward

/// One DINOv2 model in every layout ckpt reads gives the same outputs, bit for bit: the fused weights (qkv,
/// SwiGLU's rows) run as the same per-part GEMMs whether a file fuses them (original, timm) or stores them
/// apart (transformers' query/key/value). timm's register models fold the class position into `cls_token`
/// (a float add), so the no-register models are the ones compared with timm.
final class LayoutBitIdentityTests: XCTestCase {
    func testEveryLayoutOfAModelGivesTheSameBits() throws {
        let root = PackagePaths.golden
        let cases: [(model: String, files: [String])] = [
            ("tiny", ["dinov2.safetensors", "hf", "dinov2-chunked.safetensors", "timm.safetensors", "train.safetensors"]),
            ("tiny-swiglu", ["dinov2.safetensors", "hf", "timm.safetensors"]),
            ("tiny-reg4", ["dinov2.safetensors", "hf", "dinov2-chunked.safetensors"]),
        ]
        let pixels = try EmbedIO.loadPixels(root + "/forward/tiny-56-hf/pixels.safetensors")
        for (model, files) in cases {
            var first: [Float]?
            for file in files {
                let label = "\(model)/\(file)"
                let weights = try ViTWeights(checkpoint: Checkpoint.open("\(root)/models/\(model)/\(file)"), heads: 2)
                let out = try ViTForward.run(weights, pixels: pixels.values, batch: pixels.batch, height: pixels.height,
                                             width: pixels.width, interpolation: .hf, threads: 2)
                if let first {
                    XCTAssertEqual(out.lastHiddenState, first, "\(label): not the same bits as \(model)/\(files[0])")
                } else {
                    first = out.lastHiddenState
                }
            }
        }
    }
}
