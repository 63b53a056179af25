import CkptTestSupport
import Foundation
import XCTest

/// Inputs aimed at memory (issue 14, item 4): a zip of a million entries or with a central directory that
/// lies, pickles with a huge memo, deep nesting or sizes claimed by their opcodes, zstd frames claiming
/// huge windows, and safetensors headers of a million tensors, dimensions or metadata entries. They are
/// the `memory` cases of `Tests/Corpus/hostile/expected.json`, made by `scripts/make_hostile_corpus.py`;
/// the large ones (up to 114 MB) are not committed but written here, at test time, by the same script
/// (`--memory-cases DIR`).
///
/// `ckpt inspect` and `ckpt verify --strict` run on each under `ckpt-measure` (`MeasuredRun`). A refused
/// case must exit 2 naming the file and the expected words; an accepted one must be read (inspect exits
/// 0, verify 0 or 1). Either way ckpt's peak RSS must stay within the manifest's 64 MiB plus the bytes it
/// printed (the legitimate output).
final class HostileMemoryTests: XCTestCase {
    struct Case: Decodable {
        let path: String
        /// Words of the refusal; nil for an input ckpt reads.
        let expect: String?
        let why: String
        /// A file of the corpus folder; otherwise written by the generator at test time.
        let committed: Bool
    }

    struct Memory: Decodable {
        let limitMiB: Int
        let cases: [Case]
    }

    static let corpus = PackagePaths.root + "/Tests/Corpus/hostile"

    func testInspectAndVerifyStayWithinTheMemoryBound() throws {
        struct Manifest: Decodable { let memory: Memory }
        let data = try Data(contentsOf: URL(fileURLWithPath: Self.corpus + "/expected.json"))
        let memory = try JSONDecoder().decode(Manifest.self, from: data).memory
        XCTAssertGreaterThanOrEqual(memory.cases.count, 30, "the memory corpus lost cases")
        XCTAssertEqual(memory.limitMiB, 64)

        let generated = try TemporaryDirectory("ckpt-hostile-memory")
        try generate(into: generated.path)
        for c in memory.cases {
            let input = (c.committed ? Self.corpus : generated.path) + "/" + c.path
            XCTAssertTrue(FileManager.default.fileExists(atPath: input), "\(c.path) was not written")
            for command in [["inspect"], ["verify", "--strict"]] {
                let scratch = try TemporaryDirectory("ckpt-hostile-memory-run")
                let run = try MeasuredRun.run(command + [input], in: scratch, timeout: 600)
                let name = "\(command.joined(separator: " ")) on \(c.path) (\(c.why))"
                if let expect = c.expect {
                    XCTAssertEqual(run.code, 2, "\(name): exit \(run.code); stderr: \(run.stderr.prefix(400))")
                    XCTAssertTrue(run.stderr.hasPrefix("ckpt: error: " + input), "\(name): the message does not name the file: \(run.stderr.prefix(400))")
                    XCTAssertTrue(run.stderr.contains(expect), "\(name): expected \"\(expect)\" in: \(run.stderr.prefix(400))")
                } else {
                    let accepted: ClosedRange<Int32> = command == ["inspect"] ? 0...0 : 0...1
                    XCTAssertTrue(accepted.contains(run.code), "\(name): exit \(run.code); stderr: \(run.stderr.prefix(400))")
                    XCTAssertFalse(run.stderr.contains("ckpt: error:"), "\(name): \(run.stderr.prefix(400))")
                }
                let bound = memory.limitMiB * 1024 + run.printedBytes / 1024
                XCTAssertLessThanOrEqual(run.maxRSSKiB, bound, "\(name): peak RSS \(run.maxRSSKiB) KiB, bound \(bound) KiB")
                print("HostileMemoryTests: \(run.maxRSSKiB / 1024) MiB (bound \(bound / 1024) MiB), exit \(run.code): \(name)")
            }
        }
    }

    /// Writes the memory cases that are not committed into `folder`, with the corpus generator.
    func generate(into folder: String) throws {
        let script = PackagePaths.root + "/scripts/make_hostile_corpus.py"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, "--memory-cases", folder]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "\(script) --memory-cases failed: \(String(decoding: message, as: UTF8.self))")
    }
}
