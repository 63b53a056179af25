import CkptKit
import CkptTestSupport
import Foundation
import XCTest

/// The timm layout against the files timm 1.0.31 wrote itself (`golden/models/<case>/timm.safetensors`:
/// `checkpoint_filter_fn` of the original state dict, loaded strictly into `timm.create_model`), and
/// the documented property of the class-position fold where a conversion cannot be byte-exact.
final class TimmLayoutTests: XCTestCase {
    /// Every source of a golden case holds the same seed-0 weights, so each must become timm's file.
    static let sourcesToTimm = ["hf", "hf/model.safetensors", "dinov2.safetensors", "dinov2-chunked.safetensors",
                                "train.safetensors", "train-ddp-outer.safetensors", "timm.safetensors"]

    func testConversionsToTimmEqualTimmsOwnFile() throws {
        for name in GoldenCase.tinyCases {
            let g = try GoldenCase(name)
            let out = try temporaryDirectory(self)
            let expected = g.file("timm.safetensors")
            for (i, source) in Self.sourcesToTimm.enumerated() {
                let label = "\(name): \(source) → timm"
                let checkpoint = try Checkpoint.open(g.path(source))
                try assertTensors(try Layouts.backboneTensors(checkpoint, as: .timm), equal: expected, label)
                let path = "\(out)/\(i).safetensors"
                try LayoutWriter.writeBackbone(checkpoint, layout: .timm, to: path)
                XCTAssertEqual(try Hashing.sha256(file: path), expected.sha256, "\(label): whole file")
            }
        }
    }

    /// Without registers timm stores the original's bytes (no fold): back to the original layout, and
    /// to HF without a mask token (timm has none), is byte-exact.
    func testTimmWithoutRegistersConvertsBackExactly() throws {
        for (name, target, expected) in [("tiny", LayoutKind.dinov2, "dinov2.safetensors"), ("tiny-swiglu", .dinov2, "dinov2.safetensors"),
                                         ("tiny", .hf, "hf-nomask/model.safetensors")] {
            let g = try GoldenCase(name)
            let source = try Checkpoint.open(g.path("timm.safetensors"))
            let conversion = try Layouts.convertBackbone(source, to: target)
            try assertTensors(conversion.tensors, equal: g.file(expected), "\(name): timm → \(target.rawValue)")
            XCTAssertEqual(conversion.notes, [], "\(name): nothing but bytes moved")
        }
    }

