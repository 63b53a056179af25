import CkptCore
extension TensorEntry {
    /// The segments covering bytes `[start, start + count)` of this tensor. Slicing the concatenation
    /// of several entries at their boundaries gives back their original segments, which is what makes
    /// fuse-then-split (and split-then-fuse) an identity.
    func segments(bytes start: Int, count: Int) -> [ByteSegment] {
        var out: [ByteSegment] = []
        var position = 0
        let end = start + count
        for segment in segments {
            let segStart = position, segEnd = position + segment.count
            position = segEnd
            let lo = max(start, segStart), hi = min(end, segEnd)
            guard lo < hi else { continue }
            out.append(lo == segStart && hi == segEnd ? segment : segment.slice(lo - segStart, hi - lo))
        }
        return out
    }

    /// Row block `part` of `parts` equal row blocks (dimension 0), as a new entry named `name`.
    func rows(part: Int, of parts: Int, name: String) -> TensorEntry {
        var shape = self.shape
        shape[0] /= parts
        let length = byteCount / parts
        return TensorEntry(name: name, dtype: dtype, shape: shape,
                           segments: segments(bytes: part * length, count: length), sourcePath: sourcePath)
    }

    /// The row-wise concatenation of `parts` (same dtype and trailing shape, checked by the caller).
    /// Adjacent ranges of the same file merge into one, so a qkv split out of an original file and
    /// fused again is the single range it started as.
    static func concatenatingRows(_ parts: [TensorEntry], name: String) -> TensorEntry {
        var shape = parts[0].shape
        shape[0] = parts.reduce(0) { $0 + $1.shape[0] }
        var segments: [ByteSegment] = []
        for segment in parts.flatMap(\.segments) {
            if case let .file(file, offset, count)? = segments.last, case let .file(next, nextOffset, nextCount) = segment,
               file === next, offset + count == nextOffset {
                segments[segments.count - 1] = .file(file, offset: offset, count: count + nextCount)
            } else {
                segments.append(segment)
            }
        }
        return TensorEntry(name: name, dtype: parts[0].dtype, shape: shape, segments: segments, sourcePath: parts[0].sourcePath)
    }
}
