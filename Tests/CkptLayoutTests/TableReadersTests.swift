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
}
