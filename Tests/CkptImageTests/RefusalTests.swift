import CkptImage
import Foundation
import XCTest

/// Bad files and configs are refused with the file named and the right case; nothing prints on its own.
final class RefusalTests: XCTestCase {
    /// A valid 3×2 RGB PNG (8-bit, one IDAT) written here so the corruptions below start from a known file.
    /// `declared` overrides the IHDR size (the data stays 3×2); `corruptSample` changes a sample after the
    /// zlib checksum was computed (the chunk CRC is still right).
    static func smallPNG(declared: (UInt32, UInt32)? = nil, corruptSample: Bool = false) -> [UInt8] {
        let (width, height): (UInt32, UInt32) = (3, 2)
        // Rows of filter byte 0 + RGB samples, in one stored deflate block.
        var raw: [UInt8] = []
        for y in 0..<Int(height) {
            raw.append(0)
            for i in 0..<(Int(width) * 3) { raw.append(UInt8((i * 40 + y * 7) & 0xFF)) }
        }
        var zlib = HandMadePNG.storedZlib(raw)
        if corruptSample { zlib[7 + 2] ^= 0x01 }  // after the 2-byte zlib and 5-byte block headers
        return HandMadePNG.file(width: declared?.0 ?? width, height: declared?.1 ?? height, depth: 8, colorType: 2,
                                stream: zlib)
    }

    func decode(_ bytes: [UInt8], maxPixels: Int = ImageDecoder.defaultMaxPixels) throws -> DecodedImage {
        try bytes.withUnsafeBytes { try ImageDecoder.decode(bytes: $0, path: "bad.img", maxPixels: maxPixels) }
    }

    func assertRefused(_ bytes: [UInt8], maxPixels: Int = ImageDecoder.defaultMaxPixels, _ label: String,
                       file: StaticString = #filePath, line: UInt = #line, _ check: (ImageProblem) -> Bool) {
        do {
            _ = try decode(bytes, maxPixels: maxPixels)
            XCTFail("\(label): accepted", file: file, line: line)
        } catch let problem as ImageProblem {
            XCTAssertTrue(check(problem), "\(label): wrong problem \(problem)", file: file, line: line)
            XCTAssertTrue(problem.description.hasPrefix("bad.img: "), "\(label): path missing in \(problem)", file: file, line: line)
        } catch {
            XCTFail("\(label): untyped error \(error)", file: file, line: line)
        }
    }

    func testTheHandMadePNGDecodes() throws {
        let image = try decode(Self.smallPNG())
        XCTAssertEqual([image.width, image.height], [3, 2])
        XCTAssertEqual(image.mode, .rgb)
        XCTAssertEqual(Array(image.convertedToRGB().pixels.prefix(6)), [0, 40, 80, 120, 160, 200])
    }

