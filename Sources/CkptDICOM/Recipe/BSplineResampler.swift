import Glibc  // floor, pow, log, ceil: not Foundation, which would link ICU into the static binary

/// `sitk.Resample(img, new_size, sitk.Transform(), sitk.sitkBSpline, origin, spacing * f, direction, 0.0,
/// img.GetPixelID())` over B-spline coefficients, in ITK v5.4.7's arithmetic order.
///
/// Read in ITK v5.4.7:
/// - `Modules/Filtering/ImageGrid/include/itkResampleImageFilter.hxx`, `LinearThreadedGenerateData` (the
///   identity transform is linear): per output row, the continuous input index of the row's first pixel
///   (`index[0] = 0`) and of one past its last (`index[0] = W_out`), each through
///   `TransformIndexToPhysicalPoint` and `TransformPhysicalPointToContinuousIndex`; pixel i samples
///   `start + alpha * (end - start)` with `alpha = i / W_out` (double). `IsInsideBuffer` (itkImageFunction.h)
///   accepts `-0.5 <= x < N - 0.5` on both axes; elsewhere the default value 0. The value goes through
///   `CastComponentWithBoundsChecking`: `<= min` → min, `>= max` → max of the pixel type, else `static_cast`
///   (truncation toward zero for integers); a `double` pixel type takes the value as it is.
/// - `Modules/Core/Common/include/itkImageBase.h/.hxx`: a physical point is `origin[i]`, then
///   `+= IndexToPhysicalPoint[i][j] * index[j]` for j = 0, 1, with `IndexToPhysicalPoint = direction *
///   diag(spacing)` (vnl's product: `a[i][0]*b[0][j] + a[i][1]*b[1][j]`); a continuous index is
///   `PhysicalPointToIndex * (point - origin)` (itk::Matrix × Vector: `sum{}` then `+= m[r][c] * v[c]`),
///   `PhysicalPointToIndex` being vnl's SVD inverse, which for a diagonal matrix gives exactly `1 / s`
///   (checked against SimpleITK's `TransformPhysicalPointToContinuousIndex` on 10,200 points).
/// - `Modules/Core/ImageFunction/include/itkBSplineInterpolateImageFunction.hxx`:
///   `DetermineRegionOfSupport`: first index `long(floor(float(x) + 0.0f)) - 1` (the float rounding is
///   ITK's: near an integer the support can start one pixel later than floor(x) - 1);
///   `SetInterpolationWeights` (order 3): with `w = x - double(index[1])`, `w3 = (1/6)*w*w*w`,
///   `w0 = 1/6 + 0.5*w*(w - 1) - w3`, `w2 = w + w0 - 2*w3`, `w1 = 1 - w0 - w2 - w3`;
///   `ApplyMirrorBoundaryConditions`: `i < 0` → `-i`, then `i >= N-1` → `(N-1) - (i - (N-1))`, all 0 when
///   `N == 1`; `EvaluateAtContinuousIndexInternal`: `interpolated = 0.0`, then for the 16 points with x
///   varying fastest (`m_PointsToIndex`), `w = 1.0; w *= wx; w *= wy; interpolated += w * c[y][x]`.
struct BSplineResampler {
    let width: Int
    let height: Int
    let outputWidth: Int
    let outputHeight: Int
    let pixelType: DICOMPixelType
    /// Input origin.
    let origin: SIMD2<Double>
    /// Output `IndexToPhysicalPoint`, row-major.
    let indexToPoint: (Double, Double, Double, Double)
    /// Input `PhysicalPointToIndex`, row-major.
    let pointToIndex: (Double, Double, Double, Double)

