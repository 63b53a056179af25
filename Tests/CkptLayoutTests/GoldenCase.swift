import CkptKit
import CkptTestSupport
import Foundation
import XCTest

/// One model case of `golden/models/<case>/case.json`, written by `golden/generate.py` with the
/// upstream libraries: the config, and per file its SHA-256 and per-tensor SHA-256.
struct GoldenCase {
    struct FileRecord {
        let sha256: String
        /// name → (shape, sha256)
        let tensors: [String: (shape: [Int], sha256: String)]
        let order: [String]
    }

    let name: String
    let dir: String
    let json: [String: Any]

    /// `golden/` of this repository; `CKPT_GOLDEN` overrides (e.g. while golden data is being made).
    static var root: String { ProcessInfo.processInfo.environment["CKPT_GOLDEN"] ?? PackagePaths.golden }

    static let tinyCases = ["tiny", "tiny-reg4", "tiny-swiglu"]
    static let largeCases = ["vits14-reg4-d2", "vitb14-d2", "swiglu-d2"]

    init(_ name: String) throws {
        self.name = name
        dir = GoldenCase.root + "/models/" + name
        let path = dir + "/case.json"
        guard let data = FileManager.default.contents(atPath: path) else {
            throw XCTSkip("golden case \(path) is missing: generate golden/ (golden/generate.py) or set CKPT_GOLDEN")
        }
        json = try JSONSerialization.jsonObject(with: data) as! [String: Any]
    }

    func path(_ file: String) -> String { dir + "/" + file }
    var config: [String: Any] { json["config"] as! [String: Any] }
    func int(_ key: String) -> Int { config[key] as! Int }

    /// The architecture the generator built, from case.json (not from our detection).
    var architecture: Architecture {
        let ffn: Architecture.FFN = (config["ffn"] as! String) == "swiglu" ? .swiglu : .mlp
        return Architecture(width: int("width"), depth: int("depth"), heads: int("heads"), patchSize: int("patch"),
                            imageSize: int("image_size"), registers: int("registers"), ffn: ffn, ffnHidden: int("mlp_hidden"))
    }

    var head: HeadArchitecture? {
        guard let h = json["head"] as? [String: Any] else { return nil }
        return HeadArchitecture(inDim: h["in_dim"] as! Int, hiddenDim: h["hidden_dim"] as! Int,
                                bottleneckDim: h["bottleneck_dim"] as! Int, outDim: h["out_dim"] as! Int, layers: h["nlayers"] as! Int)
    }

    var synthArgs: [String] { (config["ckpt_synth_args"] as! String).split(separator: " ").map(String.init) }

    /// SHA-256 of the synthetic backbone file (tiny and large cases record it differently).
    var synthSHA256: String {
        if let s = json["synth_backbone_sha256"] as? String { return s }
        return (json["synth_backbone_file"] as! [String: Any])["sha256"] as! String
    }

    var files: [String] { (json["files"] as! [String: Any]).keys.sorted() }

    func file(_ name: String) -> FileRecord {
        let f = (json["files"] as! [String: Any])[name] as! [String: Any]
        var tensors: [String: (shape: [Int], sha256: String)] = [:]
        var order: [String] = []
        for t in f["tensors"] as? [[String: Any]] ?? [] {
            let n = t["name"] as! String
            tensors[n] = (t["shape"] as! [Int], t["sha256"] as! String)
            order.append(n)
        }
        return FileRecord(sha256: f["sha256"] as! String, tensors: tensors, order: order)
    }
}

/// A fresh temporary folder, removed at the end of the test.
func temporaryDirectory(_ test: XCTestCase) throws -> String {
    let dir = try TemporaryDirectory("ckpt-layout")
    test.addTeardownBlock { _ = dir }  // keeps the folder until teardown, when it is removed
    return dir.path
}

/// Asserts that `tensors` are exactly the tensors of a golden file: same names, shapes, dtypes (F32)
/// and bytes (per-tensor SHA-256 recorded from the upstream-written file).
func assertTensors(_ tensors: [TensorEntry], equal record: GoldenCase.FileRecord, _ label: String,
                   file: StaticString = #filePath, line: UInt = #line) throws {
    XCTAssertEqual(tensors.map(\.name).sorted(), record.order.sorted(), "\(label): tensor names", file: file, line: line)
    for t in tensors {
        guard let expected = record.tensors[t.name] else { continue }
        XCTAssertEqual(t.shape, expected.shape, "\(label): shape of \(t.name)", file: file, line: line)
        XCTAssertEqual(t.dtype, .f32, "\(label): dtype of \(t.name)", file: file, line: line)
        XCTAssertEqual(try t.sha256(), expected.sha256, "\(label): bytes of \(t.name)", file: file, line: line)
    }
}