    func testBadFilesAreRefusedByKind() {
        let png = Self.smallPNG()
        assertRefused([], "empty") { if case .emptyFile = $0 { return true }; return false }
        assertRefused(Array("hello, world".utf8), "text") { if case .notAnImage = $0 { return true }; return false }
        let cases: [(String, [UInt8], String)] = [
            ("TIFF", Array("II*\0".utf8) + [8, 0, 0, 0], "TIFF"),
            ("GIF", Array("GIF89a".utf8) + [1, 0, 1, 0], "GIF"),
            ("BMP", Array("BM".utf8) + [0, 0, 0, 0], "BMP"),
            ("WebP", Array("RIFF".utf8) + [0, 0, 0, 0] + Array("WEBPVP8 ".utf8), "WebP"),
            ("DICOM", [UInt8](repeating: 0, count: 128) + Array("DICM".utf8), "DICOM"),
        ]
        for (label, bytes, format) in cases {
            assertRefused(bytes, label) { if case .unsupportedFormat(_, let f) = $0 { return f == format }; return false }
        }
        for cut in [png.count - 20, 40, 20, 9] {
            assertRefused(Array(png.prefix(cut)), "PNG cut at \(cut)") {
                if case .truncated = $0 { return true }; return false
            }
        }
        var badCRC = png
        badCRC[29] ^= 0xFF  // last CRC byte of IHDR (8 signature + 8 header + 13 data)
        assertRefused(badCRC, "IHDR CRC") { if case .crcMismatch = $0 { return true }; return false }
        var badIDATCRC = png
        badIDATCRC[png.count - 13] ^= 0xFF  // last CRC byte of IDAT, just before the 12-byte IEND chunk
        assertRefused(badIDATCRC, "IDAT CRC") { if case .crcMismatch = $0 { return true }; return false }
        assertRefused(Self.smallPNG(corruptSample: true), "zlib checksum") {
            if case .corrupt(_, "PNG", let detail) = $0 { return detail.contains("IDAT") }; return false
        }
        assertRefused(Self.smallPNG(declared: (100_000, 100_000)), "bomb") {
            if case .tooManyPixels(_, 100_000, 100_000, ImageDecoder.defaultMaxPixels) = $0 { return true }; return false
        }
        assertRefused(png, maxPixels: 5, "limit 5 on a 6-pixel image") {
            if case .tooManyPixels(_, 3, 2, 5) = $0 { return $0.description.contains("limit of 5 pixels") }; return false
        }
        assertRefused([0xFF, 0xD8, 0xFF, 0xE0, 0, 16] + Array("JFIF".utf8), "JPEG header only") {
            switch $0 { case .truncated, .corrupt: return true; default: return false }
        }
    }

