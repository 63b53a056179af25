import CkptKit
import CkptTestSupport
import Foundation
import XCTest

/// Golden data for the verify tests: the upstream-written models and safetensors fixtures under
/// `golden/` (repository root, or `CKPT_GOLDEN_DIR`), and scratch folders for planted defects.
enum VerifyFixtures {
    /// The golden folder, or nil when this checkout has none.
    static let golden: String? = {
        if let dir = ProcessInfo.processInfo.environment["CKPT_GOLDEN_DIR"] { return dir }
        let dir = PackagePaths.golden
        return FileManager.default.fileExists(atPath: dir + "/models/tiny") ? dir : nil
    }()

    /// `golden/<relative>`, skipping the test when the golden data is not there.
    static func path(_ relative: String) throws -> String {
        guard let golden else { throw XCTSkip("no golden/ folder (set CKPT_GOLDEN_DIR)") }
        let p = golden + "/" + relative
        guard FileManager.default.fileExists(atPath: p) else { throw XCTSkip("golden file \(relative) is not generated") }
        return p
    }

    /// A parsed golden JSON file.
    static func json(_ relative: String) throws -> JSONValue {
        try StrictJSONParser.parse(Array(try Data(contentsOf: URL(fileURLWithPath: try path(relative)))))
    }

    /// A fresh scratch folder, removed when the test ends.
    static func scratch(_ test: XCTestCase) throws -> String {
        let dir = NSTemporaryDirectory() + "ckpt-verify-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        test.addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        return dir
    }

    /// Copies `source` to `dest` with the bytes at `offsets` XORed with `mask`.
    static func copy(_ source: String, to dest: String, xor offsets: [Int] = [], mask: UInt8 = 0x01) throws {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: source)))
        for o in offsets { bytes[o] ^= mask }
        try Data(bytes).write(to: URL(fileURLWithPath: dest))
    }

    /// Absolute file offset of the first byte of `tensor` in a single safetensors file.
    static func offset(of tensor: String, in path: String) throws -> Int {
        let file = try SafetensorsFile(path: path)
        return file.fileOffset(of: try XCTUnwrap(file.info(tensor), "\(tensor) not in \(path)"))
    }

    /// Writes `checkpoint`'s tensors after `edit` to `dest` with our writer.
    static func rewrite(_ checkpoint: Checkpoint, to dest: String, _ edit: ([TensorEntry]) -> [TensorEntry]) throws {
        try SafetensorsWriter.write(edit(checkpoint.tensors).map { OutputTensor($0) }, to: dest)
    }

    /// The same bytes with another dtype label (no conversion).
    static func relabelled(_ e: TensorEntry, _ dtype: DType) -> TensorEntry {
        TensorEntry(name: e.name, dtype: dtype, shape: e.shape, segments: e.segments, sourcePath: e.sourcePath)
    }

    /// `e` with its bytes replaced.
    static func replacing(_ e: TensorEntry, bytes: [UInt8], dtype: DType? = nil) -> TensorEntry {
        TensorEntry(name: e.name, dtype: dtype ?? e.dtype, shape: e.shape, segments: [.memory(bytes)], sourcePath: e.sourcePath)
    }

    /// The models whose files are checked in both layouts, with their golden case folder.
    static let models = ["tiny", "tiny-reg4", "tiny-swiglu"]
}
