import XCTest

@testable import CkptImage

/// The C passes (`ckpt_resample_horizontal`/`vertical`, both compiled copies) against the scalar loops of
/// Resample.c written out plainly here: the same bytes for random sizes, channel counts, filters, both
/// arithmetics and random weights, including 1-pixel images, upscaling, partial blocks of 16 rows or columns,
/// and the last rows of a buffer (an over-read there shows under AddressSanitizer, scripts/sanitize.sh).
final class ResamplePassTests: XCTestCase {
    typealias Plane = PillowResampler.Plane
    typealias Coefficients = PillowResampler.Coefficients

    static func clip8(_ sum: Int32, _ precision: Int32) -> UInt8 {
        let v = sum >> precision
        return v < 0 ? 0 : v > 255 ? 255 : UInt8(v)
    }

    /// ImagingResampleHorizontal_8bpc, one sum per output pixel and channel.
    static func referenceHorizontal(_ image: Plane, rows: Range<Int>, _ k: Coefficients) -> [UInt8] {
        let outWidth = k.bounds.count / 2
        let channels = image.channels
        let half: Int32 = 1 << (k.precision - 1)
        var out: [UInt8] = []
        for y in rows {
            for xx in 0..<outWidth {
                let xmin = Int(k.bounds[2 * xx])
                let count = Int(k.bounds[2 * xx + 1])
                for c in 0..<channels {
                    var sum = half
                    for x in 0..<count {
                        sum &+=
                            Int32(image.pixels[(y * image.width + xmin + x) * channels + c])
                            &* k.weights[xx * k.ksize + x]
                    }
                    out.append(clip8(sum, k.precision))
                }
            }
        }
        return out
    }

    /// ImagingResampleVertical_8bpc.
    static func referenceVertical(_ image: Plane, _ k: Coefficients) -> [UInt8] {
        let rowLength = image.width * image.channels
        let half: Int32 = 1 << (k.precision - 1)
        var out: [UInt8] = []
        for yy in 0..<k.bounds.count / 2 {
            let ymin = Int(k.bounds[2 * yy])
            let count = Int(k.bounds[2 * yy + 1])
            for i in 0..<rowLength {
                var sum = half
                for y in 0..<count {
                    sum &+= Int32(image.pixels[(ymin + y) * rowLength + i]) &* k.weights[yy * k.ksize + y]
                }
                out.append(clip8(sum, k.precision))
            }
        }
        return out
    }

    static func randomPlane(width: Int, height: Int, channels: Int, using rng: inout SplitMix64) -> Plane {
        // Half the images are black and white only, which drives the negative lobes into both clamps.
        let binary = Bool.random(using: &rng)
        let pixels = (0..<width * height * channels).map { _ in
            binary ? (Bool.random(using: &rng) ? 255 : 0) : UInt8.random(in: 0...255, using: &rng)
        }
        return Plane(pixels: pixels, width: width, height: height, channels: channels)
    }

    static func randomCoefficients(inSize: Int, outSize: Int, using rng: inout SplitMix64) -> (Coefficients, String) {
        let filter = [ResampleFilter.bilinear, .bicubic, .lanczos, .box, .hamming].randomElement(using: &rng)!
        let arithmetic: ResampleArithmetic = Bool.random(using: &rng) ? .pillow : .torch
        // A quarter of the cases read a box inside the image (the `box` of Image.resize), as resizeCore allows.
        var in0: Float = 0
        var in1 = Float(inSize)
        if inSize > 2 && Int.random(in: 0..<4, using: &rng) == 0 {
            in0 = Float.random(in: 0..<Float(inSize) / 2, using: &rng)
            in1 = Float.random(in: (in0 + 1)...Float(inSize), using: &rng)
        }
        var k = Coefficients(
            inSize: inSize, in0: in0, in1: in1, outSize: outSize, filter: filter, arithmetic: arithmetic)
        var name = "\(filter) \(arithmetic) box \(in0)..<\(in1)"
        // A quarter get random 22-bit weights instead: sums of either sign and far outside 0...255.
        if Int.random(in: 0..<4, using: &rng) == 0 {
            k.weights = k.weights.map { _ in Int32.random(in: -(1 << 21)..<(1 << 21), using: &rng) }
            name += " random weights"
        }
        return (k, name)
    }

