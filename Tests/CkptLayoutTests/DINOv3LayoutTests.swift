import CkptKit
import CkptTestSupport
import Foundation
import XCTest

/// The three DINOv3 layouts against the files the upstream code wrote itself
/// (`golden/models/tiny-dinov3*`: Meta's `state_dict`, transformers' `save_pretrained`, timm's
/// `checkpoint_filter_fn`; see golden/README.md section F). Strict loads of ckpt's outputs into the
/// upstream classes are `scripts/interop_layouts.py`'s.
final class DINOv3LayoutTests: XCTestCase {
    static let models = ["tiny-dinov3", "tiny-dinov3-nobias", "tiny-dinov3-swiglu", "tiny-dinov3-swiglu-nobias"]
    /// Each layout's file in a golden model folder, and the kind it is detected as.
    static let files: [(file: String, kind: LayoutKind)] = [
        ("dinov3.safetensors", .dinov3), ("dinov3.pth", .dinov3), ("hf", .hfDINOv3), ("hf-state-dict.safetensors", .hfDINOv3),
        ("timm.safetensors", .timmDINOv3),
    ]
    /// The upstream-written file of each target layout.
    static let targets: [(kind: LayoutKind, file: String)] = [
        (.dinov3, "dinov3.safetensors"), (.hf, "hf/model.safetensors"), (.timm, "timm.safetensors"),
    ]

    static func path(_ model: String, _ file: String) -> String { PackagePaths.golden + "/models/\(model)/\(file)" }

    func testDetection() throws {
        for model in Self.models {
            for (file, kind) in Self.files {
                let d = try Layouts.detect(Checkpoint.open(Self.path(model, file)))
                XCTAssertEqual(d.kind, kind, "\(model)/\(file)")
                let a = try XCTUnwrap(d.architecture, "\(model)/\(file)")
                XCTAssertEqual(a.family, .dinov3)
                XCTAssertEqual([a.width, a.depth, a.heads, a.patchSize, a.registers], [32, 2, 2, 16, 4], "\(model)/\(file)")
                XCTAssertEqual(a.ffn, model.contains("swiglu") ? .swiglu : .mlp, "\(model)/\(file)")
                XCTAssertEqual(a.ffnHidden, model.contains("swiglu") ? 88 : 128, "\(model)/\(file)")
                XCTAssertEqual(a.qkvBias, !model.hasSuffix("nobias"), "\(model)/\(file)")
                XCTAssertEqual(a.layerNormEps, 1e-5, "\(model)/\(file)")
                XCTAssertEqual(d.json["architecture"]?["family"]?.stringValue, "dinov3", "\(model)/\(file): inspect --json")
                XCTAssertEqual(d.json["architecture"]?["qkv_bias"]?.boolValue, a.qkvBias, "\(model)/\(file): inspect --json")
                // The head rule: config.json for HF, Meta's periods, else the released-size fallbacks.
                switch kind {
                case .hfDINOv3 where file == "hf": XCTAssertNil(d.headsRule, "\(model)/\(file)")
                case .dinov3: XCTAssertTrue(d.headsRule?.contains("rope_embed.periods") ?? false, "\(model)/\(file): \(d.headsRule ?? "nil")")
                default: XCTAssertNotNil(d.headsRule, "\(model)/\(file)")
                }
            }
        }
    }

    /// Every direction between the three layouts is the upstream-written file, byte for byte, except
    /// from timm, which holds no mask token: then the mask token is zeros and every other tensor is
    /// the upstream file's.
    func testConversionsEqualTheUpstreamFiles() throws {
        for model in Self.models {
            let out = try temporaryDirectory(self)
            for (source, _) in Self.files {
                for (target, expectedFile) in Self.targets {
                    let label = "\(model): \(source) → \(target.rawValue)"
                    let analysis = try Layouts.analyze(Checkpoint.open(Self.path(model, source)))
                    let dest = out + "/\(source.replacingOccurrences(of: ".", with: "_"))-\(target.rawValue)" + (target == .hf ? "" : ".safetensors")
                    try LayoutWriter.write(analysis, layout: target, to: dest)
                    let written = target == .hf ? dest + "/model.safetensors" : dest
                    let expected = Self.path(model, expectedFile)
                    if source != "timm.safetensors" || target == .timm {
                        XCTAssertEqual(try Hashing.sha256(file: written), try Hashing.sha256(file: expected), label)
                        continue
                    }
                    let got = try Checkpoint.open(written), want = try Checkpoint.open(expected)
                    XCTAssertEqual(Set(got.names), Set(want.names), label)
                    for t in want.tensors {
                        let mine = try XCTUnwrap(got[t.name], "\(label): \(t.name)")
                        if t.name.hasSuffix("mask_token") {
                            XCTAssertEqual(try mine.contiguousBytes(), [UInt8](repeating: 0, count: t.byteCount), label)
                        } else {
                            XCTAssertEqual(try mine.sha256(), try t.sha256(), "\(label): \(t.name)")
                        }
                    }
                }
            }
        }
    }

