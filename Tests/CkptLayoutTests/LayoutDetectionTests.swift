import CkptKit
import XCTest

/// Detection of layout and architecture from the tensors of upstream-written files; the expected
/// architecture comes from each case's generator config, not from our code.
final class LayoutDetectionTests: XCTestCase {
    static let files: [(file: String, kind: LayoutKind, prefix: String, backbone: Bool, head: Bool)] = [
        ("hf", .hf, "", true, false),
        ("hf/model.safetensors", .hf, "", true, false),
        ("dinov2.safetensors", .dinov2, "", true, false),
        ("dinov2-chunked.safetensors", .dinov2, "", true, false),
        ("timm.safetensors", .timm, "", true, false),
        ("head-legacy.safetensors", .dinoHead, "", false, true),
        ("head-param.safetensors", .dinoHead, "", false, true),
        ("train.safetensors", .dinov2Train, "teacher.backbone.", true, true),
        ("train-ddp.safetensors", .dinov2Train, "teacher.backbone.module.", true, true),
        ("train-ddp-outer.safetensors", .dinov2Train, "module.teacher.backbone.", true, true),
    ]

    func testDetectsLayoutAndArchitectureOfEveryGoldenFile() throws {
        for name in GoldenCase.tinyCases {
            let g = try GoldenCase(name)
            var expected = g.architecture
            for row in Self.files {
                let label = "\(name)/\(row.file)"
                let d = try Layouts.detect(try Checkpoint.open(g.path(row.file)))
                XCTAssertEqual(d.kind, row.kind, label)
                XCTAssertEqual(d.prefix, row.prefix, label)
                if row.backbone {
                    // Heads are only known from config.json; elsewhere the head width 64 (or 16 for these
                    // tiny widths) is assumed and said in a note.
                    expected.heads = g.architecture.heads
                    XCTAssertEqual(d.architecture, expected, label)
                    if row.file == "hf" { XCTAssertFalse(d.notes.contains { $0.contains("heads") }, label) }
                    else {
                        let rule = Architecture.assumedHeads(width: expected.width).rule
                        XCTAssertEqual(d.headsRule, rule, label)
                        XCTAssertTrue(d.notes.contains("heads: " + Architecture.assumedHeadsText(expected.heads, rule: rule)), label)
                    }
                } else {
                    XCTAssertNil(d.architecture, label)
                }
                if row.head {
                    var h = g.head!
                    h.weightNorm = row.file == "head-param.safetensors" ? .parametrized : .legacy
                    XCTAssertEqual(d.head, h, label)
                } else {
                    XCTAssertNil(d.head, label)
                }
            }
        }
    }

    func testChunkedAndClassifierAndTrainNotes() throws {
        let g = try GoldenCase("tiny")
        let chunked = try Layouts.detect(try Checkpoint.open(g.path("dinov2-chunked.safetensors")))
        XCTAssertTrue(chunked.notes.contains { $0.hasPrefix("chunked blocks") }, "\(chunked.notes)")
        let classifier = try Layouts.detect(try Checkpoint.open(g.path("classifier")))
        XCTAssertEqual(classifier.kind, .hf)
        XCTAssertEqual(classifier.prefix, "dinov2.")
        XCTAssertTrue(classifier.notes.contains { $0.contains("classifier.weight [3, 64]") && $0.contains("classifier.bias") }, "\(classifier.notes)")
        let nomask = try Layouts.detect(try Checkpoint.open(g.path("hf-nomask")))
        XCTAssertTrue(nomask.notes.contains { $0.contains("no mask_token") }, "\(nomask.notes)")
        let train = try Layouts.detect(try Checkpoint.open(g.path("train.safetensors")))
        let ignored = train.notes.first { $0.hasPrefix("ignored:") } ?? ""
        for group in ["dino_loss.center", "ibot_patch_loss.center", "student.backbone", "student.dino_head", "teacher.ibot_head"] {
            XCTAssertTrue(ignored.contains(group), "train note should name \(group): \(ignored)")
        }
    }

