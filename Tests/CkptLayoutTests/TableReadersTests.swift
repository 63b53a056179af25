import XCTest
import CkptKit
@testable import CkptLayout

/// The facts other modules read from the layout tables: one dechunker, key roots from the table.
final class TableReadersTests: XCTestCase {
    func testOneDechunkerAcceptsOnlyCanonicalDecimals() {
        XCTAssertEqual(Layouts.unchunked("blocks.1.3.norm1.weight"), "blocks.3.norm1.weight")
        XCTAssertEqual(Layouts.unchunked("teacher.blocks.1.3.norm1.weight"), nil, "a prefix is not a chunk")
        for key in ["blocks.+1.3.norm1.weight", "blocks.01.3.norm1.weight", "blocks.1.03.norm1.weight",
                    "blocks.3.norm1.weight", "blocks.1.3"] {
            XCTAssertNil(Layouts.unchunked(key), key)
            XCTAssertNil(LayoutLocator.dechunked(key).chunk, key)
        }
    }

    func testKeyRootsComeFromTheTable() {
        let roots = Dictionary(uniqueKeysWithValues: Layouts.keyRoots.map { ($0.0, Set($0.1)) })
        XCTAssertEqual(roots[.hf], ["embeddings.", "encoder.", "layernorm."])
        XCTAssertEqual(roots[.dinov2], ["cls_token", "pos_embed", "register_tokens", "mask_token", "patch_embed.", "norm.", "blocks."])
    }

    func testPresetsAreOneList() {
        XCTAssertEqual(Architecture.presets.map(\.name), ["vits14", "vitb14", "vitl14", "vitg14"])
        for p in Architecture.presets { XCTAssertEqual(p.arch.name, "ViT-\(p.letter)/14", p.name) }
        XCTAssertEqual(ExpectationSpec.names.count, 2 + 2 * Architecture.presets.count)
    }

    /// The damaged-backbone guess (verify) and detection read the same table and resolve heads the same
    /// way, so on a complete model, in either layout, they find the same architecture and rule.
    func testGuessAgreesWithDetectionOnCompleteModels() throws {
        for name in GoldenCase.tinyCases {  // the large cases record hashes, not weights
            let g = try GoldenCase(name)
            for (file, layout) in [("dinov2.safetensors", LayoutKind.dinov2), ("hf", .hf)] {
                let c = try Checkpoint.open(g.path(file))
                let d = try Layouts.detect(c)
                let tensors = Dictionary(uniqueKeysWithValues: c.tensors.map { ($0.name, $0) })
                let guess = try XCTUnwrap(Layouts.guessArchitecture(tensors, layout: layout, config: c.config), "\(name)/\(file)")
                XCTAssertEqual(guess.architecture, d.architecture, "\(name)/\(file)")
                XCTAssertEqual(guess.headsRule, d.headsRule, "\(name)/\(file)")
            }
        }
    }
}
