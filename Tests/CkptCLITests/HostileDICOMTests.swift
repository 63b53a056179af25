import CkptTestSupport
import Foundation
import XCTest

/// Drives `ckpt inspect --decode` over every file of the hostile DICOM corpus
/// (`Tests/Corpus/hostile-dicom/`, made by `scripts/make_hostile_dicom.py`). Each run must exit 2 with
/// the file's path (and, for content taken for DICOM, the case's expected words) in its `ckpt: error:`
/// message, write nothing, and stay within 64 MiB of peak RSS (ckpt's own `ru_maxrss`, read by
/// `ckpt-measure`): a header that lies about the image size is refused before pixel memory is touched,
/// a deflate bomb before it fills memory.
final class HostileDICOMTests: XCTestCase {
    struct Case: Decodable {
        let path: String
        let expect: String
        let why: String
        let dicom: Bool
    }

    static let peakRSSLimitKiB = 64 * 1024
    static let corpus = PackagePaths.root + "/Tests/Corpus/hostile-dicom"

    func testEveryHostileDICOMIsRefusedWithinTheMemoryBound() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: Self.corpus + "/expected.json"))
        struct Manifest: Decodable { let cases: [Case] }
        let cases = try JSONDecoder().decode(Manifest.self, from: data).cases
        XCTAssertGreaterThanOrEqual(cases.count, 23, "the corpus lost cases")
        for c in cases {
            let scratch = try TemporaryDirectory("ckpt-hostile-dicom")
            let input = Self.corpus + "/" + c.path
            let run = try MeasuredRun.run(["inspect", "--decode", input], in: scratch)
            let name = "inspect --decode on \(c.path) (\(c.why))"
            XCTAssertEqual(run.code, 2, "\(name): exit \(run.code); stderr: \(run.stderr)")
            XCTAssertTrue(run.stderr.contains("ckpt: error: ") && run.stderr.contains(input),
                          "\(name): the message does not name the file: \(run.stderr)")
            if c.dicom {
                XCTAssertTrue(run.stderr.contains(c.expect), "\(name): expected \"\(c.expect)\" in: \(run.stderr)")
            }
            XCTAssertLessThanOrEqual(run.maxRSSKiB, Self.peakRSSLimitKiB, "\(name): peak RSS \(run.maxRSSKiB) KiB")
            let left = try scratch.contents().filter { !$0.hasPrefix("std") }
            XCTAssertEqual(left, [], "\(name): left files behind")
        }
    }
}
