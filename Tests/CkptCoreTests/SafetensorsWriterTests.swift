import CkptKit
import CkptTestSupport
import Foundation
import XCTest

/// Round trips through our writer and reader, and the writer's atomicity guarantees.
final class SafetensorsWriterTests: XCTestCase {
    private var dir: TemporaryDirectory!

    override func setUpWithError() throws { dir = try TemporaryDirectory("ckpt-writer") }
    override func tearDown() { dir = nil }

    private func entry(_ name: String, _ dtype: DType, _ shape: [Int], seed: Int = 0) -> TensorEntry {
        let count = dtype.byteCount(for: shape)!
        var bytes = [UInt8](repeating: UInt8(truncatingIfNeeded: 0x5A &+ seed &+ dtype.rank), count: count)
        // A varied pattern without a per-byte closure (debug builds are slow on multi-MiB tensors).
        for i in stride(from: 0, to: count, by: count > 4096 ? 61 : 1) { bytes[i] = UInt8(truncatingIfNeeded: i &* 37 &+ seed &* 11) }
        return TensorEntry(name: name, dtype: dtype, shape: shape, segments: [.memory(bytes)], sourcePath: "<memory>")
    }

    private func expected(_ entries: [TensorEntry]) throws -> [InteropExport.Expected] {
        try entries.map { .init(name: $0.name, dtype: $0.dtype.rawValue, shape: $0.shape, bytes: try $0.contiguousBytes()) }
    }

    /// No temporary file may be left behind in the output folder.
    private func assertNoPartialFiles(file: StaticString = #filePath, line: UInt = #line) throws {
        let partial = try dir.contents().filter { $0.contains(AtomicOutput.partialMarker) }
        XCTAssertEqual(partial, [], "temporary files left behind", file: file, line: line)
    }

    // MARK: - Round trips

    func testRoundTripEveryDType() throws {
        var entries: [TensorEntry] = []
        for dtype in DType.allCases {
            let tag = dtype.rawValue.lowercased()
            entries.append(entry("\(tag).matrix", dtype, [2, 4]))
            entries.append(entry("\(tag).empty", dtype, [0]))
            entries.append(entry("\(tag).zero_size", dtype, [3, 0, 2]))
            if dtype.byteWidth != nil { entries.append(entry("\(tag).scalar", dtype, [])) }
        }
        let out = dir.file("all.safetensors")
        try SafetensorsWriter.write(entries.map { OutputTensor($0) }, to: out)
        let back = try SafetensorsFile(path: out)
        XCTAssertEqual(back.tensors.count, entries.count)
        XCTAssertEqual(back.metadata?.map(\.0), ["format"])
        XCTAssertEqual(back.metadata?.map(\.1), ["pt"])
        for e in entries {
            let t = try XCTUnwrap(back.info(e.name), e.name)
            XCTAssertEqual(t.dtype, e.dtype, e.name)
            XCTAssertEqual(t.shape, e.shape, e.name)
            XCTAssertEqual(try back.withBytes(of: t) { Array($0) }, try e.contiguousBytes(), e.name)
        }
        // The header lists the tensors in the reference order (dtype rank descending, then name).
        let bytes = try readBytes(out)
        let header = try StrictJSONParser.parse(Array(bytes[8..<(8 + back.header.headerLength)]))
        XCTAssertEqual(header.objectValue?.map(\.0).filter { $0 != "__metadata__" },
                       SafetensorsWriter.ordered(entries.map { OutputTensor($0) }).map(\.name))
        try InteropExport.record(out, label: "roundtrip-all-dtypes", expected: try expected(entries), metadata: [("format", "pt")])
    }

    func testNoMetadataWritesNoMetadataKey() throws {
        let entries = [entry("w", .f32, [3])]
        let out = dir.file("nometa.safetensors")
        try SafetensorsWriter.write(entries.map { OutputTensor($0) }, to: out, metadata: nil)
        let bytes = try readBytes(out)
        let headerText = String(decoding: bytes[8..<(8 + Int(bytes[0]))], as: UTF8.self)
        // 55 bytes of JSON, one space of padding to 56.
        XCTAssertEqual(headerText, "{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12]}} ")
        XCTAssertNil(try SafetensorsFile(path: out).metadata)
        try InteropExport.record(out, label: "roundtrip-nometa", expected: try expected(entries), metadata: nil)
    }