    /// The report names every tensor the target has no place for, and why.
    func testDroppedTensorsAreReported() throws {
        let meta = try Checkpoint.open(Self.path("tiny-dinov3", "dinov3.safetensors"))
        let toTimm = try Layouts.convertBackbone(meta, to: .timm)
        for phrase in ["rope_embed.periods dropped", "bias_mask dropped", "key third of attn.qkv.bias dropped", "mask_token dropped"] {
            XCTAssertTrue(toTimm.notes.contains { $0.contains(phrase) }, "\(phrase) in \(toTimm.notes)")
        }
        XCTAssertEqual(toTimm.layout, .timmDINOv3)
        let same = try Layouts.convertBackbone(meta, to: .dinov3)
        XCTAssertEqual(same.notes, [], "nothing but bytes moved")
    }

    func testOtherFamilyIsRefused() throws {
        let v2 = try Checkpoint.open(PackagePaths.golden + "/models/tiny/dinov2.safetensors")
        let v3 = try Checkpoint.open(Self.path("tiny-dinov3", "dinov3.safetensors"))
        for (checkpoint, target) in [(v2, LayoutKind.dinov3), (v2, .hfDINOv3), (v2, .timmDINOv3), (v3, .dinov2)] {
            XCTAssertThrowsError(try Layouts.convertBackbone(checkpoint, to: target), target.rawValue) { error in
                XCTAssertTrue("\(error)".contains("cannot convert"), "\(error)")
            }
        }
        // hf and timm pick the DINOv3 row for a DINOv3 model.
        XCTAssertEqual(try Layouts.convertBackbone(v3, to: .hf).layout, .hfDINOv3)
        XCTAssertEqual(try Layouts.convertBackbone(v3, to: .timm).layout, .timmDINOv3)
    }

    /// A Meta model whose key bias is neither masked (no bias_mask) nor zero changes the outputs:
    /// transformers' and timm's layouts cannot hold it, so the conversion is refused; with the key
    /// third zero it converts (provably zero).
    func testUnmaskedKeyBiasIsRefused() throws {
        let meta = try Checkpoint.open(Self.path("tiny-dinov3", "dinov3.safetensors"))
        func unmasked(keyValue: Float) throws -> Checkpoint {
            var tensors: [TensorEntry] = []
            for t in meta.tensors where !t.name.hasSuffix("bias_mask") {
                guard t.name == "blocks.1.attn.qkv.bias" else { tensors.append(t); continue }
                var values = try t.contiguousBytes()
                withUnsafeBytes(of: keyValue.bitPattern.littleEndian) { for (i, b) in $0.enumerated() { values[4 * 40 + i] = b } }
                tensors.append(TensorEntry(name: t.name, dtype: t.dtype, shape: t.shape, segments: [.memory(values)], sourcePath: "unmasked"))
            }
            return Checkpoint(path: "unmasked", kind: .safetensors, tensors: tensors, metadata: nil, config: nil, files: [])
        }
        let bad = try unmasked(keyValue: 0.5)
        XCTAssertFalse(try XCTUnwrap(Layouts.detect(bad).architecture).maskedKeyBias)
        for target in [LayoutKind.timm, .hf] {
            XCTAssertThrowsError(try Layouts.convertBackbone(bad, to: target)) { error in
                XCTAssertTrue("\(error)".contains("blocks.1.attn.qkv.bias has a key bias"), "\(error)")
                XCTAssertEqual((error as? any CkptProblem)?.exitCode, 2)
            }
        }
        XCTAssertNoThrow(try Layouts.convertBackbone(unmasked(keyValue: 0), to: .timm))
    }

