import CkptCore
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

/// The fast passes (rows in lockstep, columns as vectors) against `filterLine`, the one-line-at-a-time
/// transcription of ITK's `DataToCoefficients1D`: the same bits for every length around the horizon.
final class RecipeDecompositionTests: XCTestCase {
    func testLockstepPassesEqualTheLineByLineTranscription() {
        var rng = SystemRandomNumberGenerator()
        for n in [2, 3, 4, 17, 18, 19, 64, 101] {
            for k in [1, 3, 8] {
                let data = (0..<(n * k)).map { _ in Double(Int.random(in: -4000...60000, using: &rng)) }
                var reference = data
                reference.withUnsafeMutableBufferPointer { b in
                    for r in 0..<k { BSplineDecomposition.filterLine(b.baseAddress! + r * n, count: n) }
                }
                var rows = data
                rows.withUnsafeMutableBufferPointer { BSplineDecomposition.filterRows($0.baseAddress!, width: n, count: k, scaled: false) }
                XCTAssertEqual(rows, reference, "rows: length \(n), \(k) in lockstep")
                // The same data read as k columns of n rows (transposed).
                var columns = [Double](repeating: 0, count: n * k)
                for r in 0..<k { for i in 0..<n { columns[i * k + r] = data[r * n + i] } }
                columns.withUnsafeMutableBufferPointer {
                    BSplineDecomposition.filterColumns($0.baseAddress!, width: k, height: n, columns: 0..<k)
                }
                var back = [Double](repeating: 0, count: n * k)
                for r in 0..<k { for i in 0..<n { back[r * n + i] = columns[i * k + r] } }
                XCTAssertEqual(back, reference, "columns: length \(n), \(k) columns")
            }
        }
    }
}
