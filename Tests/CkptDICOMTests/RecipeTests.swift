import CkptFormat
import XCTest

@testable import CkptDICOM

/// The recipe's sizing rules and refusals (its pixels are checked against SimpleITK in RecipeGoldenTests).
final class RecipeTests: XCTestCase {
    func testOutputSizeRoundsHalfToEvenLikePython() {
        // f = 2/4 = 0.5 → 5 / 0.5 = 10; f = 4/3: 2 / (4/3) = 1.5 → 2 (even), 6 / (4/3) = 4.5 → 4 (even).
        XCTAssertTrue(CardRecipe(size: 4, side: .shorter).outputSize(width: 5, height: 2) == (10, 4))
        XCTAssertTrue(CardRecipe(size: 3, side: .longer).outputSize(width: 2, height: 4) == (2, 3))
        XCTAssertTrue(CardRecipe(size: 3, side: .longer).outputSize(width: 6, height: 4) == (3, 2))
        let rg1 = CardRecipe.radDINO.outputSize(width: 1841, height: 1955)
        XCTAssertTrue(rg1 == (518, 550), "\(rg1)")
    }

    func testASideOfZeroPixelsIsRefusedNamingTheFile() {
        let image = DICOMImage(width: 1037, height: 1, pixelType: .uint8, values: [Double](repeating: 1, count: 1037))
        XCTAssertThrowsError(try CardRecipe(size: 518, side: .longer).prepare(image, source: "thin.dcm")) { error in
            guard case let CkptError.unsupportedInput(path, reason) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(path, "thin.dcm")
            XCTAssertTrue(reason.contains("0 pixels"), reason)
        }
    }

    /// The causal initialisation's horizon from ITK's tolerance 1e-10: lines longer than 18 samples sum only
    /// 18 terms (the exact mirror sum differs by ~1e-6 on a ramp).
    func testCausalHorizonIsITKs() {
        XCTAssertEqual(BSplineDecomposition.horizon, 18)
    }
}
