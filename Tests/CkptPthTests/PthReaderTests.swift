import Foundation
#if canImport(Glibc)
import Glibc
#endif
import XCTest
import CkptKit
@testable import CkptPth

/// `.pth` reading against files written by `torch.save` (golden/pth, golden/pth-extra).
final class PthReaderTests: XCTestCase {
    static let marker = "/tmp/ckpt-pwned"

    /// Every loadable golden file: each tensor torch lists (except those under lists or integer keys,
    /// which are skipped) has the same dtype, shape and contiguous-byte sha256; nothing else appears.
    func testLoadableGoldenFilesMatchTorch() throws {
        for manifestName in ["pth", "pth-extra"] {
            let (dir, json) = try PthGolden.manifest(manifestName)
            let files = try XCTUnwrap(json["files"]?.objectValue)
            var loaded = 0
            for (file, record) in files where record["expect"]?.stringValue == "load" {
                let checkpoint = try Checkpoint.open(dir + "/" + file)
                XCTAssertEqual(checkpoint.kind, .pth, file)
                let expected = PthGolden.tensors(record).filter { !$0.underListOrIntKey }
                XCTAssertFalse(expected.isEmpty, file)
                XCTAssertEqual(checkpoint.names.sorted(), expected.map(\.name).sorted(), "\(file): tensor names")
                for t in expected {
                    guard let entry = checkpoint[t.name] else { continue }
                    XCTAssertEqual(entry.dtype, PthGolden.dtypes[t.dtype], "\(file): \(t.name) dtype")
                    XCTAssertEqual(entry.shape, t.shape, "\(file): \(t.name) shape")
                    XCTAssertEqual(PthGolden.sha256Hex(try entry.contiguousBytes()), t.sha256, "\(file): \(t.name) bytes")
                }
                loaded += 1
            }
            XCTAssertGreaterThanOrEqual(loaded, 3, manifestName)
        }
    }

    /// The teacher checkpoint nests the state dict under `teacher`; names are dotted and no note is
    /// needed (OrderedDict `_metadata` is an attribute, not an entry).
    func testTeacherCheckpointNamesAndNoNotes() throws {
        let (dir, _) = try PthGolden.manifest("pth")
        let c = try Checkpoint.open(dir + "/teacher_checkpoint.pth")
        XCTAssertNotNil(c["teacher.backbone.cls_token"])
        XCTAssertTrue(c.names.allSatisfy { $0.hasPrefix("teacher.backbone.") || $0.hasPrefix("teacher.dino_head.") }, "\(c.names)")
        XCTAssertEqual(c.notes, [])
    }

    /// fvcore layout: `model.teacher.*`/`model.student.*` kept; optimizer state and `iteration` are
    /// skipped with notes whose counts come from torch's own listing.
    func testFvcoreSkipsOptimizerWithNotes() throws {
        let (dir, json) = try PthGolden.manifest("pth")
        let record = try XCTUnwrap(json["files"]?["fvcore.pth"])
        let c = try Checkpoint.open(dir + "/fvcore.pth")
        let stateTensors = PthGolden.tensors(record).filter { $0.path.hasPrefix("optimizer/state/") }
        let stateEntries = Set(stateTensors.map { $0.path.split(separator: "/")[2] }).count
        let groups = try XCTUnwrap(record["non_tensor"]?["optimizer/param_groups"]?.arrayValue).count
        let iteration = try XCTUnwrap(record["non_tensor"]?["iteration"]?.intValue)
        XCTAssertEqual(c.notes, [
            "optimizer.state: skipped, a dict with int keys (\(stateEntries) entries, \(stateTensors.count) tensors)",
            "optimizer.param_groups: skipped, a list of \(groups) (0 tensors)",
            "iteration: skipped, int \(iteration)",
        ])
        XCTAssertTrue(c.names.contains("model.teacher.backbone.cls_token"))
        XCTAssertTrue(c.names.contains("model.student.backbone.cls_token"))
        XCTAssertFalse(c.names.contains { $0.hasPrefix("optimizer") })
    }

