/// A run of bytes that makes up (part of) a tensor.
package enum ByteSegment: Sendable {
    /// `count` bytes at absolute `offset` of a mapped file: zero-copy.
    case file(MappedFile, offset: Int, count: Int)
    /// Bytes held in memory (small generated tensors such as a zero `mask_token`).
    case memory([UInt8])
    /// F32 values held in memory (pixel batches, embeddings, generated tensors): their bytes are lent as they
    /// are, little-endian on every platform ckpt builds for, without a copy.
    case floats([Float])

    package var count: Int {
        switch self {
        case let .file(_, _, count): return count
        case let .memory(bytes): return bytes.count
        case let .floats(values): return values.count * MemoryLayout<Float>.size
        }
    }

    /// Lends the bytes of a segment held in memory; nil for a range of a file.
    package func withMemoryBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R? {
        switch self {
        case .file: return nil
        case let .memory(bytes): return try bytes.withUnsafeBytes(body)
        case let .floats(values): return try values.withUnsafeBytes(body)
        }
    }

    /// The sub-range `[start, start + length)` of this segment.
    package func slice(_ start: Int, _ length: Int) -> ByteSegment {
        switch self {
        case let .file(file, offset, _): return .file(file, offset: offset + start, count: length)
        case .memory, .floats: return .memory(withMemoryBytes { Array($0[start..<start + length]) }!)
        }
    }
}

/// One tensor of a logical checkpoint: its name, type, shape and where its bytes are.
///
/// A tensor's bytes may be several segments (a fused qkv is three source ranges), so conversions
/// describe their output without copying anything; the writer streams the segments.
public struct TensorEntry: Sendable {
    /// The key in the checkpoint (or the converted name).
    public let name: String
    /// Element type.
    public let dtype: DType
    /// Dimensions, outermost first (`[]` for a scalar).
    public let shape: [Int]
    package let segments: [ByteSegment]
    /// The file the bytes come from, for messages.
    public let sourcePath: String

    package init(name: String, dtype: DType, shape: [Int], segments: [ByteSegment], sourcePath: String) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.segments = segments
        self.sourcePath = sourcePath
    }

    /// A tensor held in memory, e.g. to write with `SafetensorsWriter`: `bytes` are its elements in C
    /// order, little-endian, exactly `dtype.byteCount(for: shape)` of them (a precondition).
    public init(name: String, dtype: DType, shape: [Int], bytes: [UInt8]) {
        precondition(dtype.byteCount(for: shape) == bytes.count,
                     "tensor \"\(name)\": \(bytes.count) bytes for \(dtype.rawValue) \(shape)")
        self.init(name: name, dtype: dtype, shape: shape, segments: [.memory(bytes)], sourcePath: "(memory)")
    }

    /// An F32 tensor of `values` held in memory, written without a copy; `values` are its elements in C order,
    /// exactly as many as `shape` has (a precondition).
    package init(name: String, shape: [Int], floats values: [Float], sourcePath: String) {
        precondition(CkptCore.elementCount(shape) == values.count, "tensor \"\(name)\": \(values.count) values for \(shape)")
        self.init(name: name, dtype: .f32, shape: shape, segments: [.floats(values)], sourcePath: sourcePath)
    }

    /// Bytes of data over all segments.
    public var byteCount: Int { segments.reduce(0) { $0 + $1.count } }
    /// Product of the shape (1 for a scalar).
    public var elementCount: Int { CkptCore.elementCount(shape) ?? 0 }

    /// The same bytes under another name and, optionally, another shape of equal size.
    public func renamed(_ newName: String, shape newShape: [Int]? = nil) -> TensorEntry {
        TensorEntry(name: newName, dtype: dtype, shape: newShape ?? shape, segments: segments, sourcePath: sourcePath)
    }

    /// Lends the tensor's bytes: zero-copy when they are one range of a mapped file, else assembled.
    public func withContiguousBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        if segments.count == 1, case let .file(file, offset, count) = segments[0] {
            return try file.withBytes(offset: offset, count: count, body)
        }
        return try contiguousBytes().withUnsafeBytes(body)
    }

    /// A copy of the tensor's bytes.
    public func contiguousBytes() throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(byteCount)
        for segment in segments {
            switch segment {
            case let .file(file, offset, count): try file.withBytes(offset: offset, count: count) { out.append(contentsOf: $0) }
            case .memory, .floats: segment.withMemoryBytes { out.append(contentsOf: $0) }
            }
        }
        return out
    }

    /// Lends the tensor as F32 values: in place from the mapping for an aligned single-range F32
    /// tensor, otherwise converted (F16, BF16, F64) into a temporary array.
    public func withFloat32<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) throws -> R {
        if dtype == .f32, segments.count == 1, case let .file(file, offset, _) = segments[0] {
            return try file.withElements(of: Float.self, offset: offset, count: elementCount, body)
        }
        if dtype == .f32, segments.count == 1, case let .floats(values) = segments[0] {
            return try values.withUnsafeBufferPointer(body)
        }
        return try floatValues().withUnsafeBufferPointer(body)
    }

    /// Lends an F32 tensor whose bytes are several ranges of mapped files (a fused qkv read from three
    /// source tensors) as one in-place buffer per range, in order; any other tensor as `withFloat32`'s
    /// single buffer. Nothing is copied for the first kind.
    package func withFloat32Parts<R>(_ body: ([UnsafeBufferPointer<Float>]) throws -> R) throws -> R {
        let ranges: [(MappedFile, Int, Int)] = segments.compactMap {
            if case let .file(file, offset, count) = $0, count % 4 == 0 { return (file, offset, count / 4) }
            return nil
        }
        guard dtype == .f32, segments.count > 1, ranges.count == segments.count else { return try withFloat32 { try body([$0]) } }
        var parts: [UnsafeBufferPointer<Float>] = []
        func step(_ i: Int) throws -> R {
            if i == ranges.count { return try body(parts) }
            return try ranges[i].0.withElements(of: Float.self, offset: ranges[i].1, count: ranges[i].2) { part in
                parts.append(part)
                defer { parts.removeLast() }
                return try step(i + 1)
            }
        }
        return try step(0)
    }

    /// The values as F32 (exact for F16/BF16, rounded to nearest for F64).
    public func floatValues() throws -> [Float] {
        guard dtype.isCastableFloat else {
            throw CkptError.notFloat(path: sourcePath, tensor: name, dtype: dtype.rawValue)
        }
        return try withContiguousBytes { raw in FloatCast.toFloat32(raw, from: dtype) }
    }
}

extension TensorEntry {
    /// `[i, j, …]` of the flat C-order `index` in `shape` (axes of size 0 give 0).
    package static func unravel(_ index: Int, in shape: [Int]) -> [Int] {
        var rest = index
        var out = [Int](repeating: 0, count: shape.count)
        for axis in stride(from: shape.count - 1, through: 0, by: -1) where shape[axis] > 0 {
            out[axis] = rest % shape[axis]
            rest /= shape[axis]
        }
        return out
    }
}
