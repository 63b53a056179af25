import CkptTestSupport
import Foundation
import XCTest
import CkptKit

/// `ckpt inspect` and `ckpt convert safetensors` on `.pth` files, run as the built executable.
final class PthCLITests: XCTestCase {
    private static let goldenPth: String? = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        var candidates = [url.path + "/golden/pth"]
        if let env = ProcessInfo.processInfo.environment["CKPT_GOLDEN"] { candidates.insert(env + "/pth", at: 0) }
        candidates.append("/work/main/golden/pth")
        return candidates.first { FileManager.default.fileExists(atPath: $0 + "/pth.json") }
    }()

    private func golden(_ file: String) throws -> String {
        guard let dir = Self.goldenPth else { throw XCTSkip("golden/pth not found") }
        return dir + "/" + file
    }

    private func ckpt(_ args: [String]) throws -> (code: Int32, out: String, err: String) {
        let r = try CkptProcess.run(args)
        return (r.status, r.stdout, r.stderr)
    }

    func testInspectShowsTensorsAndNotes() throws {
        let r = try ckpt(["inspect", try golden("fvcore.pth")])
        XCTAssertEqual(r.code, 0, r.err)
        XCTAssertTrue(r.out.contains("(pth, 1 file)"), r.out)
        XCTAssertTrue(r.out.contains("  note:       iteration: skipped, int 12"), r.out)
        XCTAssertTrue(r.out.contains("model.teacher.backbone.cls_token"), r.out)
        let j = try ckpt(["inspect", "--json", try golden("fvcore.pth")])
        XCTAssertEqual(j.code, 0, j.err)
        let json = try StrictJSONParser.parse(j.out)
        XCTAssertEqual(json["source"]?.stringValue, "pth")
        XCTAssertEqual(json["notes"]?.arrayValue?.last?.stringValue, "iteration: skipped, int 12")
    }

    /// Converting the teacher checkpoint gives a safetensors file with the same tensors and bytes.
    func testConvertSafetensorsKeepsEveryTensor() throws {
        let source = try golden("teacher_checkpoint.pth")
        let out = NSTemporaryDirectory() + "ckpt-pth-\(getpid()).safetensors"
        defer { try? FileManager.default.removeItem(atPath: out) }
        let r = try ckpt(["convert", "safetensors", source, "-o", out])
        XCTAssertEqual(r.code, 0, r.err)
        let pth = try Checkpoint.open(source), st = try Checkpoint.open(out)
        XCTAssertEqual(st.kind, .safetensors)
        XCTAssertEqual(st.names, pth.names)
        for t in pth.tensors {
            let u = try XCTUnwrap(st[t.name], t.name)
            XCTAssertEqual(u.shape, t.shape, t.name)
            XCTAssertEqual(u.dtype, t.dtype, t.name)
            XCTAssertEqual(try u.contiguousBytes(), try t.contiguousBytes(), t.name)
        }
    }

    /// Hostile files exit 2 with the refusal on stderr and leave no output behind.
    func testHostileFilesExit2WithoutOutput() throws {
        let out = NSTemporaryDirectory() + "ckpt-pth-evil-\(getpid()).safetensors"
        let cases: [(String, String)] = [
            ("evil_reduce.pth", "the pickle refers to posix.system"),
            ("evil_eval.pth", "the pickle refers to __builtin__.eval"),
            ("truncated.pth", "no zip end-of-central-directory record"),
        ]
        for (file, message) in cases {
            let r = try ckpt(["convert", "safetensors", try golden(file), "-o", out])
            XCTAssertEqual(r.code, 2, file)
            XCTAssertTrue(r.err.hasPrefix("ckpt: error: "), "\(file): \(r.err)")
            XCTAssertTrue(r.err.contains(message), "\(file): \(r.err)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: out), "\(file): output written")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: "/tmp/ckpt-pwned"), "the evil pickle ran")
    }

    /// The release recipe from raw training output: `train-to-release` on both `.pth` layouts gives
    /// exactly the golden release files of the tiny seed-0 model (written by upstream dinov2). Skipped
    /// in a build without the layout commands.
    func testTrainToReleaseFromPthMatchesGoldenRelease() throws {
        guard let pthDir = Self.goldenPth else { throw XCTSkip("golden/pth not found") }
        guard try ckpt(["convert", "--help"]).out.contains("train-to-release") else {
            throw XCTSkip("no train-to-release in this build")
        }
        let models = URL(fileURLWithPath: pthDir).deletingLastPathComponent().appendingPathComponent("models/tiny").path
        let tmp = NSTemporaryDirectory() + "ckpt-pth-release-\(getpid())"
        try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        for file in ["teacher_checkpoint.pth", "fvcore.pth"] {
            let backbone = tmp + "/\(file)-backbone.safetensors", head = tmp + "/\(file)-head.safetensors"
            let r = try ckpt(["convert", "train-to-release", pthDir + "/" + file,
                              "--backbone-output", backbone, "--head-output", head])
            XCTAssertEqual(r.code, 0, "\(file): \(r.err)")
            for (output, golden) in [(backbone, "dinov2.safetensors"), (head, "head-legacy.safetensors")] {
                let got = try Checkpoint.open(output), want = try Checkpoint.open(models + "/" + golden)
                XCTAssertEqual(got.names, want.names, "\(file) → \(golden)")
                for t in want.tensors {
                    guard let u = got[t.name] else { continue }
                    XCTAssertEqual(u.dtype, t.dtype, "\(file) → \(golden): \(t.name)")
                    XCTAssertEqual(u.shape, t.shape, "\(file) → \(golden): \(t.name)")
                    XCTAssertEqual(try u.contiguousBytes(), try t.contiguousBytes(), "\(file) → \(golden): \(t.name)")
                }
            }
        }
    }
}
