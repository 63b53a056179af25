import CkptCore

/// Writing preprocessed images as a safetensors file: tensor `pixel_values` F32 `[B, C, H, W]` with the
/// source images in `__metadata__` (`ImageInputs.metadata`).
public enum PixelsFile {
    /// The tensor name `ckpt embed --pixels` and transformers use.
    public static let tensorName = "pixel_values"

    /// Writes `batch` to `path` atomically; `protecting` lists files the output must not replace (the images).
    public static func write(_ batch: ImageBatcher.Batch, to path: String, overwrite: Bool = false,
                             protecting: [FileIdentity] = []) throws {
        let entry = TensorEntry(name: tensorName, shape: batch.shape, floats: batch.values, sourcePath: path)
        try SafetensorsWriter.write([OutputTensor(entry)], to: path, metadata: ImageInputs.metadata(batch.sources),
                                    overwrite: overwrite, protecting: protecting)
    }
}
