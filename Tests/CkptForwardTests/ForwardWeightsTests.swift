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

    /// One head-count rule for detection and the forward pass (`Architecture.assumedHeads`): width 40
    /// once gave 1 head in detection and 2 in the pass.
    func testHeadCountRuleIsSharedAndNamed() throws {
        for (width, heads) in [(768, 12), (32, 2), (40, 1), (48, 3), (1536, 24)] {
            XCTAssertEqual(Architecture.assumedHeads(width: width).heads, heads, "width \(width)")
        }
        guard let root = Self.root else { throw XCTSkip("golden models not found (set CKPT_GOLDEN_ROOT)") }
        let checkpoint = try Checkpoint.open(root + "/models/tiny/dinov2.safetensors")  // no config.json
        let model = try ViTWeights(checkpoint: checkpoint)
        XCTAssertEqual(model.architecture.heads, try Layouts.detect(checkpoint).architecture?.heads)
        XCTAssertEqual(model.headsRule, Architecture.assumedHeads(width: model.architecture.width).rule)
        XCTAssertNil(try ViTWeights(checkpoint: checkpoint, heads: 2).headsRule, "--heads given")
        XCTAssertNil(try ViTWeights(checkpoint: Checkpoint.open(root + "/models/tiny/hf")).headsRule, "config.json gives them")
    }

    func testMissingAndMisshapenTensorsAreAllReported() throws {
        guard let root = Self.root else { throw XCTSkip("golden models not found (set CKPT_GOLDEN_ROOT)") }
        var tensors = try Checkpoint.open(root + "/models/tiny/dinov2.safetensors").tensors
        tensors.removeAll { $0.name == "blocks.1.ls1.gamma" }
        let i = tensors.firstIndex { $0.name == "blocks.0.attn.proj.weight" }!
        tensors[i] = tensors[i].renamed("blocks.0.attn.proj.weight", shape: [16, 64])
        // The forward pass reads through the layout table: the same strict check as `inspect` and `convert`.
        XCTAssertThrowsError(try ViTWeights(tensors: tensors, source: "planted.safetensors", heads: 2)) { error in
            guard let error = error as? LayoutError, case let .tensorsDoNotMatch(_, _, missing, unexpected, wrongShape) = error.problem else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual(error.path, "planted.safetensors")
            XCTAssertEqual(missing, ["blocks.1.ls1.gamma"])
            XCTAssertEqual(unexpected, [])
            XCTAssertEqual(wrongShape, ["blocks.0.attn.proj.weight: expected [32, 32], found [16, 64]"])
        }
    }
}
