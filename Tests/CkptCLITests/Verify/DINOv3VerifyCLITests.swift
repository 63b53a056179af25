import CkptKit
import CkptTestSupport
import Foundation
import XCTest

/// `verify --strict` on the DINOv3 layouts: every upstream-written file passes, and one whose layer
/// scale is dropped (the tensor a careless converter loses) fails with exit 1, naming it.
final class DINOv3VerifyCLITests: XCTestCase {
    func testStrictVerifyOfDINOv3Files() throws {
        let models = PackagePaths.golden + "/models/"
        for file in ["tiny-dinov3/dinov3.safetensors", "tiny-dinov3/dinov3.pth", "tiny-dinov3/hf", "tiny-dinov3-swiglu/timm.safetensors",
                     "tiny-dinov3-swiglu-nobias/dinov3.safetensors", "tiny-dinov3-localnorm/dinov3.safetensors"] {
            let r = try CkptProcess.run(["verify", "--strict", models + file])
            XCTAssertEqual(r.status, 0, "\(file): \(r.stdout)\(r.stderr)")
        }
        for (file, scale) in [("tiny-dinov3/dinov3.safetensors", "blocks.1.ls2.gamma"), ("tiny-dinov3/hf/model.safetensors", "layer.0.layer_scale1.lambda1"),
                              ("tiny-dinov3-swiglu/timm.safetensors", "blocks.1.gamma_2")] {
            let source = try Checkpoint.open(models + file)
            let dir = try TemporaryDirectory("ckpt-dinov3-verify")
            let damaged = dir.file("damaged.safetensors")
            try SafetensorsWriter.write(source.tensors.filter { $0.name != scale }.map { OutputTensor($0, dtype: $0.dtype) }, to: damaged)
            let r = try CkptProcess.run(["verify", "--strict", damaged])
            XCTAssertEqual(r.status, 1, "\(file) without \(scale): \(r.stdout)\(r.stderr)")
            XCTAssertTrue(r.stdout.contains("missing keys (1)") && r.stdout.contains(scale), "\(file): \(r.stdout)")
        }
    }
}
