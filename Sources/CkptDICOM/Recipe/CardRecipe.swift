import CkptCore

/// RAD-DINO's card recipe: how its training DICOMs became 8-bit PNGs, reproduced bit for bit.
///
/// The model card: "All DICOM files were resized using B-spline interpolation so that their shorter side was
/// 518, min-max scaled to [0, 255], and stored as PNG files; SimpleITK and pydicom were used." The steps are
/// those of the first author's `procex` (`src/procex/functional.py`: `resize`, then `enhance_contrast`) with
/// the card's *shorter* side and no smoothing, run by SimpleITK 2.5.7 over ITK 5.4.7
/// (SimpleITK `SuperBuild/External_ITK.cmake`):
///
/// ```python
/// W, H = img.GetSize(); f = min(W, H) / size            # max() for side .longer
/// new_size = [int(round(W / f)), int(round(H / f))]
/// lo, hi = sitk.MinimumMaximum(img)
/// r = sitk.Resample(img, new_size, sitk.Transform(), sitk.sitkBSpline, img.GetOrigin(),
///                   [s * f for s in img.GetSpacing()], img.GetDirection(), 0.0, img.GetPixelID())
/// r = sitk.Clamp(r, img.GetPixelID(), lo, hi)
/// r = sitk.Cast(r, sitk.sitkFloat32); r = sitk.RescaleIntensity(r, 0, 255)
/// u8 = sitk.Cast(r, sitk.sitkUInt8)
/// ```
///
/// Every step follows ITK's arithmetic in ITK's order (see `BSplineDecomposition`, `BSplineResampler` and
/// `IntensityRescale`): in a radiograph's saturated background the B-spline value is the maximum ± 1e-13 and
/// the truncation that follows turns it into the maximum or one less, so the same mathematics in another order
/// changes about 1 % of the output pixels. For a direction matrix that is not diagonal (an oblique slice)
/// the 2×2 inverse is computed directly where ITK uses vnl's SVD: on the oblique test file (30°, anisotropic
/// spacing) the output is still SimpleITK's, but the last bit of a sampling position may differ in general.
public struct CardRecipe: Sendable, Equatable {
    /// Which side of the image is scaled to `size`.
    public enum Side: String, Sendable, CaseIterable {
        /// The shorter side becomes `size` (the card's recipe).
        case shorter
        /// The longer side becomes `size` (what procex's `resize` does).
        case longer
    }

    /// The target length of the chosen side, in pixels.
    public var size: Int
    /// Which side `size` applies to.
    public var side: Side

    /// The recipe with the given target; the defaults are the card's (shorter side 518).
    public init(size: Int = 518, side: Side = .shorter) {
        precondition(size >= 1, "CardRecipe.size must be at least 1")
        self.size = size
        self.side = side
    }

    /// The card's recipe: shorter side 518.
    public static let radDINO = CardRecipe()

    /// The scale factor `f` (input pixels per output pixel) for an image of this size.
    ///
    /// Python's `min(W, H) / size` (true division of two integers: one correctly rounded division).
    package func factor(width: Int, height: Int) -> Double {
        Double(side == .shorter ? min(width, height) : max(width, height)) / Double(size)
    }

    /// The output size for an input of `width` × `height`: `round(W / f)` × `round(H / f)`, halves to even
    /// (Python's `round`). A side can round to 0 for a very elongated image and `.longer`.
    public func outputSize(width: Int, height: Int) -> (width: Int, height: Int) {
        let f = factor(width: width, height: height)
        return (Int((Double(width) / f).rounded(.toNearestOrEven)), Int((Double(height) / f).rounded(.toNearestOrEven)))
    }

    /// Prepares `image` as the card's recipe does: B-spline resample, clamp to the input's range, rescale
    /// to 0…255 and truncate to 8 bits.
    ///
    /// - Parameter source: the file the image came from, named in errors.
    /// - Throws: `CkptError.unsupportedInput` when a side of the output rounds to 0 pixels.
    public func prepare(_ image: DICOMImage, source: String) throws -> PreparedImage {
        try prepareTimed(image, source: source).image
    }

    /// `prepare` with the time spent in each stage (for `--profile` and the bench).
    package func prepareTimed(_ image: DICOMImage, source: String) throws -> (image: PreparedImage, timings: RecipeTimings) {
        let (outW, outH) = outputSize(width: image.width, height: image.height)
        guard outW >= 1, outH >= 1 else {
            throw CkptError.unsupportedInput(
                path: source,
                reason: "a \(image.width)×\(image.height) image scaled to \(side.rawValue) side \(size) has a side of "
                    + "0 pixels (\(outW)×\(outH)); use a larger --size")
        }
        var timings = RecipeTimings()
        let clock = ContinuousClock()
        var t = clock.now
        // ITK's BSplineInterpolateImageFunction::SetInputImage runs the decomposition on the whole input.
        let coefficients = BSplineDecomposition.coefficients(image.values, width: image.width, height: image.height)
        timings.prefilter = clock.now - t
        t = clock.now
        let resampler = BSplineResampler(image: image, factor: factor(width: image.width, height: image.height),
                                         outputWidth: outW, outputHeight: outH)
        var resampled = resampler.resample(coefficients)
        // procex's Clamp to the input's own range (sitk.MinimumMaximum of the input).
        IntensityRescale.clamp(&resampled, to: IntensityRescale.minimumMaximum(image.values))
        timings.resample = clock.now - t
        t = clock.now
        let pixels = IntensityRescale.toUInt8(resampled)
        timings.rescale = clock.now - t
        return (PreparedImage(width: outW, height: outH, pixels: pixels), timings)
    }
}

/// The recipe's output: an 8-bit grayscale image, what the card's PNG files hold.
public struct PreparedImage: Sendable, Equatable {
    /// Columns.
    public var width: Int
    /// Rows.
    public var height: Int
    /// Row-major 8-bit samples.
    public var pixels: [UInt8]

    /// An image of the given size and samples (`pixels.count == width * height`).
    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(pixels.count == width * height)
        self.width = width
        self.height = height
        self.pixels = pixels
    }
}

/// Wall time of the recipe's stages.
package struct RecipeTimings: Sendable {
    /// The B-spline decomposition of the input (coefficients).
    package var prefilter: Duration = .zero
    /// Sampling the output, the cast to the input pixel type and the clamp.
    package var resample: Duration = .zero
    /// Float32, min-max rescale and the cast to 8 bits.
    package var rescale: Duration = .zero
}
