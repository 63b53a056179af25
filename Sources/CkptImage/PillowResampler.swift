import CResample
import Dispatch
import Glibc

/// PIL's resampling filters, numbered as `PIL.Image.Resampling` (and transformers' `resample`).
public enum ResampleFilter: Int, Sendable, CaseIterable, CustomStringConvertible {
    /// `Image.Resampling.NEAREST` … `HAMMING`, with PIL's numbers.
    case nearest = 0, lanczos = 1, bilinear = 2, bicubic = 3, box = 4, hamming = 5

    /// The filter's lowercase name (`bicubic`).
    public var description: String {
        switch self {
        case .nearest: return "nearest"
        case .lanczos: return "lanczos"
        case .bilinear: return "bilinear"
        case .bicubic: return "bicubic"
        case .box: return "box"
        case .hamming: return "hamming"
        }
    }

    /// The filter kernel and its support, as in libImaging/Resample.c (all in double precision there), or as
    /// ATen's `aa_filter`s spell them for torch (UpSampleKernel.cpp), which round differently in two places.
    func kernel(_ arithmetic: ResampleArithmetic) -> (support: Double, function: (Double) -> Double)? {
        switch self {
        case .nearest: return nil
        case .box: return (0.5, { x in x > -0.5 && x <= 0.5 ? 1.0 : 0.0 })
        case .bilinear: return (1.0, { x in let x = abs(x); return x < 1.0 ? 1.0 - x : 0.0 })
        case .hamming:
            return (1.0, { x in
                let x = abs(x)
                if x == 0.0 { return 1.0 }
                if x >= 1.0 { return 0.0 }
                let px = x * Double.pi
                // The C source writes 0.54f and 0.46f: float constants widened to double.
                return sin(px) / px * (Double(Float(0.54)) + Double(Float(0.46)) * cos(px))
            })
        case .bicubic:
            // Both use Keys' a = -0.5; the outer lobe's polynomial is factored differently.
            let torch = arithmetic == .torch
            return (2.0, { x in
                let a = -0.5, x = abs(x)
                if x < 1.0 { return ((a + 2.0) * x - (a + 3.0)) * x * x + 1 }
                if x < 2.0 { return torch ? ((a * x - 5 * a) * x + 8 * a) * x - 4 * a : (((x - 5) * x + 8) * x - 4) * a }
                return 0.0
            })
        case .lanczos:
            func sinc(_ x: Double) -> Double { x == 0.0 ? 1.0 : sin(x * Double.pi) / (x * Double.pi) }
            // Pillow's window is [-3, 3), ATen's |x| < 3.
            let torch = arithmetic == .torch
            return (3.0, { x in (torch ? abs(x) < 3.0 : -3.0 <= x && x < 3.0) ? sinc(x) * sinc(x / 3) : 0.0 })
        }
    }
}

/// Whose fixed-point convolution a resize reproduces. Both compute double weights the same way (PIL's
/// supports, centres and normalisation; ATen ported them from Resample.c) and sum `pixel * weight` in int32 from
/// half a unit, then shift and clamp. They differ in the kernel spelling (`ResampleFilter.kernel`) and the
/// weight precision: Pillow 22 bits, ATen's uint8 path int16 weights with the most bits the axis's largest
/// weight allows (`_compute_index_ranges_int16_weights`). Pass order is up to each resampler.
enum ResampleArithmetic {
    case pillow, torch
}

