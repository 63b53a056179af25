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
//  - preprocessing with either backend gives exactly 3 × 16 × 16 finite values.

/// Small enough that a lying header cannot make a fuzz run allocate much: 4 MiB of RGB.
let maxPixels = 1 << 20

func refused(_ body: () throws -> Void) -> ImageProblem? {
    do { try body() } catch let problem as ImageProblem { return problem } catch {
        fatalError("not an ImageProblem: \(error)")
    }
    return nil
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzImage(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    var decoded: DecodedImage? = nil
    if refused({ decoded = try ImageDecoder.decode(bytes: input, path: "fuzz", maxPixels: maxPixels) }) != nil { return 0 }
    guard let image = decoded else { fatalError("decode returned nothing and threw nothing") }
    let pixels = image.width * image.height
    precondition(image.width >= 1 && image.height >= 1 && pixels <= maxPixels, "accepted \(image.width)×\(image.height)")
    if let gray16 = image.gray16Values {
        precondition(gray16.count == pixels, "I;16 samples \(gray16.count) for \(pixels) pixels")
    } else if let native = image.nativeSamples {
        let perPixel = ["1": 1, "L": 1, "P": 1, "LA": 2, "RGB": 3, "RGBA": 4, "CMYK": 4][image.mode.rawValue]!
        precondition(native.count == pixels * perPixel, "\(image.mode.rawValue) samples \(native.count) for \(pixels) pixels")
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
        if let problem = refused({ out = try ImageProcessor(config: config, backend: backend).process(image, path: "fuzz") }) {
            fatalError("\(backend) refused a decoded image: \(problem)")
        }
        let values = out!.values
        precondition(out!.channels == 3 && out!.height == 16 && out!.width == 16 && values.count == 768)
        precondition(values.allSatisfy(\.isFinite), "non-finite pixel value")
    }
    return 0
}

exit(runFuzzer(fuzzImage))
