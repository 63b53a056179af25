import CkptKit
import CkptTestSupport
import Foundation
import XCTest

/// Runs the built `ckpt` on the golden models and pins outputs and exit codes of the layout commands.
final class LayoutCommandTests: XCTestCase {
    static var golden: String { ProcessInfo.processInfo.environment["CKPT_GOLDEN"] ?? PackagePaths.golden }

    struct Result { let status: Int32; let stdout: String; let stderr: String }

    func ckpt(_ args: String...) throws -> Result { try ckpt(args) }

    func ckpt(_ args: [String]) throws -> Result {
        let r = try CkptProcess.run(args)
        return Result(status: r.status, stdout: r.stdout, stderr: r.stderr)
    }

    func model(_ path: String) throws -> String {
        let full = Self.golden + "/models/" + path
        guard FileManager.default.fileExists(atPath: full) else { throw XCTSkip("golden data missing: \(full)") }
        return full
    }

    /// sha256 of a golden file as recorded in case.json.
    func recordedSHA(_ caseName: String, _ file: String) throws -> String {
        let data = FileManager.default.contents(atPath: try model(caseName + "/case.json"))!
        let json = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        return ((json["files"] as! [String: Any])[file] as! [String: Any])["sha256"] as! String
    }

    func tmp() throws -> String {
        let dir = try TemporaryDirectory("ckpt-cli-layout")
        addTeardownBlock { _ = dir }  // removed at teardown
        return dir.path
    }

