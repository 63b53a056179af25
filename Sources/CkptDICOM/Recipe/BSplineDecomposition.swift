import Glibc  // floor, pow, log, ceil: not Foundation, which would link ICU into the static binary

/// ITK's cubic B-spline prefilter (`itk::BSplineDecompositionImageFilter`, spline order 3, tolerance 1e-10),
/// in ITK's own arithmetic order.
///
/// Read in ITK v5.4.7 `Modules/Core/ImageFunction/include/itkBSplineDecompositionImageFilter.hxx`:
/// - `DataToCoefficientsND` copies the input into a `double` image and filters along x, then along y, each
///   line on its own (`CopyCoefficientsToScratch`, `DataToCoefficients1D`, `CopyScratchToCoefficients`);
/// - `DataToCoefficients1D`: a line of length 1 is left as it is (no gain either); otherwise the gain
///   `c0 = 1.0 * (1 - z) * (1 - 1/z)` multiplies every sample first, then the causal initialisation, the
///   causal recursion `s[n] += z * s[n-1]`, the anticausal initialisation and the anticausal recursion
///   `s[n] = z * (s[n+1] - s[n])`;
/// - `SetPoles`: one pole `z = sqrt(3) - 2`;
/// - `SetInitialCausalCoefficient`: the horizon `ceil(log(tolerance) / log(|z|))` (18 for 1e-10); a line
///   longer than the horizon sums only the first `horizon` terms (`sum = s[0]; sum += zn * s[n]; zn *= z`),
///   a shorter one takes the full mirror sum with `pow(z, N - 1)`;
/// - `SetInitialAntiCausalCoefficient`: `s[N-1] = (z / (z*z - 1)) * (z * s[N-2] + s[N-1])`.
///
/// The y pass runs the same operations on every column at once, row after row: each column still sees exactly
/// ITK's sequence of operations, so the result is the same bits, and the memory access stays sequential.
enum BSplineDecomposition {
    /// The pole of the cubic B-spline (`SetPoles`, case 3).
    static let pole: Double = 3.0.squareRoot() - 2.0
    /// `m_Tolerance{ 1e-10 }` (itkBSplineDecompositionImageFilter.h).
    static let tolerance: Double = 1e-10
    /// `(SizeValueType) std::ceil(std::log(m_Tolerance) / std::log(itk::Math::abs(z)))`.
    static let horizon: Int = Int(ceil(log(tolerance) / log(abs(pole))))
    /// `c0 = c0 * (1.0 - z) * (1.0 - 1.0 / z)` with `c0 = 1.0`, left to right.
    static let gain: Double = 1.0 * (1.0 - pole) * (1.0 - 1.0 / pole)

    /// The B-spline coefficients of a row-major `width` × `height` image (x fastest).
    ///
    /// The x pass's gain is applied while copying the input (one pass over memory fewer); a row of one
    /// sample gets no gain, as in ITK.
    static func coefficients(_ values: [Double], width: Int, height: Int) -> [Double] {
        var c = width > 1 ? values.map { $0 * gain } : values
        c.withUnsafeMutableBufferPointer { buffer in
            let base = SendablePointer(buffer.baseAddress!)
            if width > 1 {
                RowParallel.forEach(height, work: width * height) { rows in
                    var y = rows.lowerBound
                    while y < rows.upperBound {
                        let k = min(rowGroup, rows.upperBound - y)
                        filterRows(base.p + y * width, width: width, count: k, scaled: true)
                        y += k
                    }
                }
            }
            if height > 1 {
                RowParallel.forEach(width, work: width * height) { columns in
                    filterColumns(base.p, width: width, height: height, columns: columns)
                }
            }
        }
        return c
    }

    /// `DataToCoefficients1D` on one contiguous line of `count` ≥ 2 samples.
    static func filterLine(_ s: UnsafeMutablePointer<Double>, count n: Int) {
        let z = pole
        for i in 0..<n { s[i] *= gain }
        // SetInitialCausalCoefficient
        if horizon < n { causalInitTruncated(s) } else { causalInitFull(s, count: n) }
        for i in 1..<n { s[i] += z * s[i - 1] }
        // SetInitialAntiCausalCoefficient
        s[n - 1] = (z / (z * z - 1.0)) * (z * s[n - 2] + s[n - 1])
        var i = n - 2
        while i >= 0 {
            s[i] = z * (s[i + 1] - s[i])
            i -= 1
        }
    }

    /// Rows filtered together by `filterRows`: their recursions are independent chains the CPU can overlap.
    static let rowGroup = 8

