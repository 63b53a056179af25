import CkptTestSupport
import Foundation
import XCTest

/// Drives `ckpt preprocess` and `ckpt embed --image` over every file of the hostile image corpus
/// (`Tests/Corpus/hostile-images/`, made by `scripts/make_hostile_images.py`). Each run must exit 2 with
/// the file's path and the case's expected words in its `ckpt: error:` message, write nothing, and stay
/// within 64 MiB of peak RSS: a header that lies about the image size is refused before pixel memory
/// is touched. Peak RSS is ckpt's own `ru_maxrss`, read by `ckpt-measure` (`MeasuredRun`), which also caps
/// the address space at 1 GiB: a length a file claims is never allocated on trust, even untouched.
final class HostileImageTests: XCTestCase {
    func testEveryHostileImageIsRefusedWithinTheMemoryBound() throws {
        let corpus = try HostileFileCorpus("hostile-images")
        let cases = corpus.cases
        XCTAssertGreaterThanOrEqual(cases.count, 15, "the corpus lost cases")
        let golden = PackagePaths.golden
        let commands: [(String, (String, String) -> [String])] = [
            ("preprocess", { input, output in
                ["preprocess", input, "--preprocessor", golden + "/images/configs/rad-dino.json", "-o", output] }),
            ("embed --image", { input, output in
                ["embed", golden + "/models/tiny/hf", "--image", golden + "/images/inputs/camera.png", input,
                 "--preprocessor", golden + "/forward/tiny-images-hf/preprocessor_config.json", "--batch", "1",
                 "-o", output] }),
        ]
        for c in cases {
            for (label, arguments) in commands {
                let scratch = try TemporaryDirectory("ckpt-hostile-image")
                let input = corpus.folder + "/" + c.path
                let output = scratch.file("out.safetensors")
                let run = try MeasuredRun.run(
                    arguments(input, output), in: scratch, addressSpaceMiB: HostileFileCorpus.addressSpaceLimitMiB)
                let name = "\(label) on \(c.path) (\(c.why))"
                XCTAssertEqual(run.code, 2, "\(name): exit \(run.code); stderr: \(run.stderr)")
                XCTAssertTrue(run.stderr.contains("ckpt: error: ") && run.stderr.contains(input),
                              "\(name): the message does not name the file: \(run.stderr)")
                XCTAssertTrue(run.stderr.contains(c.expect), "\(name): expected \"\(c.expect)\" in: \(run.stderr)")
                XCTAssertLessThanOrEqual(run.maxRSSKiB, HostileFileCorpus.peakRSSLimitKiB, "\(name): peak RSS \(run.maxRSSKiB) KiB")
                let left = try scratch.contents().filter { !$0.hasPrefix("std") }
                XCTAssertEqual(left, [], "\(name): left files behind")
            }
        }
    }
}
