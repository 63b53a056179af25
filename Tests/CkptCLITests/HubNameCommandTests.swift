import CkptKit
import CkptTestSupport
import Foundation
import XCTest

/// Commands given a Hub name `ORG/NAME[@REVISION]` read it from the Hugging Face cache in `HF_HUB_CACHE`
/// (golden/hub/cache, written by huggingface_hub's own code); they never use the network.
final class HubNameCommandTests: XCTestCase {
    private static let cache = PackagePaths.golden + "/hub/cache"

    private func ckpt(_ arguments: [String], cache: String = HubNameCommandTests.cache) throws -> CommandResult {
        // A clean environment: only the cache variable, so the user's own cache cannot answer.
        try CkptProcess.run(arguments, in: URL(fileURLWithPath: NSTemporaryDirectory()),
                            wrapper: ["/usr/bin/env", "-i", "HF_HUB_CACHE=\(cache)", "HOME=/nonexistent"])
    }

    func testInspectReadsTheSnapshotMainPointsTo() throws {
        let result = try ckpt(["inspect", "ckpt-golden/tiny-release"])
        XCTAssertEqual(result.exitCode, 0, result.summary)
        let direct = try CkptProcess.run(["inspect", PackagePaths.golden + "/models/tiny/hf"])
        // Same tensors as the folder it was made from; the header names the snapshot and a note the commit.
        XCTAssertEqual(result.stdout.split(separator: "\n").filter { $0.hasPrefix("  e") || $0.hasPrefix("  l") },
                       direct.stdout.split(separator: "\n").filter { $0.hasPrefix("  e") || $0.hasPrefix("  l") })
        XCTAssertTrue(result.stdout.contains("note:       ckpt-golden/tiny-release is the Hugging Face cache snapshot ed5b701be0e5fa5b0d643ff6a84642f64b4b05ba"), result.stdout)
    }

    func testEveryCheckpointArgumentTakesAHubName() throws {
        // diff (two checkpoints), verify, manifest: the cache's HF weights against the original-layout file.
        let diff = try ckpt(["diff", "ckpt-golden/tiny-release@v0.1", PackagePaths.golden + "/models/tiny/dinov2.safetensors"])
        XCTAssertEqual(diff.exitCode, 0, diff.summary)
        let verify = try ckpt(["verify", "--strict", "ckpt-golden/tiny-release@9c6a5b6"])
        XCTAssertEqual(verify.exitCode, 0, verify.summary)
        let manifest = try ckpt(["manifest", "ckpt-golden/tiny-release"])
        XCTAssertEqual(manifest.exitCode, 0, manifest.summary)
        XCTAssertTrue(manifest.stdout.contains("3246ae1af668de61fd1e075fae0d682c5b35f9f4f4f01aad44cc62e723344b2c"), manifest.stdout)
    }

    func testEmbedTakesTheSnapshotsOwnPreprocessor() throws {
        let dir = try TemporaryDirectory()
        let out = dir.file("e.safetensors")
        let result = try ckpt(["embed", "ckpt-golden/tiny-release", "--image",
                               PackagePaths.golden + "/images/inputs/gray16.png", "-o", out])
        XCTAssertEqual(result.exitCode, 0, result.summary)
        // The same as with the folder it was made from and its preprocessor given explicitly.
        let direct = dir.file("d.safetensors")
        let reference = try CkptProcess.run(["embed", PackagePaths.golden + "/models/tiny/hf", "--image", PackagePaths.golden + "/images/inputs/gray16.png",
                                             "--preprocessor", PackagePaths.golden + "/forward/tiny-images-hf/preprocessor_config.json", "-o", direct])
        XCTAssertEqual(reference.exitCode, 0, reference.summary)
        let a = try Checkpoint.open(out), b = try Checkpoint.open(direct)
        XCTAssertEqual(a.names, b.names)
        for name in a.names { XCTAssertEqual(try a[name]!.contiguousBytes(), try b[name]!.contiguousBytes(), name) }
    }

    func testNotCachedExitsTwoSayingWhereAndHow() throws {
        let result = try ckpt(["inspect", "microsoft/rad-dino"])
        XCTAssertEqual(result.exitCode, 2, result.summary)
        XCTAssertEqual(result.stdout, "")
        XCTAssertEqual(result.stderr, "ckpt: error: microsoft/rad-dino: not an existing path, and not in the local Hugging Face cache (looked for \(Self.cache)/models--microsoft--rad-dino); ckpt never downloads: fetch it with `hf download microsoft/rad-dino` or set HF_HUB_CACHE / HF_HOME to the cache that holds it\n")
    }

    func testAMissingFilePathKeepsItsOwnError() throws {
        let result = try ckpt(["inspect", "release/model.safetensors"])
        XCTAssertEqual(result.exitCode, 2, result.summary)
        XCTAssertEqual(result.stderr, "ckpt: error: release/model.safetensors: open failed: No such file or directory (errno 2)\n")
    }

    func testAnEscapingLinkExitsTwo() throws {
        let dir = try TemporaryDirectory("ckpt-hub")
        let cache = dir.file("cache")
        try FileManager.default.copyItem(atPath: Self.cache, toPath: cache)
        let link = cache + "/models--ckpt-golden--tiny-release/snapshots/ed5b701be0e5fa5b0d643ff6a84642f64b4b05ba/model.safetensors"
        try FileManager.default.removeItem(atPath: link)
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: PackagePaths.golden + "/models/tiny/hf/model.safetensors")
        let result = try ckpt(["inspect", "ckpt-golden/tiny-release"], cache: cache)
        XCTAssertEqual(result.exitCode, 2, result.summary)
        XCTAssertTrue(result.stderr.contains("\(link) links to"), result.stderr)
        XCTAssertTrue(result.stderr.contains("outside the cache folder"), result.stderr)
    }
}
