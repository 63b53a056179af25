import CZstd
import CkptKit
import CkptTestSupport
import Foundation
import XCTest

/// Opening the checkpoint forms: zstd, Hugging Face folders (single and sharded), and their failures.
final class CheckpointTests: XCTestCase {
    // MARK: - zstd

    func testZstdReadsLikeTheUncompressedFile() throws {
        let golden = try GoldenFile("mixed.json")
        let checkpoint = try Checkpoint.open(PackagePaths.goldenSafetensors("mixed.safetensors.zst"))
        XCTAssertEqual(checkpoint.kind, .zstd)
        XCTAssertEqual(checkpoint.names, golden.tensors.map(\.name).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
        for t in golden.tensors {
            let entry = try XCTUnwrap(checkpoint[t.name], t.name)
            XCTAssertEqual(entry.dtype.rawValue, t.dtype, t.name)
            XCTAssertEqual(entry.shape, t.shape, t.name)
            XCTAssertEqual(sha256Hex(try entry.contiguousBytes()), t.sha256, t.name)
        }
    }

    func testZstdRewriteEqualsTheDecompressedFile() throws {
        let zstd = try XCTUnwrap(try GoldenFile.json("zstd.json") as? [String: [String: Any]])
        let record = try XCTUnwrap(zstd["mixed.safetensors.zst"])
        let checkpoint = try Checkpoint.open(PackagePaths.goldenSafetensors("mixed.safetensors.zst"))
        let dir = try TemporaryDirectory()
        let out = dir.file("out.safetensors")
        try SafetensorsWriter.write(checkpoint.tensors.map { OutputTensor($0) }, to: out, metadata: checkpoint.metadata)
        XCTAssertEqual(try sha256Hex(file: out), record["decompressed_sha256"] as? String)
    }

    func testCorruptAndTruncatedZstdAreRefused() throws {
        for name in ["corrupt.safetensors.zst", "truncated.safetensors.zst"] {
            let path = PackagePaths.goldenSafetensors(name)
            XCTAssertThrowsError(try Checkpoint.open(path), name) { error in
                guard case let .zstd(errorPath, reason)? = error as? CkptError else { return XCTFail("\(name): \(error)") }
                XCTAssertEqual(errorPath, path)
                XCTAssertFalse(reason.isEmpty)
            }
        }
    }

    func testZstdNamesTheProblem() throws {
        XCTAssertThrowsError(try Checkpoint.open(PackagePaths.goldenSafetensors("truncated.safetensors.zst"))) {
            XCTAssertEqual(($0 as? CkptError).map { "\($0)" },
                           PackagePaths.goldenSafetensors("truncated.safetensors.zst") + ": zstd: truncated: the last frame is incomplete")
        }
        XCTAssertThrowsError(try Checkpoint.open(PackagePaths.goldenSafetensors("corrupt.safetensors.zst"))) {
            XCTAssertEqual(($0 as? CkptError).map { "\($0)" },
                           PackagePaths.goldenSafetensors("corrupt.safetensors.zst") + ": zstd: corrupt data: Restored data doesn't match checksum")
        }
    }

    /// `bytes` compressed into one zstd frame (level 3) at `path`.
    private func writeZstd(_ bytes: [UInt8], to path: String) throws {
        var out = [UInt8](repeating: 0, count: ZSTD_compressBound(bytes.count))
        let n = out.withUnsafeMutableBytes { o in bytes.withUnsafeBytes { ZSTD_compress(o.baseAddress, o.count, $0.baseAddress, $0.count, 3) } }
        XCTAssertEqual(ZSTD_isError(n), 0)
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(out[..<n])))
    }

    /// A zstd bomb: a tiny frame that decompresses to far more than its safetensors header describes.
    /// Decompression stops at the described size with an error, instead of filling $TMPDIR.
    func testZstdStreamPastItsHeaderIsRefused() throws {
        let dir = try TemporaryDirectory()
        let header = RawSafetensors.header([("a", "F32", [4], 0, 16)])
        let bomb = RawSafetensors.bytes(header: header, data: [UInt8](repeating: 0, count: 64 << 20))
        let path = dir.file("bomb.safetensors.zst")
        try writeZstd(bomb, to: path)
        XCTAssertLessThan(try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int, 1 << 20)
        XCTAssertThrowsError(try Checkpoint.open(path)) {
            XCTAssertEqual(($0 as? CkptError).map { "\($0)" },
                           path + ": zstd: decompresses past the \(8 + header.utf8.count + 16) bytes its safetensors header describes")
        }
    }

    /// A header that describes more data than the temporary folder can hold is refused before any of it is written.
    func testZstdLargerThanTheFreeSpaceIsRefused() throws {
        let dir = try TemporaryDirectory()
        let huge = 1 << 52  // 4.5 PB: valid safetensors (≤ 2^53), never free anywhere this test runs
        let header = RawSafetensors.header([("a", "U8", [huge], 0, huge)])
        let path = dir.file("huge.safetensors.zst")
        try writeZstd(RawSafetensors.bytes(header: header, data: [1, 2, 3]), to: path)
        XCTAssertThrowsError(try Checkpoint.open(path)) {
            let text = ($0 as? CkptError).map { "\($0)" } ?? "\($0)"
            XCTAssertTrue(text.hasPrefix(path + ": zstd: its safetensors header describes \(8 + header.utf8.count + huge) bytes, more than the "), text)
            XCTAssertTrue(text.hasSuffix("bytes free where it is decompressed (set TMPDIR to a larger disk)"), text)
        }
    }

    /// A compressed file whose header is malformed gets the same safetensors problem as the plain file
    /// (decompression stops once the header is out).
    func testZstdWithABadHeaderReportsTheHeaderProblem() throws {
        let dir = try TemporaryDirectory()
        let t = "\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}"
        let cases: [(String, [UInt8])] = [
            ("duplicate", RawSafetensors.bytes(header: "{" + t + "," + t + "}", data: [UInt8](repeating: 7, count: 1 << 20))),
            ("too-long", RawSafetensors.bytes(header: "{}", data: [UInt8](repeating: 7, count: 1 << 20), declaredLength: 1 << 40)),
        ]
        for (name, bytes) in cases {
            let plain = dir.file(name + ".safetensors"), packed = dir.file(name + ".safetensors.zst")
            XCTAssertTrue(FileManager.default.createFile(atPath: plain, contents: Data(bytes)))
            try writeZstd(bytes, to: packed)
            var plainError = "", packedError = ""
            XCTAssertThrowsError(try Checkpoint.open(plain)) { plainError = "\($0)".replacingOccurrences(of: plain, with: "FILE") }
            XCTAssertThrowsError(try Checkpoint.open(packed)) { packedError = "\($0)".replacingOccurrences(of: packed, with: "FILE") }
            XCTAssertEqual(packedError, plainError, name)
            XCTAssertFalse(plainError.isEmpty, name)
        }
    }

    // MARK: - Hugging Face folders

    private func shardedRecord() throws -> [String: Any] {
        try XCTUnwrap((try GoldenFile.json("sharded.json") as? [String: Any])?["sharded"] as? [String: Any])
    }

    func testShardedFolderIsOneCheckpoint() throws {
        let files = try XCTUnwrap(try shardedRecord()["files"] as? [String: [String: Any]])
        let checkpoint = try Checkpoint.open(PackagePaths.goldenSafetensors("sharded"))
        XCTAssertEqual(checkpoint.kind, .shardedDirectory)
        XCTAssertEqual(checkpoint.files.count, 3)
        XCTAssertNotNil(checkpoint.config)
        XCTAssertEqual(checkpoint.metadata?.map(\.0), ["format"])
        var seen = 0
        for (name, record) in files where name.hasSuffix(".safetensors") {
            for t in try GoldenFile(record: record).tensors {
                let entry = try XCTUnwrap(checkpoint[t.name], t.name)
                XCTAssertEqual(entry.shape, t.shape, t.name)
                XCTAssertEqual(sha256Hex(try entry.contiguousBytes()), t.sha256, t.name)
                seen += 1
            }
        }
        XCTAssertEqual(checkpoint.tensors.count, seen)
    }

    /// Merging the shards with our writer gives exactly the file `save_pretrained` wrote unsharded.
    func testMergedShardsEqualTheSingleFile() throws {
        let single = try XCTUnwrap((try GoldenFile.json("sharded.json") as? [String: Any])?["single"] as? [String: Any])
        let record = try XCTUnwrap((single["files"] as? [String: [String: Any]])?["model.safetensors"])
        let golden = try GoldenFile(record: record)
        let checkpoint = try Checkpoint.open(PackagePaths.goldenSafetensors("sharded"))
        let dir = try TemporaryDirectory()
        let out = dir.file("merged.safetensors")
        try SafetensorsWriter.write(checkpoint.tensors.map { OutputTensor($0) }, to: out, metadata: checkpoint.metadata)
        XCTAssertEqual(try sha256Hex(file: out), golden.sha256)
        try InteropExport.record(out, label: "merged-shards", expected: try golden.expected(from: PackagePaths.goldenSafetensors("single/model.safetensors")),
                                 metadata: checkpoint.metadata)
    }

    func testSingleFileFolder() throws {
        let checkpoint = try Checkpoint.open(PackagePaths.goldenSafetensors("single"))
        XCTAssertEqual(checkpoint.kind, .directory)
        XCTAssertEqual(checkpoint.files.count, 1)
        XCTAssertEqual(checkpoint.config?["model_type"]?.stringValue, "dinov2")
    }

    func testFolderWithoutModel() throws {
        let dir = try TemporaryDirectory()
        try dir.write("config.json", Array("{}".utf8))
        XCTAssertThrowsError(try Checkpoint.open(dir.path)) {
            XCTAssertEqual($0 as? CkptError, .invalidDirectory(path: dir.path, problems: [
                "no model.safetensors or model.safetensors.index.json in this folder",
            ]))
        }
    }

    // MARK: - Broken sharded folders

    /// A copy of the golden sharded folder whose index `edit` may change; returns the folder.
    private func shardedCopy(_ edit: (inout [String: Any], TemporaryDirectory) throws -> Void) throws -> TemporaryDirectory {
        let dir = try TemporaryDirectory("ckpt-shards")
        let source = PackagePaths.goldenSafetensors("sharded")
        for name in try FileManager.default.contentsOfDirectory(atPath: source) {
            try FileManager.default.copyItem(atPath: source + "/" + name, toPath: dir.file(name))
        }
        let indexPath = dir.file("model.safetensors.index.json")
        var index = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: indexPath))) as! [String: Any]
        try edit(&index, dir)
        try JSONSerialization.data(withJSONObject: index, options: [.sortedKeys]).write(to: URL(fileURLWithPath: indexPath))
        return dir
    }

    private func problems(_ dir: TemporaryDirectory, file: StaticString = #filePath, line: UInt = #line) -> [String] {
        do {
            _ = try Checkpoint.open(dir.path)
            XCTFail("a broken sharded folder opened", file: file, line: line)
        } catch let CkptError.invalidDirectory(path, problems) {
            XCTAssertEqual(path, dir.path, file: file, line: line)
            return problems
        } catch {
            XCTFail("unexpected error \(error)", file: file, line: line)
        }
        return []
    }

    private func weightMap(_ index: [String: Any]) -> [String: String] { index["weight_map"] as! [String: String] }
    private let shard1 = "model-00001-of-00003.safetensors"
    private let shard2 = "model-00002-of-00003.safetensors"

    func testIndexNamesATensorMissingFromItsShard() throws {
        let dir = try shardedCopy { index, _ in
            var map = weightMap(index); map["extra.weight"] = shard1; index["weight_map"] = map
        }
        XCTAssertEqual(problems(dir), ["tensor \"extra.weight\" is in the weight_map but missing from \"\(shard1)\""])
    }

    func testShardHoldsATensorTheIndexDoesNotName() throws {
        let dir = try shardedCopy { index, _ in
            var map = weightMap(index); map["embeddings.cls_token"] = nil; index["weight_map"] = map
        }
        XCTAssertEqual(problems(dir), ["tensor \"embeddings.cls_token\" in \"\(shard2)\" is not in the weight_map"])
    }

    func testTensorMappedToTheWrongShard() throws {
        let dir = try shardedCopy { index, _ in
            var map = weightMap(index); map["embeddings.cls_token"] = shard1; index["weight_map"] = map
        }
        XCTAssertEqual(problems(dir), ["tensor \"embeddings.cls_token\" is mapped to \"\(shard1)\" but found in \"\(shard2)\""])
    }

    func testTensorDuplicatedAcrossShards() throws {
        let dir = try shardedCopy { index, dir in
            try FileManager.default.copyItem(atPath: dir.file(shard1), toPath: dir.file("model-copy.safetensors"))
            var map = weightMap(index); map["only.in.copy"] = "model-copy.safetensors"; index["weight_map"] = map
        }
        let found = problems(dir)
        XCTAssertTrue(found.contains("tensor \"embeddings.patch_embeddings.projection.weight\" is in both \"\(shard1)\" and \"model-copy.safetensors\""), "\(found)")
        XCTAssertTrue(found.contains("tensor \"only.in.copy\" is in the weight_map but missing from \"model-copy.safetensors\""), "\(found)")
    }

    func testMissingShardFile() throws {
        let dir = try shardedCopy { _, dir in try FileManager.default.removeItem(atPath: dir.file(shard2)) }
        let found = problems(dir)
        XCTAssertEqual(found.count, 1, "\(found)")
        XCTAssertTrue(found.first?.hasPrefix("shard \"\(shard2)\" cannot be read: ") == true, "\(found)")
        XCTAssertTrue(found.first?.contains("No such file or directory") == true, "\(found)")
    }

    func testMalformedShard() throws {
        let dir = try shardedCopy { _, dir in XCTAssertEqual(truncate(dir.file(shard2), 100), 0) }
        let found = problems(dir)
        XCTAssertEqual(found, ["shard \"\(shard2)\" cannot be read: \(dir.file(shard2)): header length 2472 runs past the end of the 100-byte file"])
    }

    func testShardNamesMustBePlainFileNames() throws {
        for bad in ["../single/model.safetensors", "..", "sub/model.safetensors", "/etc/passwd", ""] {
            let dir = try shardedCopy { index, _ in
                var map = weightMap(index); map["embeddings.cls_token"] = bad; index["weight_map"] = map
            }
            let found = problems(dir)
            XCTAssertTrue(found.contains("shard name \"\(bad)\" is not a plain file name in this folder"), "\(bad): \(found)")
        }
    }

    func testShardSymlinkOutsideTheFolder() throws {
        let outside = try TemporaryDirectory("ckpt-outside")
        try FileManager.default.copyItem(atPath: PackagePaths.goldenSafetensors("sharded/" + shard2), toPath: outside.file("x.safetensors"))
        let dir = try shardedCopy { _, dir in
            try FileManager.default.removeItem(atPath: dir.file(shard2))
            XCTAssertEqual(symlink(outside.file("x.safetensors"), dir.file(shard2)), 0)
        }
        let found = problems(dir)
        XCTAssertEqual(found.count, 1, "\(found)")
        XCTAssertTrue(found.first?.hasPrefix("shard \"\(shard2)\" resolves to ") == true, "\(found)")
    }

    func testIndexWithoutWeightMap() throws {
        let dir = try shardedCopy { index, _ in index["weight_map"] = nil }
        XCTAssertEqual(problems(dir), ["model.safetensors.index.json has no \"weight_map\" object"])
    }

    func testIndexNotJSON() throws {
        let dir = try shardedCopy { _, _ in }
        try dir.write("model.safetensors.index.json", Array("{\"weight_map\": {".utf8))
        let found = problems(dir)
        XCTAssertEqual(found.count, 1)
        XCTAssertTrue(found.first?.hasPrefix("model.safetensors.index.json is not valid JSON: ") == true, "\(found)")
    }

    // MARK: - Lazy opening

    /// Opening a 2 GiB file reads its header only: no page of the tensor data enters the page cache.
    func testOpeningDoesNotTouchTensorData() throws {
        let dir = try TemporaryDirectory("ckpt-sparse")
        let size = 1 << 31
        let header = RawSafetensors.header([("big", "U8", [size], 0, size)])
        let path = try dir.write("big.safetensors", RawSafetensors.bytes(header: header))
        XCTAssertEqual(truncate(path, off_t(8 + header.utf8.count + size)), 0)  // sparse: no data written

        let checkpoint = try Checkpoint.open(path)
        XCTAssertEqual(checkpoint.byteCount, size)
        let report = InspectReport(checkpoint)
        XCTAssertEqual(report.json["totals"]?["bytes"], .int(size))

        // Map the file ourselves and ask which pages are in memory. Reading the header faults in its first
        // page, and the kernel may read ahead around it (at most a few hundred KiB), so only pages past
        // the first 2 MiB are checked: none of them may be resident.
        let fd = open(path, O_RDONLY)
        XCTAssertGreaterThanOrEqual(fd, 0)
        defer { close(fd) }
        let length = 8 + header.utf8.count + size
        let map = mmap(nil, length, PROT_READ, MAP_SHARED, fd, 0)
        XCTAssertTrue(map != nil && map != MAP_FAILED)
        defer { munmap(map, length) }
        let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        let pages = (length + pageSize - 1) / pageSize
        var residency = [UInt8](repeating: 0, count: pages)
        XCTAssertEqual(mincore(map, length, &residency), 0)
        let resident = residency.dropFirst((2 << 20) / pageSize).filter { $0 & 1 != 0 }.count
        XCTAssertEqual(resident, 0, "\(resident) data pages were read while opening")
    }
}