    /// Views into one shared storage: contiguous ones (and contiguous slices) stay zero-copy file
    /// ranges inside that storage's record; strided ones are gathered (the bytes are checked against
    /// torch in `testLoadableGoldenFilesMatchTorch`).
    func testViewsAreZeroCopyWhenContiguous() throws {
        let (dir, _) = try PthGolden.manifest("pth")
        let c = try Checkpoint.open(dir + "/views.pth")
        let cases: [(String, Bool)] = [
            ("base", true), ("row2", true), ("tail", true), ("slice", false), ("transposed", false),
            ("col4", false), ("every_other_col", false), ("transposed_slice", false), ("expanded", false), ("own", false),
        ]
        let base = try XCTUnwrap(c["base"])
        guard case let .file(_, baseOffset, _) = base.segments[0] else { return XCTFail("base is not a file range") }
        for (name, zeroCopy) in cases {
            let t = try XCTUnwrap(c[name], name)
            if zeroCopy {
                XCTAssertEqual(t.segments.count, 1, name)
                guard case let .file(_, offset, count) = t.segments[0] else { XCTFail("\(name) is not a file range"); continue }
                XCTAssertTrue(offset >= baseOffset && offset + count <= baseOffset + 24 * 4, "\(name) is outside the shared storage")
            } else {
                XCTAssertTrue(t.segments.allSatisfy { if case .memory = $0 { return true } else { return false } }, name)
            }
        }
    }

    /// Long contiguous runs of a view stay file ranges (one per run) instead of being copied.
    func testLongRunsOfAViewStayFileRanges() throws {
        let file = try MappedFile(path: try PthGolden.manifest("pth").dir + "/fvcore.pth")
        let rows = 4, cols = StridedLayout.minFileRunBytes / 4
        let storage = PthStorage(key: "0", dtype: .f32, count: rows * cols * 2, fileOffset: 0)
        guard file.size >= storage.count * 4 else { throw XCTSkip("fixture too small") }
        // Every other row of a [8, cols] matrix: 4 runs of `cols` floats, none adjacent.
        let view = PthTensor(storage: storage, dtype: .f32, storageOffset: 0, shape: [rows, cols], stride: [2 * cols, 1])
        let segments = try StridedLayout.segments(of: view, name: "v", file: file)
        XCTAssertEqual(segments.count, rows)
        for (i, s) in segments.enumerated() {
            guard case let .file(_, offset, count) = s else { XCTFail("run \(i) was copied"); continue }
            XCTAssertEqual(offset, i * 2 * cols * 4)
            XCTAssertEqual(count, cols * 4)
        }
    }

    /// Hostile and broken files are refused with a typed error naming the global or the problem,
    /// and the `os.system` payload never runs.
    func testHostileFilesAreRefused() throws {
        try? FileManager.default.removeItem(atPath: Self.marker)
        let (dir, json) = try PthGolden.manifest("pth")
        let (extraDir, extra) = try PthGolden.manifest("pth-extra")
        let cases: [(path: String, expected: (CkptError) -> Bool, what: String)] = [
            (dir + "/evil_reduce.pth", { if case .unsafePickle(_, "posix.system") = $0 { return true }; return false }, "posix.system"),
            (dir + "/evil_eval.pth", { if case .unsafePickle(_, "__builtin__.eval") = $0 { return true }; return false }, "__builtin__.eval"),
            (extraDir + "/evil_protocol4.pth", { if case .unsafePickle(_, "posix.system") = $0 { return true }; return false }, "posix.system via STACK_GLOBAL"),
            (dir + "/truncated.pth", { "\($0)".contains("no zip end-of-central-directory record") }, "truncated"),
            (dir + "/bad_offset.pth", { "\($0)".contains("tensor \"w\": storage_offset 7 with size [3] and stride [1] reaches element 10 of storage \"0\", which holds 8 elements") }, "bad offset"),
            (dir + "/short_storage.pth", { "\($0)".contains("storage \"0\" is declared with numel 16 (64 bytes of F32) but its record short_storage/data/0 holds 32 bytes") }, "short storage"),
        ]
        for c in cases {
            XCTAssertThrowsError(try Checkpoint.open(c.path), c.what) { error in
                guard let e = error as? CkptError else { return XCTFail("\(c.what): \(error)") }
                XCTAssertTrue(c.expected(e), "\(c.what): \(e)")
                XCTAssertEqual(e.exitCode, 2)
            }
        }
        // Every refusal in the manifests is covered, and the extra ones name what they promise.
        let refusals = (json["files"]?.objectValue ?? []).filter { $0.1["expect"]?.stringValue == "refuse" }.map(\.0)
        XCTAssertEqual(Set(refusals), ["evil_reduce.pth", "evil_eval.pth", "truncated.pth", "bad_offset.pth", "short_storage.pth"])
        for (file, record) in extra["files"]?.objectValue ?? [] where record["expect"]?.stringValue == "refuse" {
            let mention = try XCTUnwrap(record["mention"]?.stringValue)
            XCTAssertThrowsError(try Checkpoint.open(extraDir + "/" + file), file) { error in
                XCTAssertTrue(error is CkptError, "\(file): \(error)")
                XCTAssertTrue("\(error)".contains(mention), "\(file): \"\(error)\" does not mention \"\(mention)\"")
            }
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: Self.marker), "the evil pickle ran")
    }

    /// The refusal message names the global and says nothing ran.
    func testUnsafePickleMessage() throws {
        let (dir, _) = try PthGolden.manifest("pth")
        XCTAssertThrowsError(try Checkpoint.open(dir + "/evil_reduce.pth")) { error in
            XCTAssertEqual("\(error)", "\(dir)/evil_reduce.pth: refusing to load: the pickle refers to posix.system, which is not allowed in a state dict (nothing was executed)")
        }
    }
}

