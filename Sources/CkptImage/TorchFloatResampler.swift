/// torch's antialiased bilinear resize of a float32 image on the CPU (`F.interpolate(mode="bilinear",
/// antialias=True, align_corners=False)` → ATen `_upsample_bilinear2d_aa`, UpSampleKernel.cpp), as
/// `tvF.resize` runs it for transformers' DINOv3 processor, reproduced bit for bit.
///
/// Weights per output index `i` (`HelperInterpBase::_compute_indices_min_size_weights_aa`), in float32
/// with the C++ promotions spelled out: `scale = float(in) / float(out)`; `support = scale` when
/// `scale ≥ 1` else 1 (bilinear's interp_size 2 × 0.5); `center = float(scale · (i + 0.5))` (the product
/// in double); `invscale = float(1.0 / scale)` (1 when upsampling); `xmin = max(int(double(center −
/// support) + 0.5), 0)`, `xmax = min(int(double(center + support) + 0.5), in)`; weight `j` is
/// `1 − |x|` (0 beyond 1) of `x = float((double(float(j + xmin) − center) + 0.5) · invscale)`,
/// each divided by their float sum.
///
/// The passes: along the width first, then along the height (each only when that size changes). Each
/// output is `t₀·w₀`, then `+= tⱼ·wⱼ` in order. The loop in torch's x86-64 build is unrolled by four
/// and only the leftover steps are contracted to fused multiply-adds: with `n` taps, steps
/// `1 … 4·⌊(n−1)/4⌋` round the product and the sum apart, the last `(n−1) mod 4` steps are `fma`.
/// (Found by matching torch 2.15's outputs; `golden/images/dinov3` checks it.)
enum TorchFloatResampler {
    struct Taps {
        let start: Int
        let weights: [Float]
    }

    static func taps(inSize: Int, outSize: Int) -> [Taps] {
        let scale = Float(inSize) / Float(outSize)
        let support: Float = scale >= 1 ? scale : 1
        let invscale: Float = scale >= 1 ? Float(1.0 / Double(scale)) : 1
        return (0..<outSize).map { i in
            let center = Float(Double(scale) * (Double(i) + 0.5))
            let xmin = max(Int(Double(center - support) + 0.5), 0)
            let xmax = min(Int(Double(center + support) + 0.5), inSize)
            var weights: [Float] = []
            var total: Float = 0
            for j in 0..<max(xmax - xmin, 0) {
                let x = abs(Float((Double(Float(j + xmin) - center) + 0.5) * Double(invscale)))
                let w: Float = x < 1 ? 1 - x : 0
                weights.append(w)
                total += w
            }
            if total != 0 { weights = weights.map { $0 / total } }
            return Taps(start: xmin, weights: weights)
        }
    }

    /// One output value from `count` inputs `stride` apart starting at `src`.
    @inline(__always)
    static func dot(_ src: UnsafePointer<Float>, stride: Int, _ w: [Float]) -> Float {
        var acc = src[0] * w[0]
        let steps = w.count - 1, unfused = steps / 4 * 4
        var j = 1
        while j <= unfused {
            let product = src[j * stride] * w[j]
            acc = acc + product
            j += 1
        }
        while j <= steps {
            acc = acc.addingProduct(src[j * stride], w[j])  // one rounding: fma
            j += 1
        }
        return acc
    }

    /// Resizes `[channels, height, width]` float32 planes to `toHeight × toWidth`.
    static func resizeBilinearAntialias(_ image: [Float], channels: Int, width: Int, height: Int,
                                        toWidth: Int, toHeight: Int) -> [Float] {
        precondition(image.count == channels * width * height && toWidth > 0 && toHeight > 0)
        var current = image, w = width
        if toWidth != width {
            let t = taps(inSize: width, outSize: toWidth)
            var out = [Float](repeating: 0, count: channels * height * toWidth)
            current.withUnsafeBufferPointer { src in
                for row in 0..<(channels * height) {
                    for (x, tap) in t.enumerated() where !tap.weights.isEmpty {
                        out[row * toWidth + x] = dot(src.baseAddress! + row * width + tap.start, stride: 1, tap.weights)
                    }
                }
            }
            current = out
            w = toWidth
        }
        if toHeight != height {
            let t = taps(inSize: height, outSize: toHeight)
            var out = [Float](repeating: 0, count: channels * toHeight * w)
            current.withUnsafeBufferPointer { src in
                for c in 0..<channels {
                    for (y, tap) in t.enumerated() where !tap.weights.isEmpty {
                        let base = src.baseAddress! + (c * height + tap.start) * w
                        for x in 0..<w { out[(c * toHeight + y) * w + x] = dot(base + x, stride: w, tap.weights) }
                    }
                }
            }
            current = out
        }
        return current
    }
}
