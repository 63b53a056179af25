import CkptKit
import CkptTestSupport
import XCTest

/// `DICOMConversion`: output planning (stems, refusals before anything is written) and the written PNG,
/// whose pixels must be SimpleITK's (golden/dicom/expected/recipe).
final class DICOMConversionTests: XCTestCase {
    func testStemDropsOnlyTheLastExtension() {
        XCTAssertEqual(DICOMConversion.stem(of: "/a/scan.dcm"), "scan")
        XCTAssertEqual(DICOMConversion.stem(of: "IM0001"), "IM0001")
        XCTAssertEqual(DICOMConversion.stem(of: "x/1.2.840.113619.dcm"), "1.2.840.113619")
        XCTAssertEqual(DICOMConversion.stem(of: ".hidden"), ".hidden")
    }

    func testTwoInputsWithOneStemAreRefusedBeforeAnythingIsWritten() throws {
        let dir = try TemporaryDirectory()
        XCTAssertThrowsError(try DICOMConversion.plan(
            inputs: ["a/chest.dcm", "b/chest.dcm"], output: nil, outputDirectory: dir.path, overwrite: false)
        ) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("b/chest.dcm") && text.contains("a/chest.dcm") && text.contains("chest.png"), text)
        }
        XCTAssertEqual(try dir.contents(), [])
    }

    func testAnExistingOutputNeedsOverwrite() throws {
        let dir = try TemporaryDirectory()
        _ = try dir.write("scan.png", [1, 2, 3])
        XCTAssertThrowsError(try DICOMConversion.plan(
            inputs: ["in/scan.dcm"], output: nil, outputDirectory: dir.path, overwrite: false)
        ) { error in
            XCTAssertEqual(error as? CkptError, .outputExists(path: dir.file("scan.png")))
        }
        let jobs = try DICOMConversion.plan(inputs: ["in/scan.dcm"], output: nil, outputDirectory: dir.path, overwrite: true)
        XCTAssertEqual(jobs.map(\.output), [dir.file("scan.png")])
    }

    /// The written PNG decodes to SimpleITK's pixels for a signed CT (upsampled) and a MONOCHROME1 crop.
    func testWrittenPNGHoldsSimpleITKsPixels() throws {
        let dir = try TemporaryDirectory()
        let cases = try RecipeGolden.cases()
        for (name, size) in [("ct_small", 518), ("rg1_crop", 128)] {
            let c = cases.first { $0.name == name }!
            let o = c.outputs.first { $0.size == size && $0.side == .shorter }!
            let image = try RecipeGolden.loadInput(c.input!, pixelType: c.pixelType)
            let jobs = try DICOMConversion.plan(
                inputs: [name + ".dcm"], output: dir.file(name + ".png"), outputDirectory: nil, overwrite: false)
            let done = try DICOMConversion.convert(
                jobs[0], recipe: CardRecipe(size: size), overwrite: false, protecting: []) { _ in image }
            let png = try ImageDecoder.decode(contentsOf: dir.file(name + ".png"))
            XCTAssertEqual(png.mode, .gray, name)
            XCTAssertEqual(png.width, o.width, name)
            XCTAssertEqual(png.height, o.height, name)
            XCTAssertEqual(png.nativeSamples, try RecipeGolden.pngPixels(o.png!).pixels, name)
            XCTAssertEqual(done.pngBytes, try readBytes(dir.file(name + ".png")).count)
        }
        XCTAssertEqual(try dir.contents().sorted(), ["ct_small.png", "rg1_crop.png"])
    }

    /// `preprocess`/`embed --image` on a DICOM file: the processor's pixel_values equal those of the recipe's
    /// PNG written by `convert dicom` and opened as a PNG (RAD-DINO's config), for MONOCHROME1, signed CT, an
    /// 8-bit file and one whose preamble holds a TIFF header.
    func testPixelValuesFromDICOMEqualThoseFromTheRecipesPNG() throws {
        let dir = try TemporaryDirectory()
        let config = PackagePaths.golden + "/images/configs/rad-dino.json"
        let batcher = ImageBatcher(processor: try ImageProcessor(config: PreprocessorConfig.load(contentsOf: config), backend: .pil))
        for name in ["rg1_crop.dcm", "ct_small.dcm", "mono1_8bit.dcm", "tiff_preamble.dcm"] {
            let dcm = PackagePaths.golden + "/dicom/inputs/" + name
            let png = dir.file(name + ".png")
            let job = try DICOMConversion.plan(inputs: [dcm], output: png, outputDirectory: nil, overwrite: false)[0]
            _ = try DICOMConversion.convert(job, recipe: .radDINO, overwrite: false, protecting: []) {
                try DICOMReader.read(contentsOf: $0).image
            }
            let fromDICOM = try batcher.batch([dcm]), fromPNG = try batcher.batch([png])
            XCTAssertEqual(fromDICOM.shape, [1, 3, 518, 518], name)
            XCTAssertEqual(fromDICOM.shape, fromPNG.shape, name)
            XCTAssertTrue(fromDICOM.values == fromPNG.values, "\(name): pixel_values differ")
            XCTAssertEqual(fromDICOM.sources.map(\.sha256), [try sha256Hex(file: dcm)], name)
        }
    }
}
