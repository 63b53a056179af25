import CkptKit
import CkptTestSupport
import Foundation
import XCTest

/// A golden case made the way a release engineer makes one at sign-off (`golden/generate.py forward-case
/// --images` on two bundled images with the tiny release bundle, section user-case), checked by
/// `verify --golden`; and the versions a case records, printed and, when not the pins, warned about.
final class UserGoldenCaseTests: XCTestCase {
    private static let userCase = PackagePaths.golden + "/user-cases/tiny-release-images"
    private static let snapshot = PackagePaths.golden + "/hub/cache/models--ckpt-golden--tiny-release/snapshots/ed5b701be0e5fa5b0d643ff6a84642f64b4b05ba"

    private func caseJSON(_ dir: String) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/golden.json"))) as? [String: Any])
    }

    func testTheCaseIsMadeFromTheBundledImagesAndTheBundlesPreprocessor() throws {
        let json = try caseJSON(Self.userCase)
        let images = try XCTUnwrap(json["images"] as? [String: Any])
        XCTAssertEqual(images["files"] as? [String], ["images/gray16.png", "images/jpeg-gray.jpg"])
        XCTAssertEqual(images["backend"] as? String, "pil")
        XCTAssertEqual(images["sha256"] as? [String], try ["gray16.png", "jpeg-gray.jpg"].map {
            sha256Hex(try readBytes(PackagePaths.golden + "/images/inputs/" + $0))
        })
        XCTAssertEqual(images["preprocessor_config_sha256"] as? String, sha256Hex(try readBytes(Self.snapshot + "/preprocessor_config.json")))
        XCTAssertEqual((json["versions_differ_from_pins"] as? [Any])?.count, 0)
        XCTAssertEqual((json["expected"] as? [String: Any]).flatMap { ($0["tensors"] as? [String: Any]).map { Set($0.keys) } },
                       ["pooler_output", "last_hidden_state", "head_output"])
    }

    func testVerifyGoldenChecksTheCaseAndPrintsItsVersions() throws {
        let result = try CkptProcess.run(["verify", "--strict", "--release", Self.snapshot, "--golden", Self.userCase])
        XCTAssertEqual(result.exitCode, 0, result.summary)
        XCTAssertTrue(result.stdout.contains("\n    versions: torch 2.15.0, transformers 5.24.0, Pillow 13.0.0 (as pinned)\n"), result.stdout)
        XCTAssertTrue(result.stdout.contains("pixels: 2 images preprocessed by ckpt, [2, 3, 28, 28]: bit-identical to the case's pixel_values"), result.stdout)
        XCTAssertTrue(result.stdout.contains("head_output [2, 64]"), result.stdout)
        XCTAssertFalse(result.stdout.contains("warning"), result.stdout)
    }

    func testAVersionOtherThanThePinIsAWarningNotARefusal() throws {
        let dir = try TemporaryDirectory()
        let copy = dir.file("case")
        try FileManager.default.copyItem(atPath: Self.userCase, toPath: copy)
        let path = copy + "/golden.json"
        let text = try String(contentsOfFile: path, encoding: .utf8)
        XCTAssertTrue(text.contains("\"torch\": \"2.15.0\""))
        try text.replacingOccurrences(of: "\"torch\": \"2.15.0\"", with: "\"torch\": \"2.16.1\"")
            .write(toFile: path, atomically: false, encoding: .utf8)
        let result = try CkptProcess.run(["verify", "--strict", "--release", Self.snapshot, "--golden", copy])
        XCTAssertEqual(result.exitCode, 0, result.summary)
        XCTAssertTrue(result.stdout.contains("versions: torch 2.16.1 (pin 2.15.0), transformers 5.24.0, Pillow 13.0.0\n"), result.stdout)
        XCTAssertTrue(result.stdout.contains("warning: golden forward pass (1)\n    versions.torch  the case was made with torch 2.16.1, not the project's pin 2.15.0"), result.stdout)
        let json = try CkptProcess.run(["verify", "--json", "--release", Self.snapshot, "--golden", copy])
        let doc = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let hf = try XCTUnwrap((doc["parts"] as? [String: [String: Any]])?["model.safetensors"])
        XCTAssertEqual((hf["golden"] as? [String: Any])?["versions"] as? [String: String],
                       ["torch": "2.16.1", "transformers": "5.24.0", "pillow": "13.0.0"])
        let warning = try XCTUnwrap((hf["problems"] as? [[String: Any]])?.first { $0["key"] as? String == "versions.torch" })
        XCTAssertEqual(warning["severity"] as? String, "warning")
    }

    func testThePinsAreGoldenRequirements() throws {
        let text = try String(contentsOfFile: PackagePaths.golden + "/requirements.txt", encoding: .utf8)
        var pins: [String: String] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.components(separatedBy: "==")
            if parts.count == 2 { pins[parts[0].lowercased()] = parts[1] }
        }
        for pin in GoldenVersions.pins {
            XCTAssertEqual(pins[pin.key], pin.pin, pin.key)
        }
    }

    func testTheProjectsOwnCasesAreStrictlyPinned() throws {
        // The project's golden data never warns: every case under golden/forward records the pins.
        let forward = PackagePaths.golden + "/forward"
        var checked = 0
        for name in try FileManager.default.contentsOfDirectory(atPath: forward).sorted() {
            let versions = try XCTUnwrap(GoldenVersions(case: GoldenCase(directory: forward + "/" + name)), name)
            XCTAssertEqual(versions.warnings, [], name)
            XCTAssertTrue(versions.recorded.contains { $0.display == "torch" }, name)
            checked += 1
        }
        XCTAssertGreaterThan(checked, 20)
    }
}
