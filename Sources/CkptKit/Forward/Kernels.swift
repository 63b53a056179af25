import COpenBLAS
import Foundation

/// The numeric building blocks of the forward pass: GEMM through OpenBLAS and the row-wise
/// LayerNorm, GELU, SiLU-gate and softmax. All arithmetic is float32.
///
/// Pointers passed here come from `Workspace` buffers and lent weights; each function touches only
/// the ranges its shape arguments describe.
enum Kernels {
    /// Threads for the row-wise kernels; set with the OpenBLAS count by `setThreads`.
    nonisolated(unsafe) static var workers = ProcessInfo.processInfo.activeProcessorCount

    /// Sets OpenBLAS's thread count and the row-wise kernels' to `threads`; nil means every online core.
    static func setThreads(_ threads: Int?) {
        let n = max(threads ?? ProcessInfo.processInfo.activeProcessorCount, 1)
        openblas_set_num_threads(Int32(n))
        workers = n
    }

    /// `out[M, N] = x[M, K] · w[N, K]ᵀ + bias` (a torch `Linear`): one `cblas_sgemm`.
    static func linear(_ x: UnsafePointer<Float>, rows m: Int, in k: Int, weight w: UnsafePointer<Float>, out n: Int,
                       bias: UnsafePointer<Float>?, into y: UnsafeMutablePointer<Float>) {
        if let bias {
            for r in 0..<m { (y + r * n).update(from: bias, count: n) }
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, blasint(m), blasint(n), blasint(k), 1, x, blasint(k),
                    w, blasint(k), bias == nil ? 0 : 1, y, blasint(n))
    }

    /// General `C[M, N] = alpha · op(A) · op(B)` with explicit leading dimensions (attention per head).
    static func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                     a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                     c: UnsafeMutablePointer<Float>, ldc: Int) {
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb), 0, c, blasint(ldc))
    }

    /// Runs `body(range)` over `0..<count` split into contiguous chunks on all cores.
    static func parallelRows(_ count: Int, minChunk: Int = 16, _ body: (Range<Int>) -> Void) {
        let workers = max(1, min(Kernels.workers, count / max(minChunk, 1)))
        if workers <= 1 { body(0..<count); return }
        let chunk = (count + workers - 1) / workers
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            let lo = w * chunk, hi = min(count, lo + chunk)
            if lo < hi { body(lo..<hi) }
        }
    }

    /// LayerNorm over the last dimension: `(x − mean) / sqrt(var + eps) · weight + bias`, biased
    /// variance as torch computes it, two passes in float32.
    static func layerNorm(_ x: UnsafePointer<Float>, rows: Int, width d: Int, weight: UnsafePointer<Float>,
                          bias: UnsafePointer<Float>, eps: Float, into y: UnsafeMutablePointer<Float>) {
        parallelRows(rows) { range in
            for r in range {
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
    }

    /// Exact GELU in place: `0.5 · x · (1 + erf(x / √2))`.
    static func gelu(_ x: UnsafeMutablePointer<Float>, count: Int) {
        let invSqrt2 = Float(0.5.squareRoot())
        parallelRows(count, minChunk: 4096) { range in
            for i in range { let v = x[i]; x[i] = 0.5 * v * (1 + erf(v * invSqrt2)) }
        }
    }

    /// SwiGLU gate: rows of `[x1 | x2]` (2H wide) → `silu(x1) · x2` (H wide) into `out`.
    static func swiGLU(_ x: UnsafePointer<Float>, rows: Int, hidden h: Int, into out: UnsafeMutablePointer<Float>) {
        parallelRows(rows) { range in
            for r in range {
                let a = x + r * 2 * h, b = a + h, o = out + r * h
                for i in 0..<h { let v = a[i]; o[i] = v / (1 + exp(-v)) * b[i] }
            }
        }
    }

    /// Row-wise softmax in place with max subtraction.
    static func softmax(_ x: UnsafeMutablePointer<Float>, rows: Int, width n: Int) {
        parallelRows(rows) { range in
            for r in range {
                let row = x + r * n
                var m = -Float.infinity
                for i in 0..<n { m = max(m, row[i]) }
                var sum: Float = 0
                for i in 0..<n { let e = exp(row[i] - m); row[i] = e; sum += e }
                let inv = 1 / sum
                for i in 0..<n { row[i] *= inv }
            }
        }
    }

    /// `x += gamma ⊙ y` row-wise (layer scale and residual).
    static func addScaled(_ x: UnsafeMutablePointer<Float>, _ y: UnsafePointer<Float>, gamma: UnsafePointer<Float>, rows: Int, width d: Int) {
        parallelRows(rows) { range in
            for r in range {
                let xr = x + r * d, yr = y + r * d
                for i in 0..<d { xr[i] += gamma[i] * yr[i] }
            }
        }
    }
}
