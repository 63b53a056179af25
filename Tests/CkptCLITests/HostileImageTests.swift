import CkptTestSupport
import Foundation
import XCTest

/// Drives `ckpt preprocess` and `ckpt embed --image` over every file of the hostile image corpus
/// (`Tests/Corpus/hostile-images/`, made by `scripts/make_hostile_images.py`). Each run must exit 2 with
/// the file's path and the case's expected words in its `ckpt: error:` message, write nothing, and stay
/// within 64 MiB of peak RSS: a header that lies about the image size is refused before pixel memory
/// is touched. Peak RSS is ckpt's own `ru_maxrss`, read by `ckpt-measure` (Tests/CkptMeasure), which forks
/// it from its own small address space: spawned from this (large) test process directly, Linux would fold
/// the test's high-water RSS into the child's.
final class HostileImageTests: XCTestCase {
    struct Case: Decodable {
        let path: String
        let expect: String
        let why: String
    }

    /// No output is legitimate here, so the bound is the 64 MiB alone.
    static let peakRSSLimitKiB = 64 * 1024

    static let corpus = PackagePaths.root + "/Tests/Corpus/hostile-images"

    func testEveryHostileImageIsRefusedWithinTheMemoryBound() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: Self.corpus + "/expected.json"))
        struct Manifest: Decodable { let cases: [Case] }
        let cases = try JSONDecoder().decode(Manifest.self, from: data).cases
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
                let input = Self.corpus + "/" + c.path
                let output = scratch.file("out.safetensors")
                let run = try measure(arguments(input, output), in: scratch)
                let name = "\(label) on \(c.path) (\(c.why))"
                XCTAssertEqual(run.code, 2, "\(name): exit \(run.code); stderr: \(run.stderr)")
                XCTAssertTrue(run.stderr.contains("ckpt: error: ") && run.stderr.contains(input),
                              "\(name): the message does not name the file: \(run.stderr)")
                XCTAssertTrue(run.stderr.contains(c.expect), "\(name): expected \"\(c.expect)\" in: \(run.stderr)")
                XCTAssertLessThanOrEqual(run.maxRSSKiB, Self.peakRSSLimitKiB, "\(name): peak RSS \(run.maxRSSKiB) KiB")
                let left = try scratch.contents().filter { !$0.hasPrefix("std") }
                XCTAssertEqual(left, [], "\(name): left files behind")
            }
        }
    }

    struct Measured {
        let code: Int32
        let maxRSSKiB: Int
        let stderr: String
    }

    /// Runs ckpt under `ckpt-measure` (built next to ckpt) and reads its exit code, peak RSS and stderr.
    func measure(_ arguments: [String], in scratch: TemporaryDirectory) throws -> Measured {
        let measure = URL(fileURLWithPath: CkptProcess.executable).deletingLastPathComponent().path + "/ckpt-measure"
        let stdoutPath = scratch.file("stdout.txt"), stderrPath = scratch.file("stderr.txt")
        let run = try CkptProcess.run(arguments, wrapper: [measure, stdoutPath, stderrPath], timeout: 120)
        let fields = run.stdout.split(separator: " ").map { String($0).trimmingCharacters(in: .whitespacesAndNewlines) }
        guard run.status == 0, fields.count == 3, let rss = Int(fields[1]), let code = Int32(fields[2]) else {
            XCTFail("ckpt-measure failed: \(run.summary) \(run.stderr)")
            return Measured(code: -1, maxRSSKiB: 0, stderr: "")
        }
        let stderr = (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? ""
        return Measured(code: code, maxRSSKiB: rss, stderr: stderr)
    }
}
