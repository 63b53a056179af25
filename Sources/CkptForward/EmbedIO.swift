import CkptCheckpoint
import CkptCore
/// Reading `pixel_values` and writing embeddings as safetensors, for `ckpt embed` and the golden check.
public enum EmbedIO {
    /// A preprocessed image batch `[B, 3, H, W]` in float32.
    public struct Pixels: Sendable {
        /// `[batch, 3, height, width]`, row-major.
        public var values: [Float]
        /// Images in the batch.
        public var batch: Int
        /// Image height in pixels.
        public var height: Int
        /// Image width in pixels.
        public var width: Int

        package init(values: [Float], batch: Int, height: Int, width: Int) {
            self.values = values
            self.batch = batch
            self.height = height
            self.width = width
        }
    }

    /// Reads tensor `pixel_values` `[B, 3, H, W]` (F32, F16 or BF16; F64 rounded) from a
    /// safetensors file (or `.zst`).
    public static func loadPixels(_ path: String, tensor name: String = "pixel_values") throws -> Pixels {
        let checkpoint = try Checkpoint.open(path)
        guard let t = checkpoint[name] else {
            throw CkptError.missingTensor(path: path, tensor: name, found: Array(checkpoint.names.prefix(8)))
        }
        guard t.shape.count == 4, t.shape[1] == 3, t.shape.allSatisfy({ $0 > 0 }) else {
            throw CkptError.tensorShape(path: path, tensor: name, shape: t.shape, expected: "[B, 3, H, W]")
        }
        guard t.dtype.isCastableFloat else {
            throw CkptError.notFloat(path: path, tensor: name, dtype: t.dtype.rawValue)
        }
        return Pixels(values: try t.floatValues(), batch: t.shape[0], height: t.shape[2], width: t.shape[3])
    }

    /// The output tensors' names, as transformers' `Dinov2Model` output fields (and ours for DINOHead's).
    public enum Name {
        /// `pooler_output` [B, D]: the class token after the final LayerNorm.
        public static let pooler = "pooler_output"
        /// `last_hidden_state` [B, T, D].
        public static let lastHiddenState = "last_hidden_state"
        /// `head_output` [B, out]: DINOHead on the pooler output.
        public static let head = "head_output"
    }

    /// The output tensors: `pooler_output`, `last_hidden_state`, and `head_output` when present.
    public static func tensors(_ out: EmbedOutput) -> [(String, [Int], [Float])] {
        var list: [(String, [Int], [Float])] = [
            (Name.pooler, [out.batch, out.width], out.poolerOutput),
            (Name.lastHiddenState, [out.batch, out.tokens, out.width], out.lastHiddenState),
        ]
        if let head = out.headOutput { list.append((Name.head, [out.batch, head.count / max(out.batch, 1)], head)) }
        return list
    }

    /// Writes the outputs as F32 safetensors, atomically.
    public static func write(_ out: EmbedOutput, to path: String, overwrite: Bool = false, protecting: [FileIdentity] = []) throws {
        let entries = tensors(out).map { name, shape, values in
            OutputTensor(TensorEntry(name: name, shape: shape, floats: values, sourcePath: path))
        }
        try SafetensorsWriter.write(entries, to: path, overwrite: overwrite, protecting: protecting)
    }
}
