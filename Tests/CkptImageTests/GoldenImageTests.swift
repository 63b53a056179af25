import CkptImage
import CkptCore
import Foundation
import XCTest

/// Bit-for-bit comparisons with PIL and transformers through the golden data.
final class GoldenImageTests: XCTestCase {
    func testDecodedImagesMatchPIL() throws {
        let golden = try GoldenImages.load()
        let images = golden.entries("images")
        XCTAssertFalse(images.isEmpty, "images.json lists no images")
        for entry in images {
            let file = entry["file"] as! String
            let image = try ImageDecoder.decode(contentsOf: golden.path(file))
            let size = (entry["size"] as! [NSNumber]).map(\.intValue)
            XCTAssertEqual([image.width, image.height], size, "\(file): size")
            XCTAssertEqual(image.mode.rawValue, entry["pil_mode"] as? String, "\(file): PIL mode")
            let (tensors, _) = try GoldenTensor.read(golden.path(entry["decoded"] as! String))
            let rgb = image.convertedToRGB().pixels
            if let diff = firstDifference(rgb, tensors["rgb"]!.uint8) { XCTFail("\(file): convert('RGB'): \(diff)") }
            guard let native = tensors["native"] else { continue }
            switch image.mode {
            case .gray16:
                let expected = native.dtype == "U16" ? native.uint16 : native.int32.map { UInt16(truncatingIfNeeded: $0) }
                if let diff = firstDifference(image.gray16Values!, expected) { XCTFail("\(file): I;16 samples: \(diff)") }
            case .bilevel:
                // numpy gives mode "1" as booleans.
                let ours = image.nativeSamples!.map { $0 != 0 }, theirs = native.uint8.map { $0 != 0 }
                if let diff = firstDifference(ours, theirs) { XCTFail("\(file): mode 1 samples: \(diff)") }
            default:
                if let diff = firstDifference(image.nativeSamples!, native.uint8) { XCTFail("\(file): \(image.mode.rawValue) samples: \(diff)") }
            }
        }
    }

    func testResizeMatchesPIL() throws {
        let golden = try GoldenImages.load()
        let resizes = golden.entries("resize")
        XCTAssertFalse(resizes.isEmpty, "images.json lists no resize cases")
        var cache: [String: RGBImage] = [:]
        for entry in resizes {
            let file = entry["image"] as! String
            let filter = ResampleFilter(rawValue: (entry["filter"] as! NSNumber).intValue)!
            let size = (entry["size"] as! [NSNumber]).map(\.intValue)
            let source = try cache[file] ?? ImageDecoder.decode(contentsOf: golden.path(file)).convertedToRGB()
            cache[file] = source
            let resized = PillowResampler.resize(source, width: size[0], height: size[1], filter: filter)
            let expected = try GoldenTensor.read(golden.path(entry["file"] as! String)).tensors["rgb"]!.uint8
            if let diff = firstDifference(resized.pixels, expected) {
                XCTFail("\(file) \(filter) -> \(size[0])x\(size[1]): \(diff)")
            }
        }
    }

    /// Pillow's pass order: every `resize_grid` record (sources Pillow made from camera.png, targets that shrink or
    /// grow each axis, both filters) must give the SHA-256 Pillow's result has. The source is checked first, so
    /// a mismatch there is not blamed on the grid.
    func testResizeGridMatchesPILPassOrder() throws {
        let golden = try GoldenImages.load()
        let records = golden.entries("resize_grid")
        XCTAssertGreaterThanOrEqual(records.count, 60, "images.json lists too few resize_grid cases")
        var sources: [[Int]: RGBImage] = [:]
        let camera = try ImageDecoder.decode(contentsOf: golden.path("inputs/camera.png")).convertedToRGB()
        for entry in records {
            let source = entry["source"] as! [String: Any]
            let sourceSize = (source["size"] as! [NSNumber]).map(\.intValue)
            let image: RGBImage
            if let cached = sources[sourceSize] {
                image = cached
            } else {
                let filter = ResampleFilter(rawValue: (source["filter"] as! NSNumber).intValue)!
                image = PillowResampler.resize(camera, width: sourceSize[0], height: sourceSize[1], filter: filter)
                XCTAssertEqual(try Hashing.sha256(bytes: image.pixels), source["sha256"] as? String,
                               "camera.png -> \(sourceSize) (the grid's source)")
                sources[sourceSize] = image
            }
            let filter = ResampleFilter(rawValue: (entry["filter"] as! NSNumber).intValue)!
            let size = (entry["size"] as! [NSNumber]).map(\.intValue)
            let resized = PillowResampler.resize(image, width: size[0], height: size[1], filter: filter)
            XCTAssertEqual(try Hashing.sha256(bytes: resized.pixels), entry["sha256"] as? String,
                           "\(sourceSize[0])x\(sourceSize[1]) -> \(size[0])x\(size[1]) \(filter) "
                           + "(Pillow's first pass: \(entry["first_pass"] as? String ?? "?"))")
        }
    }