    /// `DataToCoefficients1D` along x for `count` consecutive rows of `width` ≥ 2 samples, in lockstep: each
    /// row goes through exactly `filterLine`'s operations (a test checks the two agree bit for bit); only the
    /// order *between* rows changes, so the recursions' latencies overlap.
    /// `scaled`: the gain has been applied already (by `coefficients`' copy).
    static func filterRows(_ first: UnsafeMutablePointer<Double>, width n: Int, count k: Int, scaled: Bool) {
        let z = pole
        @inline(__always) func at(_ r: Int, _ i: Int) -> UnsafeMutablePointer<Double> { first + r * n + i }
        if !scaled {
            for r in 0..<k {
                let p = first + r * n
                for i in 0..<n { p[i] *= gain }
            }
        }
        for r in 0..<k {
            if horizon < n { causalInitTruncated(first + r * n) } else { causalInitFull(first + r * n, count: n) }
        }
        for i in 1..<n {
            for r in 0..<k { at(r, i).pointee += z * at(r, i - 1).pointee }
        }
        let a = z / (z * z - 1.0)
        for r in 0..<k { at(r, n - 1).pointee = a * (z * at(r, n - 2).pointee + at(r, n - 1).pointee) }
        var i = n - 2
        while i >= 0 {
            for r in 0..<k { at(r, i).pointee = z * (at(r, i + 1).pointee - at(r, i).pointee) }
            i -= 1
        }
    }

    /// `SetInitialCausalCoefficient` for a line longer than the horizon: `sum = s[0]`, then
    /// `sum += zn * s[n]; zn *= z` for n in 1..<horizon.
    static func causalInitTruncated(_ s: UnsafeMutablePointer<Double>) {
        let z = pole
        var sum = s[0]
        var zn = z
        for i in 1..<horizon {
            sum += zn * s[i]
            zn *= z
        }
        s[0] = sum
    }

    /// `SetInitialCausalCoefficient` for a line no longer than the horizon: the full mirror sum.
    static func causalInitFull(_ s: UnsafeMutablePointer<Double>, count n: Int) {
        let z = pole
        var zn = z
        let iz = 1.0 / z
        var z2n = pow(z, Double(n - 1))
        var sum = s[0] + z2n * s[n - 1]
        z2n *= z2n * iz
        if n >= 3 {
            for i in 1...(n - 2) {
                sum += (zn + z2n) * s[i]
                zn *= z
                z2n *= iz
            }
        }
        s[0] = sum / (1.0 - zn * zn)
    }

    /// `DataToCoefficients1D` along y for the columns `columns` of a row-major image with `height` ≥ 2 rows,
    /// every column through the same operations in the same order as `filterLine`. The gain is applied to
    /// the rows the causal initialisation reads first, and to each later row inside the causal recursion
    /// (`s[n] * gain + z * s[n-1]`: the two roundings ITK makes, in its order) — one pass over memory fewer.
    static func filterColumns(_ c: UnsafeMutablePointer<Double>, width: Int, height n: Int, columns: Range<Int>) {
        let z = pole
        let lo = columns.lowerBound
        let hi = columns.upperBound
        @inline(__always) func row(_ r: Int) -> UnsafeMutablePointer<Double> { c + r * width }
        let scaledRows = horizon < n ? horizon : n
        for r in 0..<scaledRows {
            let p = row(r)
            for x in lo..<hi { p[x] *= gain }
        }
        let first = row(0)
        if horizon < n {
            // sum starts at s[0] (row 0 itself) and accumulates in place: row 0 is read only through `sum`.
            var zn = z
            for r in 1..<horizon {
                let p = row(r)
                for x in lo..<hi { first[x] += zn * p[x] }
                zn *= z
            }
        } else {
            let iz = 1.0 / z
            var z2n = pow(z, Double(n - 1))
            let last = row(n - 1)
            for x in lo..<hi { first[x] = first[x] + z2n * last[x] }
            z2n *= z2n * iz
            var zn = z
            if n >= 3 {
                for r in 1...(n - 2) {
                    let p = row(r)
                    let k = zn + z2n
                    for x in lo..<hi { first[x] += k * p[x] }
                    zn *= z
                    z2n *= iz
                }
            }
            let d = 1.0 - zn * zn
            for x in lo..<hi { first[x] = first[x] / d }
        }
        for r in 1..<n {
            let p = row(r)
            let q = row(r - 1)
            if r < scaledRows {
                for x in lo..<hi { p[x] += z * q[x] }
            } else {
                for x in lo..<hi { p[x] = p[x] * gain + z * q[x] }
            }
        }
        let a = z / (z * z - 1.0)
        let last = row(n - 1)
        let beforeLast = row(n - 2)
        for x in lo..<hi { last[x] = a * (z * beforeLast[x] + last[x]) }
        var r = n - 2
        while r >= 0 {
            let p = row(r)
            let q = row(r + 1)
            for x in lo..<hi { p[x] = z * (q[x] - p[x]) }
            r -= 1
        }
    }
}
