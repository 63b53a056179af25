import XCTest
@testable import CkptVerify
import CkptKit

/// The one-read hashing pipeline (`Hashing.sha256(files:tensors:threads:)`) gives exactly the
/// digests of hashing the file and each tensor on their own, on a file of several pipeline chunks
/// with tensors that straddle chunk boundaries, split tensors, an empty tensor, and tensors the
/// pipeline must leave to the plain path (segments out of order, bytes in memory).
final class OneReadHashingTests: XCTestCase {
    func bytes(_ n: Int, seed: UInt64) -> [UInt8] {
        var state = seed
        return (0..<n).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: state >> 56)
        }
    }

    func testDigestsEqualSeparateHashing() throws {
        let chunk = Hashing.pipelineChunk
        let sizes = [chunk - 3, 7, 2 * chunk + 5, 0, 1, chunk / 2 + 1, chunk + 8]
        let originals = sizes.enumerated().map { i, n in
            TensorEntry(name: "t\(i)", dtype: .u8, shape: [n], segments: [.memory(bytes(n, seed: UInt64(i)))], sourcePath: "<memory>")
        }
        let dir = try VerifyFixtures.scratch(self)
        let path = dir + "/big.safetensors"
        try SafetensorsWriter.write(originals.map { OutputTensor($0) }, to: path)
        let checkpoint = try Checkpoint.open(path)
        let file = try XCTUnwrap(checkpoint.files.first)

        var tensors = checkpoint.tensors
        let big = try XCTUnwrap(checkpoint["t2"]).segments[0]
        // Split in order across a chunk boundary (pipeline), reversed (plain path), and in memory (plain path).
        tensors.append(TensorEntry(name: "split", dtype: .u8, shape: [2 * chunk],
                                   segments: [big.slice(0, chunk + 1), big.slice(chunk + 1, chunk - 1)], sourcePath: path))
        tensors.append(TensorEntry(name: "reversed", dtype: .u8, shape: [200],
                                   segments: [big.slice(chunk, 100), big.slice(chunk - 100, 100)], sourcePath: path))
        tensors.append(originals[1])

        let separate = try [Hashing.sha256(of: file)] + tensors.map { try Hashing.sha256(of: $0) }
        for threads in [1, 2, 3] {
            let oneRead = try Hashing.sha256(files: [file], tensors: tensors, threads: threads)
            XCTAssertEqual(oneRead.count, separate.count, "\(threads) threads")
            for (i, (a, b)) in zip(oneRead, separate).enumerated() {
                XCTAssertEqual(a, b, "\(threads) threads: \(i == 0 ? "file" : tensors[i - 1].name)")
            }
        }
        // The tensors read back from the file hash like the bytes they were written from.
        for (i, original) in originals.enumerated() {
            XCTAssertEqual(separate[1 + i], try Hashing.sha256(of: original), "t\(i) against its source bytes")
        }
        let counter = ProgressCounter(total: 0) { _, _ in }
        _ = try Hashing.sha256(files: [file], tensors: tensors, threads: 2, progress: counter)
    }

    /// A file that shrinks while it is read is an error from the pipeline, not a crash or a digest.
    func testShrunkFileIsAnError() throws {
        let chunk = Hashing.pipelineChunk
        let t = TensorEntry(name: "t", dtype: .u8, shape: [3 * chunk], segments: [.memory(bytes(3 * chunk, seed: 9))], sourcePath: "<memory>")
        let dir = try VerifyFixtures.scratch(self)
        let path = dir + "/shrinks.safetensors"
        try SafetensorsWriter.write([OutputTensor(t)], to: path)
        let checkpoint = try Checkpoint.open(path)
        XCTAssertEqual(truncate(path, off_t(chunk)), 0)
        XCTAssertThrowsError(try Hashing.sha256(files: checkpoint.files, tensors: checkpoint.tensors, threads: 2))
    }
}