    func testConfigRefusals() {
        func refused(_ json: String, _ label: String, _ check: (ConfigProblem) -> Bool) {
            do {
                _ = try PreprocessorConfig.parse(Data(json.utf8), path: "cfg.json")
                XCTFail("\(label): accepted")
            } catch ImageProblem.config(let path, let problem) {
                XCTAssertEqual(path, "cfg.json", label)
                XCTAssertTrue(check(problem), "\(label): wrong problem \(problem)")
            } catch {
                XCTFail("\(label): \(error)")
            }
        }
        refused(#"{"do_pad": true}"#, "do_pad") { $0 == .unsupportedKey(key: "do_pad", reason: "padding a batch to one size is not implemented") }
        refused(#"{"crop_pct": 0.9}"#, "unknown key") { if case .unsupportedKey("crop_pct", _) = $0 { return true }; return false }
        refused(#"{"image_processor_type": "CLIPImageProcessor"}"#, "processor") { $0 == .unsupportedProcessor(name: "CLIPImageProcessor") }
        refused(#"{"size": {"shortest_edge": 10, "longest_edge": 20}}"#, "longest_edge") {
            if case .unsupportedKey("size.longest_edge+shortest_edge", _) = $0 { return true }; return false
        }
        refused(#"{"resample": 7}"#, "resample 7") { if case .badValue("resample", _) = $0 { return true }; return false }
        refused(#"{"do_resize": 1}"#, "int as bool") { if case .badValue("do_resize", _) = $0 { return true }; return false }
        refused(#"{"image_mean": [0.5, 0.5]}"#, "two means") { if case .badValue("image_mean", _) = $0 { return true }; return false }
        refused(#"{"data_format": "channels_last"}"#, "data_format") { if case .unsupportedKey("data_format", _) = $0 { return true }; return false }
        refused("[1]", "array") { if case .notJSONObject = $0 { return true }; return false }
        // Python's json keeps the last of two equal keys, Foundation's decoder the first: refused, key named.
        refused(#"{"do_normalize": true, "size": 20, "do_normalize": false}"#, "duplicate key") {
            $0 == .duplicateKey(key: "do_normalize", offset: 35)
        }
        refused(#"{"size": {"height": 2, "width": 3, "height": 4}}"#, "nested duplicate") {
            if case .duplicateKey("height", _) = $0 { return true }; return false
        }
    }

    func testConfigDefaultsAndForms() throws {
        let empty = try PreprocessorConfig.parse(Data("{}".utf8), path: "c")
        XCTAssertEqual(empty, PreprocessorConfig(), "absent keys take BitImageProcessor's defaults")
        let nulls = try PreprocessorConfig.parse(Data(#"{"do_resize": null, "size": null, "processor_class": "X"}"#.utf8), path: "c")
        XCTAssertEqual(nulls, PreprocessorConfig(), "null keys take the defaults too")
        let ints = try PreprocessorConfig.parse(Data(#"{"size": 100, "crop_size": 90, "image_mean": 0.5}"#.utf8), path: "c")
        XCTAssertEqual(ints.size, .shortestEdge(100))
        XCTAssertEqual([ints.cropHeight, ints.cropWidth], [90, 90])
        XCTAssertEqual(ints.imageMean, [0.5, 0.5, 0.5])
        let square = try PreprocessorConfig.parse(Data(#"{"size": 100, "default_to_square": true}"#.utf8), path: "c")
        XCTAssertEqual(square.size, .exact(height: 100, width: 100))
    }

    func testTorchvisionRefusesWhatTransformersRaisesOn() throws {
        for filter in ResampleFilter.allCases {
            var config = PreprocessorConfig()
            config.resample = filter
            let raises = filter == .box || filter == .hamming
            XCTAssertNoThrow(try ImageProcessor(config: config, backend: .pil), "pil \(filter)")
            if raises {
                XCTAssertThrowsError(try ImageProcessor(config: config, backend: .torchvision), "\(filter)") { error in
                    XCTAssertTrue("\(error)".contains("resample"), "\(filter): resample not named in: \(error)")
                }
                config.doResize = false  // no resize, nothing raises
            }
            XCTAssertNoThrow(try ImageProcessor(config: config, backend: .torchvision), "torchvision \(filter)")
        }
        var zeroStd = PreprocessorConfig()
        zeroStd.imageStd = [0.2, 0, 0.2]
        XCTAssertNoThrow(try ImageProcessor(config: zeroStd, backend: .torchvision), "fused: std is a tensor, unchecked")
        zeroStd.doRescale = false
        XCTAssertThrowsError(try ImageProcessor(config: zeroStd, backend: .torchvision)) { error in
            XCTAssertTrue("\(error)".contains("image_std"), "image_std not named in: \(error)")
        }
    }

    func testResizeTargetAndCropOrigin() {
        // transformers: int(518 * 2765 / 2505) = 571 for a landscape X-ray, shorter side first for portrait.
        XCTAssertEqual(ImageProcessor.resizeTarget(height: 2505, width: 2765, size: .shortestEdge(518)).1, 571)
        XCTAssertEqual(ImageProcessor.resizeTarget(height: 2765, width: 2505, size: .shortestEdge(518)).0, 571)
        XCTAssertEqual(ImageProcessor.centerCropOrigin(height: 20, width: 31, cropHeight: 25, cropWidth: 40).top, -3)
        XCTAssertEqual(ImageProcessor.centerCropOrigin(height: 20, width: 31, cropHeight: 25, cropWidth: 40).left, -5)
        XCTAssertEqual(ImageProcessor.centerCropOrigin(height: 571, width: 518, cropHeight: 518, cropWidth: 518).top, 26)
        // torchvision pads an odd margin's extra row/column after the image, pil before it.
        XCTAssertEqual(ImageProcessor.torchvisionCenterCropOrigin(height: 20, width: 31, cropHeight: 25, cropWidth: 40).top, -2)
        XCTAssertEqual(ImageProcessor.torchvisionCenterCropOrigin(height: 20, width: 31, cropHeight: 25, cropWidth: 40).left, -4)
        XCTAssertEqual(ImageProcessor.torchvisionCenterCropOrigin(height: 571, width: 518, cropHeight: 518, cropWidth: 518).top, 26)
    }
}
