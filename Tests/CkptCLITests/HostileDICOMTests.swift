import CkptTestSupport
import Foundation
import XCTest

/// Drives `ckpt inspect --decode` over every file of the hostile DICOM corpus
/// (`Tests/Corpus/hostile-dicom/`, made by `scripts/make_hostile_dicom.py`). Each run must exit 2 with
/// the file's path (and, for content taken for DICOM, the case's expected words) in its `ckpt: error:`
/// message, write nothing, and stay within 64 MiB of peak RSS (ckpt's own `ru_maxrss`, read by
/// `ckpt-measure`) and 1 GiB of address space: a header that lies about the image size is refused before
/// pixel memory is touched, a deflate bomb before it fills memory.
final class HostileDICOMTests: XCTestCase {
    func testEveryHostileDICOMIsRefusedWithinTheMemoryBound() throws {
        let corpus = try HostileFileCorpus("hostile-dicom")
        let cases = corpus.cases
        XCTAssertGreaterThanOrEqual(cases.count, 28, "the corpus lost cases")
        for c in cases {
            let scratch = try TemporaryDirectory("ckpt-hostile-dicom")
            let input = corpus.folder + "/" + c.path
            let run = try MeasuredRun.run(
                ["inspect", "--decode", input], in: scratch, addressSpaceMiB: HostileFileCorpus.addressSpaceLimitMiB)
            let name = "inspect --decode on \(c.path) (\(c.why))"
            XCTAssertEqual(run.code, 2, "\(name): exit \(run.code); stderr: \(run.stderr)")
            XCTAssertTrue(run.stderr.contains("ckpt: error: ") && run.stderr.contains(input),
                          "\(name): the message does not name the file: \(run.stderr)")
            if c.dicom != false {
                XCTAssertTrue(run.stderr.contains(c.expect), "\(name): expected \"\(c.expect)\" in: \(run.stderr)")
            }
            XCTAssertLessThanOrEqual(run.maxRSSKiB, HostileFileCorpus.peakRSSLimitKiB, "\(name): peak RSS \(run.maxRSSKiB) KiB")
            let left = try scratch.contents().filter { !$0.hasPrefix("std") }
            XCTAssertEqual(left, [], "\(name): left files behind")
        }
    }
}
