import CkptKit
import Foundation
import XCTest

/// Every refusal: unknown or ambiguous layout, missing or unexpected keys (all listed at once), wrong
/// shapes, conflicting config.json, a missing branch or head, an existing output, output = input.
final class LayoutRefusalTests: XCTestCase {
    /// The problem of a thrown `LayoutError`, or a failure naming `label`.
    func layoutProblem(_ label: String, _ body: () throws -> Void, file: StaticString = #filePath, line: UInt = #line) -> LayoutProblem? {
        do {
            try body()
            XCTFail("\(label): no error", file: file, line: line)
        } catch let error as LayoutError {
            let problem = error.problem
            return problem
        } catch {
            XCTFail("\(label): unexpected error \(error)", file: file, line: line)
        }
        return nil
    }

    /// Writes the tensors of `source` that `keep` accepts, plus `extra`, to a new file.
    func variant(of source: String, in dir: String, name: String, keep: (String) -> Bool = { _ in true },
                 extra: [TensorEntry] = []) throws -> String {
        let c = try Checkpoint.open(source)
        let path = "\(dir)/\(name).safetensors"
        try SafetensorsWriter.write((c.tensors.filter { keep($0.name) } + extra).map { OutputTensor($0) }, to: path)
        return path
    }

    func testUnknownLayoutListsWhatWasAndWasNotRecognised() throws {
        _ = try GoldenCase("tiny")
        let mixed = GoldenCase.root + "/safetensors/mixed.safetensors"
        let problem = layoutProblem("mixed") { _ = try Layouts.detect(try Checkpoint.open(mixed)) }
        guard case let .unrecognised(recognised, unrecognised, _)? = problem else { return XCTFail("mixed: \(String(describing: problem))") }
        XCTAssertEqual(recognised, [])
        XCTAssertEqual(unrecognised.sorted(), try Checkpoint.open(mixed).names.sorted())

        // Blocks without their embeddings: recognised as original keys, but no telltale key.
        let dir = try temporaryDirectory(self)
        let g = try GoldenCase("tiny")
        let headless = try variant(of: g.path("dinov2.safetensors"), in: dir, name: "blocks-only",
                                   keep: { $0.hasPrefix("blocks.") || $0 == "cls_token" },
                                   extra: [TensorEntry(name: "junk", dtype: .u8, shape: [1], segments: [.memory([7])], sourcePath: "test")])
        let p2 = layoutProblem("blocks-only") { _ = try Layouts.detect(try Checkpoint.open(headless)) }
        guard case let .unrecognised(rec2, unrec2, _)? = p2 else { return XCTFail("blocks-only: \(String(describing: p2))") }
        XCTAssertTrue(rec2.first?.hasPrefix("29 original DINOv2 backbone keys") == true, "\(rec2)")  // 2 blocks × 14 + cls_token
        XCTAssertEqual(unrec2, ["junk"])
    }

    func testAmbiguousLayout() throws {
        let g = try GoldenCase("tiny")
        let dir = try temporaryDirectory(self)
        let both = try variant(of: g.path("dinov2.safetensors"), in: dir, name: "both",
                               extra: try Checkpoint.open(g.path("hf/model.safetensors")).tensors)
        let problem = layoutProblem("both") { _ = try Layouts.detect(try Checkpoint.open(both)) }
        guard case let .ambiguous(candidates)? = problem else { return XCTFail("both: \(String(describing: problem))") }
        XCTAssertEqual(candidates, ["an HF backbone", "an original DINOv2 backbone"])
    }

    func testMissingBlocksAreAllListedAtOnce() throws {
        let g = try GoldenCase("tiny")
        let dir = try temporaryDirectory(self)
        let original = try variant(of: g.path("dinov2.safetensors"), in: dir, name: "no-block0",
                                   keep: { !$0.hasPrefix("blocks.0.") && $0 != "blocks.1.ls2.gamma" && $0 != "norm.bias" })
        let expectedMissing = Layouts.expectedTensors(for: g.architecture, layout: .dinov2).map(\.name)
            .filter { $0.hasPrefix("blocks.0.") || $0 == "blocks.1.ls2.gamma" || $0 == "norm.bias" }
        XCTAssertEqual(expectedMissing.count, 14 + 2)  // 14 tensors per MLP block
        let p1 = layoutProblem("no-block0") { _ = try Layouts.backboneTensors(try Checkpoint.open(original), as: .hf) }
        guard case let .tensorsDoNotMatch(_, _, missing, unexpected, wrong)? = p1 else { return XCTFail("no-block0: \(String(describing: p1))") }
        XCTAssertEqual(missing.sorted(), expectedMissing.sorted())
        XCTAssertEqual(unexpected, [])
        XCTAssertEqual(wrong, [])

        // HF spelling: the missing key is named as the input spells it.
        let hf = try variant(of: g.path("hf/model.safetensors"), in: dir, name: "no-key",
                             keep: { $0 != "encoder.layer.1.attention.attention.key.weight" && $0 != "embeddings.cls_token" })
        let p2 = layoutProblem("no-key") { _ = try Layouts.backboneTensors(try Checkpoint.open(hf), as: .dinov2) }
        guard case let .tensorsDoNotMatch(_, _, missing2, _, _)? = p2 else { return XCTFail("no-key: \(String(describing: p2))") }
        XCTAssertEqual(missing2.sorted(), ["embeddings.cls_token", "encoder.layer.1.attention.attention.key.weight"])
    }

