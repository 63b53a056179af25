import CkptKit
import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// A checkpoint that shrinks or changes while ckpt reads it (a release being re-uploaded) must give
/// `CkptError.inputChanged`, never a SIGBUS from touching a mapped page past the new end of file.
/// Each test opens a file, changes it underneath, then exercises one read path.
final class InputChangeTests: XCTestCase {
    var folder: String!

    override func setUpWithError() throws {
        folder = NSTemporaryDirectory() + "ckpt-inputchange-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: folder) }

    /// Writes a 2-tensor F32 checkpoint of `elements` values each and returns its path.
    func makeCheckpoint(_ name: String, elements: Int = 300_000) throws -> String {
        let path = folder + "/" + name
        let tensors = ["a", "b"].enumerated().map { i, tensorName -> OutputTensor in
            let bytes = (0..<elements * 4).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ i) }
            return OutputTensor(TensorEntry(name: tensorName, dtype: .f32, shape: [elements], segments: [.memory(bytes)],
                                            sourcePath: "<test>"))
        }
        try SafetensorsWriter.write(tensors, to: path)
        return path
    }

    /// `body` throws `inputChanged` or, for a size change, `inputResized`.
    func assertInputChanged(_ what: String, _ body: () throws -> Void) {
        XCTAssertThrowsError(try body(), what) { error in
            switch error as? CkptError {
            case .inputChanged?, .inputResized?: break
            default: XCTFail("\(what): expected inputChanged or inputResized, got \(error)")
            }
        }
    }

    func testTensorViewAfterTruncationThrows() throws {
        let path = try makeCheckpoint("view.safetensors")
        let checkpoint = try Checkpoint.open(path)
        XCTAssertEqual(truncate(path, 4096), 0)
        for entry in checkpoint.tensors {
            assertInputChanged("withContiguousBytes of \(entry.name)") { _ = try entry.withContiguousBytes { $0.count } }
            assertInputChanged("withFloat32 of \(entry.name)") { _ = try entry.withFloat32 { $0.count } }
        }
    }

    func testWriterFromTruncatedSourceThrowsAndLeavesNoOutput() throws {
        let path = try makeCheckpoint("source.safetensors")
        let checkpoint = try Checkpoint.open(path)
        XCTAssertEqual(truncate(path, off_t(checkpoint.files[0].size / 2)), 0)
        for dtype in [DType.f32, .f16] {
            let out = folder + "/out-\(dtype.rawValue).safetensors"
            assertInputChanged("write as \(dtype.rawValue)") {
                try SafetensorsWriter.write(checkpoint.tensors.map { OutputTensor($0, dtype: dtype) }, to: out)
            }
            XCTAssertFalse(FileManager.default.fileExists(atPath: out), "output left after a failed write as \(dtype.rawValue)")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder), ["source.safetensors"])
    }

    func testWriterFromSourceModifiedInPlaceThrows() throws {
        let path = try makeCheckpoint("source.safetensors")
        let checkpoint = try Checkpoint.open(path)
        usleep(10_000)  // A different modification time even on coarse-clock file systems.
        let fd = open(path, O_WRONLY)
        XCTAssertGreaterThanOrEqual(fd, 0)
        XCTAssertEqual(pwrite(fd, [UInt8](repeating: 0xAB, count: 16), 16, off_t(checkpoint.files[0].size - 16)), 16)
        close(fd)
        let out = folder + "/out.safetensors"
        assertInputChanged("write after an in-place change") {
            try SafetensorsWriter.write(checkpoint.tensors.map { OutputTensor($0) }, to: out)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
    }

    /// The compressed source is streamed with pread: truncating it before decompression is an error.
    func testZstdSourceTruncatedBeforeDecompressionThrows() throws {
        let path = folder + "/c.safetensors.zst"
        // One zstd frame of raw blocks (RFC 8878): magic, descriptor (single segment, 4-byte size), blocks.
        let content = [UInt8](repeating: 7, count: 1 << 20)
        var frame: [UInt8] = [0x28, 0xB5, 0x2F, 0xFD, 0xA0]
        frame += withUnsafeBytes(of: UInt32(content.count).littleEndian) { Array($0) }
        let blocks = stride(from: 0, to: content.count, by: 1 << 16).map { Array(content[$0..<min($0 + (1 << 16), content.count)]) }
        for (i, block) in blocks.enumerated() {
            let header = UInt32(i == blocks.count - 1 ? 1 : 0) | UInt32(block.count) << 3
            frame += withUnsafeBytes(of: header.littleEndian) { Array($0.prefix(3)) } + block
        }
        FileManager.default.createFile(atPath: path, contents: Data(frame))
        let mapped = try MappedFile(path: path)
        XCTAssertTrue(Zstd.isCompressed(mapped))
        XCTAssertEqual(truncate(path, 1000), 0)
        assertInputChanged("decompress a truncated source") { _ = try Zstd.decompressToTemporaryFile(mapped) }
    }

    func testMappedReadAfterTruncationThrows() throws {
        let path = try makeCheckpoint("m.safetensors")
        let file = try MappedFile(path: path)
        XCTAssertEqual(truncate(path, 100), 0)
        assertInputChanged("withBytes past the new end") { _ = try file.withBytes(offset: 8192, count: 8) { $0.count } }
        assertInputChanged("copyBytes of the whole old size") { _ = try file.copyBytes(offset: 0, count: file.size) }
        assertInputChanged("checkUnchanged") { try file.checkUnchanged() }
        XCTAssertEqual(try file.copyBytes(offset: 0, count: 100).count, 100, "bytes still in the file stay readable")
    }
}