/// Pillow's `Image.resize` on 8-bit images, bit for bit: libImaging/Resample.c's separable convolution with
/// coefficients normalised to 22-bit fixed point (horizontal pass first, only over the rows the vertical
/// pass reads, unless `verticalFirst`), and Geometry.c's affine
/// nearest-neighbour scaling for filter 0.
package enum PillowResampler {
    /// `PRECISION_BITS` in Resample.c: 32 - 8 (result) - 2 (overflow headroom).
    static let precisionBits: Int32 = 22

    /// `image.resize((width, height), resample=filter)` as transformers calls it (`reducing_gap=None`).
    package static func resize(_ image: RGBImage, width: Int, height: Int, filter: ResampleFilter) -> RGBImage {
        let pixels = resize(image.pixels, channels: 3, width: image.width, height: image.height,
                            toWidth: width, toHeight: height, filter: filter)
        return RGBImage(width: width, height: height, pixels: pixels, notes: image.notes)
    }

    /// The same on an interleaved buffer of 1...4 channels (each channel is resampled on its own, so a gray
    /// image resized as one channel equals its RGB copy resized as three).
    package static func resize(
        _ pixels: [UInt8], channels: Int, width: Int, height: Int, toWidth: Int, toHeight: Int, filter: ResampleFilter
    ) -> [UInt8] {
        precondition(pixels.count == width * height * channels && toWidth > 0 && toHeight > 0)
        let image = Plane(pixels: pixels, width: width, height: height, channels: channels)
        if width == toWidth && height == toHeight { return pixels }  // Image.resize returns a copy
        let full: [Float] = [0, 0, Float(width), Float(height)]
        return resizeCore(image, toWidth: toWidth, toHeight: toHeight, filter: filter, box: full).pixels
    }

    struct Plane {
        var pixels: [UInt8]
        var width: Int, height: Int, channels: Int
    }

    /// ImagingResize's dispatch (`_resize` in _imaging.c): copy when nothing changes, affine nearest for
    /// filter 0, Resample.c otherwise.
    static func resizeCore(_ image: Plane, toWidth: Int, toHeight: Int, filter: ResampleFilter, box: [Float]) -> Plane {
        if image.width == toWidth && image.height == toHeight && box == [0, 0, Float(toWidth), Float(toHeight)] {
            return image
        }
        guard filter != .nearest else { return nearest(image, toWidth: toWidth, toHeight: toHeight, box: box) }
        let needHorizontal = toWidth != image.width || box[0] != 0 || box[2] != Float(toWidth)
        let needVertical = toHeight != image.height || box[1] != 0 || box[3] != Float(toHeight)
        var vertical = Coefficients(inSize: image.height, in0: box[1], in1: box[3], outSize: toHeight, filter: filter, arithmetic: .pillow)
        let horizontal = needHorizontal
            ? Coefficients(inSize: image.width, in0: box[0], in1: box[2], outSize: toWidth, filter: filter, arithmetic: .pillow) : nil
        // Each pass rounds to 8 bits, so the order shows in the result. Pillow 12.3's Resample.c (the newest
        // source in our mirror) always runs the horizontal pass first; Pillow 13.0.0 as released runs the vertical
        // pass first exactly when `verticalFirst` says (measured: golden/images' resize_grid).
        if let horizontal, needVertical,
           verticalFirst(width: image.width, height: image.height, toWidth: toWidth, toHeight: toHeight) {
            let shrunk = verticalPass(image, outHeight: toHeight, coefficients: vertical)
            return horizontalPass(shrunk, rows: 0..<toHeight, coefficients: horizontal)
        }
        let firstRow = Int(vertical.bounds[0])
        let lastRow = Int(vertical.bounds[2 * toHeight - 2] + vertical.bounds[2 * toHeight - 1])
        var current = image
        if let horizontal {
            for i in 0..<toHeight { vertical.bounds[2 * i] -= Int32(firstRow) }
            current = horizontalPass(image, rows: firstRow..<lastRow, coefficients: horizontal)
        }
        if needVertical {
            current = verticalPass(current, outHeight: toHeight, coefficients: vertical)
        }
        return current
    }

    /// Pillow 13.0.0's pass order: vertical first iff the height shrinks and `2·(toWidth − width) > toHeight −
    /// height`, i.e. the rows saved by shrinking first outweigh twice the columns it adds or saves (ties go
    /// horizontal). Found by running Pillow 13.0.0 on a grid and 600 random sizes × all filters × L/RGB: the
    /// boundary is this line for every source shape (e.g. 1000×1000 to height 100: vertical first from width 551).
    static func verticalFirst(width: Int, height: Int, toWidth: Int, toHeight: Int) -> Bool {
        toHeight < height && 2 * (toWidth - width) > toHeight - height
    }

    // MARK: - Coefficients

    /// precompute_coeffs + normalize_coeffs_8bpc (ATen: `_compute_indices_min_size_weights_aa` +
    /// `_compute_index_ranges_int16_weights`): per output pixel, the first input index, the tap count and
    /// `ksize` fixed-point weights with `precision` fraction bits.
    struct Coefficients {
        let ksize: Int
        var bounds: [Int32]  // xmin, count per output pixel
        var weights: [Int32]
        let precision: Int32

        init(inSize: Int, in0: Float, in1: Float, outSize: Int, filter: ResampleFilter, arithmetic: ResampleArithmetic) {
            let kernel = filter.kernel(arithmetic)!
            let scale = Double(in1 - in0) / Double(outSize)
            let filterScale = max(scale, 1.0)
            let support = kernel.support * filterScale
            ksize = Int(support.rounded(.up)) * 2 + 1
            bounds = [Int32](repeating: 0, count: outSize * 2)
            var k = [Double](repeating: 0, count: outSize * ksize)
            var largest = 0.0
            let invFilterScale = 1.0 / filterScale
            for xx in 0..<outSize {
                let center = Double(in0) + (Double(xx) + 0.5) * scale
                var ww = 0.0
                let xmin = max(Int(center - support + 0.5), 0)
                // ATen clamps the count to ksize ("rare cases due to precision"); Pillow would write past its row.
                let xmax = min(max(min(Int(center + support + 0.5), inSize) - xmin, 0), ksize)
                for x in 0..<xmax {
                    let w = kernel.function((Double(x + xmin) - center + 0.5) * invFilterScale)
                    k[xx * ksize + x] = w
                    ww += w
                }
                if ww != 0.0 {
                    for x in 0..<xmax {
                        k[xx * ksize + x] /= ww
                        largest = max(largest, k[xx * ksize + x])
                    }
                }
                bounds[2 * xx] = Int32(xmin)
                bounds[2 * xx + 1] = Int32(xmax)
            }
            switch arithmetic {
            case .pillow:
                precision = PillowResampler.precisionBits
            case .torch:
                // The most bits (at most 22) for which the largest weight still rounds below 2^15.
                var bits: Int32 = 0
                while bits < 22 && Int(0.5 + largest * Double(1 << (bits + 1))) < 1 << 15 { bits += 1 }
                precision = bits
            }
            let one = Double(1 << precision)
            weights = k.map { value in value < 0 ? Int32(-0.5 + value * one) : Int32(0.5 + value * one) }
        }

        /// Whether every output's taps lie in `0..<inSize` and number at most `ksize`: what the C passes rely on
        /// to stay inside the buffers they are given.
        func taps(within inSize: Int) -> Bool {
            weights.count == bounds.count / 2 * ksize && stride(from: 0, to: bounds.count, by: 2).allSatisfy { i in
                let first = Int(bounds[i]), count = Int(bounds[i + 1])
                return count == 0 || (first >= 0 && count > 0 && count <= ksize && first + count <= inSize)
            }
        }
    }

    /// Runs `body` over `0..<count` split into contiguous chunks on up to two threads. Each index writes
    /// only its own output rows, so the result does not depend on the split.
    static func forEachRow(_ count: Int, work: Int, _ body: @escaping @Sendable (Range<Int>) -> Void) {
        let chunks = work > 2_000_000 && count >= 2 ? 2 : 1
        if chunks == 1 { body(0..<count); return }
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            body((count * c / chunks)..<(count * (c + 1) / chunks))
        }
    }

    // MARK: - Passes

    /// Lends a pass's output, source pixels, weights and bounds to the row workers (`PassBuffers`). They are
    /// used only inside `body`; the workers write disjoint output rows and only read the rest.
    static func withPassPointers(
        _ out: inout [UInt8], _ pixels: [UInt8], _ coefficients: Coefficients, _ body: (PassBuffers) -> Void
    ) {
        out.withUnsafeMutableBufferPointer { dst in
            pixels.withUnsafeBufferPointer { src in
                coefficients.weights.withUnsafeBufferPointer { kk in
                    coefficients.bounds.withUnsafeBufferPointer { bounds in
                        body(PassBuffers(out: dst.baseAddress!, source: src.baseAddress!, weights: kk.baseAddress!,
                                         bounds: bounds.baseAddress!))
                    }
                }
            }
        }
    }

    /// Which compiled copy of the C passes runs: the widest the CPU has, or the portable one (for tests, which
    /// check that both give the scalar loop's bits).
    enum Kernel {
        case best, portable

        var path: ckpt_resample_path { self == .best ? CKPT_RESAMPLE_BEST : CKPT_RESAMPLE_PORTABLE }
    }

    /// Resample.c's horizontal pass (ImagingResampleHorizontal_8bpc) over `rows` of `image`, each output
    /// `clip8(half + Σ pixel·weight)` per channel; `ckpt_resample_horizontal` sums sixteen rows at a time.
    static func horizontalPass(_ image: Plane, rows: Range<Int>, coefficients: Coefficients, kernel: Kernel = .best)
        -> Plane
    {
        let channels = image.channels, outWidth = coefficients.bounds.count / 2, ksize = coefficients.ksize
        var out = [UInt8](repeating: 0, count: rows.count * outWidth * channels)
        let inRow = image.width * channels, outRow = outWidth * channels
        precondition(rows.lowerBound >= 0 && rows.upperBound <= image.height && coefficients.taps(within: image.width))
        let scratchCount = ckpt_resample_horizontal_scratch(image.width, outWidth)
        withPassPointers(&out, image.pixels, coefficients) { p in
            forEachRow(rows.count, work: rows.count * outWidth * ksize * channels) { part in
                // Each worker transposes its blocks of rows in a buffer of its own.
                var scratch = [UInt8](repeating: 0, count: scratchCount)
                scratch.withUnsafeMutableBufferPointer { buffer in
                    withUnsafePointer(to: p.axis(coefficients)) { axis in
                        ckpt_resample_horizontal(
                            p.source + (rows.lowerBound + part.lowerBound) * inRow, p.out + part.lowerBound * outRow,
                            part.count, channels, image.width, outWidth, axis, buffer.baseAddress!, kernel.path)
                    }
                }
            }
        }
        return Plane(pixels: out, width: outWidth, height: rows.count, channels: channels)
    }

    /// Resample.c's vertical pass (ImagingResampleVertical_8bpc): output row y from input rows
    /// `bounds[2y] ..< bounds[2y] + bounds[2y + 1]`; `ckpt_resample_vertical` sums sixteen columns at a time.
    static func verticalPass(_ image: Plane, outHeight: Int, coefficients: Coefficients, kernel: Kernel = .best)
        -> Plane
    {
        precondition(coefficients.bounds.count == 2 * outHeight && coefficients.taps(within: image.height))
        let rowLength = image.width * image.channels, ksize = coefficients.ksize
        var out = [UInt8](repeating: 0, count: outHeight * rowLength)
        withPassPointers(&out, image.pixels, coefficients) { p in
            forEachRow(outHeight, work: outHeight * rowLength * ksize) { part in
                withUnsafePointer(to: p.axis(coefficients)) { axis in
                    ckpt_resample_vertical(p.source, p.out, rowLength, part.lowerBound, part.count, axis, kernel.path)
                }
            }
        }
        return Plane(pixels: out, width: image.width, height: outHeight, channels: image.channels)
    }

    /// Geometry.c ImagingScaleAffine, as `_resize` sets it up for NEAREST: the source position advances by
    /// repeated addition of the scale (so rounding accumulates exactly as in C); outside pixels stay 0.
    static func nearest(_ image: Plane, toWidth: Int, toHeight: Int, box: [Float]) -> Plane {
        let a0 = Double(box[2] - box[0]) / Double(toWidth)
        let a4 = Double(box[3] - box[1]) / Double(toHeight)
        func coord(_ v: Double) -> Int { v < 0.0 ? -1 : Int(v) }
        var columns = [Int](repeating: -1, count: toWidth)
        var xo = Double(box[0]) + a0 * 0.5
        for x in 0..<toWidth {
            let xin = coord(xo)
            if xin >= 0 && xin < image.width { columns[x] = xin }
            xo += a0
        }
        let channels = image.channels
        var out = [UInt8](repeating: 0, count: toWidth * toHeight * channels)
        var yo = Double(box[1]) + a4 * 0.5
        for y in 0..<toHeight {
            let yi = coord(yo)
            if yi >= 0 && yi < image.height {
                for x in 0..<toWidth where columns[x] >= 0 {
                    for c in 0..<channels {
                        out[(y * toWidth + x) * channels + c] = image.pixels[(yi * image.width + columns[x]) * channels + c]
                    }
                }
            }
            yo += a4
        }
        return Plane(pixels: out, width: toWidth, height: toHeight, channels: channels)
    }
}

/// The buffers of one resampling pass, lent to its row workers; never outlives the `withUnsafe…` calls that
/// made it (`PillowResampler.withPassPointers`). Only `out` is written.
struct PassBuffers: @unchecked Sendable {  // two workers write disjoint rows of `out` and only read the rest
    let out: UnsafeMutablePointer<UInt8>
    let source: UnsafePointer<UInt8>
    let weights: UnsafePointer<Int32>
    let bounds: UnsafePointer<Int32>

    /// The C passes' view of `coefficients`, whose weights and bounds these pointers lend.
    func axis(_ coefficients: PillowResampler.Coefficients) -> ckpt_resample_axis {
        let precision = coefficients.precision
        return ckpt_resample_axis(bounds: bounds, weights: weights, ksize: coefficients.ksize,
                                  half: 1 << (precision - 1), precision: precision)
    }
}
