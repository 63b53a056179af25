import CkptTestSupport
import Foundation
import XCTest
import CkptKit
@testable import CkptForward

/// F16/BF16 weights and pixels are widened exactly and computed in F32: the result must be
/// bit-identical to running F32 tensors that hold the same (already rounded) values.
final class ForwardDTypeTests: XCTestCase {
    static var tinyWeights: String? {
        guard let root = PackagePaths.goldenRoot(containing: "models") else { return nil }
        let path = root + "/models/tiny-swiglu/dinov2.safetensors"
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }

    /// `entry` rounded to `dtype`, and the same rounded values stored as F32.
    func rounded(_ entry: TensorEntry, to dtype: DType) throws -> (half: TensorEntry, widened: TensorEntry) {
        let values = try entry.floatValues()
        var half = [UInt8](repeating: 0, count: values.count * 2)
        values.withUnsafeBytes { src in
            half.withUnsafeMutableBytes { FloatCast.convert(src, from: .f32, to: dtype, into: $0) }
        }
        let widened = half.withUnsafeBytes { FloatCast.toFloat32($0, from: dtype) }
        return (TensorEntry(name: entry.name, dtype: dtype, shape: entry.shape, segments: [.memory(half)], sourcePath: "half"),
                TensorEntry(name: entry.name, dtype: .f32, shape: entry.shape,
                            segments: [.memory(widened.withUnsafeBytes { Array($0) })], sourcePath: "widened"))
    }

    func testHalfWeightsEqualTheirF32Widening() throws {
        guard let path = Self.tinyWeights else { throw XCTSkip("golden models not found (set CKPT_GOLDEN_ROOT)") }
        let tensors = try Checkpoint.open(path).tensors
        var pixels = [Float](repeating: 0, count: 2 * 3 * 56 * 70)
        for i in pixels.indices { pixels[i] = Float(sin(Double(i) * 0.37)) }
        for dtype in [DType.f16, .bf16] {
            var half: [TensorEntry] = [], widened: [TensorEntry] = []
            for t in tensors {
                let (h, w) = try rounded(t, to: dtype)
                half.append(h)
                widened.append(w)
            }
            let a = try ViTForward.run(ViTWeights(tensors: half, source: "half", heads: 3), pixels: pixels, batch: 2,
                                       height: 56, width: 70, interpolation: .dinov2, threads: 1)
            let b = try ViTForward.run(ViTWeights(tensors: widened, source: "widened", heads: 3), pixels: pixels, batch: 2,
                                       height: 56, width: 70, interpolation: .dinov2, threads: 1)
            XCTAssertEqual(a.lastHiddenState.map(\.bitPattern), b.lastHiddenState.map(\.bitPattern), "\(dtype.rawValue) weights")
            XCTAssertTrue(a.lastHiddenState.allSatisfy(\.isFinite), "\(dtype.rawValue) weights")
        }
    }

    func testHalfPixelsAreWidenedExactly() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ckpt-px-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let values: [Float] = (0..<(1 * 3 * 14 * 28)).map { Float($0 % 17) / 8 - 1 }  // exact in F16 and BF16
        for dtype in [DType.f16, .bf16] {
            var bytes = [UInt8](repeating: 0, count: values.count * 2)
            values.withUnsafeBytes { src in bytes.withUnsafeMutableBytes { FloatCast.convert(src, from: .f32, to: dtype, into: $0) } }
            let path = dir.appendingPathComponent("px-\(dtype.rawValue).safetensors").path
            let entry = TensorEntry(name: "pixel_values", dtype: dtype, shape: [1, 3, 14, 28], segments: [.memory(bytes)], sourcePath: path)
            try SafetensorsWriter.write([OutputTensor(entry)], to: path)
            let px = try EmbedIO.loadPixels(path)
            XCTAssertEqual(px.values, values, dtype.rawValue)
            XCTAssertEqual([px.batch, px.height, px.width], [1, 14, 28], dtype.rawValue)
        }
    }

    func testPixelShapeErrorsNameTheFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ckpt-px-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("bad.safetensors").path
        let entry = TensorEntry(name: "pixel_values", dtype: .f32, shape: [1, 4, 2, 2],
                                segments: [.memory([UInt8](repeating: 0, count: 64))], sourcePath: path)
        try SafetensorsWriter.write([OutputTensor(entry)], to: path)
        XCTAssertThrowsError(try EmbedIO.loadPixels(path)) { error in
            XCTAssertTrue("\(error)".contains(path) && "\(error)".contains("[B, 3, H, W]"), "\(error)")
        }
    }
}