    init(image: DICOMImage, factor f: Double, outputWidth: Int, outputHeight: Int) {
        width = image.width
        height = image.height
        self.outputWidth = outputWidth
        self.outputHeight = outputHeight
        pixelType = image.pixelType
        origin = image.origin
        let d = image.direction
        // `[s * f for s in img.GetSpacing()]`
        let out = SIMD2(image.spacing.x * f, image.spacing.y * f)
        indexToPoint = Self.scaled(d, out)
        let input = Self.scaled(d, image.spacing)
        if input.1 == 0, input.2 == 0 {
            pointToIndex = (1.0 / input.0, 0, 0, 1.0 / input.3)
        } else {
            // Not ITK's SVD: bit-exact only in the diagonal case above (see CardRecipe).
            let det = input.0 * input.3 - input.1 * input.2
            pointToIndex = (input.3 / det, -input.1 / det, -input.2 / det, input.0 / det)
        }
    }

    /// `direction * diag(spacing)` as vnl multiplies: `a[i][0]*b[0][j] + a[i][1]*b[1][j]`.
    static func scaled(_ d: [Double], _ s: SIMD2<Double>) -> (Double, Double, Double, Double) {
        (d[0] * s.x + d[1] * 0, d[0] * 0 + d[1] * s.y, d[2] * s.x + d[3] * 0, d[2] * 0 + d[3] * s.y)
    }

    /// The continuous input index of output index (i, j).
    func continuousIndex(_ i: Int, _ j: Int) -> SIMD2<Double> {
        let (m00, m01, m10, m11) = indexToPoint
        var p0 = origin.x
        p0 += m00 * Double(i)
        p0 += m01 * Double(j)
        var p1 = origin.y
        p1 += m10 * Double(i)
        p1 += m11 * Double(j)
        let v0 = p0 - origin.x
        let v1 = p1 - origin.y
        let (n00, n01, n10, n11) = pointToIndex
        var x = 0.0
        x += n00 * v0
        x += n01 * v1
        var y = 0.0
        y += n10 * v0
        y += n11 * v1
        return SIMD2(x, y)
    }

    /// Cubic weights and mirrored support of one axis at continuous index `x` (`N` samples on that axis).
    struct Support {
        var index: (Int, Int, Int, Int) = (0, 0, 0, 0)
        var weight: (Double, Double, Double, Double) = (0, 0, 0, 0)

        init(_ x: Double, count n: Int) {
            let first = Int(floor(Float(x) + Float(0))) - 1
            let w = x - Double(first + 1)
            let w3 = (1.0 / 6.0) * w * w * w
            let w0 = (1.0 / 6.0) + 0.5 * w * (w - 1.0) - w3
            let w2 = w + w0 - 2.0 * w3
            let w1 = 1.0 - w0 - w2 - w3
            weight = (w0, w1, w2, w3)
            if n == 1 {
                index = (0, 0, 0, 0)
            } else {
                let end = n - 1
                @inline(__always) func mirror(_ k: Int) -> Int {
                    var k = k
                    if k < 0 { k = 0 + (0 - k) }
                    if k >= end { k = end - (k - end) }
                    return k
                }
                index = (mirror(first), mirror(first + 1), mirror(first + 2), mirror(first + 3))
            }
        }
    }