    func testInspectShowsLayout() throws {
        let r = try ckpt("inspect", try model("tiny-reg4/dinov2-chunked.safetensors"))
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("  layout:     dinov2 ViT-D32-L2-H2/14, 28 px (2×2), 4 registers, MLP, 2 blocks\n"), r.stdout)
        let j = try ckpt("inspect", "--json", try model("tiny/train.safetensors"))
        XCTAssertEqual(j.status, 0, j.stderr)
        let json = try JSONSerialization.jsonObject(with: Data(j.stdout.utf8)) as! [String: Any]
        let layout = json["layout"] as! [String: Any]
        XCTAssertEqual(layout["kind"] as? String, "dinov2-train")
        XCTAssertEqual(layout["prefix"] as? String, "teacher.backbone.")
        XCTAssertEqual((layout["architecture"] as! [String: Any])["registers"] as? Int, 0)
        XCTAssertEqual((layout["head"] as! [String: Any])["out_dim"] as? Int, 64)
    }

    func testInspectOfANonModelFileStillListsTensors() throws {
        let mixed = Self.golden + "/safetensors/mixed.safetensors"
        guard FileManager.default.fileExists(atPath: mixed) else { throw XCTSkip("golden data missing: \(mixed)") }
        let r = try ckpt("inspect", mixed)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("  layout:     unrecognised (not a recognised checkpoint layout"), r.stdout)
        XCTAssertTrue(r.stdout.contains("tensors:    23"), r.stdout)
    }

    func testConvertCommandsWriteUpstreamIdenticalFiles() throws {
        let dir = try tmp()
        var r = try ckpt("convert", "hf-to-dinov2", try model("tiny/hf-nomask"), "-o", dir + "/d.safetensors")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("ckpt: warning:") && r.stderr.contains("no mask_token; writing zeros [1, 32]"), r.stderr)
        XCTAssertEqual(try Hashing.sha256(file: dir + "/d.safetensors"), try recordedSHA("tiny", "dinov2.safetensors"))

        r = try ckpt("convert", "dinov2-to-hf", try model("tiny-swiglu/dinov2-chunked.safetensors"), "-o", dir + "/hf",
                     "--head", try model("tiny-swiglu/head-param.safetensors"))
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try Hashing.sha256(file: dir + "/hf/model.safetensors"), try recordedSHA("tiny-swiglu", "hf/model.safetensors"))
        XCTAssertEqual(try Hashing.sha256(file: dir + "/hf/dino_head.safetensors"), try recordedSHA("tiny-swiglu", "head-param.safetensors"))
        let config = try JSONSerialization.jsonObject(with: FileManager.default.contents(atPath: dir + "/hf/config.json")!) as! [String: Any]
        XCTAssertEqual(config["model_type"] as? String, "dinov2")
        XCTAssertEqual(config["use_swiglu_ffn"] as? Bool, true)
        XCTAssertEqual(config["num_attention_heads"] as? Int, 3)  // no config in the source: head width 16 assumed for D=48

        // Back, with the head re-spelled.
        r = try ckpt("convert", "hf-to-dinov2", dir + "/hf", "-o", dir + "/back.safetensors",
                     "--head-output", dir + "/head.safetensors", "--weight-norm", "legacy")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try Hashing.sha256(file: dir + "/back.safetensors"), try recordedSHA("tiny-swiglu", "dinov2.safetensors"))
        XCTAssertEqual(try Hashing.sha256(file: dir + "/head.safetensors"), try recordedSHA("tiny-swiglu", "head-legacy.safetensors"))

        r = try ckpt("convert", "train-to-release", try model("tiny-reg4/train-ddp-outer.safetensors"),
                     "--backbone-output", dir + "/b.safetensors", "--head-output", dir + "/h.safetensors")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try Hashing.sha256(file: dir + "/b.safetensors"), try recordedSHA("tiny-reg4", "dinov2.safetensors"))
        XCTAssertEqual(try Hashing.sha256(file: dir + "/h.safetensors"), try recordedSHA("tiny-reg4", "head-legacy.safetensors"))
    }

    /// `convert layout --to`: every source layout of a golden case to every backbone layout, each output
    /// byte-identical to the file the upstream library wrote in that layout.
    static let layoutConversions: [(source: String, to: String, expected: String)] = [
        ("hf", "dinov2", "dinov2.safetensors"),
        ("dinov2-chunked.safetensors", "hf", "hf/model.safetensors"),
        ("train-ddp.safetensors", "dinov2", "dinov2.safetensors"),
        ("dinov2.safetensors", "dinov2", "dinov2.safetensors"),
        ("hf", "timm", "timm.safetensors"),
        ("dinov2-chunked.safetensors", "timm", "timm.safetensors"),
        ("train.safetensors", "timm", "timm.safetensors"),
        ("timm.safetensors", "timm", "timm.safetensors"),
    ]

    func testConvertLayoutFromAnyLayoutToAny() throws {
        let dir = try tmp()
        for name in ["tiny", "tiny-reg4", "tiny-swiglu"] {
            for (i, row) in Self.layoutConversions.enumerated() {
                let out = "\(dir)/\(name)-\(i)" + (row.to == "hf" ? "" : ".safetensors")
                let r = try ckpt("convert", "layout", try model("\(name)/\(row.source)"), "--to", row.to, "-o", out)
                XCTAssertEqual(r.status, 0, "\(name) \(row): \(r.stderr)")
                XCTAssertTrue(r.stdout.hasPrefix("\(out): ") && r.stdout.contains(" tensors, \(row.to) "), r.stdout)
                let written = row.to == "hf" ? out + "/model.safetensors" : out
                XCTAssertEqual(try Hashing.sha256(file: written), try recordedSHA(name, row.expected), "\(name) \(row)")
            }
        }
        let r = try ckpt("convert", "layout", try model("tiny/hf"), "--to", "dino-head", "-o", dir + "/x")
        XCTAssertEqual(r.status, 64, "a head is not a backbone layout: \(r.stderr)")
    }

    /// timm files: `inspect` names the layout, `verify --layout timm` passes, and converting a register
    /// model out of timm says what the fold does.
    func testTimmFiles() throws {
        let dir = try tmp()
        let file = try model("tiny-reg4/timm.safetensors")
        var r = try ckpt("inspect", file)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("  layout:     timm ViT-D32-L2-H2/14, 28 px (2×2), 4 registers, MLP, 2 blocks\n"), r.stdout)
        r = try ckpt("verify", file, "--layout", "timm", "--strict")
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        r = try ckpt("verify", try model("tiny-reg4/dinov2.safetensors"), "--layout", "timm")
        XCTAssertEqual(r.status, 1, r.stdout + r.stderr)
        XCTAssertTrue(r.stdout.contains("ckpt convert layout --to timm"), r.stdout)
        r = try ckpt("convert", "layout", file, "--to", "dinov2", "-o", dir + "/back.safetensors")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("(from timm)\n  note: cls_token holds the class position"), r.stdout)
        r = try ckpt("convert", "layout", dir + "/back.safetensors", "--to", "timm", "-o", dir + "/again.safetensors")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("  note: cls_token = cls_token + pos_embed[:, 0]"), r.stdout)
        XCTAssertEqual(try Hashing.sha256(file: dir + "/again.safetensors"), try recordedSHA("tiny-reg4", "timm.safetensors"))
        r = try ckpt("convert", "hf-to-dinov2", file, "-o", dir + "/x.safetensors")
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("this is a timm checkpoint"), r.stderr)
    }

    func testSynthCommand() throws {
        let dir = try tmp()
        let data = FileManager.default.contents(atPath: try model("tiny-swiglu/case.json"))!
        let json = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        let args = ((json["config"] as! [String: Any])["ckpt_synth_args"] as! String).split(separator: " ").map(String.init)
        let r = try ckpt(["synth"] + args + ["-o", dir + "/s.safetensors"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try Hashing.sha256(file: dir + "/s.safetensors"), json["synth_backbone_sha256"] as? String)
        XCTAssertEqual(try ckpt("synth", "-o", dir + "/x.safetensors").status, 64)  // no architecture
        XCTAssertEqual(try ckpt("synth", "--arch", "vitb14", "--heads", "5", "-o", dir + "/x.safetensors").status, 64)
        XCTAssertEqual(try ckpt("synth", "--arch", "vits14", "--image-size", "100", "-o", dir + "/x.safetensors").status, 64)
        // Sizes past synth's limit are usage errors (4·width used to overflow and trap).
        let huge = try ckpt("synth", "--width", "4611686018427387904", "--depth", "1", "--heads", "1", "-o", dir + "/x.safetensors")
        XCTAssertEqual(huge.status, 64, huge.stderr)
        XCTAssertTrue(huge.stderr.contains("--width 4611686018427387904 is over synth's limit of 1048576"), huge.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/x.safetensors"))
    }

    /// Refusals exit 2 with a message naming the file, and leave nothing behind.
    func testRefusalsExitTwo() throws {
        let dir = try tmp()
        let cases: [(args: [String], message: String)] = [
            (["convert", "hf-to-dinov2", Self.golden + "/safetensors/mixed.safetensors", "-o", dir + "/o1.safetensors"], "not a recognised checkpoint layout"),
            (["convert", "hf-to-dinov2", try model("tiny/dinov2.safetensors"), "-o", dir + "/o2.safetensors"], "this is a dinov2 checkpoint"),
            (["convert", "dinov2-to-hf", try model("tiny/hf"), "-o", dir + "/o3"], "this is a hf checkpoint"),
            (["convert", "train-to-release", try model("tiny/dinov2.safetensors"), "--backbone-output", dir + "/o4", "--head-output", dir + "/o5"], "this is a dinov2 checkpoint"),
            (["convert", "hf-to-dinov2", try model("tiny/hf"), "-o", dir + "/o6.safetensors", "--head-output", dir + "/o7"], "needs a dino_head.safetensors"),
            (["convert", "hf-to-dinov2", try model("tiny/hf"), "-o", try model("tiny/hf/model.safetensors"), "--force"], "output is the input"),
            (["convert", "hf-to-dinov2", try model("tiny/hf"), "-o", try model("tiny/dinov2.safetensors")], "output exists"),
        ]
        for (args, message) in cases {
            let r = try ckpt(args)
            XCTAssertEqual(r.status, 2, "\(args): \(r.stderr)")
            XCTAssertTrue(r.stderr.hasPrefix("ckpt: error: ") && r.stderr.contains(message), "\(args): \(r.stderr)")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), [], "refused conversions left files behind")
        XCTAssertEqual(try Hashing.sha256(file: try model("tiny/hf/model.safetensors")), try recordedSHA("tiny", "hf/model.safetensors"))
    }

    /// An HF folder appears whole or not at all: when the last of its files cannot be written, the
    /// weights already written to a temporary name are dropped and nothing lands in the folder.
    func testDinov2ToHFFolderIsAllOrNothing() throws {
        let dir = try tmp()
        let out = dir + "/hf"
        try FileManager.default.createDirectory(atPath: out + "/dino_head.safetensors", withIntermediateDirectories: true)
        let r = try ckpt("convert", "dinov2-to-hf", try model("tiny/dinov2.safetensors"), "-o", out,
                         "--head", try model("tiny/head-legacy.safetensors"), "--force")
        XCTAssertEqual(r.status, 2, r.stdout + r.stderr)
        XCTAssertTrue(r.stderr.contains("dino_head.safetensors"), r.stderr)
        let left = try FileManager.default.contentsOfDirectory(atPath: out).sorted()
        XCTAssertEqual(left, ["dino_head.safetensors"], "only the pre-existing folder may remain: \(left)")
    }

    /// A release (backbone + head) is written together or not at all: an existing head destination is
    /// refused before the backbone's first byte (hf-to-dinov2 wrote OUT, then failed on the head), and a head
    /// destination that cannot be written after staging leaves no backbone either.
    func testReleaseIsWrittenWholeOrNotAtAll() throws {
        let dir = try tmp()
        let hf = dir + "/hf"
        var r = try ckpt("convert", "dinov2-to-hf", try model("tiny-swiglu/dinov2-chunked.safetensors"), "-o", hf,
                         "--head", try model("tiny-swiglu/head-param.safetensors"))
        XCTAssertEqual(r.status, 0, r.stderr)
        FileManager.default.createFile(atPath: dir + "/existing-head.safetensors", contents: Data("keep".utf8))
        r = try ckpt("convert", "hf-to-dinov2", hf, "-o", dir + "/out.safetensors", "--head-output", dir + "/existing-head.safetensors")
        XCTAssertEqual(r.status, 2, r.stderr)
        XCTAssertTrue(r.stderr.contains("existing-head.safetensors: output exists"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/out.safetensors"), "the backbone was written: \(r.stdout)")
        XCTAssertEqual(FileManager.default.contents(atPath: dir + "/existing-head.safetensors"), Data("keep".utf8))
        // With --force, a head destination that is a folder is refused before the backbone is written.
        try FileManager.default.createDirectory(atPath: dir + "/head-folder", withIntermediateDirectories: false)
        try FileManager.default.createDirectory(atPath: dir + "/head-folder/x", withIntermediateDirectories: false)
        for (args, head) in [(["convert", "hf-to-dinov2", hf, "-o", dir + "/out.safetensors"], "--head-output"),
                             (["convert", "train-to-release", try model("tiny-reg4/train-ddp-outer.safetensors"),
                               "--backbone-output", dir + "/out.safetensors"], "--head-output")] {
            r = try ckpt(args + [head, dir + "/head-folder", "--force"])
            XCTAssertEqual(r.status, 2, "\(args): \(r.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/out.safetensors"), "\(args): the backbone was written")
        }
        // synth --head-output: the same, for generated weights (file and folder layouts).
        for layout in ["dinov2", "hf"] {
            r = try ckpt("synth", "--arch", "vits14", "--layout", layout, "-o", dir + "/out.safetensors",
                         "--head-output", dir + "/existing-head.safetensors", "--head-out-dim", "8")
            XCTAssertEqual(r.status, 2, "synth \(layout): \(r.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/out.safetensors"), "synth \(layout): the backbone was written")
        }
        let left = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        XCTAssertEqual(left, ["existing-head.safetensors", "head-folder", "hf"], "temporary files left: \(left)")
    }

    /// A refused head (not a DINOHead) creates nothing: not even the output folder.
    func testDinov2ToHFWithAnInvalidHeadCreatesNothing() throws {
        let dir = try tmp()
        let out = dir + "/new-folder"
        let r = try ckpt("convert", "dinov2-to-hf", try model("tiny/dinov2.safetensors"), "-o", out,
                         "--head", try model("tiny/dinov2.safetensors"))
        XCTAssertEqual(r.status, 2, r.stdout + r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out), "no output folder may appear")
    }
}
