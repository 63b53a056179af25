import CkptKit
@testable import CkptVerify
import XCTest

final class StrictVerifierTests: XCTestCase {
    typealias Kind = VerifyProblem.Kind

    func verify(_ path: String, _ expect: StrictVerifier.Expect = .detected, layout: LayoutKind? = nil,
                strict: Bool = true) throws -> StrictReport {
        try StrictVerifier.verify(try Checkpoint.open(path), options: .init(expect: expect, layout: layout, strict: strict))
    }

    /// Every upstream-written release file passes with no problem and no warning, in both layouts and
    /// for both head spellings.
    func testCleanFilesPass() throws {
        for model in VerifyFixtures.models {
            for file in ["dinov2.safetensors", "hf", "hf/model.safetensors", "head-legacy.safetensors", "head-param.safetensors"] {
                let report = try verify(try VerifyFixtures.path("models/\(model)/\(file)"))
                XCTAssertTrue(report.passed, "\(model)/\(file):\n\(report.text())")
                XCTAssertEqual(report.problems, [], "\(model)/\(file)")
                XCTAssertEqual(report.json["status"], .string("pass"), "\(model)/\(file)")
            }
        }
    }

    /// `--like` takes the expectation from the other layout's file through the layout mapping.
    func testLikeAcrossLayouts() throws {
        for model in VerifyFixtures.models {
            let dinov2 = try VerifyFixtures.path("models/\(model)/dinov2.safetensors")
            let hf = try VerifyFixtures.path("models/\(model)/hf")
            for (path, other) in [(hf, dinov2), (dinov2, hf), (hf, hf)] {
                let report = try verify(path, .like(try Checkpoint.open(other)))
                XCTAssertTrue(report.passed, "\(path) like \(other):\n\(report.text())")
                XCTAssertEqual(report.problems, [], "\(path) like \(other)")
            }
            let legacy = try VerifyFixtures.path("models/\(model)/head-legacy.safetensors")
            let param = try VerifyFixtures.path("models/\(model)/head-param.safetensors")
            XCTAssertEqual(try verify(param, .like(try Checkpoint.open(legacy))).problems, [], "\(model) heads")
        }
        // The HF file saved without a mask token, against the original release.
        let nomask = try verify(try VerifyFixtures.path("models/tiny/hf-nomask"),
                                .like(try Checkpoint.open(try VerifyFixtures.path("models/tiny/dinov2.safetensors"))))
        XCTAssertEqual(nomask.errors.map(\.kind), [.missing])
        XCTAssertEqual(nomask.errors.map(\.key), ["embeddings.mask_token"])
        XCTAssertEqual(nomask.diagnoses.map(\.kind), [.noMaskToken])
    }

    /// RAD-DINO as released (layouts.md): 223 HF tensors, 175 original ones, 86,580,480 parameters
    /// either way; its DINOHead holds 92,554,240 bytes of F32.
    func testNamedSpecsMatchTheRelease() throws {
        guard case let .backbone(_, arch)? = ExpectationSpec.parse("raddino") else { return XCTFail("raddino") }
        for (layout, count) in [(LayoutKind.hf, 223), (.dinov2, 175)] {
            let list = Layouts.expectedTensors(for: arch, layout: layout)
            XCTAssertEqual(list.count, count, "\(layout)")
            XCTAssertEqual(list.reduce(0) { $0 + elementCount($1.shape)! }, 86_580_480, "\(layout)")
        }
        guard case let .head(_, head)? = ExpectationSpec.parse("raddino-head") else { return XCTFail("raddino-head") }
        let headList = Layouts.expectedHeadTensors(for: head, weightNorm: .legacy)
        XCTAssertEqual(headList.reduce(0) { $0 + elementCount($1.shape)! } * 4, 92_554_240)

        let table: [(String, Int?, Int, Int, Int, Int)] = [  // spec, --image-size, width, depth, registers, image size
            ("dinov2-vits14", nil, 384, 12, 0, 518), ("dinov2-vitb14-reg4", nil, 768, 12, 4, 518),
            ("dinov2-vitl14", 224, 1024, 24, 0, 224), ("dinov2-vitg14-reg4", 518, 1536, 40, 4, 518),
        ]
        for (name, size, width, depth, registers, image) in table {
            guard case let .backbone(n, a)? = ExpectationSpec.parse(name, imageSize: size) else { XCTFail(name); continue }
            XCTAssertEqual([a.width, a.depth, a.registers, a.imageSize], [width, depth, registers, image], name)
            XCTAssertEqual(n, name)
        }
        for bad in [("raddino", 224), ("dinov2-vitb14", 500), ("dinov2-vitx14", nil), ("vitb14", nil)] as [(String, Int?)] {
            XCTAssertNil(ExpectationSpec.parse(bad.0, imageSize: bad.1), "\(bad)")
        }
    }