    func testConvNeXtIsRefusedByName() throws {
        let t = TensorEntry(name: "stages.0.0.dwconv.weight", dtype: .f32, shape: [1], segments: [.memory([0, 0, 0, 0])], sourcePath: "c")
        let c = Checkpoint(path: "convnext", kind: .safetensors, tensors: [t], metadata: nil, config: nil, files: [])
        XCTAssertThrowsError(try Layouts.detect(c)) { XCTAssertTrue("\($0)".contains("not a ViT"), "\($0)") }
    }

    /// Meta's `local_cls_norm` (training only) is kept in Meta's layout and dropped, with a note, where
    /// the layout has no place for it; timm's own conversion of the same file drops it too.
    func testLocalClsNormIsKeptOrDropped() throws {
        let meta = try Checkpoint.open(Self.path("tiny-dinov3-localnorm", "dinov3.safetensors"))
        let a = try Layouts.analyze(meta)
        XCTAssertTrue(try XCTUnwrap(a.detected.architecture).localClsNorm)
        let toTimm = try Layouts.convertBackbone(a, to: .timm)
        XCTAssertTrue(toTimm.notes.contains { $0.contains("local_cls_norm dropped: training only") }, "\(toTimm.notes)")
        let out = try temporaryDirectory(self) + "/timm.safetensors"
        try LayoutWriter.write(a, layout: .timm, to: out)
        XCTAssertEqual(try Hashing.sha256(file: out), try Hashing.sha256(file: Self.path("tiny-dinov3-localnorm", "timm.safetensors")))
        let same = try Layouts.convertBackbone(a, to: .dinov3)
        XCTAssertEqual(Set(same.tensors.map(\.name)), Set(meta.names))
        XCTAssertFalse(try Layouts.convertBackbone(a, to: .hf).tensors.contains { $0.name.contains("local_cls_norm") })
    }

    /// Meta's file with one tensor's values replaced (F32 little-endian), read as a checkpoint.
    static func meta(replacing name: String, _ change: (inout [Float]) -> Void) throws -> Checkpoint {
        let meta = try Checkpoint.open(path("tiny-dinov3", "dinov3.safetensors"))
        let tensors = try meta.tensors.map { t -> TensorEntry in
            guard t.name == name else { return t }
            var values = try t.floatValues()
            change(&values)
            let bytes = values.withUnsafeBytes { Array($0) }
            return TensorEntry(name: t.name, dtype: .f32, shape: t.shape, segments: [.memory(bytes)], sourcePath: "changed")
        }
        return Checkpoint(path: "changed", kind: .safetensors, tensors: tensors, metadata: nil, config: nil, files: [])
    }

    /// Meta's buffers are checked on reading: an uninitialised (NaN) bias mask and periods that are
    /// not rope_theta's are refused; periods rounded to BF16 (as the released `.pth` files hold them)
    /// are accepted with a note; a masked key bias holding non-zero values is read as zeros, with a note.
    func testMetaBuffersAreChecked() throws {
        XCTAssertThrowsError(try Layouts.detect(Self.meta(replacing: "blocks.0.attn.qkv.bias_mask") { $0 = $0.map { _ in .nan } })) {
            XCTAssertTrue("\($0)".contains("never initialised"), "\($0)")
        }
        XCTAssertThrowsError(try Layouts.detect(Self.meta(replacing: "rope_embed.periods") { $0[1] *= 1.5 })) {
            XCTAssertTrue("\($0)".contains("are not the periods of rope_theta 100"), "\($0)")
        }
        let bf16 = try Layouts.detect(Self.meta(replacing: "rope_embed.periods") { v in
            v = v.map { Float(bitPattern: ($0.bitPattern &+ 0x7FFF &+ (($0.bitPattern >> 16) & 1)) & 0xFFFF_0000) }
        })
        XCTAssertTrue(bf16.notes.contains { $0.contains("rounded") }, "\(bf16.notes)")
        let key = try Self.meta(replacing: "blocks.1.attn.qkv.bias") { $0[40] = 0.25 }
        let conversion = try Layouts.convertBackbone(key, to: .dinov3)
        XCTAssertTrue(conversion.detected.notes.contains { $0.contains("masked by bias_mask: read as zeros") }, "\(conversion.detected.notes)")
        let bias = try XCTUnwrap(conversion.tensors.first { $0.name == "blocks.1.attn.qkv.bias" }).floatValues()
        XCTAssertEqual(bias[40], 0)
    }
}