    /// The summary line the issue specifies, for the real RAD-DINO shape (ViT-B/14 at 518 px).
    func testSummaryOfViTB14() throws {
        // Detection reads names and shapes only: a logical checkpoint without bytes is enough.
        let arch = Architecture(width: 768, depth: 12, heads: 12)
        let entries = Layouts.expectedTensors(for: arch, layout: .dinov2).map {
            TensorEntry(name: $0.name, dtype: .f32, shape: $0.shape, segments: [], sourcePath: "(shapes)")
        }
        let checkpoint = Checkpoint(path: "(shapes)", kind: .safetensors, tensors: entries, metadata: nil, config: nil, files: [])
        let d = try Layouts.detect(checkpoint)
        XCTAssertEqual(d.summary, "dinov2 ViT-B/14, 518 px (37×37), 0 registers, MLP, 12 blocks")
        XCTAssertEqual(d.architecture, Architecture.preset("vitb14"))
    }

    /// `expectedTensors` lists exactly the names and shapes of the upstream-written files.
    func testExpectedTensorsMatchUpstreamFiles() throws {
        for name in GoldenCase.tinyCases + GoldenCase.largeCases {
            let g = try GoldenCase(name)
            for (layout, file) in [(LayoutKind.hf, "hf/model.safetensors"), (.dinov2, "dinov2.safetensors")] {
                let record = g.file(file)
                let expected = Layouts.expectedTensors(for: g.architecture, layout: layout)
                XCTAssertEqual(expected.map(\.name).sorted(), record.order.sorted(), "\(name) \(file)")
                for (n, shape) in expected { XCTAssertEqual(shape, record.tensors[n]?.shape, "\(name) \(file): \(n)") }
            }
            guard let head = g.head else { continue }
            for (spelling, file) in [(WeightNormSpelling.legacy, "head-legacy.safetensors"), (.parametrized, "head-param.safetensors")] {
                let record = g.file(file)
                let expected = Layouts.expectedHeadTensors(for: head, weightNorm: spelling)
                XCTAssertEqual(expected.map(\.name).sorted(), record.order.sorted(), "\(name) \(file)")
                for (n, shape) in expected { XCTAssertEqual(shape, record.tensors[n]?.shape, "\(name) \(file): \(n)") }
            }
        }
    }

    /// HF folders: the config cross-check fills heads and eps from config.json.
    func testConfigGivesHeads() throws {
        let g = try GoldenCase("tiny-swiglu")
        let d = try Layouts.detect(try Checkpoint.open(g.path("hf")))
        XCTAssertEqual(d.architecture?.heads, 3)
        XCTAssertEqual(d.architecture?.layerNormEps, 1e-6)
        XCTAssertNil(d.headsRule)
    }

    /// A config.json without num_attention_heads gives no count: the rule chooses it and says so
    /// (it used to stay silent because a config was present).
    func testConfigWithoutHeadsLeavesTheRule() throws {
        let g = try GoldenCase("tiny-swiglu")
        let dir = try temporaryDirectory(self) + "/hf"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: g.path("hf/model.safetensors"), toPath: dir + "/model.safetensors")
        guard case let .object(members) = try StrictJSONParser.parse(FileSystem.readSmallFile(g.path("hf/config.json"))) else {
            return XCTFail("config.json is not an object")
        }
        let config = JSONValue.object(members.filter { $0.0 != "num_attention_heads" })
        try Data(JSONWriter.compact(config).utf8).write(to: URL(fileURLWithPath: dir + "/config.json"))
        let d = try Layouts.detect(try Checkpoint.open(dir))
        let width = try XCTUnwrap(d.architecture).width
        let (heads, rule) = Architecture.assumedHeads(width: width)
        XCTAssertEqual(d.architecture?.heads, heads)
        XCTAssertEqual(d.headsRule, rule)
        XCTAssertTrue(d.notes.contains("heads: " + Architecture.assumedHeadsText(heads, rule: rule)), "\(d.notes)")
    }
}
