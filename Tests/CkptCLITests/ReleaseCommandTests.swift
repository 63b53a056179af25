import CkptKit
import CkptTestSupport
import Foundation
import XCTest

/// `ckpt manifest --release` and `ckpt verify --release` on a bundle made from golden/ (the tiny model's
/// HF folder, original-layout backbone and DINOHead, and the preprocessor of the tiny image cases), then
/// with each kind of disagreement planted.
final class ReleaseCommandTests: XCTestCase {
    private static let golden = PackagePaths.golden
    private static let imageCase = golden + "/forward/tiny-images-hf"

    /// A fresh bundle folder `<dir>/release`.
    static func makeBundle(in dir: TemporaryDirectory) throws -> String {
        let bundle = dir.file("release")
        let fm = FileManager.default
        try fm.createDirectory(atPath: bundle, withIntermediateDirectories: false)
        for (from, to) in [("models/tiny/hf/model.safetensors", "model.safetensors"), ("models/tiny/hf/config.json", "config.json"),
                           ("forward/tiny-images-hf/preprocessor_config.json", "preprocessor_config.json"),
                           ("models/tiny/dinov2.safetensors", "backbone_compatible.safetensors"),
                           ("models/tiny/head-legacy.safetensors", "dino_head.safetensors")] {
            try fm.copyItem(atPath: golden + "/" + from, toPath: bundle + "/" + to)
        }
        return bundle
    }