    /// Register models. timm → original: `cls_token` is timm's (the folded one), `pos_embed` gets a
    /// first row of −0.0 and timm's rows after it, every other tensor equals the original file; so
    /// timm → original → timm is the identical file. original → timm → original differs from the
    /// original only in `cls_token` and the first position (same outputs: `ForwardGoldenTests` and
    /// `testFoldedModelsGiveTheGoldenOutputs`).
    func testFoldRoundTrips() throws {
        let g = try GoldenCase("tiny-reg4")
        let out = try temporaryDirectory(self)
        let timm = try Checkpoint.open(g.path("timm.safetensors"))
        let original = try Checkpoint.open(g.path("dinov2.safetensors"))
        let d = g.architecture.width

        let unfolded = try Layouts.convertBackbone(timm, to: .dinov2)
        XCTAssertEqual(unfolded.notes.count, 1, "\(unfolded.notes)")
        XCTAssertTrue(unfolded.notes.first?.contains("same outputs but not the bytes") ?? false, "\(unfolded.notes)")
        let back = Dictionary(uniqueKeysWithValues: unfolded.tensors.map { ($0.name, $0) })
        XCTAssertEqual(Set(back.keys), Set(original.names))
        for t in original.tensors where t.name != "cls_token" && t.name != "pos_embed" {
            XCTAssertEqual(try back[t.name]!.sha256(), try t.sha256(), "tiny-reg4: \(t.name) unchanged by the round")
        }
        XCTAssertEqual(try back["cls_token"]!.contiguousBytes(), try timm["cls_token"]!.contiguousBytes())
        let pos = try back["pos_embed"]!.contiguousBytes(), timmPos = try timm["pos_embed"]!.contiguousBytes()
        XCTAssertEqual(back["pos_embed"]!.shape, original["pos_embed"]!.shape)
        XCTAssertEqual(Array(pos[(4 * d)...]), timmPos, "positions after the first are timm's bytes")
        let first = try back["pos_embed"]!.floatValues().prefix(d)
        XCTAssertTrue(first.allSatisfy { $0 == 0 && $0.sign == .minus }, "first position: −0.0 everywhere, \(Array(first))")
        XCTAssertEqual(Array(pos[(4 * d)...]), Array(try original["pos_embed"]!.contiguousBytes()[(4 * d)...]))
        XCTAssertNotEqual(try back["cls_token"]!.sha256(), try original["cls_token"]!.sha256(), "the fold changed cls_token")

        // timm → original (file) → timm: the identical file.
        let middle = "\(out)/middle.safetensors", again = "\(out)/again.safetensors"
        try LayoutWriter.writeBackbone(timm, layout: .dinov2, to: middle)
        let refold = try LayoutWriter.writeBackbone(try Checkpoint.open(middle), layout: .timm, to: again)
        XCTAssertEqual(try Hashing.sha256(file: again), g.file("timm.safetensors").sha256, "timm → dinov2 → timm")
        XCTAssertEqual(refold.notes.count, 1, "writing timm from the original layout folds: \(refold.notes)")
        // timm → timm: the fold undone and done again, so nothing to report.
        XCTAssertEqual(try Layouts.convertBackbone(timm, to: .timm).notes, [])
        // Through HF too (Dinov2WithRegistersModel needs a mask token: zeros, with a warning).
        let viaHF = try Layouts.convertBackbone(timm, to: .hf)
        XCTAssertTrue(viaHF.warnings.contains { $0.contains("no mask_token; writing zeros [1, \(d)]") }, "\(viaHF.warnings)")
        let hfFolder = "\(out)/hf"
        try LayoutWriter.writeHFFolder(timm, to: hfFolder)
        try LayoutWriter.writeBackbone(try Checkpoint.open(hfFolder), layout: .timm, to: "\(out)/from-hf.safetensors")
        XCTAssertEqual(try Hashing.sha256(file: "\(out)/from-hf.safetensors"), g.file("timm.safetensors").sha256, "timm → hf → timm")
    }

    /// The fold adds in the checkpoint's dtype as torch does: timm's conversion of the original file
    /// cast to F16 / BF16 (recorded in case.json by the generator) equals ours of the same cast file
    /// (the cast itself is bit-exact with torch's `.to()`, `FloatCastTests`).
    func testHalfPrecisionFoldMatchesTorch() throws {
        let g = try GoldenCase("tiny-reg4")
        guard let half = g.json["timm_half"] as? [String: Any] else { return XCTFail("case.json has no timm_half record") }
        let out = try temporaryDirectory(self)
        for (label, dtype) in [("F16", DType.f16), ("BF16", .bf16)] {
            let record = try XCTUnwrap(half[label] as? [String: Any], label)
            let cast = "\(out)/\(label).safetensors"
            try SafetensorsWriter.write(try Checkpoint.open(g.path("dinov2.safetensors")).tensors.map { OutputTensor($0, dtype: dtype) }, to: cast)
            let tensors = try Layouts.backboneTensors(try Checkpoint.open(cast), as: .timm)
            let expected = (record["tensors"] as! [[String: Any]]).map { ($0["name"] as! String, $0["sha256"] as! String, $0["dtype"] as! String) }
            XCTAssertEqual(tensors.map(\.name).sorted(), expected.map(\.0).sorted(), label)
            for (name, sha, dt) in expected {
                let t = try XCTUnwrap(tensors.first { $0.name == name }, "\(label): \(name)")
                XCTAssertEqual(t.dtype.rawValue, dt, "\(label): dtype of \(name)")
                XCTAssertEqual(try t.sha256(), sha, "\(label): bytes of \(name) (cls_token is computed)")
            }
        }
    }

