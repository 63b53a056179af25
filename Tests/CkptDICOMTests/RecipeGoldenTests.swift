import CkptCore
import CkptImage
import CkptTestSupport
import Foundation
import XCTest

@testable import CkptDICOM

/// The card recipe against SimpleITK 2.5.7's own outputs (golden/gen/dicom_recipe.py): every committed input
/// (the image exactly as SimpleITK read it) at every recorded size and side, compared pixel for pixel.
final class RecipeGoldenTests: XCTestCase {
    /// Every committed input at every recorded (size, side): same output size, same 8-bit pixels as SimpleITK's
    /// PNG and hash. The count of differing pixels is in the failure message.
    func testEveryCommittedCaseIsBitExact() throws {
        var checked = 0
        for c in try RecipeGolden.cases() {
            guard let input = c.input else { continue }
            let image = try RecipeGolden.loadInput(input, pixelType: c.pixelType)
            XCTAssertEqual(image.width, c.width, c.name)
            XCTAssertEqual(image.height, c.height, c.name)
            for o in c.outputs {
                let label = "\(c.name) \(o.size)-\(o.side.rawValue)"
                let out = try CardRecipe(size: o.size, side: o.side).prepare(image, source: label)
                XCTAssertEqual(out.width, o.width, label)
                XCTAssertEqual(out.height, o.height, label)
                XCTAssertEqual(sha256Hex(out.pixels), o.sha256, label)
                if let png = o.png {
                    let expected = try RecipeGolden.pngPixels(png)
                    XCTAssertEqual(expected.width, o.width, label)
                    let differing = zip(out.pixels, expected.pixels).filter { $0 != $1 }.count
                    XCTAssertEqual(differing, 0, "\(label): \(differing) of \(expected.pixels.count) pixels differ")
                }
                checked += 1
            }
        }
        XCTAssertGreaterThanOrEqual(checked, 20)
    }

    /// The resample stage alone (before the rescale) equals SimpleITK's resampled image (after its cast to the
    /// pixel type and the clamp), and the rescale's min/max are SimpleITK's: a failure says which stage broke.
    func testIntermediatesMatchSimpleITK() throws {
        var checked = 0
        for c in try RecipeGolden.cases() {
            guard let input = c.input else { continue }
            let image = try RecipeGolden.loadInput(input, pixelType: c.pixelType)
            for o in c.outputs {
                guard let file = o.intermediates else { continue }
                let label = "\(c.name) \(o.size)-\(o.side.rawValue)"
                let recipe = CardRecipe(size: o.size, side: o.side)
                let coefficients = BSplineDecomposition.coefficients(image.values, width: image.width, height: image.height)
                var resampled = BSplineResampler(
                    image: image, factor: recipe.factor(width: image.width, height: image.height),
                    outputWidth: o.width, outputHeight: o.height
                ).resample(coefficients)
                IntensityRescale.clamp(&resampled, to: IntensityRescale.minimumMaximum(image.values))
                let st = try SafetensorsFile(path: RecipeGolden.directory + "/" + file)
                let expected = try RecipeGolden.values(st, tensor: "resampled")
                let differing = zip(resampled, expected).filter { $0 != $1 }.count
                XCTAssertEqual(differing, 0, "\(label): \(differing) resampled values differ")
                XCTAssertEqual(Double(resampled.map { Float($0) }.min()!), o.rescaleMinimum, label)
                XCTAssertEqual(Double(resampled.map { Float($0) }.max()!), o.rescaleMaximum, label)
                checked += 1
            }
        }
        XCTAssertGreaterThanOrEqual(checked, 10)
    }
}