    /// Each planted defect is caught, named, and (except warnings) fails the check.
    func testPlantedDefects() throws {
        let path = try VerifyFixtures.path("models/tiny/hf/model.safetensors")
        let clean = try Checkpoint.open(path)
        let dir = try VerifyFixtures.scratch(self)
        func floats(_ name: String) throws -> [Float] { try XCTUnwrap(clean[name], name).floatValues() }
        func bytes(_ v: [Float]) -> [UInt8] { v.withUnsafeBytes { Array($0) } }
        var nonFinite = try floats("encoder.layer.1.mlp.fc1.weight")
        nonFinite[5 * 32 + 3] = .nan
        nonFinite[9 * 32 + 1] = -.infinity
        nonFinite[100 * 32] = .nan
        let layer0 = try XCTUnwrap(clean["encoder.layer.0.norm1.weight"])

        // (name, edit, expected error kinds with keys, expected warning kinds with keys)
        let cases: [(String, ([TensorEntry]) -> [TensorEntry], [String], [String])] = [
            ("missing", { $0.filter { $0.name != "encoder.layer.1.norm2.bias" } }, ["missing encoder.layer.1.norm2.bias"], []),
            ("unexpected", { $0 + [layer0.renamed("extra.weight", shape: [2, 16])] }, ["unexpected extra.weight"], []),
            ("shape", { $0.map { $0.name == "encoder.layer.0.mlp.fc1.weight" ? $0.renamed($0.name, shape: [32, 128]) : $0 } },
             ["shape encoder.layer.0.mlp.fc1.weight"], []),
            ("dtype", { $0.map { $0.name == "layernorm.weight" ? VerifyFixtures.relabelled($0, .i32) : $0 } },
             ["dtype layernorm.weight"], []),
            ("non-finite", { $0.map { $0.name == "encoder.layer.1.mlp.fc1.weight" ? VerifyFixtures.replacing($0, bytes: bytes(nonFinite)) : $0 } },
             ["non_finite encoder.layer.1.mlp.fc1.weight"], []),
            ("zeros", { $0.map { $0.name == "encoder.layer.0.norm1.bias" ? VerifyFixtures.replacing($0, bytes: [UInt8](repeating: 0, count: 128)) : $0 } },
             [], ["all_zeros encoder.layer.0.norm1.bias"]),
            ("duplicate", { $0.map { $0.name == "encoder.layer.1.norm1.weight" ? layer0.renamed($0.name) : $0 } },
             [], ["duplicate encoder.layer.1.norm1.weight"]),
        ]
        for (name, edit, errors, warnings) in cases {
            let file = dir + "/\(name).safetensors"
            try VerifyFixtures.rewrite(clean, to: file, edit)
            let report = try verify(file)
            XCTAssertEqual(report.errors.map { "\($0.kind.rawValue) \($0.key)" }, errors, "\(name):\n\(report.text())")
            XCTAssertEqual(report.warnings.map { "\($0.kind.rawValue) \($0.key)" }, warnings, "\(name):\n\(report.text())")
            XCTAssertEqual(report.exitCode, errors.isEmpty ? 0 : 1, name)
            // Named in the JSON too.
            let entries = try XCTUnwrap(report.json["problems"]?.arrayValue, name)
            XCTAssertEqual(entries.map { "\($0["kind"]!.stringValue!) \($0["key"]!.stringValue!)" }, errors + warnings, name)
            try VerifySchema.check(report.json, name)
            if name == "non-finite" {
                let p = report.errors[0]
                XCTAssertEqual(p.actual["count"], .int(3))
                XCTAssertEqual(p.actual["nan"], .int(2))
                XCTAssertEqual(p.actual["neg_inf"], .int(1))
                XCTAssertEqual(p.actual["first_index"], .array([.int(5), .int(3)]))
            }
            if name == "duplicate" { XCTAssertEqual(report.warnings[0].actual, .string("encoder.layer.0.norm1.weight")) }
            if name == "shape" {
                XCTAssertEqual(report.errors[0].expected, .array([.int(128), .int(32)]))
                XCTAssertEqual(report.errors[0].actual, .array([.int(32), .int(128)]))
            }
        }

        // Without --strict an unexpected key and a dtype mismatch are warnings.
        let lax = try verify(dir + "/unexpected.safetensors", strict: false)
        XCTAssertTrue(lax.passed)
        XCTAssertEqual(lax.warnings.map(\.kind), [.unexpected])
    }

