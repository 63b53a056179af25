import CVecMath
import Foundation
import XCTest
import CkptKit
@testable import CkptForward

/// The C kernels of the forward pass (softmax numerators, GELU, SiLU gate) against float64
/// references, on both paths: libmvec's AVX2 functions where this machine has them, and scalar libm.
/// Bounds follow from the functions' documented accuracy (glibc: ≤ 4 ulp for the vector expf/erff,
/// ≤ 1 ulp scalar), not from what the kernels happen to produce.
final class VecMathTests: XCTestCase {
    /// Lengths around the 8-lane width (tails of 1…7), and a 518 px attention row.
    static let lengths = [1, 3, 7, 8, 9, 15, 16, 17, 64, 1370]

    override func tearDown() { ckpt_vecmath_set_ceiling(CKPT_VECMATH_BEST) }

    /// Runs `body` once per available path, naming it for failure messages.
    func bothPaths(_ body: (String) throws -> Void) rethrows {
        for ceiling in [CKPT_VECMATH_BEST, CKPT_VECMATH_SCALAR] {
            ckpt_vecmath_set_ceiling(ceiling)
            try body(Kernels.vectorMathPath)
        }
        ckpt_vecmath_set_ceiling(CKPT_VECMATH_BEST)
    }

    func values(_ n: Int, seed: UInt64, scale: Float) -> [Float] {
        var state = seed
        return (0..<n).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return (Float(state >> 40) / Float(1 << 24) * 2 - 1) * scale
        }
    }

    func ulp(_ x: Double) -> Double { Double(Float(x).magnitude.ulp) }

    func testPathsAreWhatTheMachineOffers() {
        ckpt_vecmath_set_ceiling(CKPT_VECMATH_SCALAR)
        XCTAssertEqual(Kernels.vectorMathPath, "scalar libm")
        // These kernels have no AVX-512 path: the AVX2 ceiling and none are the same path.
        ckpt_vecmath_set_ceiling(CKPT_VECMATH_AVX2)
        let avx2 = Kernels.vectorMathPath
        ckpt_vecmath_set_ceiling(CKPT_VECMATH_BEST)
        XCTAssertEqual(Kernels.vectorMathPath, avx2)
        XCTAssertTrue(["avx2+libmvec", "scalar libm"].contains(Kernels.vectorMathPath), Kernels.vectorMathPath)
    }

    func testSoftmaxNumeratorsAndSums() throws {
        try bothPaths { path in
            for n in Self.lengths {
                let rows = 3, stride = n + 5  // rows apart by more than their width: the gap stays untouched
                var x = [Float](repeating: 12345, count: rows * stride)
                for r in 0..<rows { for (i, v) in values(n, seed: UInt64(n * 10 + r), scale: 20).enumerated() { x[r * stride + i] = v } }
                let input = x
                var inverse = [Float](repeating: 0, count: rows)
                x.withUnsafeMutableBufferPointer { xb in
                    inverse.withUnsafeMutableBufferPointer { ib in
                        Kernels.softmaxNumerators(xb.baseAddress!, rows: rows, width: n, stride: stride, inverseSums: ib.baseAddress!)
                    }
                }
                for r in 0..<rows {
                    let row = Array(input[(r * stride)..<(r * stride + n)])
                    let m = row.max()!
                    var sum = 0.0
                    for i in 0..<n {
                        let want = exp(Double(row[i] - m))  // the kernel's own float subtraction, then exact exp
                        sum += want
                        let got = Double(x[r * stride + i])
                        XCTAssertLessThanOrEqual(abs(got - want), 4 * ulp(want), "\(path) n=\(n) row \(r) [\(i)]")
                    }
                    // Positive terms, each within 4 ulp (≤ 4·2⁻²³ relative): any summation order stays within
                    // (n − 1)·2⁻²⁴ more, and the reciprocal rounds once (2⁻²⁴).
                    let bound = Double(n - 1) * 0x1p-24 + 4 * 0x1p-23 + 0x1p-24
                    XCTAssertLessThanOrEqual(abs(Double(inverse[r]) * sum - 1), bound, "\(path) n=\(n) row \(r): 1/sum")
                    for i in n..<stride where r * stride + i < x.count {
                        XCTAssertEqual(x[r * stride + i], 12345, "\(path) n=\(n): wrote past the row")
                    }
                }
            }
        }
    }

    func testSoftmaxRowWithNaNIsNaN() {
        bothPaths { path in
            for n in [5, 9, 1370] {
                for at in [0, n / 2, n - 1] {
                    var x = values(n, seed: 7, scale: 3)
                    x[at] = .nan
                    var inverse: Float = 0
                    Kernels.softmaxNumerators(&x, rows: 1, width: n, stride: n, inverseSums: &inverse)
                    XCTAssertTrue(inverse.isNaN, "\(path) n=\(n) NaN at \(at): 1/sum is \(inverse)")
                }
            }
        }
    }

    func testGELU() {
        bothPaths { path in
            for n in Self.lengths {
                let input = values(n, seed: UInt64(n), scale: 6) + [0, -0.0, 10, -10, 1e-20]
                var x = input
                Kernels.gelu(&x, count: x.count)
                for (i, v) in input.enumerated() {
                    let want = 0.5 * Double(v) * (1 + erf(Double(v) / 2.0.squareRoot()))
                    // erf within 4 ulp of a value ≤ 1 in magnitude (≤ 2⁻²¹ absolute), scaled by x/2,
                    // plus the float multiplications' rounding.
                    let bound = abs(Double(v)) * 0x1p-22 + 3 * ulp(want) + Double(Float.leastNormalMagnitude)
                    XCTAssertLessThanOrEqual(abs(Double(x[i]) - want), bound, "\(path) n=\(n) x=\(v)")
                }
            }
        }
    }

    func testSiLUGate() {
        bothPaths { path in
            for n in Self.lengths {
                let a = values(n, seed: UInt64(n + 1), scale: 12) + [0, 100, -100], b = values(n + 3, seed: UInt64(n + 2), scale: 2)
                var out = [Float](repeating: .nan, count: a.count)
                ckpt_silu_mul(a, b, &out, a.count)
                for i in 0..<a.count {
                    let want = Double(a[i]) / (1 + exp(-Double(a[i]))) * Double(b[i])
                    XCTAssertLessThanOrEqual(abs(Double(out[i]) - want), 8 * ulp(want) + Double(Float.leastNormalMagnitude),
                                             "\(path) n=\(n) a=\(a[i]) b=\(b[i])")
                }
            }
        }
    }

    /// Row items split evenly over the workers and never exceed the cap.
    func testRowItemSizes() {
        for workers in 1...4 {
            for rows in [1, 2, 5, 200, 1370, 5480, 100_000] {
                let size = ViTForward.rowItemSize(rows: rows, workers: workers)
                let items = (rows + size - 1) / size
                XCTAssertLessThanOrEqual(size, ViTForward.maxRowsPerItem, "rows \(rows) workers \(workers)")
                XCTAssertGreaterThanOrEqual(size * items, rows)
                if rows >= 16 * workers { XCTAssertGreaterThanOrEqual(items, workers, "rows \(rows) workers \(workers): a worker idles") }
            }
        }
    }
}
