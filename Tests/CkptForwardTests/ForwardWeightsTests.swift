import CkptTestSupport
import Foundation
import XCTest
import CkptKit
@testable import CkptForward

/// Loading backbone weights: architecture from shapes, every problem reported at once.
final class ForwardWeightsTests: XCTestCase {
    static var root: String? { PackagePaths.goldenRoot(containing: "models") }

    /// Architecture read from the tensors matches what the golden generator recorded (case.json).
    func testArchitectureFromShapesInBothLayouts() throws {
        guard let root = Self.root else { throw XCTSkip("golden models not found (set CKPT_GOLDEN_ROOT)") }
        for name in ["tiny", "tiny-reg4", "tiny-swiglu"] {
            let config = try StrictJSONParser.parse(FileSystem.readSmallFile("\(root)/models/\(name)/case.json"))["config"]
            let heads = try XCTUnwrap(config?["heads"]?.intValue)
            for path in ["\(root)/models/\(name)/dinov2.safetensors", "\(root)/models/\(name)/hf"] {
                let a = try ViTWeights(checkpoint: Checkpoint.open(path), heads: path.hasSuffix("hf") ? nil : heads).architecture
                XCTAssertEqual(a.width, config?["width"]?.intValue, path)
                XCTAssertEqual(a.depth, config?["depth"]?.intValue, path)
                XCTAssertEqual(a.heads, heads, path)
                XCTAssertEqual(a.registers, config?["registers"]?.intValue, path)
                XCTAssertEqual(a.ffn.rawValue, config?["ffn"]?.stringValue, path)
                XCTAssertEqual(a.ffnHidden, config?["mlp_hidden"]?.intValue, path)
                XCTAssertEqual(a.imageSize, config?["image_size"]?.intValue, path)
            }
        }
    }

    func testMissingAndMisshapenTensorsAreAllReported() throws {
        guard let root = Self.root else { throw XCTSkip("golden models not found (set CKPT_GOLDEN_ROOT)") }
        var tensors = try Checkpoint.open(root + "/models/tiny/dinov2.safetensors").tensors
        tensors.removeAll { $0.name == "blocks.1.ls1.gamma" }
        let i = tensors.firstIndex { $0.name == "blocks.0.attn.proj.weight" }!
        tensors[i] = tensors[i].renamed("blocks.0.attn.proj.weight", shape: [16, 64])
        XCTAssertThrowsError(try ViTWeights(tensors: tensors, source: "planted.safetensors", heads: 2)) { error in
            guard case let CkptError.invalidDirectory(path, problems) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(path, "planted.safetensors")
            XCTAssertEqual(problems.count, 2, "\(problems)")
            XCTAssertTrue(problems.contains { $0.contains("missing tensor \"blocks.1.ls1.gamma\"") }, "\(problems)")
            XCTAssertTrue(problems.contains { $0.contains("\"blocks.0.attn.proj.weight\" has shape [16, 64], expected [32, 32]") }, "\(problems)")
        }
    }
}
