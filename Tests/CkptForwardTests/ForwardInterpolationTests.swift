import CkptTestSupport
import XCTest
import CkptKit
@testable import CkptForward

/// Bicubic position-grid resampling against torch's own output (`Tests/Fixtures/forward/make_interpolation.py`).
final class ForwardInterpolationTests: XCTestCase {
    static let fixture = PackagePaths.root + "/Tests/Fixtures/forward/interpolation.safetensors"

    /// Every stored case, bit for bit: the kernels reproduce torch's float32 arithmetic exactly.
    func testMatchesTorchBitExactly() throws {
        let checkpoint = try Checkpoint.open(Self.fixture)
        var cases = 0
        for entry in checkpoint.tensors where !entry.name.hasPrefix("grid.") {
            let parts = entry.name.split(separator: ".")
            XCTAssertEqual(parts.count, 3, entry.name)
            let g = Int(parts[1])!
            let hw = parts[2].split(separator: "x").map { Int($0)! }
            let grid = try XCTUnwrap(checkpoint["grid.\(g)"], "grid.\(g)")
            let channels = grid.shape[2]
            let kernel: BicubicResize.Kernel = parts[0] == "aa" ? .bicubicAntialias : .bicubic
            let scales: (Double, Double)? = parts[0] == "dinov2" ? ((Double(hw[0]) + 0.1) / Double(g), (Double(hw[1]) + 0.1) / Double(g)) : nil
            let got = BicubicResize.resize(try grid.floatValues(), inH: g, inW: g, channels: channels,
                                           outH: hw[0], outW: hw[1], kernel: kernel, scaleFactors: scales)
            let want = try entry.floatValues()
            XCTAssertEqual(got.count, want.count, entry.name)
            let mismatches = zip(got, want).filter { $0.0.bitPattern != $0.1.bitPattern }.count
            let maxAbs = zip(got, want).map { abs($0.0 - $0.1) }.max() ?? 0
            XCTAssertEqual(mismatches, 0, "\(entry.name): \(mismatches) of \(want.count) values differ from torch (max |Δ| \(maxAbs))")
            cases += 1
        }
        XCTAssertEqual(cases, 3 * 14, "fixture cases")
    }

    /// The same output size through `size=` and through a scale factor uses different source
    /// coordinates: the dinov2 offset is not a no-op.
    func testScaleFactorPathDiffersFromSizePath() {
        let grid = (0..<(4 * 4)).map { Float($0 * $0 % 7) }
        let bySize = BicubicResize.resize(grid, inH: 4, inW: 4, channels: 1, outH: 6, outW: 6, kernel: .bicubic)
        let byScale = BicubicResize.resize(grid, inH: 4, inW: 4, channels: 1, outH: 6, outW: 6, kernel: .bicubic,
                                           scaleFactors: (6.1 / 4, 6.1 / 4))
        XCTAssertNotEqual(bySize, byScale)
    }
}
