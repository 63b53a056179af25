import Glibc

/// What transformers 5.24's torchvision backend runs for `resample` on a uint8 CHW tensor:
/// `tvF.resize(..., antialias=True)` → ATen's CPU `_upsample_{bilinear,bicubic,lanczos}2d_aa` uint8 kernels
/// (UpSampleKernel.cpp, AVX2 path in UpSampleKernelAVXAntialias.h) and `_upsample_nearest_exact2d`, bit for bit.
///
/// The antialiased filters share Pillow's convolution (`PillowResampler.Coefficients` and passes) with
/// `ResampleArithmetic.torch`: int16 weights at a per-axis precision, the horizontal pass first over every row,
/// then the vertical pass. Box and hamming have no torchvision mode in transformers (it raises).
package enum TorchResampler {
    /// transformers' `pil_torch_interpolation_mapping` (image_utils.py): PIL filter number → torchvision
    /// `InterpolationMode`; nil where `tvF.resize` fails (BOX and HAMMING reach `interpolate`, which raises).
    package static func interpolationMode(for filter: ResampleFilter) -> String? {
        switch filter {
        case .nearest: return "nearest-exact"
        case .bilinear: return "bilinear"
        case .bicubic: return "bicubic"
        case .lanczos: return "lanczos"
        case .box, .hamming: return nil
        }
    }

    /// `tvF.resize(image, [toHeight, toWidth], interpolation, antialias=True)` on an interleaved 8-bit buffer of
    /// 1...4 channels (each channel is resampled on its own). `filter` must have an `interpolationMode`.
    package static func resize(
        _ pixels: [UInt8], channels: Int, width: Int, height: Int, toWidth: Int, toHeight: Int, filter: ResampleFilter
    ) -> [UInt8] {
        precondition(pixels.count == width * height * channels && toWidth > 0 && toHeight > 0)
        precondition(interpolationMode(for: filter) != nil, "\(filter) has no torchvision interpolation")
        if width == toWidth && height == toHeight { return pixels }  // resize_image returns its input
        var image = PillowResampler.Plane(pixels: pixels, width: width, height: height, channels: channels)
        if filter == .nearest { return nearestExact(image, toWidth: toWidth, toHeight: toHeight).pixels }
        if toWidth != width {
            let horizontal = PillowResampler.Coefficients(
                inSize: width, in0: 0, in1: Float(width), outSize: toWidth, filter: filter, arithmetic: .torch)
            image = PillowResampler.horizontalPass(image, rows: 0..<height, coefficients: horizontal)
        }
        if toHeight != height {
            let vertical = PillowResampler.Coefficients(
                inSize: height, in0: 0, in1: Float(height), outSize: toHeight, filter: filter, arithmetic: .torch)
            image = PillowResampler.verticalPass(image, outHeight: toHeight, coefficients: vertical)
        }
        return image.pixels
    }

    /// `_upsample_nearest_exact2d`: source index `min(floorf((i + 0.5) * scale), size - 1)` with
    /// `scale = float(in) / float(out)`, the product in double and rounded to float by `floorf`'s argument
    /// (UpSample.h `nearest_neighbor_exact_compute_source_index`). Pillow's nearest accumulates the position
    /// in double instead and picks another pixel for some sizes.
    static func nearestExact(_ image: PillowResampler.Plane, toWidth: Int, toHeight: Int) -> PillowResampler.Plane {
        func sources(_ inSize: Int, _ outSize: Int) -> [Int] {
            let scale = Float(inSize) / Float(outSize)
            return (0..<outSize).map { i in min(Int(Float((Double(i) + 0.5) * Double(scale)).rounded(.down)), inSize - 1) }
        }
        let columns = sources(image.width, toWidth), rows = sources(image.height, toHeight)
        let channels = image.channels
        var out = [UInt8](repeating: 0, count: toWidth * toHeight * channels)
        for (y, sy) in rows.enumerated() {
            for (x, sx) in columns.enumerated() {
                for c in 0..<channels {
                    out[(y * toWidth + x) * channels + c] = image.pixels[(sy * image.width + sx) * channels + c]
                }
            }
        }
        return PillowResampler.Plane(pixels: out, width: toWidth, height: toHeight, channels: channels)
    }
}