    /// Near-miss keys: prefixed (training checkpoint), chunked blocks, the other layout.
    func testNearMissDiagnoses() throws {
        let train = try verify(try VerifyFixtures.path("models/tiny/train.safetensors"))
        XCTAssertFalse(train.passed)
        XCTAssertEqual(train.diagnoses.first?.kind, .prefixed)
        XCTAssertEqual(train.diagnoses.first?.count, 35)
        XCTAssertTrue(train.diagnoses.first?.detail.contains("\"teacher.backbone.\"") ?? false, "\(train.diagnoses)")
        XCTAssertTrue(train.diagnoses.first?.hint?.contains("ckpt convert train-to-release") ?? false)
        XCTAssertEqual(train.errors.first { $0.key == "blocks.0.norm1.weight" }?.hint, "found as teacher.backbone.blocks.0.norm1.weight")

        let ddp = try verify(try VerifyFixtures.path("models/tiny/train-ddp-outer.safetensors"), .spec(.backbone(name: "tiny", architecture: tinyArch)))
        XCTAssertTrue(ddp.diagnoses.contains { $0.kind == .prefixed && $0.detail.contains("\"module.teacher.backbone.\"") }, "\(ddp.diagnoses)")

        let chunked = try verify(try VerifyFixtures.path("models/tiny/dinov2-chunked.safetensors"))
        XCTAssertEqual(chunked.diagnoses.map(\.kind), [.chunked])
        XCTAssertEqual(chunked.diagnoses.first?.count, 28)

        let other = try verify(try VerifyFixtures.path("models/tiny/hf"), layout: .dinov2)
        XCTAssertEqual(other.diagnoses.map(\.kind), [.otherLayout], "\(other.diagnoses)")
        XCTAssertTrue(other.diagnoses[0].hint?.contains("ckpt convert hf-to-dinov2") ?? false)
        let back = try verify(try VerifyFixtures.path("models/tiny/dinov2.safetensors"), .spec(.backbone(name: "tiny", architecture: tinyArch)), layout: .hf)
        XCTAssertEqual(back.diagnoses.map(\.kind), [.otherLayout], "\(back.diagnoses)")
        XCTAssertTrue(back.diagnoses[0].hint?.contains("ckpt convert dinov2-to-hf") ?? false)
    }

    /// The tiny golden model (case.json config): D 32, 2 blocks, 2 heads, 28 px.
    var tinyArch: Architecture { Architecture(width: 32, depth: 2, heads: 2, imageSize: 28) }

    /// A spec finds the file in either layout, and a wrong spec lists shape problems per key.
    func testSpecInEitherLayout() throws {
        for file in ["hf", "dinov2.safetensors"] {
            let report = try verify(try VerifyFixtures.path("models/tiny/\(file)"), .spec(.backbone(name: "tiny", architecture: tinyArch)))
            XCTAssertEqual(report.problems, [], file)
            XCTAssertEqual(report.expectation.layout, file == "hf" ? "hf" : "dinov2")
        }
        let wrong = try verify(try VerifyFixtures.path("models/tiny/hf"), .spec(.backbone(name: "tiny-40", architecture:
            Architecture(width: 32, depth: 2, heads: 2, imageSize: 42))))
        XCTAssertEqual(wrong.errors.map { "\($0.kind.rawValue) \($0.key)" }, ["shape embeddings.position_embeddings"])
        XCTAssertEqual(wrong.errors[0].expected, .array([.int(1), .int(10), .int(32)]))
        XCTAssertEqual(wrong.errors[0].actual, .array([.int(1), .int(5), .int(32)]))
    }