    /// The resampled image in the input's pixel type (values as Double), row-major.
    func resample(_ coefficients: [Double]) -> [Double] {
        var out = [Double](repeating: 0, count: outputWidth * outputHeight)
        let lowX = -0.5, highX = Double(width - 1) + 0.5
        let lowY = -0.5, highY = Double(height - 1) + 0.5
        let bounds = pixelType.castBounds
        // With a diagonal direction every row samples the same x positions (x does not depend on j: the
        // `+ 0 * j` terms are exact), so the x supports are computed once; and every pixel of a row the same y.
        let rowsShareX = indexToPoint.1 == 0 && pointToIndex.1 == 0
        let rowSharesY = indexToPoint.2 == 0 && pointToIndex.2 == 0
        var columnX = [Double](repeating: 0, count: outputWidth)
        var columnSupport = [Support]()
        if rowsShareX {
            let start = continuousIndex(0, 0), end = continuousIndex(outputWidth, 0)
            let vx = end.x - start.x
            for i in 0..<outputWidth {
                columnX[i] = start.x + (Double(i) / Double(outputWidth)) * vx
            }
            columnSupport = columnX.map { Support($0, count: width) }
        }
        let columnXs = columnX, supports = columnSupport
        out.withUnsafeMutableBufferPointer { dst in
            coefficients.withUnsafeBufferPointer { src in
                let o = SendablePointer(dst.baseAddress!)
                let c = SendablePointer(UnsafeMutablePointer(mutating: src.baseAddress!))
                RowParallel.forEach(outputHeight, work: outputWidth * outputHeight * 16) { rows in
                    for j in rows {
                        let start = continuousIndex(0, j)
                        let end = continuousIndex(outputWidth, j)
                        let vector = end - start
                        let row = o.p + j * outputWidth
                        var ySupport: Support? = nil
                        for i in 0..<outputWidth {
                            let alpha = Double(i) / Double(outputWidth)
                            let x = rowsShareX ? columnXs[i] : start.x + alpha * vector.x
                            let y = start.y + alpha * vector.y
                            guard x >= lowX, x < highX, y >= lowY, y < highY else {
                                row[i] = 0  // the default pixel value
                                continue
                            }
                            let sx = rowsShareX ? supports[i] : Support(x, count: width)
                            let sy: Support
                            if rowSharesY, let cached = ySupport {
                                sy = cached
                            } else {
                                sy = Support(y, count: height)
                                ySupport = sy
                            }
                            row[i] = Self.cast(Self.evaluate(c.p, width: width, sx, sy), bounds)
                        }
                    }
                }
            }
        }
        return out
    }

    /// `EvaluateAtContinuousIndexInternal`: the 16 terms, x fastest, each `w * c` with `w = 1.0; w *= wx;
    /// w *= wy` (that is `wx * wy`: the multiplication by 1.0 is exact), added one by one to `0.0`.
    @inline(__always)
    static func evaluate(_ c: UnsafeMutablePointer<Double>, width: Int, _ sx: Support, _ sy: Support) -> Double {
        let (x0, x1, x2, x3) = sx.index
        let (a0, a1, a2, a3) = sx.weight
        var interpolated = 0.0
        @inline(__always) func line(_ y: Int, _ wy: Double) {
            let row = c + y * width
            interpolated += (a0 * wy) * row[x0]
            interpolated += (a1 * wy) * row[x1]
            interpolated += (a2 * wy) * row[x2]
            interpolated += (a3 * wy) * row[x3]
        }
        line(sy.index.0, sy.weight.0)
        line(sy.index.1, sy.weight.1)
        line(sy.index.2, sy.weight.2)
        line(sy.index.3, sy.weight.3)
        return interpolated
    }

    /// `CastComponentWithBoundsChecking` into the pixel type.
    @inline(__always)
    static func cast(_ v: Double, _ bounds: DICOMPixelType.CastBounds) -> Double {
        switch bounds {
        case .none:
            return v
        case let .float32(lowest, highest):
            return v <= lowest ? lowest : v >= highest ? highest : Double(Float(v))
        case let .integer(lowest, highest):
            return v <= lowest ? lowest : v >= highest ? highest : v.rounded(.towardZero)
        }
    }
}

extension DICOMPixelType {
    /// How ITK's resampler brings a double into this type (`CastComponentWithBoundsChecking`).
    enum CastBounds {
        /// `double`: no cast.
        case none
        /// `float`: clamped to ±FLT_MAX, then rounded to float.
        case float32(Double, Double)
        /// An integer type: clamped to its range, then truncated.
        case integer(Double, Double)
    }

    var castBounds: CastBounds {
        switch self {
        case .float64: return .none
        case .float32: return .float32(-Double(Float.greatestFiniteMagnitude), Double(Float.greatestFiniteMagnitude))
        default:
            let r = integerRange!  // every case but the two float types has one
            return .integer(r.lowerBound, r.upperBound)
        }
    }
}
