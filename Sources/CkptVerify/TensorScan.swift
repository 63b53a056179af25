import CkptCore
import Glibc

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
        var totals = Accumulator(dtype: entry.dtype)
        if entry.elementCount > 0 {
            try entry.withContiguousBytes { totals.add($0, firstElement: 0) }
        }
        return totals.result(elementCount: entry.elementCount)
    }

    /// Running totals of a scan fed in pieces: the one-read verify pass (`Hashing.oneRead`) scans a
    /// tensor chunk by chunk, part on each thread, and merges the parts.
    package struct Accumulator: Sendable {
        package let dtype: DType
        private var found = NonFinite()
        private var nonZero = false

        package init(dtype: DType) { self.dtype = dtype }

        /// Bytes per unit `add` must be fed in: the element size of the scanned float types, 1 for
        /// the rest (only checked for all zeros).
        package static func unitBytes(_ dtype: DType) -> Int {
            switch dtype {
            case .f64: return 8
            case .f32: return 4
            case .f16, .bf16: return 2
            default: return 1
            }
        }

        /// Scans `raw`, whole units of `unitBytes(dtype)`, holding the tensor's elements from
        /// flat index `firstElement` on.
        package mutating func add(_ raw: UnsafeRawBufferPointer, firstElement: Int) {
            switch dtype {
            case .f32: scanFloat(raw, UInt32.self, exponent: 0x7F80_0000, mantissa: 0x007F_FFFF, base: firstElement)
            case .f64: scanFloat(raw, UInt64.self, exponent: 0x7FF0_0000_0000_0000, mantissa: 0x000F_FFFF_FFFF_FFFF, base: firstElement)
            case .f16: scanFloat(raw, UInt16.self, exponent: 0x7C00, mantissa: 0x03FF, base: firstElement)
            case .bf16: scanFloat(raw, UInt16.self, exponent: 0x7F80, mantissa: 0x007F, base: firstElement)
            default: if !nonZero { nonZero = anyNonZeroByte(raw) }
            }
        }

        /// Adds the totals of another part of the same tensor.
        package mutating func merge(_ other: Accumulator) {
            precondition(other.dtype == dtype, "merging scans of different dtypes")
            found.nan += other.found.nan
            found.positiveInfinity += other.found.positiveInfinity
            found.negativeInfinity += other.found.negativeInfinity
            if other.found.firstIndex >= 0, found.firstIndex < 0 || other.found.firstIndex < found.firstIndex {
                found.firstIndex = other.found.firstIndex
            }
            nonZero = nonZero || other.nonZero
        }

        /// The result for a tensor of `elementCount` elements, all of which were fed.
        package func result(elementCount: Int) -> Result {
            guard elementCount > 0 else { return Result(nonFinite: nil, allZeros: false) }
            return Result(nonFinite: found.count > 0 ? found : nil, allZeros: !nonZero)
        }

        /// Bit-pattern scan of IEEE-754 values stored little-endian: exponent all ones means non-finite
        /// (mantissa zero: infinity, else NaN); a value is zero when every bit but the sign is clear.
        ///
        /// Both questions are one maximum per block: the magnitude bits (all but the sign) are
        /// non-zero for a non-zero value and at least `exponent` exactly when the exponent is all
        /// ones, since the exponent field sits right below the sign. That loop vectorises; only a
        /// block holding a non-finite value is walked again element by element to count and place it.
        private mutating func scanFloat<T: FixedWidthInteger & UnsignedInteger>(
            _ raw: UnsafeRawBufferPointer, _ type: T.Type, exponent: T, mantissa: T, base: Int
        ) {
            let sign: T = 1 << (T.bitWidth - 1)
            let magnitude = ~sign
            withWords(raw, T.self) { words in
                let block = 4096
                var start = 0
                while start < words.count {
                    let end = min(start + block, words.count)
                    var top: T = 0
                    for i in start..<end { top = Swift.max(top, T(littleEndian: words[i]) & magnitude) }
                    if top != 0 { nonZero = true }
                    if top >= exponent {
                        for i in start..<end {
                            let bits = T(littleEndian: words[i])
                            guard bits & exponent == exponent else { continue }
                            if bits & mantissa != 0 { found.nan += 1 }
                            else if bits & sign != 0 { found.negativeInfinity += 1 }
                            else { found.positiveInfinity += 1 }
                            if found.firstIndex < 0 { found.firstIndex = base + i }
                        }
                    }
                    start = end
                }
            }
        }

        private func anyNonZeroByte(_ raw: UnsafeRawBufferPointer) -> Bool {
            var any: UInt8 = 0
            for b in raw { any |= b }
            return any != 0
        }
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
