/// The recipe's intensity steps after the resample, as SimpleITK 2.5.7 / ITK 5.4.7 compute them:
/// `sitk.Clamp(r, type, lo, hi)`, `sitk.Cast(r, sitkFloat32)`, `sitk.RescaleIntensity(r, 0, 255)`,
/// `sitk.Cast(r, sitkUInt8)`.
enum IntensityRescale {
    /// `sitk.MinimumMaximum` of the values (exact: they are samples of the image).
    static func minimumMaximum(_ values: [Double]) -> ClosedRange<Double> {
        var lo = Double.infinity, hi = -Double.infinity
        for v in values {
            if v < lo { lo = v }
            if v > hi { hi = v }
        }
        return lo...hi
    }

    /// `itk::Functor::Clamp` (itkClampImageFilter.h): `dA < lower` → lower, `dA > upper` → upper, else A.
    /// SimpleITK passes the bounds through the pixel type (ClampImageFilter.json), which holds them exactly.
    static func clamp(_ values: inout [Double], to range: ClosedRange<Double>) {
        let lo = range.lowerBound, hi = range.upperBound
        for i in values.indices {
            let v = values[i]
            values[i] = v < lo ? lo : v > hi ? hi : v
        }
    }

    /// Float32, min-max rescale to 0…255, truncation to 8 bits.
    ///
    /// `RescaleIntensityImageFilter::BeforeThreadedGenerateData` (v5.4.7 itkRescaleIntensityImageFilter.hxx):
    /// the min/max of the Float32 image; if they are not almost equal, `scale = (255.0 - 0.0) / (double(max) -
    /// double(min))`, else if max is not almost 0, `255.0 / double(max)`, else 0; `shift = 0.0 - double(min) *
    /// scale`. The functor (itkRescaleIntensityImageFilter.h, `RealType` of float is double):
    /// `float(double(x) * scale + shift)`, then clamped to [0, 255] in float. `sitk.Cast` to UInt8 is a
    /// `static_cast`: truncation.
    static func toUInt8(_ values: [Double]) -> [UInt8] {
        var minimum = Float.infinity, maximum = -Float.infinity
        for v in values {
            let f = Float(v)
            if f < minimum { minimum = f }
            if f > maximum { maximum = f }
        }
        let scale: Double
        if !almostEqual(minimum, maximum) {
            scale = (255.0 - 0.0) / (Double(maximum) - Double(minimum))
        } else if !almostEqual(maximum, 0) {
            scale = (255.0 - 0.0) / Double(maximum)
        } else {
            scale = 0
        }
        let shift = 0.0 - Double(minimum) * scale
        var out = [UInt8](repeating: 0, count: values.count)
        for i in values.indices {
            var r = Float(Double(Float(values[i])) * scale + shift)
            r = r > 255 ? 255 : r
            r = r < 0 ? 0 : r
            out[i] = UInt8(r)  // truncation toward zero, r in [0, 255]
        }
        return out
    }

    /// `itk::Math::AlmostEquals` of two floats: `FloatAlmostEqual<double>` (itkMath.h) with 4 ULPs and an
    /// absolute difference of `0.1 * DBL_EPSILON`.
    static func almostEqual(_ a: Float, _ b: Float) -> Bool {
        let x = Double(a), y = Double(b)
        if abs(x - y) <= 0.1 * Double.ulpOfOne { return true }
        if x.sign != y.sign { return false }
        let d = Int64(bitPattern: x.bitPattern) - Int64(bitPattern: y.bitPattern)
        return d.magnitude <= 4
    }
}