    func testUnexpectedKeysAndWrongShapes() throws {
        let g = try GoldenCase("tiny")
        let dir = try temporaryDirectory(self)
        let odd = try variant(of: g.path("dinov2.safetensors"), in: dir, name: "odd", keep: { $0 != "norm.weight" }, extra: [
            TensorEntry(name: "norm.weight", dtype: .f32, shape: [16], segments: [.memory([UInt8](repeating: 0, count: 64))], sourcePath: "test"),
            TensorEntry(name: "blocks.0.mlp.w3.bias", dtype: .f32, shape: [32], segments: [.memory([UInt8](repeating: 0, count: 128))], sourcePath: "test"),
            TensorEntry(name: "extra.thing", dtype: .f32, shape: [1], segments: [.memory([0, 0, 0, 0])], sourcePath: "test"),
        ])
        let problem = layoutProblem("odd") { _ = try Layouts.detect(try Checkpoint.open(odd)) }
        // w3 next to fc1/fc2 is a contradiction in itself, reported before the key check.
        guard case let .inconsistent(problems)? = problem else { return XCTFail("odd: \(String(describing: problem))") }
        XCTAssertEqual(problems, ["blocks hold both MLP (fc1/fc2) and SwiGLU (w12/w3) weights"])

        let odd2 = try variant(of: odd, in: dir, name: "odd2", keep: { $0 != "blocks.0.mlp.w3.bias" })
        let p2 = layoutProblem("odd2") { _ = try Layouts.detect(try Checkpoint.open(odd2)) }
        guard case let .tensorsDoNotMatch(_, _, missing, unexpected, wrong)? = p2 else { return XCTFail("odd2: \(String(describing: p2))") }
        XCTAssertEqual(missing, [])
        XCTAssertEqual(unexpected, ["extra.thing"])
        XCTAssertEqual(wrong, ["norm.weight: expected [32], found [16]"])
    }

