import CkptKit
import CkptTestSupport
import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// The weights file of a running `ckpt embed` / `ckpt verify --golden` is truncated by another process
/// while the forward pass reads it through the mapping (RAD-DINO size, 346 MB, from `ckpt synth`). The
/// run must end with exit 2 and "FILE changed size while being read", no signal (the SIGBUS guard,
/// docs/hardening.md), no output and no temporary file left, in the output folder or TMPDIR.
final class MappedInputShrinkTests: XCTestCase {
    /// The golden RAD-DINO-shaped case: pixels, expected outputs and the `ckpt synth` arguments.
    static var goldenCase: String? {
        PackagePaths.goldenRoot(containing: "forward/raddino-synth").map { $0 + "/forward/raddino-synth" }
    }

    nonisolated(unsafe) static var shared: TemporaryFolder?

    /// The synthetic RAD-DINO weights, made once per test run with the case's `ckpt synth` arguments.
    static func weights(case dir: String) throws -> String {
        if let shared { return shared.file("raddino.safetensors") }
        let folder = try TemporaryFolder("shrink-source")
        shared = folder
        let json = try StrictJSONParser.parse(FileSystem.readSmallFile(dir + "/golden.json"))
        let args = try XCTUnwrap(json["weights"]?["ckpt_synth_args"]?.stringValue).split(separator: " ").map(String.init)
        let synth = try CkptProcess.run(["synth"] + args + ["-o", folder.file("raddino.safetensors")], timeout: 900)
        XCTAssertEqual(synth.exitCode, 0, synth.summary)
        return folder.file("raddino.safetensors")
    }

    override class func tearDown() {
        shared?.remove()
        shared = nil
    }

    /// Waits until `pid` has `path` mapped (the forward pass is about to read it, or is reading it).
    static func waitForMapping(of path: String, pid: Int32, timeout: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let maps = try? String(contentsOfFile: "/proc/\(pid)/maps", encoding: .utf8), maps.contains(path) { return true }
            usleep(2_000)
        }
        return false
    }

    func testTruncatingTheWeightsDuringTheForwardPassIsExit2WithNothingLeft() throws {
        guard let dir = Self.goldenCase else { throw XCTSkip("no golden/forward/raddino-synth (set CKPT_GOLDEN_ROOT)") }
        let source = try Self.weights(case: dir)
        let size = try MappedFile(path: source).size
        // (label, arguments with W for the weights and O for the output folder, words of a success)
        let commands: [(String, [String], String)] = [
            ("embed", ["embed", "W", "--pixels", dir + "/pixels.safetensors.zst", "-o", "O/embeddings.safetensors"], "wrote"),
            ("verify --golden", ["verify", "W", "--golden", dir], "golden"),
        ]
        // How long after the weights are mapped to truncate them, and to how many bytes: the middle,
        // the first quarter (early), and the last MiB (only the final blocks lose their pages).
        let cuts: [(TimeInterval, Int)] = [(0.0, size / 2), (0.5, size / 4), (2.0, size - (1 << 20))]
        var outcomes: [String] = []
        for (label, template, success) in commands {
            var caught = 0
            let work = try TemporaryFolder("shrink-work")
            defer { work.remove() }
            let weights = work.file("weights.safetensors")
            let arguments = template.map { $0 == "W" ? weights : $0.replacingOccurrences(of: "O/", with: work.file("out") + "/") }
            // The child's TMPDIR is a folder of its own, so a leftover temporary file would be seen.
            let wrapper = ["/usr/bin/env", "TMPDIR=" + work.file("tmp")]
            for (delay, cut) in cuts {
                for name in ["weights.safetensors", "out", "tmp"] { try? FileManager.default.removeItem(atPath: work.file(name)) }
                try FileManager.default.copyItem(atPath: source, toPath: weights)
                for name in ["out", "tmp"] { try FileManager.default.createDirectory(atPath: work.file(name), withIntermediateDirectories: false) }
                let capture = try OutputCapture()
                let process = try CkptProcess.start(arguments, wrapper: wrapper, stdout: capture.stdout, stderr: capture.stderr)
                XCTAssertTrue(Self.waitForMapping(of: weights, pid: process.processIdentifier, timeout: 600), "\(label): weights never mapped")
                usleep(useconds_t(delay * 1_000_000))
                let wasRunning = process.isRunning
                XCTAssertEqual(truncate(weights, off_t(cut)), 0)
                XCTAssertTrue(CkptProcess.wait(process, timeout: 1800), "\(label) hung after the truncation")
                let result = capture.result(of: process, arguments: arguments, timedOut: false)
                let context = "\(label), truncated to \(cut) of \(size) bytes \(delay) s after mapping: \(result.summary)"
                XCTAssertNil(result.signal, "crash: \(context)")
                guard wasRunning else { outcomes.append("\(label) \(cut): finished before the cut"); continue }
                XCTAssertEqual(result.exitCode, 2, context)
                XCTAssertTrue(result.stderr.contains("\(weights) changed size while being read"), context)
                XCTAssertFalse(result.stdout.contains(success), "reported success: \(context)")
                XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: work.file("out")), [], "output left: \(context)")
                XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: work.file("tmp")), [], "temporary file left: \(context)")
                outcomes.append("\(label) \(cut): exit \(result.exitCode.map(String.init) ?? "-")")
                caught += 1
            }
            XCTAssertGreaterThan(caught, 0, "\(label): every truncation came after the run ended; nothing was tested")
        }
        print("MappedInputShrinkTests: \(outcomes.joined(separator: "; "))")
    }
}
