import CkptCheckpoint
import CkptForward
import CkptFormat
import CkptLayout
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Value checks that need every element of a tensor: non-finite values and all-zero tensors.
///
/// The checks work on bit patterns, so a NaN with any payload, ±Inf and ±0 are recognised exactly and
/// nothing is converted. Sub-byte and 8-bit float types are not scanned (no tensor of a DINOv2 release
/// uses them); integer types cannot hold non-finite values.
package enum TensorScan {
    /// Non-finite elements of one tensor.
    package struct NonFinite: Equatable, Sendable {
        package var nan = 0
        package var positiveInfinity = 0
        package var negativeInfinity = 0
        /// Flat (C-order) index of the first non-finite element.
        package var firstIndex = -1

        package var count: Int { nan + positiveInfinity + negativeInfinity }
    }

    /// What one pass over a tensor found.
    package struct Result: Equatable, Sendable {
        /// nil when every element is finite (or the dtype cannot hold non-finite values).
        package var nonFinite: NonFinite?
        /// Every element is zero (+0 or −0 for floats); false for empty tensors.
        package var allZeros: Bool
    }

    /// Scans `entry` in one pass over its bytes.
    package static func scan(_ entry: TensorEntry) throws -> Result {
        guard entry.elementCount > 0 else { return Result(nonFinite: nil, allZeros: false) }
        return try entry.withContiguousBytes { raw in
            switch entry.dtype {
            case .f32: return scanFloat(raw, UInt32.self, exponent: 0x7F80_0000, mantissa: 0x007F_FFFF)
            case .f64: return scanFloat(raw, UInt64.self, exponent: 0x7FF0_0000_0000_0000, mantissa: 0x000F_FFFF_FFFF_FFFF)
            case .f16: return scanFloat(raw, UInt16.self, exponent: 0x7C00, mantissa: 0x03FF)
            case .bf16: return scanFloat(raw, UInt16.self, exponent: 0x7F80, mantissa: 0x007F)
            default: return Result(nonFinite: nil, allZeros: !raw.contains { $0 != 0 })
            }
        }
    }

    /// Bit-pattern scan of IEEE-754 values stored little-endian: exponent all ones means non-finite
    /// (mantissa zero: infinity, else NaN); a value is zero when every bit but the sign is clear.
    static func scanFloat<T: FixedWidthInteger & UnsignedInteger>(_ raw: UnsafeRawBufferPointer, _ type: T.Type,
                                                                exponent: T, mantissa: T) -> Result {
        let sign: T = 1 << (T.bitWidth - 1)
        var found = NonFinite()
        var nonZero = false
        withWords(raw, T.self) { words in
            for (i, w) in words.enumerated() {
                let bits = T(littleEndian: w)
                if bits & ~sign != 0 { nonZero = true }
                if bits & exponent == exponent {
                    if bits & mantissa != 0 { found.nan += 1 }
                    else if bits & sign != 0 { found.negativeInfinity += 1 }
                    else { found.positiveInfinity += 1 }
                    if found.firstIndex < 0 { found.firstIndex = i }
                }
            }
        }
        return Result(nonFinite: found.count > 0 ? found : nil, allZeros: !nonZero)
    }

    /// Lends `raw` as elements of `T`: in place when aligned, else from an aligned copy.
    static func withWords<T: FixedWidthInteger, R>(_ raw: UnsafeRawBufferPointer, _ type: T.Type,
                                                   _ body: (UnsafeBufferPointer<T>) -> R) -> R {
        let count = raw.count / MemoryLayout<T>.stride
        if let base = raw.baseAddress, Int(bitPattern: base) % MemoryLayout<T>.alignment == 0 {
            // Aligned bytes of a trivial integer type, read-only, used only inside this call.
            return body(UnsafeBufferPointer(start: base.assumingMemoryBound(to: T.self), count: count))
        }
        let copy = [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            if count > 0 { UnsafeMutableRawBufferPointer(buffer).copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[0..<count * MemoryLayout<T>.stride])) }
            initialized = count
        }
        return copy.withUnsafeBufferPointer(body)
    }

    /// `[i, j, …]` of the flat C-order `index` in `shape`.
    package static func unravel(_ index: Int, in shape: [Int]) -> [Int] {
        var rest = index
        var out = [Int](repeating: 0, count: shape.count)
        for axis in stride(from: shape.count - 1, through: 0, by: -1) where shape[axis] > 0 {
            out[axis] = rest % shape[axis]
            rest /= shape[axis]
        }
        return out
    }

    /// Groups of tensors holding exactly the same bytes with the same dtype and shape, each group
    /// sorted by name. Tensors with fewer than two elements, and those in `skip`, are left out.
    ///
    /// Candidates are first bucketed by dtype, shape and a fingerprint of their first and last bytes,
    /// and only then compared in full, so a checkpoint of distinct tensors costs one small read each.
    package static func duplicateGroups(_ entries: [TensorEntry], skip: Set<String> = []) throws -> [[String]] {
        var buckets: [String: [TensorEntry]] = [:]
        var order: [String] = []
        for e in entries where e.elementCount > 1 && !skip.contains(e.name) {
            let key = "\(e.dtype.rawValue)|\(e.shape)|" + (try fingerprint(e))
            if buckets[key] == nil { order.append(key) }
            buckets[key, default: []].append(e)
        }
        var groups: [[String]] = []
        for key in order {
            guard var members = buckets[key], members.count > 1 else { continue }
            while members.count > 1 {
                let first = members.removeFirst()
                let bytes = try first.contiguousBytes()
                var group = [first.name]
                var rest: [TensorEntry] = []
                for other in members {
                    let same = try other.withContiguousBytes { raw in
                        bytes.withUnsafeBytes { mine in
                            raw.count == mine.count && (raw.count == 0 || memcmp(raw.baseAddress!, mine.baseAddress!, raw.count) == 0)
                        }
                    }
                    if same { group.append(other.name) } else { rest.append(other) }
                }
                if group.count > 1 { groups.append(group.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }) }
                members = rest
            }
        }
        return groups.sorted { $0[0].utf8.lexicographicallyPrecedes($1[0].utf8) }
    }

    /// Hex of the first and last 64 bytes (cheap to read, distinct for any two trained tensors).
    static func fingerprint(_ e: TensorEntry) throws -> String {
        try e.withContiguousBytes { raw in
            let n = min(64, raw.count)
            let head = raw.prefix(n), tail = raw.suffix(n)
            return (Array(head) + Array(tail)).map { String($0, radix: 16) }.joined(separator: ".")
        }
    }
}
