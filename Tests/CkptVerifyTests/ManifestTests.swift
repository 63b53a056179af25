import CkptKit
import XCTest

final class ManifestTests: XCTestCase {
    /// Every file of every golden model: the per-tensor and file SHA-256 that Python's hashlib recorded
    /// in `case.json` when the upstream libraries wrote the file.
    func testHashesMatchUpstreamRecords() throws {
        var checked = 0
        for model in VerifyFixtures.models {
            let record = try VerifyFixtures.json("models/\(model)/case.json")
            for (name, file) in try XCTUnwrap(record["files"]?.objectValue) where name.hasSuffix(".safetensors") {
                let path = try VerifyFixtures.path("models/\(model)/\(name)")
                let checkpoint = try Checkpoint.open(path)
                for threads in [1, 2] {
                    let manifest = try Manifest.build(checkpoint, threads: threads)
                    XCTAssertEqual(manifest.files.map(\.sha256), [file["sha256"]?.stringValue].compactMap { $0 },
                                   "\(model)/\(name) file hash, \(threads) threads")
                    XCTAssertEqual(manifest.files.first?.bytes, file["size"]?.intValue, "\(model)/\(name) size")
                    let expected = try XCTUnwrap(file["tensors"]?.arrayValue)
                    XCTAssertEqual(manifest.tensors.count, expected.count, "\(model)/\(name) tensor count")
                    let byName = Dictionary(uniqueKeysWithValues: manifest.tensors.map { ($0.name, $0) })
                    for t in expected {
                        let name = try XCTUnwrap(t["name"]?.stringValue)
                        let mine = try XCTUnwrap(byName[name], "\(model)/\(name) missing from manifest")
                        XCTAssertEqual(mine.sha256, t["sha256"]?.stringValue, "\(model)/\(name) tensor \(name)")
                        XCTAssertEqual(mine.dtype, t["dtype"]?.stringValue, "\(model)/\(name) tensor \(name) dtype")
                        XCTAssertEqual(mine.shape, t["shape"]?.arrayValue?.compactMap(\.intValue), "\(model)/\(name) tensor \(name) shape")
                    }
                    checked += 1
                }
            }
        }
        XCTAssertGreaterThan(checked, 0)
    }

    /// A sharded folder lists each shard's hash; a `.zst` file is hashed as stored.
    func testShardedAndCompressedFiles() throws {
        let record = try VerifyFixtures.json("safetensors/sharded.json")
        let sharded = try Manifest.build(try Checkpoint.open(try VerifyFixtures.path("safetensors/sharded")))
        XCTAssertEqual(sharded.source, "sharded-directory")
        XCTAssertEqual(sharded.files.map(\.name), ["config.json", "model.safetensors.index.json", "model-00001-of-00003.safetensors",
                                                    "model-00002-of-00003.safetensors", "model-00003-of-00003.safetensors"])
        for f in sharded.files {
            XCTAssertEqual(f.sha256, record["sharded"]?["files"]?[f.name]?["sha256"]?.stringValue, "shard \(f.name)")
        }
        let zst = try VerifyFixtures.path("safetensors/mixed.safetensors.zst")
        let compressed = try Manifest.build(try Checkpoint.open(zst))
        let zstRecord = try VerifyFixtures.json("safetensors/zstd.json")
        XCTAssertEqual(compressed.files.first?.sha256, zstRecord["mixed.safetensors.zst"]?["sha256"]?.stringValue,
                       "zst file hash as stored; record: \(JSONWriter.compact(zstRecord["mixed.safetensors.zst"] ?? .null).prefix(200))")
        // Decompressed tensors hash like the plain file's tensors.
        let plain = try Manifest.build(try Checkpoint.open(try VerifyFixtures.path("safetensors/mixed.safetensors")))
        XCTAssertEqual(compressed.tensors, plain.tensors)
    }

    func testJSONRoundTrip() throws {
        let path = try VerifyFixtures.path("models/tiny/hf/model.safetensors")
        let manifest = try Manifest.build(try Checkpoint.open(path), layout: .object([("kind", .string("hf"))]), architecture: "x")
        let dir = try VerifyFixtures.scratch(self)
        let file = dir + "/release.json"
        try JSONWriter.pretty(manifest.json).write(toFile: file, atomically: true, encoding: .utf8)
        let loaded = try Manifest.load(file)
        XCTAssertEqual(loaded, manifest)
        XCTAssertEqual(loaded.json["schema"], .string("ckpt.manifest/1"))
        XCTAssertEqual(manifest.differences(to: loaded), [])
    }

