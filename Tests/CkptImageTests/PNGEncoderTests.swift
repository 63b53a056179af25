import CkptImage
import XCTest

/// The 8-bit grayscale PNG encoder round-trips through the decoder (libpng both ways) and PIL's "L" mode.
final class PNGEncoderTests: XCTestCase {
    func testGray8RoundTripsExactly() throws {
        for (w, h) in [(1, 1), (7, 3), (518, 550)] {
            let pixels = (0..<(w * h)).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 7) }
            for level in [0, 6, 9] {
                let png = try PNGEncoder.gray8(width: w, height: h, pixels: pixels, path: "t.png", compressionLevel: level)
                XCTAssertEqual(Array(png.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
                let decoded = try png.withUnsafeBytes { try ImageDecoder.decode(bytes: $0, path: "t.png") }
                XCTAssertEqual(decoded.mode, .gray, "\(w)x\(h)")
                XCTAssertEqual(decoded.width, w)
                XCTAssertEqual(decoded.height, h)
                XCTAssertEqual(decoded.nativeSamples, pixels, "\(w)x\(h) level \(level)")
            }
        }
    }

    func testAnEmptyImageIsRefusedNamingTheFile() {
        XCTAssertThrowsError(try PNGEncoder.gray8(width: 0, height: 5, pixels: [], path: "out.png")) { error in
            XCTAssertTrue("\(error)".hasPrefix("out.png: "), "\(error)")
        }
    }
}
