import CkptCore
import CkptImage
import FuzzSupport

#if canImport(Glibc)
    import Glibc
#endif

// libFuzzer target over image files: the PNG/JPEG decoders (libpng and libjpeg-turbo behind the C shim)
// and the preprocessing path behind `ckpt preprocess` / `ckpt embed --image`.
// Invariants:
//  - every refusal is an ImageProblem (never a crash, a longjmp across Swift, or output on stderr);
//  - an accepted image has 1 ≤ width × height ≤ the pixel limit, and samples for every pixel of its mode;
//  - the same image with a limit one pixel below its size is refused as tooManyPixels, from the header;
//  - both RGB conversions give width × height × 3 bytes;
//  - preprocessing with either backend gives exactly 3 × 16 × 16 finite values;
//  - a PNG decodes to the same pixels, or the same error, through the one-call inflate as through libpng's
//    rows, also with every chunk CRC made right (so that mutations of the image data reach the inflate
//    and the unfiltering instead of stopping at a CRC).

/// Small enough that a lying header cannot make a fuzz run allocate much: 4 MiB of RGB.
let maxPixels = 1 << 20

func refused(_ body: () throws -> Void) -> ImageProblem? {
    do { try body() } catch let problem as ImageProblem { return problem } catch {
        fatalError("not an ImageProblem: \(error)")
    }
    return nil
}

/// What a decode gave: the image's size, mode and samples, or the error's text. Compared as arrays: the text of
/// a megapixel's samples would cost more than its decode.
struct Outcome: Equatable {
    var size: [Int] = [], mode = "", rgb: [UInt8] = [], gray16: [UInt16] = [], error = ""
}

func outcome(_ bytes: UnsafeRawBufferPointer, _ path: ImageDecoder.PNGPath) -> Outcome {
    do {
        let image = try ImageDecoder.decode(bytes: bytes, path: "fuzz", maxPixels: maxPixels, pngPath: path)
        return Outcome(size: [image.width, image.height], mode: image.mode.rawValue, rgb: image.convertedToRGB().pixels,
                       gray16: image.gray16Values ?? [])
    } catch {
        return Outcome(error: "\(error)")
    }
}

/// `bytes` with the CRC of every whole chunk after the PNG signature recomputed.
func withChunkCRCsMadeRight(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
    var out = Array(bytes)
    var at = 8
    while at + 12 <= out.count {
        let length = Int(out[at]) << 24 | Int(out[at + 1]) << 16 | Int(out[at + 2]) << 8 | Int(out[at + 3])
        guard length <= out.count - at - 12 else { break }
        let crc = CRC32.checksum(out[at + 4..<at + 8 + length])
        for i in 0..<4 { out[at + 8 + length + i] = UInt8(truncatingIfNeeded: crc >> (24 - 8 * i)) }
        at += 12 + length
    }
    return out
}

/// The one-call inflate of a PNG's image data hands whatever it cannot decode cleanly to libpng.
func checkPNGPaths(_ input: UnsafeRawBufferPointer) {
    guard input.count > 8, input[0] == 0x89, input[1] == 0x50 else { return }
    precondition(outcome(input, .wholeOrRows) == outcome(input, .rows), "the PNG paths differ")
    withChunkCRCsMadeRight(input).withUnsafeBytes { fixed in
        precondition(outcome(fixed, .wholeOrRows) == outcome(fixed, .rows), "the PNG paths differ (CRCs made right)")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzImage(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    checkPNGPaths(input)
    var decoded: DecodedImage? = nil
    if refused({ decoded = try ImageDecoder.decode(bytes: input, path: "fuzz", maxPixels: maxPixels) }) != nil {
        return 0
    }
    guard let image = decoded else { fatalError("decode returned nothing and threw nothing") }
    let pixels = image.width * image.height
    precondition(
        image.width >= 1 && image.height >= 1 && pixels <= maxPixels, "accepted \(image.width)×\(image.height)")
    if let gray16 = image.gray16Values {
        precondition(gray16.count == pixels, "I;16 samples \(gray16.count) for \(pixels) pixels")
    } else if let native = image.nativeSamples {
        let perPixel = ["1": 1, "L": 1, "P": 1, "LA": 2, "RGB": 3, "RGBA": 4, "CMYK": 4][image.mode.rawValue]!
        precondition(
            native.count == pixels * perPixel, "\(image.mode.rawValue) samples \(native.count) for \(pixels) pixels")
    }
    switch refused({ _ = try ImageDecoder.decode(bytes: input, path: "fuzz", maxPixels: pixels - 1) }) {
    case .tooManyPixels?: break
    case let other: fatalError("a limit below \(pixels) pixels gave \(String(describing: other))")
    }
    for rgb in [image.convertedToRGB(), image.transformersRGB()] {
        precondition(rgb.width == image.width && rgb.height == image.height && rgb.pixels.count == pixels * 3)
    }
    var config = PreprocessorConfig()
    config.size = .shortestEdge(16)
    config.cropHeight = 16
    config.cropWidth = 16
    // The filter follows from the image, so the input bytes stay a plain image file.
    config.resample = ResampleFilter(rawValue: pixels % 4)!
    for backend in ImageBackend.allCases {
        var out: PixelValues? = nil
        if let problem = refused({
            out = try ImageProcessor(config: config, backend: backend).process(image, path: "fuzz")
        }) {
            fatalError("\(backend) refused a decoded image: \(problem)")
        }
        let values = out!.values
        precondition(out!.channels == 3 && out!.height == 16 && out!.width == 16 && values.count == 768)
        precondition(values.allSatisfy(\.isFinite), "non-finite pixel value")
    }
    return 0
}

exit(runFuzzer(fuzzImage))