    func testConflictingConfigJSON() throws {
        let g = try GoldenCase("tiny-reg4")
        let dir = try temporaryDirectory(self) + "/hf"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: g.path("hf/model.safetensors"), toPath: dir + "/model.safetensors")
        var config = String(decoding: FileManager.default.contents(atPath: g.path("hf/config.json"))!, as: UTF8.self)
        config = config.replacingOccurrences(of: "\"num_hidden_layers\": 2", with: "\"num_hidden_layers\": 3")
            .replacingOccurrences(of: "\"num_register_tokens\": 4", with: "\"num_register_tokens\": 0")
        try Data(config.utf8).write(to: URL(fileURLWithPath: dir + "/config.json"))
        let problem = layoutProblem("config") { _ = try Layouts.detect(try Checkpoint.open(dir)) }
        guard case let .configConflict(conflicts)? = problem else { return XCTFail("config: \(String(describing: problem))") }
        XCTAssertEqual(conflicts, ["num_hidden_layers is 3 but the number of blocks is 2",
                                   "num_register_tokens is 0 but register_tokens' count is 4"])
    }

    func testMissingBranchOrHead() throws {
        let g = try GoldenCase("tiny")
        let dir = try temporaryDirectory(self)
        let teacherOnly = try variant(of: g.path("train.safetensors"), in: dir, name: "teacher", keep: { $0.hasPrefix("teacher.") })
        let p1 = layoutProblem("student") { _ = try Layouts.backboneTensors(try Checkpoint.open(teacherOnly), as: .dinov2, from: .student) }
        XCTAssertEqual(p1, .notPresent("no student in this training checkpoint (found: teacher)"))
        let p2 = layoutProblem("head of backbone") { _ = try Layouts.headTensors(try Checkpoint.open(g.path("dinov2.safetensors"))) }
        XCTAssertEqual(p2, .notPresent("no DINOHead in this dinov2 checkpoint"))
        let p3 = layoutProblem("backbone of head") { _ = try Layouts.backboneTensors(try Checkpoint.open(g.path("head-legacy.safetensors")), as: .hf) }
        XCTAssertEqual(p3, .notPresent("no backbone: this is a DINOHead"))
    }

    func testOutputExistsAndOutputIsInput() throws {
        let g = try GoldenCase("tiny")
        let dir = try temporaryDirectory(self)
        let source = try variant(of: g.path("dinov2.safetensors"), in: dir, name: "source")
        let before = try Hashing.sha256(file: source)
        let checkpoint = try Checkpoint.open(source)
        XCTAssertThrowsError(try LayoutWriter.writeBackbone(checkpoint, layout: .hf, to: source, overwrite: true)) {
            XCTAssertEqual($0 as? CkptError, .outputIsInput(path: source))
        }
        XCTAssertThrowsError(try LayoutWriter.writeBackbone(checkpoint, layout: .hf, to: dir + "/./source.safetensors", overwrite: true)) {
            guard case .outputIsInput? = $0 as? CkptError else { return XCTFail("\($0)") }
        }
        XCTAssertEqual(try Hashing.sha256(file: source), before)
        let out = dir + "/out.safetensors"
        try LayoutWriter.writeBackbone(checkpoint, layout: .hf, to: out)
        XCTAssertThrowsError(try LayoutWriter.writeBackbone(checkpoint, layout: .hf, to: out)) {
            XCTAssertEqual($0 as? CkptError, .outputExists(path: out))
        }
        try LayoutWriter.writeBackbone(checkpoint, layout: .hf, to: out, overwrite: true)
        // An HF folder written over its own input is refused before anything is written.
        let folder = dir + "/hf"
        try LayoutWriter.writeHFFolder(checkpoint, to: folder)
        XCTAssertThrowsError(try LayoutWriter.writeHFFolder(try Checkpoint.open(folder), to: folder, overwrite: true)) {
            guard case .outputIsInput? = $0 as? CkptError else { return XCTFail("\($0)") }
        }
        XCTAssertThrowsError(try LayoutWriter.writeHFFolder(checkpoint, to: folder)) {
            XCTAssertEqual($0 as? CkptError, .outputExists(path: folder + "/model.safetensors"))
        }
        XCTAssertEqual(try Hashing.sha256(file: folder + "/model.safetensors"), g.file("hf/model.safetensors").sha256)
        // A refused conversion leaves no output behind.
        let refused = dir + "/refused.safetensors"
        XCTAssertThrowsError(try LayoutWriter.writeBackbone(try Checkpoint.open(g.path("head-legacy.safetensors")), layout: .hf, to: refused))
        XCTAssertFalse(FileManager.default.fileExists(atPath: refused))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.contains(".ckpt-partial-") }, [])
    }

    func testIncompleteHeadListsEveryProblem() throws {
        let g = try GoldenCase("tiny")
        let dir = try temporaryDirectory(self)
        let head = try variant(of: g.path("head-param.safetensors"), in: dir, name: "head",
                               keep: { $0 != "mlp.2.bias" && $0 != "mlp.4.weight" },
                               extra: [TensorEntry(name: "mlp.3.weight", dtype: .f32, shape: [1], segments: [.memory([0, 0, 0, 0])], sourcePath: "test")])
        let p1 = layoutProblem("head") { _ = try Layouts.detect(try Checkpoint.open(head)) }
        // Without mlp.4.weight the bottleneck is unknown: the head cannot be measured, missing keys are named.
        XCTAssertEqual(p1, .tensorsDoNotMatch(layout: .dinoHead, architecture: nil, missing: ["mlp.4.weight"], unexpected: ["mlp.3.weight"], wrongShape: []))
        let head2 = try variant(of: g.path("head-param.safetensors"), in: dir, name: "head2", keep: { $0 != "mlp.2.bias" },
                                extra: [TensorEntry(name: "mlp.3.weight", dtype: .f32, shape: [1], segments: [.memory([0, 0, 0, 0])], sourcePath: "test")])
        let p2 = layoutProblem("head2") { _ = try Layouts.detect(try Checkpoint.open(head2)) }
        guard case let .tensorsDoNotMatch(_, _, missing, unexpected, wrong)? = p2 else { return XCTFail("head2: \(String(describing: p2))") }
        XCTAssertEqual(missing, ["mlp.2.bias"])
        XCTAssertEqual(unexpected, ["mlp.3.weight"])
        XCTAssertEqual(wrong, [])
    }
}
