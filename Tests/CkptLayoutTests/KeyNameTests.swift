import CkptKit
import XCTest

/// Key spellings that must and must not be read as backbone keys, checked through the public API on
/// in-memory checkpoints (detection reads names and shapes only).
final class KeyNameTests: XCTestCase {
    func checkpoint(_ names: [(String, [Int])]) -> Checkpoint {
        Checkpoint(path: "(names)", kind: .safetensors,
                   tensors: names.map { TensorEntry(name: $0.0, dtype: .f32, shape: $0.1, segments: [], sourcePath: "(names)") },
                   metadata: nil, config: nil, files: [])
    }

    func testBlockIndicesMustBeCanonicalDecimals() throws {
        let arch = Architecture(width: 64, depth: 2, heads: 1, imageSize: 28)
        let good = Layouts.expectedTensors(for: arch, layout: .dinov2)
        XCTAssertEqual(try Layouts.detect(checkpoint(good)).architecture, arch)
        // Each row: a rewrite of one key that must be refused as unexpected, with the key it drops.
        let rows: [(from: String, to: String)] = [
            ("blocks.1.norm1.weight", "blocks.01.norm1.weight"),
            ("blocks.1.norm1.weight", "blocks.+1.norm1.weight"),
            ("blocks.1.norm1.weight", "blocks.1.norm1.weight.extra"),
            ("blocks.1.norm1.weight", "blocks.x.norm1.weight"),
            ("norm.weight", "Norm.weight"),
        ]
        for (from, to) in rows {
            let names = good.map { ($0.name == from ? to : $0.name, $0.shape) }
            XCTAssertThrowsError(try Layouts.detect(checkpoint(names)), "\(to)") { error in
                guard case let .tensorsDoNotMatch(_, _, missing, unexpected, _)? = (error as? LayoutError)?.problem else {
                    return XCTFail("\(to): \(error)")
                }
                XCTAssertEqual(missing, [from], to)
                XCTAssertEqual(unexpected, [to], to)
            }
        }
    }

    func testChunkedNamesUseTheGlobalIndex() throws {
        let arch = Architecture(width: 64, depth: 4, heads: 1, imageSize: 28)
        let chunked = Layouts.expectedTensors(for: arch, layout: .dinov2).map { entry -> (String, [Int]) in
            guard entry.name.hasPrefix("blocks.") else { return (entry.name, entry.shape) }
            let i = Int(entry.name.split(separator: ".")[1])!
            return ("blocks.\(i / 2)." + entry.name.dropFirst("blocks.".count), entry.shape)  // block_chunks=2
        }
        XCTAssertTrue(chunked.contains { $0.0 == "blocks.1.3.norm1.weight" })
        let d = try Layouts.detect(checkpoint(chunked))
        XCTAssertEqual(d.architecture, arch)
        XCTAssertTrue(d.notes.contains("chunked blocks (block_chunks=2): read as blocks.{i}.* by global index"), "\(d.notes)")
    }

    func testExpectedHFNamesOfRegistersAndSwiGLU() {
        let arch = Architecture(width: 96, depth: 1, heads: 2, imageSize: 42, registers: 3, ffn: .swiglu)
        let hf = Dictionary(uniqueKeysWithValues: Layouts.expectedTensors(for: arch, layout: .hf).map { ($0.name, $0.shape) })
        XCTAssertEqual(hf["embeddings.register_tokens"], [1, 3, 96])
        XCTAssertEqual(hf["embeddings.position_embeddings"], [1, 10, 96])
        XCTAssertEqual(hf["encoder.layer.0.attention.attention.key.weight"], [96, 96])
        XCTAssertEqual(hf["encoder.layer.0.mlp.weights_in.weight"], [2 * 256, 96])  // H = (int(384·2/3)+7)//8·8 = 256
        XCTAssertEqual(hf["encoder.layer.0.mlp.weights_out.weight"], [96, 256])
        XCTAssertNil(hf["encoder.layer.0.mlp.fc1.weight"])
        XCTAssertEqual(hf.count, 6 + 2 + 18)  // embeddings 6, final norm 2, one block of 18 (q,k,v split into 6)
    }
}
