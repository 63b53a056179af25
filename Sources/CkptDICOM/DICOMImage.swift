/// The pixel type ITK's `GDCMImageIO` hands to SimpleITK for a grayscale DICOM image, after
/// MONOCHROME1 inversion and RescaleSlope/RescaleIntercept (it widens when the rescale needs it).
public enum DICOMPixelType: String, Sendable, CaseIterable {
    /// Integer types (`sitkUInt8` … `sitkInt32`).
    case uint8, int8, uint16, int16, uint32, int32
    /// Floating-point types (`sitkFloat32`, `sitkFloat64`), used when a rescale is not integral.
    case float32, float64

    /// The values an image of this type can hold; nil for floating-point types.
    public var integerRange: ClosedRange<Double>? {
        switch self {
        case .uint8: return 0...255
        case .int8: return -128...127
        case .uint16: return 0...65_535
        case .int16: return -32_768...32_767
        case .uint32: return 0...4_294_967_295
        case .int32: return -2_147_483_648...2_147_483_647
        case .float32, .float64: return nil
        }
    }
}

/// A single-frame grayscale DICOM image as SimpleITK sees it after `ReadImage` and `img[:, :, 0]`:
/// its samples in the ITK pixel type, and the 2-D geometry (spacing, origin, direction) that
/// ITK's resampling uses to map output pixels to input indices.
public struct DICOMImage: Sendable, Equatable {
    /// Columns (ITK's x size).
    public var width: Int
    /// Rows (ITK's y size).
    public var height: Int
    /// The ITK pixel type of `values`.
    public var pixelType: DICOMPixelType
    /// Row-major samples (x fastest), each exactly representable in `pixelType`.
    public var values: [Double]
    /// Pixel spacing (x, y), as `GetSpacing()` gives it.
    public var spacing: SIMD2<Double>
    /// Physical position of pixel (0, 0), as `GetOrigin()` gives it.
    public var origin: SIMD2<Double>
    /// The 2×2 direction matrix, row-major, as `GetDirection()` gives it.
    public var direction: [Double]

    /// An image with the given samples and geometry.
    public init(
        width: Int, height: Int, pixelType: DICOMPixelType, values: [Double],
        spacing: SIMD2<Double> = [1, 1], origin: SIMD2<Double> = [0, 0], direction: [Double] = [1, 0, 0, 1]
    ) {
        precondition(values.count == width * height && direction.count == 4)
        self.width = width
        self.height = height
        self.pixelType = pixelType
        self.values = values
        self.spacing = spacing
        self.origin = origin
        self.direction = direction
    }
}
