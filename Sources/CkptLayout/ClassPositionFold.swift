import CkptCore

/// The class-position fold: how timm stores DINOv2 models with registers (`no_embed_class=True`,
/// `_convert_dinov2` in timm's `vision_transformer.py`). The stored class token is
/// `cls_token + pos_embed[:, 0]` and the stored position table holds only the patch positions, so
/// neither the class token nor the registers overlap a position.
///
/// Folding computes one addition per element of the class token, in the arithmetic torch uses for
/// `cls + pos[:, 0]` on the CPU: F32 and F64 in their own type; F16 and BF16 widened to F32, added,
/// and rounded to nearest even. Unfolding moves bytes only: the stored class token is kept, and the
/// position table gets a first row of negative zeros. −0.0 is the additive identity of every float
/// (−0 + −0 = −0, +0 + −0 = +0), so the forward pass adds nothing, and folding the unfolded model
/// again gives back the stored class token bit for bit. A model that kept class token and first
/// position apart gets the same outputs after fold and unfold (in F32 the fold computes exactly
/// the sum the forward pass computes), but not the same bytes.
enum ClassPositionFold {
    static let foldNote = "cls_token = cls_token + pos_embed[:, 0] and pos_embed without its class position, as timm stores register models (no_embed_class): the class token is computed, not copied"
    static let unfoldNote = "cls_token holds the class position (timm's no_embed_class): read as that cls_token and a first position of zeros (−0.0) in pos_embed, which gives the same outputs but not the bytes of weights that keep them apart"

    /// `shape` ([1, T, D]) with `delta` rows added to its token axis.
    static func rowsAdded(_ delta: Int, to shape: [Int]) -> [Int] {
        guard shape.count == 3 else { return shape }
        return [shape[0], shape[1] + delta, shape[2]]
    }

    /// The stored class token `cls + positions[:, 0]`, named `name`, in the class token's dtype.
    /// - Throws: `CkptError.notFloat` for a non-float tensor; `LayoutError` when the two
    ///   differ in dtype or width.
    static func fold(cls: TensorEntry, positions: TensorEntry, name: String) throws -> TensorEntry {
        for t in [cls, positions] where !t.dtype.isCastableFloat {
            throw CkptError.notFloat(path: t.sourcePath, tensor: t.name, dtype: t.dtype.rawValue)
        }
        let width = cls.elementCount
        guard positions.dtype == cls.dtype, positions.shape.last == width, positions.elementCount >= width else {
            throw LayoutError(path: cls.sourcePath, problem: .inconsistent([
                "\(cls.name) (\(cls.dtype.rawValue) \(cls.shape)) and \(positions.name) (\(positions.dtype.rawValue) \(positions.shape)) cannot be folded: the class token and a position row must have one float type and width"]))
        }
        let rowBytes = cls.byteCount
        let first = TensorEntry(name: positions.name, dtype: positions.dtype, shape: [width],
                                segments: positions.segments(bytes: 0, count: rowBytes), sourcePath: positions.sourcePath)
        let a = try cls.contiguousBytes(), b = try first.contiguousBytes()
        var out = [UInt8](repeating: 0, count: rowBytes)
        a.withUnsafeBytes { x in
            b.withUnsafeBytes { y in
                out.withUnsafeMutableBytes { z in
                    if cls.dtype == .f64 {
                        for i in 0..<width {
                            let sum = Double(bitPattern: UInt64(littleEndian: x.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)))
                                + Double(bitPattern: UInt64(littleEndian: y.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)))
                            z.storeBytes(of: sum.bitPattern.littleEndian, toByteOffset: 8 * i, as: UInt64.self)
                        }
                    } else {
                        let sums = zip(FloatCast.toFloat32(x, from: cls.dtype), FloatCast.toFloat32(y, from: cls.dtype)).map { $0 + $1 }
                        sums.withUnsafeBytes { FloatCast.convert($0, from: .f32, to: cls.dtype, into: z) }
                    }
                }
            }
        }
        return TensorEntry(name: name, dtype: cls.dtype, shape: cls.shape, segments: [.memory(out)], sourcePath: cls.sourcePath)
    }

    /// The stored position table: rows 1… of `positions` [1, 1+N, D] (byte ranges), named `name`.
    static func patchPositions(_ positions: TensorEntry, name: String) -> TensorEntry {
        let shape = rowsAdded(-1, to: positions.shape)
        let rowBytes = positions.shape.count == 3 ? positions.byteCount / max(positions.shape[1], 1) : 0
        return TensorEntry(name: name, dtype: positions.dtype, shape: shape,
                           segments: positions.segments(bytes: rowBytes, count: positions.byteCount - rowBytes),
                           sourcePath: positions.sourcePath)
    }

    /// The canonical position table from a stored one [1, N, D]: a first row of negative zeros (see
    /// the type's note), then the stored rows as they are.
    static func unfold(_ stored: TensorEntry) -> TensorEntry {
        guard stored.shape.count == 3, let elementBytes = stored.dtype.byteWidth else { return stored }
        var zero = [UInt8](repeating: 0, count: stored.shape[2] * elementBytes)
        if stored.dtype.isCastableFloat {
            // Little-endian: the sign bit is the top bit of each element's last byte.
            for i in stride(from: elementBytes - 1, to: zero.count, by: elementBytes) { zero[i] = 0x80 }
        }
        return TensorEntry(name: stored.name, dtype: stored.dtype, shape: rowsAdded(1, to: stored.shape),
                           segments: [.memory(zero)] + stored.segments, sourcePath: stored.sourcePath)
    }
}
