import CkptKit
import Foundation

/// Checkpoints generated for the crash-safety tests, written by ckpt's own writer (the tests check
/// what happens around a conversion, not the values, so no upstream data is needed).
enum GeneratedCheckpoints {
    /// Tensor names and shapes of a DINOv2 ViT-B/14 backbone at 518 px (86.6 M parameters, 346 MB
    /// as F32): the size of the real conversions the crash tests interrupt.
    static func vitBShapes(depth: Int = 12, width: Int = 768) -> [(String, [Int])] {
        var shapes: [(String, [Int])] = [
            ("cls_token", [1, 1, width]), ("mask_token", [1, width]), ("pos_embed", [1, 1370, width]),
            ("patch_embed.proj.weight", [width, 3, 14, 14]), ("patch_embed.proj.bias", [width]),
            ("norm.weight", [width]), ("norm.bias", [width]),
        ]
        for i in 0..<depth {
            let p = "blocks.\(i)."
            shapes += [
                (p + "norm1.weight", [width]), (p + "norm1.bias", [width]),
                (p + "attn.qkv.weight", [3 * width, width]), (p + "attn.qkv.bias", [3 * width]),
                (p + "attn.proj.weight", [width, width]), (p + "attn.proj.bias", [width]),
                (p + "ls1.gamma", [width]), (p + "norm2.weight", [width]), (p + "norm2.bias", [width]),
                (p + "mlp.fc1.weight", [4 * width, width]), (p + "mlp.fc1.bias", [4 * width]),
                (p + "mlp.fc2.weight", [width, 4 * width]), (p + "mlp.fc2.bias", [width]),
                (p + "ls2.gamma", [width]),
            ]
        }
        return shapes
    }

    /// Writes an F32 checkpoint with `shapes` to `path`; values are a fixed small-float pattern.
    static func write(_ shapes: [(String, [Int])], to path: String) throws {
        var patterns: [Int: [UInt8]] = [:]  // One buffer per element count, shared between tensors.
        let tensors = shapes.map { name, shape -> OutputTensor in
            let count = elementCount(shape)!
            if patterns[count] == nil {
                var values = [Float](repeating: 0, count: count)
                for i in 0..<count { values[i] = Float(i % 2001 - 1000) * 0.001 }
                patterns[count] = values.withUnsafeBytes { Array($0) }
            }
            return OutputTensor(TensorEntry(name: name, dtype: .f32, shape: shape, segments: [.memory(patterns[count]!)],
                                            sourcePath: "<generated>"))
        }
        try SafetensorsWriter.write(tensors, to: path)
    }

    /// True when the two files have the same bytes.
    static func identical(_ a: String, _ b: String) throws -> Bool {
        let x = try MappedFile(path: a), y = try MappedFile(path: b)
        guard x.size == y.size else { return false }
        return try x.withBytes(offset: 0, count: x.size) { p in
            try y.withBytes(offset: 0, count: y.size) { q in x.size == 0 || memcmp(p.baseAddress!, q.baseAddress!, x.size) == 0 }
        }
    }
}
