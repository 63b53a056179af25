import CVecMath
import Foundation
import XCTest
@testable import CkptForward
import CkptKit

/// The fused attention kernel (`ckpt_attention`) against a float64 softmax(scale · QKᵀ)·V, on every
/// path this machine has (AVX-512, AVX2, scalar), for head dims that do and do not fill the 64-, 16-
/// and 8-column register tiles, and token counts around the 64-query and 128-key blocks.
///
/// The bound is a first-order float32 error analysis, with u = 2⁻²⁴ and γₙ = n·u / (1 − n·u):
/// - a score sⱼ = scale·Σ_c q_c·kⱼc is off by at most eⱼ = γ_(hd+1) · scale · Σ_c |q_c·kⱼc|;
/// - the exponent argument sⱼ − m adds u·|sⱼ − m|; exp adds ≤ 4 ulp (8u) relative; each of the
///   nb − 1 online rescales (exp(m_old − m_new) and a multiply) adds ≤ 9u + u·R, R the score range;
///   so each unnormalised weight is within E = maxⱼ(eⱼ + u·|sⱼ − m|) + 8u + (nb − 1)(9u + u·R) relative;
/// - the numerator and the denominator are sums of t products plus nb rescales: γ_(t+nb) each;
///   the final 1/sum and multiply: 2u.
/// A relative error ≤ E in every weight moves a convex combination by ≤ 2E·Σⱼ wⱼ|vⱼc|, so
/// |out_c − ref_c| ≤ (2E + 2γ_(t+nb) + 2u) · Σⱼ wⱼ·|vⱼc|, times 1.01 for second-order terms.
/// NaN never passes the comparison.
final class AttentionKernelTests: XCTestCase {
    override func tearDown() { ckpt_vecmath_set_ceiling(CKPT_VECMATH_BEST) }

