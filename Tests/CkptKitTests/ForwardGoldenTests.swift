import Foundation
import XCTest
@testable import CkptKit

/// Golden forward cases (`golden/forward/*`, written by upstream torch/transformers/dinov2): every
/// case whose weights are available must pass, and planted weight defects must fail.
///
/// The golden root is `golden/` of this repository, or `$CKPT_GOLDEN_ROOT`. Cases whose weights are
/// not committed (synthetic ViT-S/B shapes) run when `$CKPT_SYNTH_WEIGHTS_DIR/<sha256>.safetensors`
/// exists with the SHA-256 `golden.json` records (files written by `ckpt synth`).
final class ForwardGoldenTests: XCTestCase {
    static var goldenRoot: String? {
        if let env = ProcessInfo.processInfo.environment["CKPT_GOLDEN_ROOT"] { return env }
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("golden").path
        return FileManager.default.fileExists(atPath: repo + "/forward") ? repo : nil
    }

    struct Case {
        let name: String
        let dir: String
        /// Weight files to check, each in its own layout (label, path).
        let weights: [(String, String)]
    }

    /// Every case folder with the weights we can find for it.
    static func cases() throws -> (available: [Case], skipped: [String]) {
        guard let root = goldenRoot else { return ([], []) }
        var available: [Case] = [], skipped: [String] = []
        for name in try FileManager.default.contentsOfDirectory(atPath: root + "/forward").sorted() {
            let dir = root + "/forward/" + name
            guard FileManager.default.fileExists(atPath: dir + "/golden.json") else { continue }
            let json = try StrictJSONParser.parse(FileSystem.readSmallFile(dir + "/golden.json"))
            var weights: [(String, String)] = []
            if let files = json["weights"]?["files"]?.objectValue {
                for (label, v) in files where label != "hf_config" {
                    guard let rel = v.stringValue else { continue }
                    let path = root + "/" + rel
                    // HF weights are checked as their folder so config.json is read too.
                    weights.append((label, label == "hf" ? FileSystem.directoryName(path) : path))
                }
            } else if let sha = json["weights"]?["synth_file_sha256"]?.stringValue,
                      let synthDir = ProcessInfo.processInfo.environment["CKPT_SYNTH_WEIGHTS_DIR"] {
                let path = synthDir + "/" + sha + ".safetensors"
                if FileManager.default.fileExists(atPath: path), try sha256(path) == sha { weights.append(("synth", path)) }
            }
            if weights.isEmpty { skipped.append(name) } else { available.append(Case(name: name, dir: dir, weights: weights)) }
        }
        return (available, skipped)
    }

