import XCTest
@testable import CkptLayout

/// The DINOv3 head rule without config.json: Meta's periods (head_dim/4 values) first, then the
/// released sizes (hub/backbones.py: every ViT has head width 64 but the 7B's 128).
final class DINOv3HeadsTests: XCTestCase {
    func testReleasedSizes() {
        for (name, width, heads) in [("S", 384, 6), ("S+", 384, 6), ("B", 768, 12), ("L", 1024, 16), ("H+", 1280, 20), ("7B", 4096, 32)] {
            XCTAssertEqual(Architecture.dinov3Heads(width: width, periods: nil)?.heads, heads, name)
            // Meta's file tells it by its periods, whatever the released table says.
            XCTAssertEqual(Architecture.dinov3Heads(width: width, periods: width / heads / 4)?.heads, heads, "\(name) from periods")
        }
        XCTAssertNil(Architecture.dinov3Heads(width: 32, periods: nil), "no released size: DINOv2's fallbacks decide")
        XCTAssertEqual(Architecture.dinov3Heads(width: 32, periods: 4)?.heads, 2)
    }

    /// Meta's periods formula and transformers' inv_freq agree (1 / periods) on the released head widths.
    func testPeriodsAndInverseFrequencies() {
        for (width, heads) in [(384, 6), (4096, 32)] {
            var a = Architecture(width: width, depth: 1, heads: heads, patchSize: 16, imageSize: 224, registers: 4)
            a.family = .dinov3
            let periods = a.ropePeriods, inv = a.ropeInverseFrequencies
            XCTAssertEqual(periods.count, a.headDim / 4)
            for (p, f) in zip(periods, inv) { XCTAssertEqual(Double(p) * Double(f), 1, accuracy: 1e-6, "width \(width)") }
        }
    }
}
