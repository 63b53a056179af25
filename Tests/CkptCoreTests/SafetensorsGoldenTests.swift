import CkptKit
import CkptTestSupport
import XCTest

/// Reading and writing against files written by Python `safetensors` 0.8.0 (`golden/safetensors/`).
final class SafetensorsGoldenTests: XCTestCase {
    /// Golden files whose tensors and metadata we must read exactly as Python wrote them.
    static let files = ["mixed", "nometa", "exotic", "multi_meta"]

    func testReadsEveryGoldenFileExactly() throws {
        for name in Self.files {
            let golden = try GoldenFile(name + ".json")
            let file = try SafetensorsFile(path: PackagePaths.goldenSafetensors(golden.file))
            XCTAssertEqual(file.header.headerLength, golden.headerLength, name)
            XCTAssertEqual(file.tensors.map(\.name), golden.tensors.map(\.name), "\(name): file order")
            for (ours, want) in zip(file.tensors, golden.tensors) {
                let label = "\(name): \(want.name)"
                XCTAssertEqual(ours.dtype.rawValue, want.dtype, label)
                XCTAssertEqual(ours.shape, want.shape, label)
                XCTAssertEqual([ours.begin, ours.end], [want.begin, want.end], label)
                XCTAssertEqual(try file.withBytes(of: ours) { sha256Hex($0) }, want.sha256, label)
            }
            let metadata = file.metadata.map { Dictionary($0, uniquingKeysWith: { a, _ in a }) }
            XCTAssertEqual(metadata, golden.metadata, "\(name): metadata")
        }
    }

    func testWriterOrderMatchesPythonFileOrder() throws {
        for name in Self.files {
            let golden = try GoldenFile(name + ".json")
            let checkpoint = try Checkpoint.open(PackagePaths.goldenSafetensors(golden.file))
            let order = SafetensorsWriter.ordered(checkpoint.tensors.map { OutputTensor($0) }).map(\.name)
            XCTAssertEqual(order, golden.raw["header_order"] as? [String], name)
        }
    }

    func testDTypeOrderMatchesObservedPythonOrder() throws {
        let golden = try GoldenFile("mixed.json")
        let observed = try XCTUnwrap(golden.raw["observed_dtype_order_desc"] as? [String])
        let ours = DType.allCases.sorted(by: >).map(\.rawValue).filter { observed.contains($0) }
        XCTAssertEqual(ours, observed)
        XCTAssertEqual(Set(observed).subtracting(DType.allCases.map(\.rawValue)), [], "dtypes Python writes that we do not know")
    }

    /// Rewriting a Python-written file with our writer gives the same bytes (single-key or no metadata).
    func testRewriteIsByteIdenticalToPython() throws {
        let dir = try TemporaryDirectory()
        for name in ["mixed", "nometa", "exotic", "multi_meta"] {
            let golden = try GoldenFile(name + ".json")
            let source = PackagePaths.goldenSafetensors(golden.file)
            let checkpoint = try Checkpoint.open(source)
            let out = dir.file(name + ".safetensors")
            // multi_meta's committed file holds its keys sorted (see multi_meta.json); keep the order we read.
            try SafetensorsWriter.write(checkpoint.tensors.map { OutputTensor($0) }, to: out, metadata: checkpoint.metadata)
            XCTAssertEqual(try sha256Hex(file: out), golden.sha256, "\(name): rewritten bytes differ from Python's")
            try InteropExport.record(out, label: "rewrite-" + name, expected: try golden.expected(from: source),
                                     metadata: checkpoint.metadata)
        }
    }

    /// Metadata key order is not deterministic upstream: with the keys in another order the file differs
    /// but must hold the same tensors and the same metadata.
    func testMultiKeyMetadataInAnyOrder() throws {
        let golden = try GoldenFile("multi_meta.json")
        let source = PackagePaths.goldenSafetensors(golden.file)
        let inputOrder = try XCTUnwrap(golden.raw["metadata_input_order"] as? [String])
        let metadata = inputOrder.map { ($0, golden.metadata![$0]!) }
        let dir = try TemporaryDirectory()
        let out = dir.file("mm.safetensors")
        try SafetensorsWriter.write(try Checkpoint.open(source).tensors.map { OutputTensor($0) }, to: out, metadata: metadata)
        let back = try SafetensorsFile(path: out)
        XCTAssertEqual(back.metadata?.map(\.0), inputOrder)
        XCTAssertEqual(back.metadata.map { Dictionary($0, uniquingKeysWith: { a, _ in a }) }, golden.metadata)
        for t in golden.tensors {
            let ours = try XCTUnwrap(back.info(t.name), t.name)
            XCTAssertEqual(try back.withBytes(of: ours) { sha256Hex($0) }, t.sha256, t.name)
        }
        try InteropExport.record(out, label: "multi-meta-reordered", expected: try golden.expected(from: source), metadata: metadata)
    }

    func testHeaderPaddingIsSpacesToEightBytes() throws {
        let golden = try GoldenFile("mixed.json")
        let bytes = try readBytes(PackagePaths.goldenSafetensors(golden.file))
        let checkpoint = try Checkpoint.open(PackagePaths.goldenSafetensors(golden.file))
        let header = SafetensorsWriter.header(for: SafetensorsWriter.ordered(checkpoint.tensors.map { OutputTensor($0) }),
                                              metadata: [("format", "pt")])
        XCTAssertEqual(header, Array(bytes[0..<(8 + golden.headerLength)]))
        XCTAssertEqual((header.count - 8) % 8, 0)
    }
}
