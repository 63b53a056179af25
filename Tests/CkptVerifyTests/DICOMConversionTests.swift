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
}
