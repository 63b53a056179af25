import CkptKit
@testable import CkptVerify
import XCTest

final class DiffTests: XCTestCase {
    func testSameFileIsIdentical() throws {
        let path = try VerifyFixtures.path("models/tiny/hf/model.safetensors")
        let c = try Checkpoint.open(path)
        let (entries, onlyA, onlyB) = try CheckpointDiff.compare(c.tensors, try Checkpoint.open(path).tensors, atol: nil)
        XCTAssertEqual(entries.count, c.tensors.count)
        XCTAssertTrue(entries.allSatisfy { $0.status == .identical })
        XCTAssertEqual(onlyA + onlyB, [])
    }

    /// One element moved by a known amount: max abs diff is exactly that amount, `--atol` below it
    /// fails and at it passes; keys on one side are listed.
    func testPlantedPerturbation() throws {
        let path = try VerifyFixtures.path("models/tiny/dinov2.safetensors")
        let c = try Checkpoint.open(path)
        let name = "blocks.0.mlp.fc2.weight"
        let original = try XCTUnwrap(c[name])
        var values = try original.floatValues()
        let index = 77
        let before = values[index]
        values[index] = before + 0.25
        let delta = abs(Double(values[index]) - Double(before))
        let bytes = values.withUnsafeBytes { Array($0) }
        let changed = c.tensors.filter { $0.name != "norm.bias" }.map { $0.name == name ? VerifyFixtures.replacing($0, bytes: bytes) : $0 }

        for (atol, status) in [(nil, CheckpointDiff.Entry.Status.different), (delta / 2, .different), (delta, .withinAtol)] {
            let (entries, onlyA, onlyB) = try CheckpointDiff.compare(c.tensors, changed, atol: atol)
            let e = try XCTUnwrap(entries.first { $0.key == name })
            XCTAssertEqual(e.status, status, "atol \(String(describing: atol))")
            XCTAssertEqual(e.maxAbsDiff, delta, "atol \(String(describing: atol))")
            XCTAssertEqual(e.maxRelDiff, delta / abs(Double(values[index])), "relative to the B side")
            XCTAssertLessThan(try XCTUnwrap(e.cosine), 1)
            XCTAssertEqual(entries.filter { $0.status != .identical }.map(\.key), [name])
            XCTAssertEqual(onlyA, ["norm.bias"])
            XCTAssertEqual(onlyB, [])
        }
    }

    /// NaN never compares equal: statistics are null and the tensor differs even with a huge atol.
    func testNaNNeverMatches() throws {
        let c = try Checkpoint.open(try VerifyFixtures.path("models/tiny/dinov2.safetensors"))
        let t = try XCTUnwrap(c["norm.weight"])
        var values = try t.floatValues()
        values[3] = .nan
        let nan = VerifyFixtures.replacing(t, bytes: values.withUnsafeBytes { Array($0) })
        let (entries, _, _) = try CheckpointDiff.compare([t], [nan], atol: 1e30)
        XCTAssertEqual(entries.first?.status, .different)
        XCTAssertNil(entries.first?.maxAbsDiff)
        let (same, _, _) = try CheckpointDiff.compare([nan], [nan], atol: nil)
        XCTAssertEqual(same.first?.status, .identical, "bit-identical NaNs are the same bytes")
    }

    func testShapeAndDtypeMismatch() throws {
        let c = try Checkpoint.open(try VerifyFixtures.path("models/tiny/dinov2.safetensors"))
        let t = try XCTUnwrap(c["blocks.0.attn.qkv.weight"])
        let (entries, _, _) = try CheckpointDiff.compare(
            [t, try XCTUnwrap(c["norm.weight"])],
            [t.renamed(t.name, shape: [32, 96]), VerifyFixtures.relabelled(try XCTUnwrap(c["norm.weight"]), .i32)], atol: nil)
        XCTAssertEqual(entries.map(\.status), [.shapeMismatch, .dtypeMismatch])
    }
}
