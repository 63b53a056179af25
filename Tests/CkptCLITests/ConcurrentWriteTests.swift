import CkptKit
import CkptTestSupport
import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Two `ckpt` processes writing the same output with `--force` leave one whole file (byte-identical to
/// what one of them alone writes, never an interleaving of both), and readers of the output while ckpt
/// rewrites it again and again see either the old file or the new one, whole.
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

    /// While ckpt writes the same output again and again with `--force` (alternately from the two
    /// sources, one process per write), readers loop over it: `ckpt manifest` processes (ckpt's own
    /// reader, hashing the file and every tensor in it) one after another, and meanwhile a thread of
    /// this process reading the whole file directly. Every manifest must equal, byte for byte, the
    /// manifest of one of the two whole files, and every direct read must hash to one of them: never a
    /// mix of both, a partial file or a temporary one (the rename is atomic and an open descriptor
    /// keeps its inode). The counts of each kind of read are printed.
    func testReadersSeeTheOldOrTheNewFileWhileCkptRewritesIt() throws {
        let fixture = try makeFixture()
        defer { fixture.folder.remove() }
        let out = try TemporaryFolder("concurrent-read")
        defer { out.remove() }
        let destination = out.file("model.safetensors")
        let scratch = try TemporaryFolder("concurrent-read-manifests")
        defer { scratch.remove() }
        let manifestPath = scratch.file("manifest.json")

        // What a reader must see: one of the two whole files, and ckpt's manifest of exactly that file.
        let digests = try fixture.references.map { try sha256Hex(file: $0) }
        var manifests: [[UInt8]] = []
        for reference in fixture.references {
            try? FileManager.default.removeItem(atPath: destination)
            try FileManager.default.copyItem(atPath: reference, toPath: destination)
            let run = try CkptProcess.run(["manifest", destination, "-o", manifestPath, "--force"])
            XCTAssertEqual(run.exitCode, 0, run.summary)
            manifests.append(try readBytes(manifestPath))
        }
        XCTAssertNotEqual(manifests[0], manifests[1])
        XCTAssertEqual(try sha256Hex(file: destination), digests[1])

        // The writer: one shell loop running `ckpt convert … --force` 24 times, alternating sources; the
        // destination starts as the second file and ends as the first.
        let writes = 24
        let script = "i=0; while [ $i -lt \(writes / 2) ]; do "
            + "\"$0\" convert safetensors \"$1\" -o \"$3\" --force >/dev/null || exit 1; "
            + "\"$0\" convert safetensors \"$2\" -o \"$3\" --force >/dev/null || exit 1; i=$((i+1)); done; "
            + "\"$0\" convert safetensors \"$1\" -o \"$3\" --force >/dev/null"
        let capture = try OutputCapture()
        let writer = try CkptProcess.start([fixture.sources[0], fixture.sources[1], destination],
                                           wrapper: ["/bin/sh", "-c", script], stdout: capture.stdout, stderr: capture.stderr)

        // The direct reader, on its own thread until the writer is done.
        let direct = ReadTally()
        let directDone = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            while !direct.stopped {
                do {
                    let bytes = try readBytes(destination)
                    direct.record(digests.firstIndex(of: sha256Hex(bytes)), "a direct read of \(bytes.count) bytes")
                } catch {
                    direct.record(nil, "a direct read failed: \(error)")
                }
            }
            directDone.signal()
        }
        // ckpt readers, one process after another.
        let ckpt = ReadTally()
        while writer.isRunning {
            let run = try CkptProcess.run(["manifest", destination, "-o", manifestPath, "--force"])
            let seen = run.exitCode == 0 ? try readBytes(manifestPath) : []
            ckpt.record(manifests.firstIndex(of: seen), "ckpt manifest: \(run.summary) \(String(decoding: seen.prefix(300), as: UTF8.self))")
        }
        direct.stop()
        directDone.wait()
        XCTAssertTrue(CkptProcess.wait(writer, timeout: 600), "the writer hung")
        let result = capture.result(of: writer, arguments: ["convert"], timedOut: false)
        XCTAssertEqual(result.exitCode, 0, "a write failed: \(result.summary)")

        for (kind, tally) in [("ckpt", ckpt), ("direct", direct)] {
            XCTAssertEqual(tally.failures, [], "\(kind) reads that were neither whole file")
            XCTAssertGreaterThan(tally.counts.reduce(0, +), 0, "no \(kind) read overlapped the writes")
        }
        // After the last write: the first file, and nothing else in the folder (no temporary file).
        XCTAssertEqual(try sha256Hex(file: destination), digests[0])
        XCTAssertEqual(try out.contents(), ["model.safetensors"])
        print("ConcurrentWriteTests: during \(writes + 1) forced writes, \(ckpt.counts.reduce(0, +)) ckpt manifest reads "
              + "(\(ckpt.counts[0]) of the first file, \(ckpt.counts[1]) of the second) and \(direct.counts.reduce(0, +)) "
              + "direct reads (\(direct.counts[0]) and \(direct.counts[1])); \(ckpt.failures.count + direct.failures.count) mixed or partial")
    }
}

/// Reads of one kind, tallied from any thread: how many saw each whole file, and what the others saw.
final class ReadTally: @unchecked Sendable {  // every field is guarded by `lock`
    private let lock = NSLock()
    private var _counts = [0, 0]
    private var _failures: [String] = []
    private var _stopped = false

    var counts: [Int] { lock.withLock { _counts } }
    var failures: [String] { lock.withLock { _failures } }
    var stopped: Bool { lock.withLock { _stopped } }

    func stop() { lock.withLock { _stopped = true } }

    /// A read that matched whole file `match`, or (nil) one that did not: `what` says what it saw.
    func record(_ match: Int?, _ what: String) {
        lock.withLock {
            if let match { _counts[match] += 1 } else { _failures.append(what) }
        }
    }
}
