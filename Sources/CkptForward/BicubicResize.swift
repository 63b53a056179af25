/// torch's CPU bicubic resampling of a float32 grid, reproduced operation by operation.
///
/// Two kernels, both with `align_corners=False`:
/// - `upsample_bicubic2d` (antialias off): Keys cubic convolution with A = −0.75 over a fixed
///   4-tap neighbourhood, indices clamped at the border, computed in one non-separable pass
///   (`UpSampleKernel.cpp`, `HelperInterpCubic::compute_indices_weights`).
/// - `_upsample_bicubic2d_aa` (antialias on): the PIL-style filter with A = −0.5 whose support
///   grows with the downscaling factor, weights normalised to sum 1, applied separably: first
///   along W into a float32 temporary, then along H (`_compute_indices_min_size_weights_aa`).
///
/// The source coordinate uses `1 / scale_factor` when a scale factor is given (torch's
/// `compute_scales_value`), else `in / out`. torch's x86 build is compiled by GCC with
/// floating-point contraction, so some `a * b + c` in those kernels became fused multiply-adds.
/// Which ones is not visible in the source; the choices below (`addingProduct` where GCC fused)
/// were determined against torch 2.15's output and are pinned by `ForwardInterpolationTests`,
/// which requires bit-identical results.
package enum BicubicResize {
    /// One output axis: for each output index, the input indices and weights to combine in order.
    struct Taps {
        var indices: [[Int]]
        var weights: [[Float]]
    }

    /// torch `compute_scales_value<float>`: the input step per output step.
    static func ratio(input: Int, output: Int, scaleFactor: Double?) -> Float {
        if let s = scaleFactor, s > 0 { return Float(1.0 / s) }
        return Float(input) / Float(output)
    }

    // MARK: - Keys cubic, A = -0.75 (antialias off)

    /// `cubic_convolution1(x, A) = ((A + 2)·x − (A + 3))·x·x + 1` as torch's non-antialiased kernel
    /// evaluates it: the inner step fused, the final `+ 1` rounded separately.
    @inline(__always)
    static func keysCubic1(_ x: Float, _ a: Float) -> Float {
        let t = (-(a + 3)).addingProduct(a + 2, x)
        return (t * x) * x + 1
    }

    /// `cubic_convolution2(x, A) = ((A·x − 5A)·x + 8A)·x − 4A` as torch's non-antialiased kernel
    /// evaluates it: the first two steps fused, the final `− 4A` rounded separately.
    @inline(__always)
    static func keysCubic2(_ x: Float, _ a: Float) -> Float {
        let t1 = (-(5 * a)).addingProduct(a, x)
        let t2 = (8 * a).addingProduct(t1, x)
        return t2 * x - 4 * a
    }

    static func keysTaps(input: Int, output: Int, scaleFactor: Double?) -> Taps {
        let a: Float = -0.75
        let scale = ratio(input: input, output: output, scaleFactor: scaleFactor)
        var taps = Taps(indices: [], weights: [])
        for i in 0..<output {
            // area_pixel_compute_source_index(cubic: true): no clamping of negative coordinates.
            let src = Float(-0.5).addingProduct(scale, Float(i) + 0.5)
            let index = min(Int(src.rounded(.down)), input - 1)
            let t = min(max(src - Float(index), 0), 1)
            let w: [Float] = [keysCubic2(t + 1, a), keysCubic1(t, a), keysCubic1(1 - t, a), keysCubic2((1 - t) + 1, a)]
            taps.indices.append((0..<4).map { max(min(index + $0 - 1, input - 1), 0) })
            taps.weights.append(w)
        }
        return taps
    }

    // MARK: - PIL-style cubic, A = -0.5 (antialias on)

    /// torch's `aa_filter` with A = −0.5 (the same cubic convolution; in this kernel every step
    /// of both polynomials is one fused multiply-add).
    @inline(__always)
    static func aaFilter(_ value: Float) -> Float {
        let a: Float = -0.5
        let x = abs(value)
        if x < 1 {
            let t = (-(a + 3)).addingProduct(a + 2, x)
            return Float(1).addingProduct(t * x, x)
        }
        if x < 2 {
            let t1 = (-(5 * a)).addingProduct(a, x)
            let t2 = (8 * a).addingProduct(t1, x)
            return (-(4 * a)).addingProduct(t2, x)
        }
        return 0
    }

    static func antialiasTaps(input: Int, output: Int, scaleFactor: Double?) -> Taps {
        let scale = ratio(input: input, output: output, scaleFactor: scaleFactor)
        // The mixed float/double arithmetic below mirrors the C++ expression types exactly.
        let support: Float = scale >= 1 ? Float(2.0 * Double(scale)) : 2
        let maxSize = Int(Double(support).rounded(.up)) * 2 + 1
        let invScale: Float = scale >= 1 ? Float(1.0 / Double(scale)) : 1
        var taps = Taps(indices: [], weights: [])
        for i in 0..<output {
            let center = Float(Double(scale) * (Double(i) + 0.5))
            let xmin = max(Int(Double(center - support) + 0.5), 0)
            var xsize = min(Int(Double(center + support) + 0.5), input) - xmin
            xsize = min(max(xsize, 0), maxSize)
            var weights: [Float] = []
            var total: Float = 0
            for j in 0..<xsize {
                let w = aaFilter(Float((Double(Float(j + xmin) - center) + 0.5) * Double(invScale)))
                weights.append(w)
                total += w
            }
            if total != 0 { weights = weights.map { $0 / total } }
            taps.indices.append((0..<xsize).map { xmin + $0 })
            taps.weights.append(weights)
        }
        return taps
    }

    // MARK: - Resampling

    /// The kernel to use: which upstream call is being reproduced.
    package enum Kernel: String, Sendable {
        /// `F.interpolate(mode="bicubic", antialias=False)`.
        case bicubic
        /// `F.interpolate(mode="bicubic", antialias=True)`.
        case bicubicAntialias = "bicubic-antialias"
    }

    /// Resamples a channels-last grid `[inH, inW, C]` to `[outH, outW, C]`.
    /// - Parameter scaleFactors: the `(h, w)` scale factors passed to torch, or nil when it was
    ///   given an output size.
    package static func resize(_ grid: [Float], inH: Int, inW: Int, channels: Int, outH: Int, outW: Int,
                              kernel: Kernel, scaleFactors: (Double, Double)? = nil) -> [Float] {
        precondition(grid.count == inH * inW * channels, "grid size does not match its shape")
        switch kernel {
        case .bicubic:
            let th = keysTaps(input: inH, output: outH, scaleFactor: scaleFactors?.0)
            let tw = keysTaps(input: inW, output: outW, scaleFactor: scaleFactors?.1)
            return resizeNonSeparable(grid, inW: inW, channels: channels, th: th, tw: tw)
        case .bicubicAntialias:
            if inH == outH && inW == outW { return grid }
            var current = grid
            var width = inW
            if outW != inW {  // horizontal pass first, as torch does
                let tw = antialiasTaps(input: inW, output: outW, scaleFactor: scaleFactors?.1)
                current = pass(current, rows: inH, inner: inW, channels: channels, taps: tw, horizontal: true)
                width = outW
            }
            if outH != inH {
                let th = antialiasTaps(input: inH, output: outH, scaleFactor: scaleFactors?.0)
                current = pass(current, rows: width, inner: inH, channels: channels, taps: th, horizontal: false)
            }
            return current
        }
    }

    /// out[y, x] = Σ_i wy_i · (Σ_j wx_j · in[y_i, x_j]) over 4 × 4 taps. torch's unrolled sums
    /// round as `fma(v0, w0, v1·w1)`, then `fma(v2, w2, ·)`, `fma(v3, w3, ·)`.
    static func resizeNonSeparable(_ grid: [Float], inW: Int, channels: Int, th: Taps, tw: Taps) -> [Float] {
        @inline(__always) func sum4(_ v: (Int) -> Float, _ w: [Float]) -> Float {
            var acc = (v(1) * w[1]).addingProduct(v(0), w[0])
            acc = acc.addingProduct(v(2), w[2])
            return acc.addingProduct(v(3), w[3])
        }
        let outH = th.indices.count, outW = tw.indices.count
        var out = [Float](repeating: 0, count: outH * outW * channels)
        for oy in 0..<outH {
            let ys = th.indices[oy], wy = th.weights[oy]
            for ox in 0..<outW {
                let xs = tw.indices[ox], wx = tw.weights[ox]
                let base = (oy * outW + ox) * channels
                for c in 0..<channels {
                    out[base + c] = sum4({ i in sum4({ j in grid[(ys[i] * inW + xs[j]) * channels + c] }, wx) }, wy)
                }
            }
        }
        return out
    }

    /// One separable pass. Horizontal: `[rows, inner, C]` → `[rows, out, C]`; vertical: input is
    /// `[inner, rows, C]` (resampled along the first axis) → `[out, rows, C]`.
    ///
    /// torch sums `v0·w0 + v1·w1 + …` in order. GCC vectorised the products of the loop over taps
    /// 1… in blocks of 4 (each product rounded, then added), and fused the leftover iterations.
    static func pass(_ grid: [Float], rows: Int, inner: Int, channels: Int, taps: Taps, horizontal: Bool) -> [Float] {
        let outCount = taps.indices.count
        var out = [Float](repeating: 0, count: rows * outCount * channels)
        for o in 0..<outCount {
            let ks = taps.indices[o], ws = taps.weights[o]
            guard !ks.isEmpty else { continue }
            let blocked = (ks.count - 1) / 4 * 4
            for r in 0..<rows {
                let dst = horizontal ? (r * outCount + o) * channels : (o * rows + r) * channels
                for c in 0..<channels {
                    @inline(__always) func value(_ j: Int) -> Float {
                        grid[(horizontal ? (r * inner + ks[j]) : (ks[j] * rows + r)) * channels + c]
                    }
                    var acc = value(0) * ws[0]
                    for j in 1..<max(ks.count, 1) {
                        if j <= blocked {
                            let product = value(j) * ws[j]
                            acc += product
                        } else {
                            acc = acc.addingProduct(value(j), ws[j])
                        }
                    }
                    out[dst + c] = acc
                }
            }
        }
        return out
    }
}