    /// `verify --manifest` on a file with one flipped bit names the tensor.
    func testManifestCheck() throws {
        let path = try VerifyFixtures.path("models/tiny/dinov2.safetensors")
        let signed = try Manifest.build(try Checkpoint.open(path))
        let dir = try VerifyFixtures.scratch(self)
        let flipped = dir + "/model.safetensors"
        try VerifyFixtures.copy(path, to: flipped, xor: [try VerifyFixtures.offset(of: "pos_embed", in: path) + 4], mask: 0x80)
        let options = StrictVerifier.Options(manifest: (signed, path: "release.json"), threads: 2)
        let bad = try StrictVerifier.verify(try Checkpoint.open(flipped), options: options)
        XCTAssertEqual(bad.errors.map { "\($0.kind.rawValue) \($0.key)" }, ["bytes pos_embed", "file dinov2.safetensors"])
        try VerifySchema.check(bad.json, "manifest")
        XCTAssertEqual(try StrictVerifier.verify(try Checkpoint.open(path), options: options).problems, [])
    }

    /// With `--manifest`, values are scanned in the hashing pass: the non-finite and all-zero problems
    /// (counts, first index) are exactly those of the plain scan, and the byte differences come on top.
    func testManifestPassReportsValuesLikeThePlainScan() throws {
        let path = try VerifyFixtures.path("models/tiny/hf/model.safetensors")
        let clean = try Checkpoint.open(path)
        let signed = try Manifest.build(clean)
        let dir = try VerifyFixtures.scratch(self)
        var values = try XCTUnwrap(clean["encoder.layer.0.mlp.fc2.weight"]).floatValues()
        values[7] = .infinity
        values[values.count - 1] = .nan
        let file = dir + "/model.safetensors"
        try VerifyFixtures.rewrite(clean, to: file) { tensors in
            tensors.map { t in
                switch t.name {
                case "encoder.layer.0.mlp.fc2.weight": return VerifyFixtures.replacing(t, bytes: values.withUnsafeBytes { Array($0) })
                case "encoder.layer.1.norm2.bias": return VerifyFixtures.replacing(t, bytes: [UInt8](repeating: 0, count: t.byteCount))
                default: return t
                }
            }
        }
        let plain = try StrictVerifier.verify(try Checkpoint.open(file), options: .init(threads: 2))
        let valueKinds: Set<Kind> = [.nonFinite, .allZeros]
        let plainValues = plain.problems.filter { valueKinds.contains($0.kind) }
        XCTAssertEqual(plainValues.map { "\($0.kind.rawValue) \($0.key)" },
                       ["non_finite encoder.layer.0.mlp.fc2.weight", "all_zeros encoder.layer.1.norm2.bias"])
        for threads in [1, 2] {
            let options = StrictVerifier.Options(manifest: (signed, path: "release.json"), threads: threads)
            let hashed = try StrictVerifier.verify(try Checkpoint.open(file), options: options)
            XCTAssertEqual(hashed.problems.filter { valueKinds.contains($0.kind) }, plainValues, "\(threads) threads")
            XCTAssertEqual(Set(hashed.errors.filter { !valueKinds.contains($0.kind) }.map { "\($0.kind.rawValue) \($0.key)" }),
                           ["bytes encoder.layer.0.mlp.fc2.weight", "bytes encoder.layer.1.norm2.bias", "file model.safetensors"],
                           "\(threads) threads:\n\(hashed.text())")
        }
    }

    /// `--golden`: both layouts reproduce upstream's outputs; weights that pass every structural check
    /// but were changed (final LayerNorm weight doubled) fail the forward comparison, named by output.
    func testGoldenForwardCheck() throws {
        let golden = try VerifyFixtures.path("forward/tiny-native")
        let options = StrictVerifier.Options(golden: .init(directory: golden), threads: 2)
        for file in ["models/tiny/hf", "models/tiny/dinov2.safetensors"] {
            let report = try StrictVerifier.verify(try Checkpoint.open(try VerifyFixtures.path(file)), options: options)
            XCTAssertTrue(report.passed, "\(file):\n\(report.text())")
            XCTAssertEqual(report.json["golden"]?["passed"], .bool(true), file)
            try VerifySchema.check(report.json, file)
        }
        let path = try VerifyFixtures.path("models/tiny/dinov2.safetensors")
        let clean = try Checkpoint.open(path)
        let dir = try VerifyFixtures.scratch(self)
        let changed = dir + "/changed.safetensors"
        let doubled = try XCTUnwrap(clean["norm.weight"]).floatValues().map { $0 * 2 }
        try VerifyFixtures.rewrite(clean, to: changed) { $0.map { $0.name == "norm.weight" ? VerifyFixtures.replacing($0, bytes: doubled.withUnsafeBytes { Array($0) }) : $0 } }
        let report = try StrictVerifier.verify(try Checkpoint.open(changed), options: options)
        XCTAssertFalse(report.passed)
        XCTAssertEqual(Set(report.errors.map { "\($0.kind.rawValue) \($0.key)" }), ["golden last_hidden_state", "golden pooler_output"], report.text())
        XCTAssertEqual(report.json["golden"]?["passed"], .bool(false))
        try VerifySchema.check(report.json, "golden defect")

        // Structural problems first: the forward pass is not run on a broken file.
        let broken = dir + "/broken.safetensors"
        try VerifyFixtures.rewrite(clean, to: broken) { $0.filter { $0.name != "norm.bias" } }
        let skipped = try StrictVerifier.verify(try Checkpoint.open(broken), options: options)
        XCTAssertEqual(skipped.errors.map(\.kind), [.missing])
        XCTAssertEqual(skipped.warnings.map(\.kind), [.golden])
        XCTAssertEqual(skipped.json["golden"], .null)
    }

