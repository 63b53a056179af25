import CkptTestSupport
import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Inputs that are not regular files, which git cannot hold in the hostile corpus: they are made
/// here. Each must be refused with exit 2 — in particular a named pipe must not block ckpt forever.
final class SpecialFileTests: XCTestCase {
    func testSpecialFilesAreRefusedWithoutHanging() throws {
        let work = try TemporaryFolder("special")
        defer { work.remove() }
        let fm = FileManager.default
        // A sharded folder whose shard is a FIFO: opening it for reading would wait for a writer.
        try fm.createDirectory(atPath: work.file("fifo-shard"), withIntermediateDirectories: false)
        fm.createFile(atPath: work.file("fifo-shard/model.safetensors.index.json"),
                      contents: Data(#"{"weight_map": {"a": "model-00001-of-00001.safetensors"}}"#.utf8))
        XCTAssertEqual(mkfifo(work.file("fifo-shard/model-00001-of-00001.safetensors"), 0o644), 0)
        // A FIFO given directly, and a single-file folder whose model is a FIFO.
        XCTAssertEqual(mkfifo(work.file("pipe.safetensors"), 0o644), 0)
        try fm.createDirectory(atPath: work.file("fifo-single"), withIntermediateDirectories: false)
        XCTAssertEqual(mkfifo(work.file("fifo-single/model.safetensors"), 0o644), 0)
        // A character device, directly and through a shard symlink.
        try fm.createDirectory(atPath: work.file("device-shard"), withIntermediateDirectories: false)
        fm.createFile(atPath: work.file("device-shard/model.safetensors.index.json"),
                      contents: Data(#"{"weight_map": {"a": "model-00001-of-00001.safetensors"}}"#.utf8))
        try fm.createSymbolicLink(atPath: work.file("device-shard/model-00001-of-00001.safetensors"),
                                  withDestinationPath: "/dev/zero")

        let cases: [(String, String)] = [
            (work.file("fifo-shard"), "not a regular file"),
            (work.file("pipe.safetensors"), "not a regular file"),
            (work.file("fifo-single"), "no model.safetensors"),
            ("/dev/zero", "not a regular file"),
            (work.file("device-shard"), "outside this folder"),
        ]
        for (input, words) in cases {
            for arguments in [["inspect", input], ["convert", "safetensors", input, "-o", work.file("out.safetensors")]] {
                let result = try CkptProcess.run(arguments, timeout: 30)
                XCTAssertFalse(result.timedOut, "hang: \(result.summary)")
                XCTAssertEqual(result.exitCode, 2, result.summary)
                XCTAssertTrue(result.stderr.contains(words), "message should contain \"\(words)\": \(result.summary)")
                XCTAssertFalse(fm.fileExists(atPath: work.file("out.safetensors")), result.summary)
            }
        }
    }
}
