import CkptTestSupport
import Foundation
import XCTest

/// golden/images as golden/gen/images.py writes it (see the contract in images.json's description).
/// `CKPT_IMAGE_GOLDEN` points elsewhere (e.g. a scratch copy made with the same generator).
struct GoldenImages {
    let root: URL
    let manifest: [String: Any]

    static func load() throws -> GoldenImages {
        let root = URL(fileURLWithPath: ProcessInfo.processInfo.environment["CKPT_IMAGE_GOLDEN"]
            ?? PackagePaths.golden + "/images")
        let manifestURL = root.appendingPathComponent("images.json")
        guard let data = try? Data(contentsOf: manifestURL) else {
            throw XCTSkip("no image golden data at \(manifestURL.path)")
        }
        let object = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        return GoldenImages(root: root, manifest: object)
    }

    func entries(_ key: String) -> [[String: Any]] { manifest[key] as? [[String: Any]] ?? [] }
    func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }
}

/// A tensor read from a safetensors file: its dtype, shape and raw little-endian bytes.
struct GoldenTensor {
    let dtype: String
    let shape: [Int]
    let bytes: [UInt8]

    var uint8: [UInt8] { precondition(dtype == "U8"); return bytes }
    var uint16: [UInt16] { precondition(dtype == "U16"); return stride(from: 0, to: bytes.count, by: 2).map { UInt16(bytes[$0]) | UInt16(bytes[$0 + 1]) << 8 } }
    var int32: [Int32] {
        precondition(dtype == "I32")
        return stride(from: 0, to: bytes.count, by: 4).map {
            Int32(bitPattern: UInt32(bytes[$0]) | UInt32(bytes[$0 + 1]) << 8 | UInt32(bytes[$0 + 2]) << 16 | UInt32(bytes[$0 + 3]) << 24)
        }
    }
    var float32Bits: [UInt32] {
        precondition(dtype == "F32")
        return stride(from: 0, to: bytes.count, by: 4).map {
            UInt32(bytes[$0]) | UInt32(bytes[$0 + 1]) << 8 | UInt32(bytes[$0 + 2]) << 16 | UInt32(bytes[$0 + 3]) << 24
        }
    }

    /// A deliberately small reader for test data (CkptKit has the real, validating one).
    static func read(_ path: String) throws -> (tensors: [String: GoldenTensor], metadata: [String: String]) {
        let data = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        var headerLength = 0
        for i in 0..<8 { headerLength |= Int(data[i]) << (8 * i) }
        let header = try JSONSerialization.jsonObject(with: Data(data[8..<(8 + headerLength)])) as! [String: Any]
        var tensors: [String: GoldenTensor] = [:]
        var metadata: [String: String] = [:]
        for (name, value) in header {
            let entry = value as! [String: Any]
            if name == "__metadata__" { metadata = entry as? [String: String] ?? [:]; continue }
            let offsets = (entry["data_offsets"] as! [NSNumber]).map(\.intValue)
            let start = 8 + headerLength + offsets[0], end = 8 + headerLength + offsets[1]
            tensors[name] = GoldenTensor(
                dtype: entry["dtype"] as! String, shape: (entry["shape"] as! [NSNumber]).map(\.intValue),
                bytes: Array(data[start..<end]))
        }
        return (tensors, metadata)
    }
}

/// The first index where two arrays differ, with both values, for failure messages.
func firstDifference<T: Equatable>(_ a: [T], _ b: [T]) -> String? {
    if a.count != b.count { return "count \(a.count) vs \(b.count)" }
    guard let i = zip(a, b).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset else { return nil }
    let differing = zip(a, b).filter { $0 != $1 }.count
    return "\(differing) of \(a.count) differ, first at \(i): \(a[i]) vs expected \(b[i])"
}