    func testSegmentsAreConcatenated() throws {
        let source = entry("src", .u8, [12])
        let joined = TensorEntry(name: "joined", dtype: .u8, shape: [2, 6],
                                 segments: [source.segments[0].slice(6, 6), source.segments[0].slice(0, 6)], sourcePath: "<memory>")
        let out = dir.file("segments.safetensors")
        try SafetensorsWriter.write([OutputTensor(joined)], to: out)
        let back = try SafetensorsFile(path: out)
        let bytes = try source.contiguousBytes()
        XCTAssertEqual(try back.withBytes(of: back.info("joined")!) { Array($0) }, Array(bytes[6..<12] + bytes[0..<6]))
    }

    /// F32 values held as floats are written, cast, hashed, sliced and lent exactly as their little-endian bytes.
    func testFloatSegmentsAreTheirLittleEndianBytes() throws {
        let values: [Float] = [1.5, -2.25, .pi, 0, -0.0, .infinity, .leastNonzeroMagnitude, 65504, -7e5, .nan]
        let bytes = values.withUnsafeBytes { Array($0) }
        let floats = TensorEntry(name: "t", shape: [2, 5], floats: values, sourcePath: "<memory>")
        let raw = TensorEntry(name: "t", dtype: .f32, shape: [2, 5], segments: [.memory(bytes)], sourcePath: "<memory>")
        XCTAssertEqual(try floats.contiguousBytes(), bytes)
        XCTAssertEqual(try Hashing.sha256(of: floats), try Hashing.sha256(of: raw))
        XCTAssertEqual(floats.segments[0].count, 40)
        XCTAssertEqual(floats.segments[0].slice(8, 12).withMemoryBytes { Array($0) }, Array(bytes[8..<20]))
        try floats.withFloat32 { lent in XCTAssertEqual(lent.map(\.bitPattern), values.map(\.bitPattern)) }
        for dtype in [DType.f32, .f16, .bf16] {
            let a = dir.file("floats-\(dtype.rawValue).safetensors"), b = dir.file("bytes-\(dtype.rawValue).safetensors")
            try SafetensorsWriter.write([OutputTensor(floats, dtype: dtype)], to: a)
            try SafetensorsWriter.write([OutputTensor(raw, dtype: dtype)], to: b)
            XCTAssertEqual(try sha256Hex(file: a), try sha256Hex(file: b), dtype.rawValue)
        }
    }

    func testStreamsFromFileSegmentsLargerThanTheBuffer() throws {
        // 3 MiB of F32 read back from a mapped file: exercises copy_file_range / pread across buffer boundaries.
        let big = entry("big", .f32, [786_432])
        let first = dir.file("first.safetensors")
        try SafetensorsWriter.write([OutputTensor(big)], to: first)
        let checkpoint = try Checkpoint.open(first)
        let second = dir.file("second.safetensors")
        try SafetensorsWriter.write(checkpoint.tensors.map { OutputTensor($0) }, to: second, metadata: checkpoint.metadata)
        XCTAssertEqual(try sha256Hex(file: second), try sha256Hex(file: first))
    }

    // MARK: - Atomicity

    func testExistingOutputNeedsOverwrite() throws {
        let out = try dir.write("out.safetensors", [1, 2, 3])
        XCTAssertThrowsError(try SafetensorsWriter.write([OutputTensor(entry("a", .f32, [1]))], to: out)) {
            XCTAssertEqual($0 as? CkptError, .outputExists(path: out))
        }
        XCTAssertEqual(try readBytes(out), [1, 2, 3], "the existing file must be untouched")
        try assertNoPartialFiles()

        try SafetensorsWriter.write([OutputTensor(entry("a", .f32, [1]))], to: out, overwrite: true)
        XCTAssertEqual(try SafetensorsFile(path: out).tensors.map(\.name), ["a"])
        try assertNoPartialFiles()
    }

