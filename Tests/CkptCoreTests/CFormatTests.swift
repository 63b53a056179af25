import CkptCore
import Foundation
import XCTest

/// `cFormat` (the C library's `vsnprintf`) prints what Foundation's `String(format:)`, which it
/// replaced so the binary no longer links ICU, printed for every format ckpt uses.
final class CFormatTests: XCTestCase {
    func testMatchesFoundationForTheFormatsInUse() {
        let doubles: [Double] = [0, -0.0, 1, 0.5, 123.456789, 1e-9, 6.02e23, -3.25e-5, 0.999_999_999_9, .infinity, -.infinity]
        for format in ["%.1f ms", "%.2f s", "%.3g GFLOP/s (%.3g GFLOP); ", "%.3g", "%.12f", "%.3e", "%6.1f GFLOP/s per thread",
                       " %7.2f GFLOP %8.3f thread-s ", " %5.1f %% of thread time", "%.0f MiB/s", "%.2f"] {
            for x in doubles {
                XCTAssertEqual(cFormat(format, x, x), String(format: format, x, x), "\(format) with \(x)")
            }
        }
        for (a, b) in [(0, 0), (7, 5), (100, 59), (-3, 12), (Int.max, Int.min)] {
            XCTAssertEqual(cFormat("%3ld%%", a), String(format: "%3ld%%", a))
            XCTAssertEqual(cFormat("ETA %ld:%02ld", a, b), String(format: "ETA %ld:%02ld", a, b))
        }
    }

    /// Output longer than the first buffer is rendered again at its full length.
    func testLongOutput() {
        let long = cFormat("%0300.1f|%.3e", 2.5, 1234.5)
        XCTAssertEqual(long, String(format: "%0300.1f|%.3e", 2.5, 1234.5))
        XCTAssertEqual(long.utf8.count, 300 + 1 + 9)
    }
}