    func testPassesMatchTheScalarLoops() {
        var rng = SplitMix64(seed: 0x5EED_2026)
        var compared = 0
        for trial in 0..<400 {
            let seed = rng.state
            let channels = Int.random(in: 1...4, using: &rng)
            // Mostly small (partial blocks of 16 everywhere, 1-pixel sides); some wide enough for ksize ≫ 16.
            let big = trial % 10 == 0
            let width = Int.random(in: 1...(big ? 400 : 40), using: &rng)
            let height = Int.random(in: 1...(big ? 120 : 40), using: &rng)
            let image = Self.randomPlane(width: width, height: height, channels: channels, using: &rng)
            let toWidth = Int.random(in: 1...(width * 2 + 2), using: &rng)
            let toHeight = Int.random(in: 1...(height * 2 + 2), using: &rng)

            let (horizontal, hName) = Self.randomCoefficients(inSize: width, outSize: toWidth, using: &rng)
            // A band of rows ending at the buffer's last row half of the time, as resizeCore's first pass reads.
            let first = Int.random(in: 0..<height, using: &rng)
            let last = Bool.random(using: &rng) ? height : Int.random(in: (first + 1)...height, using: &rng)
            let expectedH = Self.referenceHorizontal(image, rows: first..<last, horizontal)
            for kernel in [PillowResampler.Kernel.best, .portable] {
                let got = PillowResampler.horizontalPass(
                    image, rows: first..<last, coefficients: horizontal, kernel: kernel)
                XCTAssertEqual(
                    got.pixels, expectedH,
                    "horizontal \(kernel) seed \(seed): \(width)x\(height)x\(channels) rows \(first)..<\(last) → \(toWidth), \(hName)"
                )
                compared += 1
            }

            let (vertical, vName) = Self.randomCoefficients(inSize: height, outSize: toHeight, using: &rng)
            let expectedV = Self.referenceVertical(image, vertical)
            for kernel in [PillowResampler.Kernel.best, .portable] {
                let got = PillowResampler.verticalPass(
                    image, outHeight: toHeight, coefficients: vertical, kernel: kernel)
                XCTAssertEqual(
                    got.pixels, expectedV,
                    "vertical \(kernel) seed \(seed): \(width)x\(height)x\(channels) → \(toHeight) rows, \(vName)")
                compared += 1
            }
        }
        XCTAssertEqual(compared, 1600)
    }

    /// Large enough that `forEachRow` splits the rows between two workers (work > 2,000,000): each worker's
    /// first row and buffer offsets are right.
    func testTwoWorkerSplitMatchesTheScalarLoops() {
        var rng = SplitMix64(seed: 0xB16_5EED)
        for channels in [1, 3] {
            let image = Self.randomPlane(width: 1001, height: 600, channels: channels, using: &rng)
            let horizontal = Coefficients(
                inSize: 1001, in0: 0, in1: 1001, outSize: 211, filter: .bicubic, arithmetic: .pillow)
            XCTAssertGreaterThan(598 * 211 * horizontal.ksize * channels, 2_000_000)
            XCTAssertEqual(
                PillowResampler.horizontalPass(image, rows: 1..<599, coefficients: horizontal).pixels,
                Self.referenceHorizontal(image, rows: 1..<599, horizontal), "horizontal, \(channels) channels")
            let vertical = Coefficients(
                inSize: 600, in0: 0, in1: 600, outSize: 71, filter: .lanczos, arithmetic: .torch)
            XCTAssertGreaterThan(71 * 1001 * channels * vertical.ksize, 2_000_000)
            XCTAssertEqual(
                PillowResampler.verticalPass(image, outHeight: 71, coefficients: vertical).pixels,
                Self.referenceVertical(image, vertical), "vertical, \(channels) channels")
        }
    }
}

/// PNGInflatePathTests' generator as a RandomNumberGenerator: a failing case is replayed from its printed `state`.
extension SplitMix64: RandomNumberGenerator {}