/// Damaged archives never crash the reader: every truncation and every single-byte change of the
/// pickle (with the zip CRC fixed up, so the pickle machine itself sees the damage) either loads or
/// ends in a `CkptError`.
final class PthRobustnessTests: XCTestCase {
    private let scratch = NSTemporaryDirectory() + "ckpt-pth-robust-\(getpid()).pth"

    override func tearDown() { try? FileManager.default.removeItem(atPath: scratch) }

    /// Plain overwrite of the scratch file (no atomic rename, no fsync: thousands of cases).
    private func write(_ bytes: ArraySlice<UInt8>) {
        let fd = open(scratch, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        precondition(fd >= 0, "cannot create \(scratch)")
        bytes.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + done, raw.count - done)
                precondition(n > 0, "write failed")
                done += n
            }
        }
        close(fd)
    }

    private func openDamaged(_ bytes: [UInt8], _ what: String) {
        write(bytes[...])
        do {
            let c = try Checkpoint.open(scratch)
            for t in c.tensors { _ = try t.contiguousBytes() }
        } catch is CkptError {
        } catch {
            XCTFail("\(what): not a CkptError: \(error)")
        }
    }

    func testTruncationsAreRefused() throws {
        let (dir, _) = try PthGolden.manifest("pth")
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: dir + "/views.pth")))
        for length in stride(from: 0, to: bytes.count, by: 3) {
            write(bytes[..<length])
            XCTAssertThrowsError(try Checkpoint.open(scratch), "length \(length)") { error in
                XCTAssertTrue(error is CkptError, "length \(length): \(error)")
            }
        }
    }

    func testEverySingleBytePickleEditIsHandled() throws {
        let (dir, _) = try PthGolden.manifest("pth")
        let path = dir + "/views.pth"
        let original = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let zip = try ZipArchive(MappedFile(path: path))
        let pkl = try XCTUnwrap(zip["views/data.pkl"])
        // The central-directory entry of data.pkl: its CRC is at +16.
        let name = Array("views/data.pkl".utf8)
        var cdEntry: Int? = nil
        for i in 0..<(original.count - 46 - name.count)
        where original[i] == 0x50 && original[i + 1] == 0x4B && original[i + 2] == 1 && original[i + 3] == 2
            && Array(original[i + 46..<i + 46 + name.count]) == name { cdEntry = i }
        let crcAt = try XCTUnwrap(cdEntry) + 16
        for offset in 0..<pkl.size {
            for value: UInt8 in [0xFF, original[pkl.dataOffset + offset] ^ 0x01] {
                var bytes = original
                bytes[pkl.dataOffset + offset] = value
                let crc = CRC32.checksum(bytes[pkl.dataOffset..<pkl.dataOffset + pkl.size])
                for k in 0..<4 { bytes[crcAt + k] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(k))) }
                openDamaged(bytes, "data.pkl byte \(offset) = \(value)")
            }
        }
    }

    /// Every single-byte change of the zip central directory and end records (no checksum covers
    /// them) either loads or is refused with a `CkptError`.
    func testEverySingleByteDirectoryEditIsHandled() throws {
        let (dir, _) = try PthGolden.manifest("pth")
        let path = dir + "/views.pth"
        let original = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let zip = try ZipArchive(MappedFile(path: path))
        // The directory starts right after the last entry's data (torch writes no data descriptor
        // bytes there that matter to us); scan back to the first central-directory signature.
        let lastData = zip.entries.map { $0.dataOffset + $0.size }.max() ?? 0
        var start = lastData
        while start + 4 <= original.count, original[start..<start + 4] != [0x50, 0x4B, 0x01, 0x02] { start += 1 }
        XCTAssertLessThan(start, original.count - 22, "no central directory found")
        for offset in start..<original.count {
            for value: UInt8 in [0xFF, original[offset] ^ 0x01] {
                var bytes = original
                bytes[offset] = value
                openDamaged(bytes, "directory byte \(offset) = \(value)")
            }
        }
    }
}