    func testOutputThatIsTheInputIsRefusedUnderEverySpelling() throws {
        let input = dir.file("in.safetensors")
        try SafetensorsWriter.write([OutputTensor(entry("a", .f32, [4]))], to: input)
        let before = try sha256Hex(file: input)
        XCTAssertEqual(link(input, dir.file("hard.safetensors")), 0)
        XCTAssertEqual(symlink(input, dir.file("soft.safetensors")), 0)
        let spellings = [input, dir.file("hard.safetensors"), dir.file("soft.safetensors"), dir.path + "/./in.safetensors",
                         dir.path + "/../" + URL(fileURLWithPath: dir.path).lastPathComponent + "/in.safetensors"]
        for spelling in spellings {
            let checkpoint = try Checkpoint.open(input)
            XCTAssertThrowsError(try SafetensorsWriter.write(checkpoint.tensors.map { OutputTensor($0) }, to: spelling,
                                                             overwrite: true, protecting: checkpoint.fileIdentities), spelling) {
                XCTAssertEqual($0 as? CkptError, .outputIsInput(path: spelling), spelling)
            }
        }
        XCTAssertEqual(try sha256Hex(file: input), before)
        try assertNoPartialFiles()
    }

    func testMissingOutputFolder() throws {
        let out = dir.path + "/missing/out.safetensors"
        XCTAssertThrowsError(try SafetensorsWriter.write([OutputTensor(entry("a", .f32, [1]))], to: out)) {
            XCTAssertEqual($0 as? CkptError, .io(path: dir.path + "/missing", operation: "open output folder", code: ENOENT))
        }
    }

    func testSourceTruncatedWhileWritingLeavesNothing() throws {
        let input = dir.file("in.safetensors")
        try SafetensorsWriter.write([OutputTensor(entry("a", .f32, [65_536]))], to: input)
        let checkpoint = try Checkpoint.open(input)
        XCTAssertEqual(truncate(input, 4096), 0)
        let out = dir.file("out.safetensors")
        XCTAssertThrowsError(try SafetensorsWriter.write(checkpoint.tensors.map { OutputTensor($0) }, to: out,
                                                         protecting: checkpoint.fileIdentities)) { error in
            guard case let .inputResized(path, _, _)? = error as? CkptError else { return XCTFail("\(error)") }
            XCTAssertEqual(path, input)
        }
        XCTAssertEqual(try dir.contents(), ["in.safetensors"], "nothing at the destination, no temporary file")
    }

    func testSourceTruncatedWhileCastingLeavesNothing() throws {
        let input = dir.file("in.safetensors")
        try SafetensorsWriter.write([OutputTensor(entry("a", .f32, [65_536]))], to: input)
        let checkpoint = try Checkpoint.open(input)
        XCTAssertEqual(truncate(input, 4096), 0)
        let out = dir.file("out.safetensors")
        XCTAssertThrowsError(try SafetensorsWriter.write(checkpoint.tensors.map { OutputTensor($0, dtype: .bf16) }, to: out)) { error in
            guard case let .inputResized(path, _, _)? = error as? CkptError else { return XCTFail("\(error)") }
            XCTAssertEqual(path, input)
        }
        XCTAssertEqual(try dir.contents(), ["in.safetensors"])
    }

    func testSourceModifiedWhileWritingIsRefused() throws {
        let input = dir.file("in.safetensors")
        try SafetensorsWriter.write([OutputTensor(entry("a", .f32, [16]))], to: input)
        let checkpoint = try Checkpoint.open(input)
        // Same size, new modification time: the bytes we streamed may be a mix of two versions.
        var times = [timespec(tv_sec: 1_000_000_000, tv_nsec: 0), timespec(tv_sec: 1_000_000_000, tv_nsec: 0)]
        XCTAssertEqual(utimensat(AT_FDCWD, input, &times, 0), 0)
        let out = dir.file("out.safetensors")
        XCTAssertThrowsError(try SafetensorsWriter.write(checkpoint.tensors.map { OutputTensor($0) }, to: out)) {
            XCTAssertEqual($0 as? CkptError, .inputChanged(path: input, reason: "it was modified"))
        }
        XCTAssertEqual(try dir.contents(), ["in.safetensors"])
    }
}
