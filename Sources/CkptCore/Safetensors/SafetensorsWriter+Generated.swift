/// A tensor whose bytes are computed while the file is written, so a writer never holds more than
/// one buffer of it (a synthetic ViT-g is 4.5 GB).
public struct GeneratedTensor: Sendable {
    /// Tensor name in the output.
    public let name: String
    /// Element type of the output.
    public let dtype: DType
    /// Shape of the output.
    public let shape: [Int]
    /// Fills `buffer` with the bytes of elements `[first, first + buffer.count / width)` in C order.
    public let fill: @Sendable (_ first: Int, _ buffer: UnsafeMutableRawBufferPointer) -> Void

    /// A tensor whose bytes `fill` computes, chunk by chunk, while the file is written.
    public init(name: String, dtype: DType, shape: [Int],
                fill: @escaping @Sendable (_ first: Int, _ buffer: UnsafeMutableRawBufferPointer) -> Void) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.fill = fill
    }
}

extension SafetensorsWriter {
    /// Writes generated tensors, byte-identical to `save_file` of the same values, atomically.
    ///
    /// Why a separate entry point rather than a generator case of `ByteSegment`: a segment is meant
    /// to be cheap to copy and to slice (qkv split), and every reader of segments (`contiguousBytes`,
    /// the cast path) would have to learn to run code. Here the header is computed from names and
    /// shapes alone, then each tensor is produced chunk by chunk into one buffer and appended.
    ///
    /// Names must be unique and each shape's byte count must fit in an `Int` (preconditions).
    public static func write(generated tensors: [GeneratedTensor], to destination: String,
                             metadata: [(String, String)]? = defaultMetadata, overwrite: Bool = false) throws {
        try stage(generated: tensors, to: destination, metadata: metadata, overwrite: overwrite).commit()
    }

    /// `write(generated:)` up to the commit, like `stage(_:to:)`: the caller moves the file into place.
    package static func stage(generated tensors: [GeneratedTensor], to destination: String,
                              metadata: [(String, String)]? = defaultMetadata, overwrite: Bool = false) throws -> AtomicOutput {
        var byName: [String: GeneratedTensor] = [:]
        var placeholders: [OutputTensor] = []
        for t in tensors {
            // The caller's side: synth bounds its flags so that every shape's size fits.
            precondition(byName.updateValue(t, forKey: t.name) == nil, "\(destination): tensor \"\(t.name)\" would be written twice")
            precondition(t.dtype.byteWidth != nil && t.dtype.byteCount(for: t.shape) != nil,
                         "\(destination): cannot generate tensor \"\(t.name)\" of \(t.dtype.rawValue) \(t.shape)")
            // The header needs only name, dtype and shape: an entry without segments stands in.
            placeholders.append(OutputTensor(TensorEntry(name: t.name, dtype: t.dtype, shape: t.shape, segments: [], sourcePath: "(generated)")))
        }
        let order = ordered(placeholders)
        let output = try AtomicOutput(destination: destination, overwrite: overwrite, protecting: [])
        do {
            try output.write(header(for: order, metadata: metadata))
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: 64)
            defer { buffer.deallocate() }
            for placeholder in order {
                let t = byName[placeholder.name]!
                let width = t.dtype.byteWidth!
                let total = t.dtype.byteCount(for: t.shape)! / width
                try forEachChunk(of: total, by: buffer.count / width) { done, n in
                    let chunk = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<n * width])
                    t.fill(done, chunk)
                    try output.write(UnsafeRawBufferPointer(chunk))
                }
            }
            return output
        } catch {
            output.abandon()
            throw error
        }
    }
}
