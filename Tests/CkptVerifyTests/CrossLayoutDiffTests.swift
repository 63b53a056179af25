import CkptKit
@testable import CkptVerify
import XCTest

final class CrossLayoutDiffTests: XCTestCase {
    /// The HF and original files of one model hold the same weights: bit-identical after mapping.
    func testBothLayoutsOfOneReleaseAreIdentical() throws {
        for model in VerifyFixtures.models {
            let hf = try Checkpoint.open(try VerifyFixtures.path("models/\(model)/hf/model.safetensors"))
            let dinov2 = try Checkpoint.open(try VerifyFixtures.path("models/\(model)/dinov2.safetensors"))
            for (a, b) in [(hf, dinov2), (dinov2, hf)] {
                let diff = try CheckpointDiff.diff(a, b, atol: nil)
                XCTAssertTrue(diff.identical, "\(model): \(a.path) vs \(b.path)\n\(diff.text())")
                XCTAssertTrue(diff.mapped, model)
                XCTAssertEqual(diff.entries.count, a.tensors.count, model)
                XCTAssertEqual(diff.exitCode, 0)
            }
            let legacy = try Checkpoint.open(try VerifyFixtures.path("models/\(model)/head-legacy.safetensors"))
            let param = try Checkpoint.open(try VerifyFixtures.path("models/\(model)/head-param.safetensors"))
            XCTAssertTrue(try CheckpointDiff.diff(legacy, param, atol: nil).identical, "\(model) heads")
        }
    }

    /// The training checkpoint's teacher is the release; its student is not (different seed).
    func testTrainTeacherAgainstRelease() throws {
        let release = try Checkpoint.open(try VerifyFixtures.path("models/tiny/dinov2.safetensors"))
        let train = try Checkpoint.open(try VerifyFixtures.path("models/tiny/train.safetensors"))
        XCTAssertTrue(try CheckpointDiff.diff(release, train, atol: nil).identical)
    }

    /// One perturbed tensor across layouts: only the tensor holding it differs, and it is named.
    func testPerturbationFoundAcrossLayouts() throws {
        let hfPath = try VerifyFixtures.path("models/tiny/hf/model.safetensors")
        let hf = try Checkpoint.open(hfPath)
        let dir = try VerifyFixtures.scratch(self)
        let changed = dir + "/changed.safetensors"
        let name = "encoder.layer.1.attention.attention.value.weight"
        var values = try XCTUnwrap(hf[name]).floatValues()
        values[10] = -values[10]
        try VerifyFixtures.rewrite(hf, to: changed) { $0.map { $0.name == name ? VerifyFixtures.replacing($0, bytes: values.withUnsafeBytes { Array($0) }) : $0 } }
        let dinov2 = try Checkpoint.open(try VerifyFixtures.path("models/tiny/dinov2.safetensors"))
        let diff = try CheckpointDiff.diff(dinov2, try Checkpoint.open(changed), atol: nil)
        XCTAssertFalse(diff.passed)
        XCTAssertEqual(diff.entries.filter { $0.status != .identical }.map(\.key), ["blocks.1.attn.qkv.weight"])
        XCTAssertEqual(diff.json["status"], .string("different"))
        XCTAssertEqual(diff.exitCode, 1)
    }
}
