import CkptKit
import CkptTestSupport
import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Two `ckpt` processes writing the same output with `--force` leave one whole file (byte-identical to
/// what one of them alone writes, never an interleaving of both), and a reader opening the output while
/// a writer replaces it sees either the old file or the new one.
final class ConcurrentWriteTests: XCTestCase {
    /// Two different sources and, for each, the file one uninterrupted conversion writes.
    struct Fixture {
        let folder: TemporaryFolder
        let sources: [String]
        let references: [String]
    }

    func makeFixture() throws -> Fixture {
        let folder = try TemporaryFolder("concurrent")
        var sources: [String] = [], references: [String] = []
        for (i, depth) in [3, 5].enumerated() {
            let source = folder.file("source-\(i).safetensors")
            try GeneratedCheckpoints.write(GeneratedCheckpoints.vitBShapes(depth: depth, width: 384), to: source)
            let reference = folder.file("reference-\(i).safetensors")
            let run = try CkptProcess.run(["convert", "safetensors", source, "-o", reference], timeout: 600)
            XCTAssertEqual(run.exitCode, 0, run.summary)
            sources.append(source)
            references.append(reference)
        }
        XCTAssertFalse(try GeneratedCheckpoints.identical(references[0], references[1]))
        return Fixture(folder: folder, sources: sources, references: references)
    }

    func testTwoForcedWritersLeaveOneWholeFile() throws {
        let fixture = try makeFixture()
        defer { fixture.folder.remove() }
        var winners: [Int] = []
        for trial in 0..<4 {
            let out = try TemporaryFolder("concurrent-out")
            defer { out.remove() }
            let destination = out.file("model.safetensors")
            if trial % 2 == 1 { try FileManager.default.copyItem(atPath: fixture.references[0], toPath: destination) }
            let captures = try (0..<2).map { _ in try OutputCapture() }
            let processes = try (0..<2).map { i in
                try CkptProcess.start(["convert", "safetensors", fixture.sources[i], "-o", destination, "--force"],
                                     stdout: captures[i].stdout, stderr: captures[i].stderr)
            }
            for (i, p) in processes.enumerated() {
                XCTAssertTrue(CkptProcess.wait(p, timeout: 600), "trial \(trial): writer \(i) hung")
                let result = captures[i].result(of: p, arguments: ["convert"], timedOut: false)
                XCTAssertEqual(result.exitCode, 0, "trial \(trial), writer \(i): \(result.summary)")
            }
            XCTAssertEqual(try out.contents(), ["model.safetensors"], "trial \(trial): temporary files left")
            let matches = try fixture.references.map { try GeneratedCheckpoints.identical(destination, $0) }
            XCTAssertEqual(matches.filter { $0 }.count, 1, "trial \(trial): the output is neither writer's whole file")
            if let w = matches.firstIndex(of: true) { winners.append(w) }
            let inspect = try CkptProcess.run(["inspect", destination])
            XCTAssertEqual(inspect.exitCode, 0, "trial \(trial): \(inspect.summary)")
        }
        print("ConcurrentWriteTests: last writer per trial \(winners)")
    }

    /// While a writer replaces the output again and again, every open of it reads one whole file: the
    /// old one or the new one (the rename is atomic; an open descriptor keeps its inode).
    func testReaderSeesTheOldOrTheNewFile() throws {
        let fixture = try makeFixture()
        defer { fixture.folder.remove() }
        let out = try TemporaryFolder("concurrent-read")
        defer { out.remove() }
        let destination = out.file("model.safetensors")
        try FileManager.default.copyItem(atPath: fixture.references[0], toPath: destination)
        var reads = [0, 0]
        let expected = try fixture.references.map { try readBytes($0) }
        for round in 0..<4 {
            let capture = try OutputCapture()
            let writer = try CkptProcess.start(["convert", "safetensors", fixture.sources[(round + 1) % 2], "-o", destination, "--force"],
                                              stdout: capture.stdout, stderr: capture.stderr)
            repeat {
                // One open per read: what a reader holds is one inode, compared with both references.
                let seen = try MappedFile(path: destination)
                let bytes = try seen.copyBytes(offset: 0, count: seen.size)
                let matches = expected.map { $0 == bytes }
                XCTAssertEqual(matches.filter { $0 }.count, 1, "round \(round): a reader saw neither the old nor the new file")
                if let i = matches.firstIndex(of: true) { reads[i] += 1 }
            } while writer.isRunning
            XCTAssertTrue(CkptProcess.wait(writer, timeout: 600))
            XCTAssertEqual(capture.result(of: writer, arguments: ["convert"], timedOut: false).exitCode, 0)
        }
        XCTAssertEqual(try out.contents(), ["model.safetensors"])
        print("ConcurrentWriteTests: whole reads of the first file \(reads[0]), of the second \(reads[1])")
    }
}