    /// Runs `body` once per distinct path this machine offers, widest first.
    func everyPath(_ body: () -> Void) {
        var seen: Set<String> = []
        for ceiling in [CKPT_VECMATH_BEST, CKPT_VECMATH_AVX2, CKPT_VECMATH_SCALAR] {
            ckpt_vecmath_set_ceiling(ceiling)
            if seen.insert(Kernels.attentionPath).inserted { body() }
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

    struct Case {
        let m: Int, t: Int, hd: Int, magnitude: Float
        var name: String { "m=\(m) t=\(t) hd=\(hd) |x|≤\(magnitude)" }
    }

    /// Head dims: 64 (the DINOv2 one), 128, 40 (16 + 16 + 8 columns), 20 (16 + 4 scalar columns), 3, 1;
    /// 80 and 100 for the AVX-512 path's 64-column panel followed by 16-column ones and a tail.
    /// Token counts: odd, one, and either side of the 64-query and 128-key blocks.
    static let cases: [Case] = [
        Case(m: 1, t: 1, hd: 64, magnitude: 1), Case(m: 7, t: 5, hd: 64, magnitude: 1),
        Case(m: 64, t: 127, hd: 64, magnitude: 1), Case(m: 65, t: 129, hd: 64, magnitude: 2),
        Case(m: 131, t: 261, hd: 64, magnitude: 3), Case(m: 33, t: 1374, hd: 64, magnitude: 1),
        Case(m: 19, t: 300, hd: 128, magnitude: 1), Case(m: 23, t: 257, hd: 40, magnitude: 2),
        Case(m: 13, t: 129, hd: 20, magnitude: 2), Case(m: 9, t: 131, hd: 3, magnitude: 4),
        Case(m: 5, t: 17, hd: 1, magnitude: 4), Case(m: 70, t: 140, hd: 80, magnitude: 1),
        Case(m: 50, t: 133, hd: 100, magnitude: 1),
    ]

    /// Runs the kernel with q, k, v interleaved per token as the forward pass stores them
    /// (row stride 3·hd + 5) and an output row stride with a gap that must stay untouched.
    func run(_ c: Case, q: [Float], k: [Float], v: [Float]) -> [Float] {
        let ld = 3 * c.hd + 5, ldo = c.hd + 3
        var qkv = [Float](repeating: .nan, count: max(c.m, c.t) * ld)
        for i in 0..<c.m { for j in 0..<c.hd { qkv[i * ld + j] = q[i * c.hd + j] } }
        for i in 0..<c.t {
            for j in 0..<c.hd { qkv[i * ld + c.hd + j] = k[i * c.hd + j]; qkv[i * ld + 2 * c.hd + j] = v[i * c.hd + j] }
        }
        var out = [Float](repeating: 12345, count: c.m * ldo)
        var scratch = [Float](repeating: .nan, count: Kernels.attentionScratchCount(headDim: c.hd))
        let scale = 1 / Float(c.hd).squareRoot()
        qkv.withUnsafeBufferPointer { base in
            Kernels.attention(q: base.baseAddress!, ldq: ld, m: c.m, k: base.baseAddress! + c.hd, ldk: ld,
                              v: base.baseAddress! + 2 * c.hd, ldv: ld, t: c.t, headDim: c.hd, scale: scale,
                              out: &out, ldo: ldo, scratch: &scratch)
        }
        for i in 0..<c.m { for j in c.hd..<ldo { XCTAssertEqual(out[i * ldo + j], 12345, "\(c.name): wrote past row \(i)") } }
        return (0..<c.m).flatMap { i in out[(i * ldo)..<(i * ldo + c.hd)] }
    }

    func testMatchesFloat64ReferenceOnEveryPath() {
        let u = 0x1p-24
        func gamma(_ n: Int) -> Double { Double(n) * u / (1 - Double(n) * u) }
        everyPath {
            let path = Kernels.attentionPath
            for (index, c) in Self.cases.enumerated() {
                let seed = UInt64(index * 3)
                let q = values(c.m * c.hd, seed: seed, scale: c.magnitude), k = values(c.t * c.hd, seed: seed + 1, scale: c.magnitude)
                let v = values(c.t * c.hd, seed: seed + 2, scale: 1)
                let got = run(c, q: q, k: k, v: v)
                let scale = Double(1 / Float(c.hd).squareRoot())
                let nb = (c.t + Int(CKPT_ATTENTION_KEY_BLOCK) - 1) / Int(CKPT_ATTENTION_KEY_BLOCK)
                var worst = 0.0
                for i in 0..<c.m {
                    var s = [Double](repeating: 0, count: c.t), e = s
                    for j in 0..<c.t {
                        var dot = 0.0, mag = 0.0
                        for x in 0..<c.hd {
                            let p = Double(q[i * c.hd + x]) * Double(k[j * c.hd + x])
                            dot += p; mag += abs(p)
                        }
                        s[j] = scale * dot; e[j] = gamma(c.hd + 1) * scale * mag
                    }
                    let mx = s.max()!, range = mx - s.min()!
                    let w = s.map { exp($0 - mx) }, sum = w.reduce(0, +)
                    let argument = (0..<c.t).map { e[$0] + u * abs(s[$0] - mx) }.max()!
                    let bigE = argument + 8 * u + Double(nb - 1) * (9 * u + u * range)
                    let factor = (2 * bigE + 2 * gamma(c.t + nb) + 2 * u) * 1.01
                    for x in 0..<c.hd {
                        var ref = 0.0, absRef = 0.0
                        for j in 0..<c.t { ref += w[j] / sum * Double(v[j * c.hd + x]); absRef += w[j] / sum * abs(Double(v[j * c.hd + x])) }
                        let diff = abs(Double(got[i * c.hd + x]) - ref), bound = factor * absRef
                        worst = max(worst, diff / max(bound, .leastNonzeroMagnitude))
                        if !(diff <= bound) {
                            XCTFail("\(path) \(c.name): out[\(i), \(x)] = \(got[i * c.hd + x]), reference \(ref), |Δ| \(diff) > bound \(bound)")
                            return
                        }
                    }
                }
                XCTAssertLessThanOrEqual(worst, 1, "\(path) \(c.name)")
            }
        }
    }

    /// The paths agree with each other within the sum of their bounds; checked through the
    /// reference above, and here that the ceiling really changes the path where the machine has a
    /// wider one.
    func testCeilingChoosesThePath() {
        ckpt_vecmath_set_ceiling(CKPT_VECMATH_SCALAR)
        XCTAssertEqual(Kernels.attentionPath, "scalar")
        ckpt_vecmath_set_ceiling(CKPT_VECMATH_AVX2)
        XCTAssertEqual(Kernels.attentionPath, Kernels.vectorMathPath == "avx2+libmvec" ? "avx2-fma" : "scalar")
        let avx2 = Kernels.attentionPath
        ckpt_vecmath_set_ceiling(CKPT_VECMATH_BEST)
        XCTAssertTrue(Kernels.attentionPath == avx2 || (avx2 == "avx2-fma" && Kernels.attentionPath == "avx512f"),
                      Kernels.attentionPath)
    }

    /// A NaN in one key makes every query's output NaN (torch's softmax does the same); a NaN in
    /// one query makes that query's row NaN and leaves the others finite.
    func testNaNPropagatesLikeSoftmax() {
        everyPath {
            let c = Case(m: 9, t: 200, hd: 64, magnitude: 1)
            var q = values(c.m * c.hd, seed: 7, scale: 1), k = values(c.t * c.hd, seed: 8, scale: 1)
            let v = values(c.t * c.hd, seed: 9, scale: 1)
            k[150 * c.hd + 3] = .nan
            XCTAssertTrue(run(c, q: q, k: k, v: v).allSatisfy(\.isNaN), "\(Kernels.attentionPath): NaN key")
            k[150 * c.hd + 3] = 0.5
            q[4 * c.hd + 10] = .nan
            let out = run(c, q: q, k: k, v: v)
            for i in 0..<c.m {
                let row = out[(i * c.hd)..<((i + 1) * c.hd)]
                XCTAssertTrue(i == 4 ? row.allSatisfy(\.isNaN) : row.allSatisfy(\.isFinite), "\(Kernels.attentionPath): NaN query, row \(i)")
            }
        }
    }
}