    /// Each planted defect is one problem naming the tensor.
    func testPlantedDefectsAreNamed() throws {
        let path = try VerifyFixtures.path("models/tiny/dinov2.safetensors")
        let clean = try Checkpoint.open(path)
        let signed = try Manifest.build(clean)
        let dir = try VerifyFixtures.scratch(self)
        let target = "blocks.1.mlp.fc1.weight"

        // One flipped bit, in the middle of the tensor.
        let flipped = dir + "/flipped.safetensors"
        try VerifyFixtures.copy(path, to: flipped, xor: [try VerifyFixtures.offset(of: target, in: path) + 1001], mask: 0x10)
        var problems = signed.differences(to: try Manifest.build(try Checkpoint.open(flipped)))
        XCTAssertEqual(problems.map(\.kind), [.bytes, .file], "flipped bit: \(problems)")
        XCTAssertEqual(problems.first?.key, target)

        // A tensor renamed.
        let renamed = dir + "/renamed.safetensors"
        try VerifyFixtures.rewrite(clean, to: renamed) { $0.map { $0.name == target ? $0.renamed("blocks.1.mlp.fc9.weight") : $0 } }
        problems = signed.differences(to: try Manifest.build(try Checkpoint.open(renamed)))
        XCTAssertEqual(problems.filter { $0.kind != .file }.map(\.kind), [.renamed], "renamed: \(problems)")
        XCTAssertEqual(problems.first?.key, target)
        XCTAssertEqual(problems.first?.actual, .string("blocks.1.mlp.fc9.weight"))

        // A dtype relabelled over identical bytes.
        let relabelled = dir + "/relabelled.safetensors"
        try VerifyFixtures.rewrite(clean, to: relabelled) { $0.map { $0.name == target ? VerifyFixtures.relabelled($0, .i32) : $0 } }
        problems = signed.differences(to: try Manifest.build(try Checkpoint.open(relabelled)))
        XCTAssertEqual(problems.filter { $0.kind != .file }.map(\.kind), [.dtype], "relabelled: \(problems)")
        XCTAssertEqual(problems.first?.key, target)
        XCTAssertEqual(problems.first?.expected, .string("F32"))
        XCTAssertEqual(problems.first?.actual, .string("I32"))
        XCTAssertTrue(problems.first?.detail.contains("identical bytes") ?? false, "\(problems)")

        // Metadata changed: the tensors are unchanged, the file and metadata are not.
        let meta = dir + "/meta.safetensors"
        try SafetensorsWriter.write(clean.tensors.map { OutputTensor($0) }, to: meta, metadata: [("format", "np")])
        problems = signed.differences(to: try Manifest.build(try Checkpoint.open(meta)))
        XCTAssertEqual(Set(problems.map(\.kind)), [.file, .metadata], "metadata: \(problems)")
    }

    func testRejectsMalformedManifests() throws {
        let cases: [(String, String)] = [
            ("not an object", "[]"),
            ("wrong schema", #"{"schema":"ckpt.manifest/2"}"#),
            ("bad hash", #"{"schema":"ckpt.manifest/1","source":"safetensors","files":[{"name":"a","bytes":1,"sha256":"xyz"}],"tensors":[],"parameters":0,"tensor_bytes":0}"#),
            ("bad dtype", #"{"schema":"ckpt.manifest/1","source":"safetensors","files":[],"tensors":[{"name":"t","dtype":"F33","shape":[1],"bytes":4,"sha256":"\#(String(repeating: "0", count: 64))"}],"parameters":0,"tensor_bytes":0}"#),
            ("duplicate tensor", #"{"schema":"ckpt.manifest/1","source":"safetensors","files":[],"tensors":[{"name":"t","dtype":"F32","shape":[1],"bytes":4,"sha256":"\#(String(repeating: "0", count: 64))"},{"name":"t","dtype":"F32","shape":[1],"bytes":4,"sha256":"\#(String(repeating: "0", count: 64))"}],"parameters":0,"tensor_bytes":0}"#),
        ]
        for (name, text) in cases {
            XCTAssertThrowsError(try Manifest.parse(try StrictJSONParser.parse(text), path: "m.json"), name) { error in
                guard case CkptError.unsupportedInput(path: "m.json", _)? = error as? CkptError else {
                    return XCTFail("\(name): \(error)")
                }
            }
        }
    }
}
