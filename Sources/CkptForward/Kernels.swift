import CkptCore
import COpenBLASLoader
import CVecMath
import Dispatch
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The numeric building blocks of the forward pass: GEMM through OpenBLAS, the row-wise
/// LayerNorm, GELU, SiLU-gate and softmax (the last three in C, `CVecMath`, for vector expf/erff),
/// and the work splitting over threads. All arithmetic is float32; every kernel here is
/// single-threaded and callers split rows over `forEach`.
///
/// Pointers passed here come from `Workspace` buffers and lent weights; each function touches only
/// the ranges its shape arguments describe.
enum Kernels {
    /// Worker threads for a pass asked to use `threads` (nil: every online core).
    static func workerCount(_ threads: Int?) -> Int {
        max(threads ?? ProcessInfo.processInfo.activeProcessorCount, 1)
    }

    /// Keeps OpenBLAS itself single-threaded: the forward pass splits its work over its own workers
    /// (`forEach`) and every `cblas_sgemm` runs inside one of them. OpenBLAS's own threads would
    /// otherwise spin between calls on cores the workers need. Loads OpenBLAS on first use (throws when
    /// it cannot be) and sets its thread count once per process.
    static func useSingleThreadedBLAS() throws {
        try loadBLAS()
        _ = singleThreadedBLAS
    }

    private static let singleThreadedBLAS: Void = ckpt_openblas_set_num_threads(1)

    /// Loads OpenBLAS (dlopen, once per process) or throws naming what failed.
    static func loadBLAS() throws {
        if let failure = ckpt_openblas_load() { throw CkptError.libraryUnavailable(String(cString: failure)) }
    }

    /// Which code path the transcendental kernels take on this machine ("avx2+libmvec" or "scalar libm").
    static var vectorMathPath: String { String(cString: ckpt_vecmath_path()) }

    /// The OpenBLAS kernel in use (`openblas_get_corename`, e.g. "Haswell", "Zen").
    static var blasCore: String { String(cString: ckpt_openblas_corename()) }

    /// `out[M, N] = x[M, K] · w[N, K]ᵀ + bias` (a torch `Linear`): one `cblas_sgemm` per row block
    /// of the weight, each filling its own columns of `y`.
    static func linear(_ x: UnsafePointer<Float>, rows m: Int, in k: Int, _ layer: LinearWeights, out n: Int,
                       into y: UnsafeMutablePointer<Float>) {
        if let bias = layer.bias {
            for r in 0..<m {
                var o = y + r * n
                for piece in bias { o.update(from: piece.baseAddress!, count: piece.count); o += piece.count }
            }
        }
        var column = 0
        for block in layer.weight {
            let blockRows = block.count / k
            ckpt_sgemm(0, 1, Int32(m), Int32(blockRows), Int32(k), 1, x, Int32(k),
                       block.baseAddress, Int32(k), layer.bias == nil ? 0 : 1, y + column, Int32(n))
            column += blockRows
        }
    }

    /// `linear` for a weight and bias each held in one buffer.
    static func linear(_ x: UnsafePointer<Float>, rows m: Int, in k: Int, weight w: UnsafePointer<Float>, out n: Int,
                       bias: UnsafePointer<Float>?, into y: UnsafeMutablePointer<Float>) {
        let layer = LinearWeights(weight: [UnsafeBufferPointer(start: w, count: n * k)],
                                  bias: bias.map { [UnsafeBufferPointer(start: $0, count: n)] })
        linear(x, rows: m, in: k, layer, out: n, into: y)
    }

    /// Calls `body(worker, item)` for every item in `0..<count` on up to `workers` threads. Each
    /// worker claims the next unclaimed item, so a core slowed by other work simply takes fewer;
    /// `worker` (in `0..<workers`) indexes per-worker scratch, never used by two items at once.
    static func forEach(_ count: Int, workers: Int, _ body: (_ worker: Int, _ item: Int) -> Void) {
        let n = min(workers, count)
        if n <= 1 { for i in 0..<count { body(0, i) }; return }
        let next = UnsafeMutablePointer<Int>.allocate(capacity: 1)
        next.initialize(to: 0)
        defer { next.deallocate() }
        withoutActuallyEscaping(body) { body in
            let share = WorkShare(next: next, body: body)
            DispatchQueue.concurrentPerform(iterations: n) { worker in
                while true {
                    let item = ckpt_claim_next(share.next)
                    if item >= count { break }
                    share.body(worker, item)
                }
            }
        }
    }

    /// What `forEach`'s workers share: the atomic claim counter and the body.
    private struct WorkShare: @unchecked Sendable {  // concurrentPerform returns after every worker; the counter is claimed atomically and each item runs once
        let next: UnsafeMutablePointer<Int>
        let body: (_ worker: Int, _ item: Int) -> Void
    }

    /// LayerNorm over the last dimension: `(x − mean) / sqrt(var + eps) · weight + bias`, biased
    /// variance as torch computes it, two passes in float32.
    static func layerNorm(_ x: UnsafePointer<Float>, rows: Int, width d: Int, weight: UnsafePointer<Float>,
                          bias: UnsafePointer<Float>, eps: Float, into y: UnsafeMutablePointer<Float>) {
        for r in 0..<rows {
            let row = x + r * d, out = y + r * d
            var sum: Float = 0
            for i in 0..<d { sum += row[i] }
            let mean = sum / Float(d)
            var sq: Float = 0
            for i in 0..<d { let c = row[i] - mean; sq += c * c }
            let rstd = 1 / (sq / Float(d) + eps).squareRoot()
            for i in 0..<d { out[i] = (row[i] - mean) * rstd * weight[i] + bias[i] }
        }
    }

    /// Exact GELU in place: `0.5 · x · (1 + erf(x / √2))`.
    static func gelu(_ x: UnsafeMutablePointer<Float>, count: Int) { ckpt_gelu(x, count) }

    /// SwiGLU gate: rows of `[x1 | x2]` (2H wide) → `silu(x1) · x2` (H wide) into `out`.
    static func swiGLU(_ x: UnsafePointer<Float>, rows: Int, hidden h: Int, into out: UnsafeMutablePointer<Float>) {
        for r in 0..<rows { ckpt_silu_mul(x + r * 2 * h, x + r * 2 * h + h, out + r * h, h) }
    }

    /// Unnormalised row-wise softmax in place: `x ← exp(x − rowmax)`, `inverseSums[r] ← 1 / Σ row r`.
    static func softmaxNumerators(_ x: UnsafeMutablePointer<Float>, rows: Int, width n: Int, stride: Int,
                                  inverseSums: UnsafeMutablePointer<Float>) {
        ckpt_softmax_numerators(x, rows, n, stride, inverseSums)
    }

    /// `x += gamma ⊙ y` row-wise (layer scale and residual).
    static func addScaled(_ x: UnsafeMutablePointer<Float>, _ y: UnsafePointer<Float>, gamma: UnsafePointer<Float>, rows: Int, width d: Int) {
        for r in 0..<rows {
            let xr = x + r * d, yr = y + r * d
            for i in 0..<d { xr[i] += gamma[i] * yr[i] }
        }
    }
}

/// A `Linear`'s weight `[N, K]` as consecutive blocks of whole rows and its bias `[N]` as
/// consecutive pieces: one of each, unless the bytes come in several ranges (an HF q/k/v triple).
struct LinearWeights {
    let weight: [UnsafeBufferPointer<Float>]
    let bias: [UnsafeBufferPointer<Float>]?
}
