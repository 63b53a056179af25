import Foundation
import XCTest
@testable import CkptVerify
import CkptKit

/// The one-read pass (`Hashing.oneRead`, `Hashing.sha256(files:tensors:threads:)`) gives exactly the
/// digests of hashing the file and each tensor on their own, on a file of several pipeline chunks
/// with tensors that straddle chunk boundaries, split tensors, an empty tensor, and tensors the
/// pipeline must leave to the plain path (segments out of order, bytes in memory); its digests are
/// Python hashlib's on the golden files and its value scan is `TensorScan.scan`'s, for any step size.
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

    /// The published FIPS 180-2 examples (and the empty message), through the libcrypto hasher, whole
    /// and fed in uneven parts.
    func testSHA256KnownAnswers() throws {
        let cases: [([UInt8], String)] = [
            ([], "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            (Array("abc".utf8), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            (Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8),
             "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
            ([UInt8](repeating: 0x61, count: 1_000_000), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"),
        ]
        for (message, digest) in cases {
            XCTAssertEqual(try Hashing.sha256(bytes: message), digest, "\(message.count) bytes")
            var hasher = try SHA256Hasher()
            var at = 0, part = 1
            while at < message.count {
                let n = min(part, message.count - at)
                message[at..<at + n].withUnsafeBytes { hasher.update($0) }
                at += n
                part = part * 3 + 1
            }
            XCTAssertEqual(hasher.finalizeHex(), digest, "\(message.count) bytes in parts")
        }
    }

    /// Golden files written by Python, walked in steps from one byte (every element split between
    /// steps) to larger than the file, on one and two threads: the file and tensor digests are the
    /// ones hashlib recorded, the scan of every tensor is `TensorScan.scan`'s (itself checked against
    /// torch's bit patterns in TensorScanTests), and the progress counts each byte once per use.
    func testStepsOfAnySizeMatchHashlibAndTheScan() throws {
        var files: [(path: String, record: JSONValue)] = [
            (try VerifyFixtures.path("safetensors/casts.safetensors"), try VerifyFixtures.json("safetensors/casts.json")),
        ]
        let tiny = try VerifyFixtures.json("models/tiny/case.json")
        for name in ["hf/model.safetensors", "dinov2.safetensors"] {
            files.append((try VerifyFixtures.path("models/tiny/\(name)"), try XCTUnwrap(tiny["files"]?[name])))
        }
        var sawNonFinite = false
        for (path, record) in files {
            let checkpoint = try Checkpoint.open(path)
            let expected = try XCTUnwrap(record["tensors"]?.arrayValue).map { ($0["name"]!.stringValue!, $0["sha256"]!.stringValue!) }
            let byName = Dictionary(uniqueKeysWithValues: expected)
            XCTAssertEqual(byName.count, checkpoint.tensors.count, path)
            let plainScans = try checkpoint.tensors.map { try TensorScan.scan($0) }
            sawNonFinite = sawNonFinite || plainScans.contains { $0.nonFinite != nil }
            for chunk in [1, 3, 6, 64, 1000, 1 << 20] {
                for threads in [1, 2] {
                    let what = "\(FileSystem.baseName(path)), \(chunk)-byte steps, \(threads) threads"
                    let counted = Counted()
                    let progress = ProgressCounter(total: 0) { done, _ in counted.note(done) }
                    let out = try Hashing.oneRead(files: checkpoint.files, tensors: checkpoint.tensors, scan: true,
                                                  threads: threads, progress: progress, chunk: chunk)
                    XCTAssertEqual(out.digests.first, record["sha256"]?.stringValue, "file, \(what)")
                    for (i, t) in checkpoint.tensors.enumerated() {
                        XCTAssertEqual(out.digests[1 + i], byName[t.name], "\(t.name), \(what)")
                        XCTAssertEqual(out.scans[i], plainScans[i], "scan of \(t.name), \(what)")
                    }
                    XCTAssertEqual(counted.last, checkpoint.files[0].size + 2 * checkpoint.byteCount, "progress, \(what)")
                }
            }
        }
        XCTAssertTrue(sawNonFinite, "casts.safetensors holds NaN and Inf values")
    }

    /// Tensors the pass cannot walk (bytes in memory, ranges out of order) are still scanned.
    func testScanCoversTensorsOffThePass() throws {
        let checkpoint = try Checkpoint.open(try VerifyFixtures.path("safetensors/casts.safetensors"))
        let inMemory = try checkpoint.tensors.map { VerifyFixtures.replacing($0, bytes: try $0.contiguousBytes()).renamed("mem." + $0.name) }
        let tensors = checkpoint.tensors + inMemory
        let out = try Hashing.oneRead(files: checkpoint.files, tensors: tensors, scan: true, threads: 2)
        XCTAssertEqual(out.scans, try tensors.map { try TensorScan.scan($0) })
        XCTAssertEqual(Array(out.digests[(1 + checkpoint.tensors.count)...]), Array(out.digests[1...checkpoint.tensors.count]))
    }
}

/// The last value a progress callback reported (callbacks come from the workers' threads).
private final class Counted: @unchecked Sendable {  // `value` is read and written only under `lock`
    private let lock = NSLock()
    private var value = 0
    func note(_ done: Int) { lock.lock(); value = max(value, done); lock.unlock() }
    var last: Int { lock.lock(); defer { lock.unlock() }; return value }
}