    static func sha256(_ path: String) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        p.arguments = [path]
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(decoding: data, as: UTF8.self).split(separator: " ").first.map(String.init) ?? ""
    }

    func requireCases() throws -> [Case] {
        let (available, skipped) = try Self.cases()
        if !skipped.isEmpty { print("golden cases without weights (skipped): \(skipped.joined(separator: ", "))") }
        guard !available.isEmpty else { throw XCTSkip("no golden forward cases found (set CKPT_GOLDEN_ROOT)") }
        return available
    }

    /// Each available case, in each layout its weights are stored in, within the case's tolerance.
    func testEveryAvailableGoldenCasePasses() throws {
        var checked = 0
        for c in try requireCases() {
            for (label, path) in c.weights {
                let report = try GoldenVerifier.verify(weights: Checkpoint.open(path), goldenDir: c.dir, threads: 2)
                XCTAssertTrue(report.passed, "\(c.name) with \(label) weights:\n\(report.text)")
                print(report.text.split(separator: "\n").dropLast().joined(separator: "\n") + " [\(label)]")
                checked += 1
            }
        }
        XCTAssertGreaterThan(checked, 0)
    }

    // MARK: - The check can fail

    /// A case with interpolation (so every defect class applies) and its original-layout weights.
    func defectCase() throws -> (Case, [TensorEntry], Int?) {
        let c = try XCTUnwrap(try requireCases().first { $0.name == "tiny-42x70-dinov2" }, "tiny-42x70-dinov2")
        let path = try XCTUnwrap(c.weights.first { $0.0 == "dinov2" }?.1)
        let json = try StrictJSONParser.parse(FileSystem.readSmallFile(c.dir + "/golden.json"))
        return (c, try Checkpoint.open(path).tensors, json["weights"]?["synth"]?["heads"]?.intValue)
    }

    /// A copy of `entry` with its F32 values transformed.
    func modified(_ entry: TensorEntry, _ f: ([Float]) -> [Float]) throws -> TensorEntry {
        let values = f(try entry.floatValues())
        return TensorEntry(name: entry.name, dtype: .f32, shape: entry.shape,
                           segments: [.memory(values.withUnsafeBytes { Array($0) })], sourcePath: "planted")
    }

    func verifyPlanted(_ name: String, _ change: (inout [TensorEntry]) throws -> Void) throws -> GoldenReport {
        let (c, tensors, heads) = try defectCase()
        var planted = tensors
        try change(&planted)
        let model = try ViTWeights(tensors: planted, source: name, heads: heads)
        return try GoldenVerifier.verify(model: model, goldenDir: c.dir, threads: 2)
    }

    func testUnmodifiedWeightsPassTheDefectCase() throws {
        let report = try verifyPlanted("unmodified") { _ in }
        XCTAssertTrue(report.passed, report.text)
    }

    func testPlantedDefectsFail() throws {
        let defects: [(String, (inout [TensorEntry]) throws -> Void)] = [
            ("q and k rows swapped in block 1", { t in
                let i = t.firstIndex { $0.name == "blocks.1.attn.qkv.weight" }!
                let d = t[i].shape[1]
                t[i] = try self.modified(t[i]) { v in
                    var v = v
                    for j in 0..<(d * d) { v.swapAt(j, d * d + j) }
                    return v
                }
            }),
            ("attn.proj.weight of block 0 transposed", { t in
                let i = t.firstIndex { $0.name == "blocks.0.attn.proj.weight" }!
                let d = t[i].shape[0]
                t[i] = try self.modified(t[i]) { v in (0..<(d * d)).map { v[($0 % d) * d + $0 / d] } }
            }),
            ("ls2.gamma of block 1 replaced by block 0's", { t in
                let src = t.first { $0.name == "blocks.0.ls2.gamma" }!
                let i = t.firstIndex { $0.name == "blocks.1.ls2.gamma" }!
                t[i] = src.renamed("blocks.1.ls2.gamma")
            }),
        ]
        for (label, change) in defects {
            let report = try verifyPlanted(label, change)
            XCTAssertFalse(report.passed, "\(label) was not caught:\n\(report.text)")
        }
    }

    func testWrongInterpolationConventionFails() throws {
        let (c, tensors, heads) = try defectCase()
        let model = try ViTWeights(tensors: tensors, source: "tiny", heads: heads)
        let right = try GoldenVerifier.verify(model: model, goldenDir: c.dir, threads: 2)
        let wrong = try GoldenVerifier.verify(model: model, goldenDir: c.dir, threads: 2, interpolation: .hf)
        XCTAssertTrue(right.passed, right.text)
        XCTAssertFalse(wrong.passed, "hf interpolation on a dinov2 case was not caught:\n\(wrong.text)")
    }

    func testNaNNeverPasses() {
        let r = GoldenVerifier.compare("x", actual: [1, .nan], expected: [1, 2], shape: [1, 2], atol: 1e9, rtol: 1e9, minCosine: -1)
        XCTAssertFalse(r.passed)
        XCTAssertEqual(r.nanCount, 1)
        let s = GoldenVerifier.compare("x", actual: [1, 2], expected: [1, .nan], shape: [1, 2], atol: 1e9, rtol: 1e9, minCosine: -1)
        XCTAssertFalse(s.passed)
    }
}
