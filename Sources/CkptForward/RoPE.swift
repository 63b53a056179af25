import CkptLayout

#if canImport(Glibc)
import Glibc
#endif

/// DINOv3's rotary position embedding for one patch grid, as transformers' `DINOv3ViTModel`
/// computes it (the reference: Meta's model with its float32 periods agrees to ~1e-6), all in
/// float32:
///
/// - patch centres `c = 2 · ((i + 0.5) / n) − 1` per axis (rows over the grid height, columns over
///   its width: "separate" normalisation, so non-square grids keep [−1, 1] on both axes);
/// - `inv_freq = 1 / rope_theta ** arange(0, 1, 4 / head_dim)` (`Architecture.ropeInverseFrequencies`);
/// - angle `(2π · c) · inv_freq[f]`: the first head_dim/4 components use the row coordinate, the next
///   head_dim/4 the column coordinate, and the second half of the head repeats the first (`tile(2)`);
/// - `x' = x · cos + rotate_half(x) · sin` with `rotate_half([x1, x2]) = [−x2, x1]`.
///
/// Only patch tokens rotate: CLS and registers keep their query and key. Training-only coordinate
/// shift, jitter and rescale are not applied (eval).
struct RoPE {
    let headDim: Int
    /// `[patches, headDim]` each.
    let cos: [Float], sin: [Float]

    init(_ a: Architecture, rows gh: Int, columns gw: Int) {
        headDim = a.headDim
        let inv = a.ropeInverseFrequencies, quarter = headDim / 4
        let twoPi = Float(2 * Double.pi)
        func coords(_ n: Int) -> [Float] { (0..<n).map { 2 * ((Float($0) + 0.5) / Float(n)) - 1 } }
        let ys = coords(gh), xs = coords(gw)
        var c = [Float](repeating: 0, count: gh * gw * headDim), s = c
        for py in 0..<gh {
            for px in 0..<gw {
                let base = (py * gw + px) * headDim
                let scaled = (twoPi * ys[py], twoPi * xs[px])
                for j in 0..<headDim {
                    let jj = j % (headDim / 2)
                    let angle = (jj < quarter ? scaled.0 : scaled.1) * inv[jj % quarter]
                    c[base + j] = cosf(angle)
                    s[base + j] = sinf(angle)
                }
            }
        }
        cos = c
        sin = s
    }

    /// Rotates one head's vector `x` (headDim values) of patch `patch` in place.
    func apply(_ x: UnsafeMutablePointer<Float>, patch: Int) {
        let half = headDim / 2, base = patch * headDim
        cos.withUnsafeBufferPointer { c in
            sin.withUnsafeBufferPointer { s in
                for j in 0..<half {
                    let a = x[j], b = x[j + half]
                    let lo = a * c[base + j] + -b * s[base + j]
                    let hi = b * c[base + j + half] + a * s[base + j + half]
                    x[j] = lo
                    x[j + half] = hi
                }
            }
        }
    }
}
