import XCTest
@testable import CkptDICOM

final class DICOMImageTests: XCTestCase {
    func testIntegerRangesAreTheTypesOwn() {
        XCTAssertEqual(DICOMPixelType.uint16.integerRange, 0...65_535)
        XCTAssertEqual(DICOMPixelType.int16.integerRange, -32_768...32_767)
        XCTAssertNil(DICOMPixelType.float64.integerRange)
    }
}
