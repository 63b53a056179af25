import CkptKit
import XCTest

/// `verify` and `diff` on the timm files timm wrote itself (`golden/models/<case>/timm.safetensors`).
final class TimmVerifyTests: XCTestCase {
    func verify(_ path: String, _ expect: StrictVerifier.Expect = .detected, layout: LayoutKind? = nil) throws -> StrictReport {
        try StrictVerifier.verify(try Checkpoint.open(path), options: .init(expect: expect, layout: layout, strict: true))
    }

    func testTimmFilesPassDetectedPinnedSpecAndLike() throws {
        for model in VerifyFixtures.models {
            let timm = try VerifyFixtures.path("models/\(model)/timm.safetensors")
            let dinov2 = try VerifyFixtures.path("models/\(model)/dinov2.safetensors")
            let arch = try Layouts.detect(try Checkpoint.open(dinov2)).architecture!
            let reports: [(String, StrictReport)] = [
                ("detected", try verify(timm)),
                ("--layout timm", try verify(timm, layout: .timm)),
                ("spec", try verify(timm, .spec(.backbone(name: model, architecture: arch)))),
                ("like dinov2", try verify(timm, .like(try Checkpoint.open(dinov2)))),
                ("dinov2 like timm", try verify(dinov2, .like(try Checkpoint.open(timm)))),
            ]
            for (label, report) in reports {
                XCTAssertEqual(report.problems, [], "\(model) \(label):\n\(report.text())")
                XCTAssertTrue(report.passed, "\(model) \(label)")
            }
            XCTAssertEqual(reports[0].1.expectation.layout, "timm", model)
            XCTAssertEqual(reports[2].1.expectation.layout, "timm", "\(model): a spec finds the timm spelling")
        }
    }

    /// An original file checked as timm: its register tokens and mask token are spelled in the
    /// original layout, and the hint names the conversion.
    func testOriginalFileCheckedAsTimm() throws {
        let report = try verify(try VerifyFixtures.path("models/tiny-reg4/dinov2.safetensors"), layout: .timm)
        XCTAssertFalse(report.passed)
        let other = try XCTUnwrap(report.diagnoses.first { $0.kind == .otherLayout }, "\(report.diagnoses)")
        XCTAssertEqual(other.count, 2, other.detail)  // mask_token, register_tokens
        XCTAssertTrue(other.detail.contains("spelled in the original DINOv2 layout (dinov2) while timm was expected"), other.detail)
        XCTAssertEqual(other.hint, "convert with `ckpt convert layout --to timm`, or verify with `--layout dinov2`")
        XCTAssertEqual(report.errors.first { $0.key == "reg_token" }?.kind, .missing)
        XCTAssertEqual(report.errors.first { $0.key == "pos_embed" }?.kind, .shape, "timm's register models store the patch positions only")
    }

    /// `diff` maps a timm file into the original layout: bit-identical without registers; with
    /// registers only the folded class token and the first position differ.
    func testDiffAcrossTheFold() throws {
        let plain = try CheckpointDiff.diff(try Checkpoint.open(try VerifyFixtures.path("models/tiny/dinov2.safetensors")),
                                            try Checkpoint.open(try VerifyFixtures.path("models/tiny/timm.safetensors")), atol: nil)
        XCTAssertTrue(plain.mapped)
        XCTAssertTrue(plain.identical, plain.text())
        let reg = try CheckpointDiff.diff(try Checkpoint.open(try VerifyFixtures.path("models/tiny-reg4/dinov2.safetensors")),
                                          try Checkpoint.open(try VerifyFixtures.path("models/tiny-reg4/timm.safetensors")), atol: nil)
        XCTAssertTrue(reg.mapped)
        XCTAssertEqual(reg.entries.filter { $0.status != .identical }.map(\.key).sorted(), ["cls_token", "pos_embed"], reg.text())
    }
}