    private func json(_ result: CommandResult) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], result.summary)
    }

    private func problems(_ doc: [String: Any]) -> [(kind: String, file: String, key: String?)] {
        ((doc["problems"] as? [[String: Any]]) ?? []).map { ($0["kind"] as! String, $0["file"] as! String, $0["key"] as? String) }
    }

    func testACleanBundlePassesWithItsManifestAndGoldenCase() throws {
        let dir = try TemporaryDirectory()
        let bundle = try Self.makeBundle(in: dir)
        let manifest = dir.file("release.json")
        let written = try CkptProcess.run(["manifest", "--release", bundle, "-o", manifest])
        XCTAssertEqual(written.exitCode, 0, written.summary)
        XCTAssertEqual(written.stdout, "wrote \(manifest): 5 files, 3 checkpoints (model.safetensors, backbone_compatible.safetensors, dino_head.safetensors)\n")
        // Every file is pinned with the SHA-256 of its bytes (here: the golden files' recorded hashes).
        let pinned = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: manifest))) as? [String: Any])
        let files = try XCTUnwrap(pinned["files"] as? [[String: Any]])
        XCTAssertEqual(files.map { $0["name"] as! String }, ReleaseBundle.requiredFiles)
        let caseJSON = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Self.imageCase + "/golden.json"))) as? [String: Any])
        let images = try XCTUnwrap(caseJSON["images"] as? [String: Any])
        XCTAssertEqual(files.first { $0["name"] as? String == "preprocessor_config.json" }?["sha256"] as? String,
                       images["preprocessor_config_sha256"] as? String)
        XCTAssertEqual(files.first { $0["name"] as? String == "model.safetensors" }?["sha256"] as? String,
                       (caseJSON["weights"] as? [String: Any]).flatMap { ($0["file_sha256"] as? [String: String])?["hf"] })

        let text = try CkptProcess.run(["verify", "--strict", "--release", bundle, "--manifest", manifest, "--golden", Self.imageCase])
        XCTAssertEqual(text.exitCode, 0, text.summary)
        XCTAssertTrue(text.stdout.hasPrefix("PASS release \(bundle): 3 checkpoints agree with each other\n"), text.stdout)
        let report = try CkptProcess.run(["verify", "--strict", "--json", "--release", bundle, "--manifest", manifest, "--golden", Self.imageCase])
        XCTAssertEqual(report.exitCode, 0, report.summary)
        let doc = try json(report)
        XCTAssertEqual(doc["schema"] as? String, "ckpt.verify-release/1")
        XCTAssertEqual(doc["status"] as? String, "pass")
        let parts = try XCTUnwrap(doc["parts"] as? [String: [String: Any]])
        XCTAssertEqual(Set(parts.keys), ["model.safetensors", "backbone_compatible.safetensors", "dino_head.safetensors"])
        XCTAssertTrue(parts.values.allSatisfy { $0["status"] as? String == "pass" })
        XCTAssertNotNil(parts["model.safetensors"]?["golden"] as? [String: Any])
    }

    func testTheHubLocalDirRecordsAreNotPartOfTheBundle() throws {
        // `hf download ORG/NAME --local-dir release` leaves release/.cache/huggingface/download/*.metadata.
        let dir = try TemporaryDirectory()
        let bundle = try Self.makeBundle(in: dir)
        let records = bundle + "/.cache/huggingface/download"
        try FileManager.default.createDirectory(atPath: records, withIntermediateDirectories: true)
        try Data("abc\n".utf8).write(to: URL(fileURLWithPath: records + "/model.safetensors.metadata"))
        XCTAssertEqual(try CkptProcess.run(["manifest", "--release", bundle, "-o", dir.file("release.json")]).exitCode, 0)
        let result = try CkptProcess.run(["verify", "--strict", "--release", bundle, "--manifest", dir.file("release.json")])
        XCTAssertEqual(result.exitCode, 0, result.summary)
        // A file named .cache is no such folder: it is an unknown file.
        try FileManager.default.removeItem(atPath: bundle + "/.cache")
        try Data().write(to: URL(fileURLWithPath: bundle + "/.cache"))
        XCTAssertEqual(try CkptProcess.run(["verify", "--release", bundle]).exitCode, 1)
    }

    func testTheBundleInTheHubCacheIsCheckedByName() throws {
        let result = try CkptProcess.run(["verify", "--strict", "--release", "ckpt-golden/tiny-release", "--golden", Self.imageCase],
                                         wrapper: ["/usr/bin/env", "HF_HUB_CACHE=\(Self.golden)/hub/cache"])
        XCTAssertEqual(result.exitCode, 0, result.summary)
        XCTAssertTrue(result.stdout.hasPrefix("PASS release ckpt-golden/tiny-release (snapshot ed5b701be0e5fa5b0d643ff6a84642f64b4b05ba): 3 checkpoints agree with each other\n"), result.stdout)
    }

    /// One kind of disagreement per row: what is planted, and the finding that must name it.
    func testEachPlantedDisagreementIsCaught() throws {
        let fm = FileManager.default
        struct Plant { var name: String; var plant: (String, TemporaryDirectory) throws -> Void; var kind: String; var file: String; var key: String? = nil }
        let rows: [Plant] = [
            Plant(name: "missing head", plant: { b, _ in try fm.removeItem(atPath: b + "/dino_head.safetensors") },
                  kind: "missing_file", file: "dino_head.safetensors"),
            Plant(name: "unknown file", plant: { b, _ in try Data("x".utf8).write(to: URL(fileURLWithPath: b + "/pytorch_model.bin")) },
                  kind: "unknown_file", file: "pytorch_model.bin"),
            Plant(name: "other backbone", plant: { b, d in
                      // Same shapes, other values: the synthetic generator with seed 1.
                      let r = try CkptProcess.run(["synth", "--width", "32", "--depth", "2", "--heads", "2", "--ffn", "mlp",
                                                   "--image-size", "28", "--seed", "1", "-o", d.file("seed1.safetensors")])
                      XCTAssertEqual(r.exitCode, 0, r.summary)
                      try fm.removeItem(atPath: b + "/backbone_compatible.safetensors")
                      try fm.copyItem(atPath: d.file("seed1.safetensors"), toPath: b + "/backbone_compatible.safetensors")
                  }, kind: "layouts_differ", file: "backbone_compatible.safetensors", key: "embeddings.cls_token"),
            Plant(name: "head of a wider backbone", plant: { b, d in
                      let r = try CkptProcess.run(["synth", "--width", "64", "--depth", "1", "--heads", "1", "--ffn", "mlp",
                                                   "--image-size", "28", "-o", d.file("w64.safetensors"),
                                                   "--head-output", d.file("head64.safetensors")])
                      XCTAssertEqual(r.exitCode, 0, r.summary)
                      try fm.removeItem(atPath: b + "/dino_head.safetensors")
                      try fm.copyItem(atPath: d.file("head64.safetensors"), toPath: b + "/dino_head.safetensors")
                  }, kind: "head_width", file: "dino_head.safetensors"),
            Plant(name: "config says 3 layers", plant: { b, _ in
                      let path = b + "/config.json"
                      let text = try String(contentsOfFile: path, encoding: .utf8)
                      XCTAssertTrue(text.contains("\"num_hidden_layers\": 2"))
                      try text.replacingOccurrences(of: "\"num_hidden_layers\": 2", with: "\"num_hidden_layers\": 3")
                          .write(toFile: path, atomically: false, encoding: .utf8)
                  }, kind: "config", file: "config.json"),
            Plant(name: "preprocessor crops 24", plant: { b, _ in
                      let path = b + "/preprocessor_config.json"
                      let text = try String(contentsOfFile: path, encoding: .utf8)
                      try text.replacingOccurrences(of: "\"height\": 28", with: "\"height\": 24")
                          .write(toFile: path, atomically: false, encoding: .utf8)
                  }, kind: "preprocessor", file: "preprocessor_config.json", key: "crop_size"),
        ]
        for row in rows {
            let dir = try TemporaryDirectory()
            let bundle = try Self.makeBundle(in: dir)
            try row.plant(bundle, dir)
            let result = try CkptProcess.run(["verify", "--strict", "--json", "--release", bundle, "--golden", Self.imageCase])
            XCTAssertEqual(result.exitCode, 1, "\(row.name): \(result.summary)")
            let found = problems(try json(result))
            XCTAssertTrue(found.contains { $0.kind == row.kind && $0.file == row.file && (row.key == nil || $0.key == row.key) },
                          "\(row.name): \(found)")
            // Only the planted kind among the bundle's findings (a wrong config also fails the HF part).
            XCTAssertEqual(Set(found.map(\.kind)), [row.kind], "\(row.name): \(found)")
            let text = try CkptProcess.run(["verify", "--release", bundle, "--golden", Self.imageCase])
            XCTAssertEqual(text.exitCode, 1, row.name)
            XCTAssertTrue(text.stdout.hasPrefix("FAIL release \(bundle): "), "\(row.name): \(text.stdout)")
            XCTAssertTrue(text.stdout.contains("\n  \(row.file)"), "\(row.name): \(text.stdout)")
        }
    }

    func testEveryProblemAtOnceAndTheManifestsFindings() throws {
        let dir = try TemporaryDirectory()
        let bundle = try Self.makeBundle(in: dir)
        let manifest = dir.file("release.json")
        XCTAssertEqual(try CkptProcess.run(["manifest", "--release", bundle, "-o", manifest]).exitCode, 0)
        // After sign-off: the preprocessor is re-saved (same values, other bytes), a README appears,
        // the backbone is gone, and one byte of the head changes.
        let pre = bundle + "/preprocessor_config.json"
        try (String(contentsOfFile: pre, encoding: .utf8) + "\n").write(toFile: pre, atomically: false, encoding: .utf8)
        try Data("# model card\n".utf8).write(to: URL(fileURLWithPath: bundle + "/README.md"))
        try FileManager.default.removeItem(atPath: bundle + "/backbone_compatible.safetensors")
        var head = try readBytes(bundle + "/dino_head.safetensors")
        head[head.count - 1] ^= 1
        try Data(head).write(to: URL(fileURLWithPath: bundle + "/dino_head.safetensors"))
        let result = try CkptProcess.run(["verify", "--json", "--release", bundle, "--manifest", manifest])
        XCTAssertEqual(result.exitCode, 1, result.summary)
        let doc = try json(result)
        let found = problems(doc)
        for (kind, file) in [("missing_file", "backbone_compatible.safetensors"), ("file", "preprocessor_config.json"), ("file", "README.md")] {
            XCTAssertTrue(found.contains { $0.kind == kind && $0.file == file }, "\(kind) \(file): \(found)")
        }
        // The head's byte change is its own report's finding (file and tensor hashes).
        let headReport = try XCTUnwrap((doc["parts"] as? [String: [String: Any]])?["dino_head.safetensors"])
        let kinds = Set(((headReport["problems"] as? [[String: Any]]) ?? []).map { $0["kind"] as! String })
        XCTAssertTrue(kinds.isSuperset(of: ["file", "bytes"]), "\(kinds)")
    }

    func testAnUnreadablePartExitsTwoAndTheRestIsStillChecked() throws {
        let dir = try TemporaryDirectory()
        let bundle = try Self.makeBundle(in: dir)
        try Data("not safetensors".utf8).write(to: URL(fileURLWithPath: bundle + "/dino_head.safetensors"))
        let result = try CkptProcess.run(["verify", "--json", "--release", bundle])
        XCTAssertEqual(result.exitCode, 2, result.summary)
        let doc = try json(result)
        XCTAssertEqual(doc["status"] as? String, "unreadable")
        XCTAssertEqual(problems(doc).map(\.kind), ["unreadable"])
        XCTAssertEqual(Set((doc["parts"] as? [String: Any])?.keys ?? [:].keys), ["model.safetensors", "backbone_compatible.safetensors"])
    }

    func testExpectRaddinoChecksEachPartAgainstItsSpec() throws {
        // The tiny bundle is RAD-DINO's structure at width 32: every part fails the RAD-DINO specs by shape.
        let dir = try TemporaryDirectory()
        let bundle = try Self.makeBundle(in: dir)
        let result = try CkptProcess.run(["verify", "--json", "--release", bundle, "--expect", "raddino"])
        XCTAssertEqual(result.exitCode, 1, result.summary)
        let parts = try XCTUnwrap(try json(result)["parts"] as? [String: [String: Any]])
        for (file, spec) in [("model.safetensors", "raddino"), ("backbone_compatible.safetensors", "raddino"), ("dino_head.safetensors", "raddino-head")] {
            let report = try XCTUnwrap(parts[file], file)
            XCTAssertEqual((report["expectation"] as? [String: Any])?["name"] as? String, spec, file)
            XCTAssertTrue(((report["problems"] as? [[String: Any]]) ?? []).contains { $0["kind"] as? String == "shape" }, file)
        }
        let other = try CkptProcess.run(["verify", "--release", bundle, "--expect", "dinov2-vitb14"])
        XCTAssertEqual(other.exitCode, 64, other.summary)
    }

    func testManifestRefusesAnIncompleteBundleNamingEachFile() throws {
        let dir = try TemporaryDirectory()
        let bundle = try Self.makeBundle(in: dir)
        try FileManager.default.removeItem(atPath: bundle + "/config.json")
        try Data().write(to: URL(fileURLWithPath: bundle + "/notes.txt"))
        let result = try CkptProcess.run(["manifest", "--release", bundle, "-o", dir.file("release.json")])
        XCTAssertEqual(result.exitCode, 2, result.summary)
        XCTAssertEqual(result.stderr, """
            ckpt: error: \(bundle): 2 problems:
              - config.json is missing
              - notes.txt is not a file of a release bundle (backbone_compatible.safetensors, config.json, dino_head.safetensors, model.safetensors, preprocessor_config.json)

            """)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.file("release.json")))
    }

    func testReleaseAndPathAreExclusive() throws {
        let both = try CkptProcess.run(["verify", "x", "--release", "y"])
        XCTAssertEqual(both.exitCode, 64, both.summary)
        let neither = try CkptProcess.run(["manifest"])
        XCTAssertEqual(neither.exitCode, 64, neither.summary)
        let like = try CkptProcess.run(["verify", "--release", "y", "--layout", "hf"])
        XCTAssertEqual(like.exitCode, 64, like.summary)
    }
}