    /// The same weights in the original layout, folded into timm's and unfolded again, give the
    /// golden outputs of the upstream model, within the case's tolerance (in F32 the fold computes
    /// exactly the sum the pass computes, so they are in fact the same floats).
    func testFoldedModelsGiveTheGoldenOutputs() throws {
        guard let root = PackagePaths.goldenRoot(containing: "forward") else { throw XCTSkip("no golden forward cases") }
        let g = try GoldenCase("tiny-reg4")
        let out = try temporaryDirectory(self)
        let viaTimm = "\(out)/via-timm.safetensors", back = "\(out)/back.safetensors"
        try LayoutWriter.writeBackbone(try Checkpoint.open(g.path("dinov2.safetensors")), layout: .timm, to: viaTimm)
        try LayoutWriter.writeBackbone(try Checkpoint.open(viaTimm), layout: .dinov2, to: back)
        for caseName in ["tiny-reg4-native", "tiny-reg4-56-dinov2", "tiny-reg4-42x70-hf"] {
            for path in [viaTimm, back] {
                let report = try GoldenVerifier.verify(weights: try Checkpoint.open(path), goldenDir: root + "/forward/" + caseName, threads: 2)
                XCTAssertTrue(report.passed, "\(caseName) with \(path):\n\(report.text)")
            }
        }
    }

    /// Names and shapes of the timm layout, and detection: a timm file without registers holds
    /// exactly the original's keys but the mask token, and is read as timm; SwiGLU's fc1/fc2 are
    /// told from an MLP's by their shapes.
    func testExpectedNamesAndDetection() throws {
        let arch = Architecture(width: 96, depth: 1, heads: 6, imageSize: 42, registers: 3, ffn: .swiglu)  // heads as assumed for D=96
        let timm = Dictionary(uniqueKeysWithValues: Layouts.expectedTensors(for: arch, layout: .timm).map { ($0.name, $0.shape) })
        XCTAssertEqual(timm["reg_token"], [1, 3, 96])
        XCTAssertEqual(timm["pos_embed"], [1, 9, 96], "patch positions only (no_embed_class)")
        XCTAssertEqual(timm["cls_token"], [1, 1, 96])
        XCTAssertEqual(timm["blocks.0.mlp.fc1.weight"], [2 * 256, 96])
        XCTAssertEqual(timm["blocks.0.mlp.fc2.weight"], [96, 256])
        XCTAssertNil(timm["mask_token"])
        XCTAssertNil(timm["blocks.0.mlp.w12.weight"])
        XCTAssertEqual(timm.count, 5 + 2 + 14)  // cls, pos, reg, patch w/b; final norm; one block

        for a in [arch, Architecture(width: 64, depth: 2, heads: 1, imageSize: 28),
                  Architecture(width: 48, depth: 2, heads: 3, imageSize: 42, ffn: .swiglu)] {
            let names = Layouts.expectedTensors(for: a, layout: .timm)
            let checkpoint = Checkpoint(path: "(shapes)", kind: .safetensors, tensors: names.map {
                TensorEntry(name: $0.name, dtype: .f32, shape: $0.shape, segments: [], sourcePath: "(shapes)")
            }, metadata: nil, config: nil, files: [])
            let d = try Layouts.detect(checkpoint)
            XCTAssertEqual(d.kind, .timm, a.summary)
            XCTAssertEqual(d.architecture, a, a.summary)
            XCTAssertTrue(d.notes.contains("no mask_token (timm's models have none): zeros [1, \(a.width)] stand in for the original layout"), "\(d.notes)")
        }
    }

    /// The detection, architecture and expected names of every golden timm file, large cases too.
    func testGoldenTimmFiles() throws {
        for name in GoldenCase.tinyCases + GoldenCase.largeCases {
            let g = try GoldenCase(name)
            let record = g.file("timm.safetensors")
            let expected = Layouts.expectedTensors(for: g.architecture, layout: .timm)
            XCTAssertEqual(expected.map(\.name).sorted(), record.order.sorted(), name)
            for (n, shape) in expected { XCTAssertEqual(shape, record.tensors[n]?.shape, "\(name): \(n)") }
            guard GoldenCase.tinyCases.contains(name) else { continue }
            let d = try Layouts.detect(try Checkpoint.open(g.path("timm.safetensors")))
            XCTAssertEqual(d.kind, .timm, name)
            XCTAssertEqual(d.architecture, g.architecture, name)
            XCTAssertEqual(d.summary, "timm " + g.architecture.summary)
        }
    }
}
