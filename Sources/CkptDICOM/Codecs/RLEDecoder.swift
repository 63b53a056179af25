/// RLE Lossless (PS3.5 annex G): a 64-byte header of segment offsets, then one PackBits segment per
/// byte plane, most significant first. Output is bounded by rows × columns whatever the data says.
enum RLEDecoder {
    static func decode(_ frame: UnsafeRawBufferPointer, header h: DICOMHeader, path: String) throws -> [UInt16] {
        func corrupt(_ detail: String) -> DICOMProblem { .corruptPixelData(path: path, codec: "RLE", detail: detail) }
        guard frame.count >= 64 else { throw corrupt("the fragment has \(frame.count) bytes, fewer than the 64-byte RLE header") }
        func u32(_ i: Int) -> Int { Int(UInt32(littleEndian: frame.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))) }
        let segments = u32(0)
        let planes = h.bitsAllocated / 8
        guard segments == planes else {
            throw DICOMProblem.codecMismatch(path: path, codec: "RLE",
                                             detail: "\(segments) segments where \(h.bitsAllocated)-bit grayscale needs \(planes)")
        }
        let count = h.rows * h.columns
        // A PackBits segment gives at most 128 bytes for 2 (a repeat run): a fragment too small for the
        // image is refused before the output is allocated.
        guard frame.count - 64 >= segments * 2 * ((count + 127) / 128) else {
            throw corrupt("a \(frame.count)-byte fragment cannot hold \(segments) segments of \(count) bytes")
        }
        var out = [UInt16](repeating: 0, count: count)
        for s in 0..<segments {
            let start = u32(1 + s)
            let end = s + 1 < segments ? u32(2 + s) : frame.count
            guard start >= 64, start <= end, end <= frame.count else {
                throw corrupt("segment \(s + 1) spans bytes \(start)..<\(end) of a \(frame.count)-byte fragment")
            }
            let shift = UInt16(8 * (planes - 1 - s))
            var i = start, n = 0
            while n < count {
                guard i < end else { throw corrupt("segment \(s + 1) decodes to \(n) bytes, the image needs \(count)") }
                let control = Int(Int8(bitPattern: frame[i]))
                i += 1
                if control >= 0 {
                    let run = control + 1
                    guard end - i >= run else { throw corrupt("segment \(s + 1) ends inside a literal run") }
                    let take = min(run, count - n)
                    for k in 0..<take { out[n + k] |= UInt16(frame[i + k]) << shift }
                    i += run
                    n += take
                } else if control != -128 {
                    guard i < end else { throw corrupt("segment \(s + 1) ends inside a repeat run") }
                    let value = UInt16(frame[i]) << shift
                    i += 1
                    let take = min(1 - control, count - n)
                    for k in 0..<take { out[n + k] |= value }
                    n += take
                }
            }
        }
        return out
    }
}