    /// A damaged original-layout file (chunk-free, with registers) is still read as the model it was
    /// meant to be: the missing key and the misshapen one are named, nothing else.
    func testDamagedOriginalLayout() throws {
        let path = try VerifyFixtures.path("models/tiny-reg4/dinov2.safetensors")
        let clean = try Checkpoint.open(path)
        let dir = try VerifyFixtures.scratch(self)
        let damaged = dir + "/damaged.safetensors"
        try VerifyFixtures.rewrite(clean, to: damaged) { tensors in
            tensors.filter { $0.name != "blocks.1.ls2.gamma" }
                .map { $0.name == "blocks.0.mlp.fc1.weight" ? $0.renamed($0.name, shape: [32, 128]) : $0 }
        }
        let report = try verify(damaged)
        XCTAssertEqual(report.errors.map { "\($0.kind.rawValue) \($0.key)" }, ["missing blocks.1.ls2.gamma", "shape blocks.0.mlp.fc1.weight"], report.text())
        XCTAssertEqual(report.expectation.layout, "dinov2")
        XCTAssertTrue(report.expectation.summary.hasPrefix("inferred dinov2"), report.expectation.summary)
        // The guess resolves heads like detection does, and says so.
        XCTAssertEqual(report.expectation.headsAssumed, Architecture.assumedHeadsText(2, rule: Architecture.assumedHeads(width: 32).rule))
    }

    /// When no config.json gives the head count, the report says which rule chose the one in its
    /// summary (text line under the verdict, `expectation.heads_assumed` in JSON); with one, it says nothing.
    func testAssumedHeadCountIsNamed() throws {
        for model in VerifyFixtures.models {
            let original = try verify(try VerifyFixtures.path("models/\(model)/dinov2.safetensors"))
            let width = try XCTUnwrap(Layouts.detect(try Checkpoint.open(try VerifyFixtures.path("models/\(model)/dinov2.safetensors"))).architecture).width
            let (heads, rule) = Architecture.assumedHeads(width: width)
            let text = Architecture.assumedHeadsText(heads, rule: rule)
            XCTAssertEqual(original.expectation.headsAssumed, text, model)
            XCTAssertEqual(original.json["expectation"]?["heads_assumed"], .string(text), model)
            XCTAssertEqual(original.text().split(separator: "\n").dropFirst().first.map(String.init), "  heads: " + text, model)
            let hf = try verify(try VerifyFixtures.path("models/\(model)/hf"))
            XCTAssertNil(hf.expectation.headsAssumed, model)
            XCTAssertEqual(hf.json["expectation"]?["heads_assumed"], .null, model)
            XCTAssertFalse(hf.text().contains("heads:"), model)
        }
    }

    /// `--dtype` states the release's dtype; every tensor of another dtype is named.
    func testReleaseDType() throws {
        let checkpoint = try Checkpoint.open(try VerifyFixtures.path("models/tiny/head-legacy.safetensors"))
        let report = try StrictVerifier.verify(checkpoint, options: .init(dtype: .f16))
        XCTAssertEqual(report.errors.count, checkpoint.tensors.count)
        XCTAssertTrue(report.errors.allSatisfy { $0.kind == .dtype && $0.expected == .string("F16") && $0.actual == .string("F32") })
    }
}
