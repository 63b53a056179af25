@testable import CkptImage
import Foundation
import XCTest

/// transformers 5.24's `DINOv3ViTImageProcessor` (torchvision: rescale to float32, antialiased bilinear
/// resize of the float image, normalize) against its own `pixel_values` (`golden/images/dinov3`,
/// golden/README.md section F): the F32 bit patterns of every case.
final class DINOv3ProcessorTests: XCTestCase {
    func testPixelValuesMatchTransformersBitForBit() throws {
        let golden = try GoldenImages.load()
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: golden.path("dinov3/cases.json")))) as! [String: Any]
        let cases = manifest["cases"] as! [[String: Any]]
        XCTAssertFalse(cases.isEmpty)
        for entry in cases {
            let name = entry["name"] as! String
            let configData = try JSONSerialization.data(withJSONObject: entry["config"]!)
            let config = try PreprocessorConfig.parse(configData, path: name)
            XCTAssertEqual(config.processorClass, .dinov3ViT, name)
            let processor = try ImageProcessor(config: config, backend: .torchvision)
            let pixels = try processor.process(contentsOf: golden.path(entry["image"] as! String))
            let expected = try GoldenTensor.read(golden.path(entry["pixels"] as! String)).tensors["pixel_values"]!
            XCTAssertEqual([1, pixels.channels, pixels.height, pixels.width], expected.shape, name)
            if let diff = firstDifference(pixels.values.map(\.bitPattern), expected.float32Bits) { XCTFail("\(name): \(diff)") }
        }
    }

    /// The class defaults apply when the config names the class and leaves a key out, and the
    /// processor is refused where transformers has no such path.
    func testDefaultsAndRefusals() throws {
        let config = try PreprocessorConfig.parse(Data(#"{"image_processor_type": "DINOv3ViTImageProcessorFast"}"#.utf8), path: "c")
        XCTAssertEqual(config.size, .exact(height: 224, width: 224))
        XCTAssertEqual(config.resample, .bilinear)
        XCTAssertEqual(config.imageMean, [0.485, 0.456, 0.406])
        XCTAssertFalse(config.doCenterCrop)
        XCTAssertThrowsError(try ImageProcessor(config: config, backend: .pil)) { XCTAssertTrue("\($0)".contains("--image-backend torchvision"), "\($0)") }
        var bicubic = config
        bicubic.resample = .bicubic
        XCTAssertThrowsError(try ImageProcessor(config: bicubic, backend: .torchvision)) { XCTAssertTrue("\($0)".contains("resample"), "\($0)") }
    }

    /// The float resize is not the uint8 one: resizing the uint8 image first (the DINOv2 order) is
    /// what the golden cases measure as about one gray level apart.
    func testRescaleBeforeResizeMatters() throws {
        var config = PreprocessorConfig.dinov3ViTDefaults
        config.size = .exact(height: 64, width: 96)
        let golden = try GoldenImages.load()
        let image = try ImageDecoder.decode(contentsOf: golden.path("inputs/rocket.jpg"))
        let ours = try ImageProcessor(config: config, backend: .torchvision).process(image, path: "rocket")
        var bit = config
        bit.processorClass = .bit
        let uint8First = try ImageProcessor(config: bit, backend: .torchvision).process(image, path: "rocket")
        let worst = zip(ours.values, uint8First.values).map { abs($0 - $1) }.max() ?? 0
        XCTAssertGreaterThan(worst, 0.005, "resizing the uint8 image first must differ")
    }
}