    func testPixelValuesMatchTransformersPil() throws { try checkPixelValues(backend: .pil) }

    func testPixelValuesMatchTransformersTorchvision() throws { try checkPixelValues(backend: .torchvision) }

    /// Every golden case of `backend`: the F32 bit patterns of `pixel_values`, or a refusal where transformers
    /// raised. A NotImplementedError (torchvision's box/hamming) must be refused naming `resample`.
    func checkPixelValues(backend: ImageBackend) throws {
        let golden = try GoldenImages.load()
        let cases = golden.entries("cases").filter { ($0["backend"] as? String ?? "pil") == backend.rawValue }
        XCTAssertFalse(cases.isEmpty, "images.json lists no \(backend) cases")
        var compared = 0, refused = 0
        for entry in cases {
            let name = "\(backend)/\(entry["name"] as! String)"
            let configData = try JSONSerialization.data(withJSONObject: entry["config"]!)
            let config = try PreprocessorConfig.parse(configData, path: "\(name)/config")
            let image = golden.path(entry["image"] as! String)
            guard let pixelsFile = entry["pixels"] as? String else {
                // transformers raised (e.g. a 3-element mean on a 1-channel image); ckpt must refuse too.
                let raised = entry["error"] as? String ?? ""
                XCTAssertThrowsError(
                    try ImageProcessor(config: config, backend: backend).process(contentsOf: image),
                    "\(name): transformers refused: \(raised)"
                ) { error in
                    if raised.hasPrefix("NotImplementedError") {
                        XCTAssertTrue("\(error)".contains("resample"), "\(name): resample not named in: \(error)")
                    }
                }
                refused += 1
                continue
            }
            let expected = try GoldenTensor.read(golden.path(pixelsFile)).tensors["pixel_values"]!
            let pixels = try ImageProcessor(config: config, backend: backend).process(contentsOf: image)
            XCTAssertEqual([1, pixels.channels, pixels.height, pixels.width], expected.shape, "\(name): shape")
            let ours = pixels.values.map(\.bitPattern)
            let theirs = expected.dtype == "F32" ? expected.float32Bits : expected.uint8.map { Float($0).bitPattern }
            if let diff = firstDifference(ours, theirs) { XCTFail("\(name): pixel_values bits: \(diff)") }
            compared += 1
        }
        XCTAssertEqual(compared + refused, cases.count, "\(backend): every case checked")
    }

    func testRefusedConfigsNameTheKey() throws {
        let golden = try GoldenImages.load()
        let refused = golden.entries("refused_configs")
        XCTAssertFalse(refused.isEmpty, "images.json lists no refused configs")
        for entry in refused {
            let key = entry["key"] as! String
            let data = try JSONSerialization.data(withJSONObject: entry["config"]!)
            XCTAssertThrowsError(try PreprocessorConfig.parse(data, path: "cfg.json"), key) { error in
                guard case ImageProblem.config = error else { return XCTFail("\(key): \(error)") }
                XCTAssertTrue("\(error)".contains(key), "\(key) not named in: \(error)")
            }
        }
    }
}
