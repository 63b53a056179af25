import CkptCore
/// Turns a torch tensor (a strided view over a storage record) into the byte segments of its
/// contiguous, row-major form.
///
/// A contiguous tensor is one `.file` segment: zero-copy. A view (slice, transpose, expand, a row of
/// a shared storage) is cut into the contiguous runs it is made of. When runs are long
/// (≥ `minFileRunBytes`) each run stays a `.file` segment, so a row slice of a big matrix costs no
/// memory and the writer streams it; when runs are short (a transpose has one-element runs) a
/// segment per run would cost more than the bytes, so the tensor is gathered into one `.memory`
/// segment. Views whose logical size exceeds their storage (stride 0, overlapping strides) are only
/// materialized up to `maxExpandedBytes`, so a few bytes of pickle cannot ask for terabytes; and what
/// all the views of one archive gather together is bounded by a `GatherBudget`, so many such views (64
/// expansions of one 4-byte storage, each under the limit) cannot either.
enum StridedLayout {
    static let minFileRunBytes = 64 << 10
    static let maxExpandedBytes = 32 << 20

    /// Bytes the views of one archive may gather into memory: the archive's own size (a checkpoint of
    /// transposed views legitimately gathers about all of its data once) plus `maxExpandedBytes`. What
    /// a hostile pickle can make ckpt allocate this way is therefore its file size plus 32 MiB, however
    /// many views of the same storage it declares.
    struct GatherBudget {
        let limit: Int
        private(set) var used = 0

        init(archiveSize: Int) { limit = archiveSize + StridedLayout.maxExpandedBytes }

        /// Takes `bytes` from the budget, or throws before anything is allocated.
        mutating func take(_ bytes: Int, fail: (String) -> CkptError) throws {
            guard bytes <= limit - used else {
                throw fail("materializing this view would bring what the archive's views gather in memory to \(used + bytes) bytes, over its limit of \(limit) (the file's size plus \(StridedLayout.maxExpandedBytes >> 20) MiB)")
            }
            used += bytes
        }
    }

    /// The segments of one view, with a budget of its own (for callers that read one tensor).
    static func segments(of t: PthTensor, name: String, file: MappedFile) throws -> [ByteSegment] {
        var budget = GatherBudget(archiveSize: file.size)
        return try segments(of: t, name: name, file: file, budget: &budget)
    }

    static func segments(of t: PthTensor, name: String, file: MappedFile, budget: inout GatherBudget) throws -> [ByteSegment] {
        func fail(_ problem: String) -> CkptError { .malformedPth(path: file.path, problem: "tensor \"\(name)\": \(problem)") }
        let s = t.storage
        let width = t.dtype.byteWidth!  // torch dtypes are whole-byte types
        // The storage measured in elements of the tensor's dtype (an untyped storage counts bytes).
        let storageElements = s.byteCount / width
        let shapeText = "[" + t.shape.map(String.init).joined(separator: ", ") + "]"
        let strideText = "[" + t.stride.map(String.init).joined(separator: ", ") + "]"
        guard t.shape.count == t.stride.count else {
            throw fail("size \(shapeText) and stride \(strideText) have different ranks")
        }
        guard t.storageOffset >= 0, t.shape.allSatisfy({ $0 >= 0 }), t.stride.allSatisfy({ $0 >= 0 }) else {
            throw fail("negative storage_offset \(t.storageOffset), size \(shapeText) or stride \(strideText)")
        }
        guard let elements = elementCount(t.shape), elements.multipliedReportingOverflow(by: width).overflow == false else {
            throw fail("size \(shapeText) overflows")
        }
        guard t.storageOffset <= storageElements else {
            throw fail("storage_offset \(t.storageOffset) is past the end of storage \"\(s.key)\" (\(storageElements) elements)")
        }
        if elements == 0 { return [] }
        // Highest element index the view touches: offset + Σ (size−1)·stride.
        var last = t.storageOffset
        for (n, st) in zip(t.shape, t.stride) {
            let (step, o1) = (n - 1).multipliedReportingOverflow(by: st)
            let (sum, o2) = last.addingReportingOverflow(step)
            guard !o1, !o2 else { throw fail("size \(shapeText) with stride \(strideText) overflows") }
            last = sum
        }
        guard last < storageElements else {
            throw fail("storage_offset \(t.storageOffset) with size \(shapeText) and stride \(strideText) reaches element \(last + 1) of storage \"\(s.key)\", which holds \(storageElements) elements")
        }
        guard elements <= storageElements || elements * width <= maxExpandedBytes else {
            throw fail("a view of \(elements) elements over a storage of \(storageElements) (stride 0 or overlapping strides) is over the \(maxExpandedBytes >> 20) MiB limit for materializing such views")
        }

        // Innermost dimensions that are laid out contiguously form one run; the rest are iterated.
        var runElements = 1
        var outer = t.shape.count
        while outer > 0 {
            let d = outer - 1
            if t.shape[d] == 1 { outer -= 1; continue }
            guard t.stride[d] == runElements else { break }
            runElements *= t.shape[d]
            outer -= 1
        }
        let runCount = t.shape[..<outer].reduce(1, *)
        let runBytes = runElements * width
        let base = s.fileOffset
        if runCount == 1 || runBytes >= minFileRunBytes {
            var segments: [ByteSegment] = []
            var pending: (offset: Int, count: Int)? = nil
            forEachRunStart(t, outerRank: outer) { start in
                let offset = base + start * width
                if let p = pending, p.offset + p.count == offset {
                    pending = (p.offset, p.count + runBytes)  // adjacent runs merge into one range
                } else {
                    if let p = pending { segments.append(.file(file, offset: p.offset, count: p.count)) }
                    pending = (offset, runBytes)
                }
            }
            if let p = pending { segments.append(.file(file, offset: p.offset, count: p.count)) }
            return segments
        }
        let total = elements * width
        try budget.take(total, fail: fail)
        let gathered = try file.withBytes(offset: base, count: s.byteCount) { raw in
            [UInt8](unsafeUninitializedCapacity: total) { out, initialized in
                let dst = UnsafeMutableRawBufferPointer(out)
                var at = 0
                forEachRunStart(t, outerRank: outer) { start in
                    // In bounds: every run lies within the storage (checked above through `last`).
                    let src = UnsafeRawBufferPointer(rebasing: raw[start * width..<start * width + runBytes])
                    UnsafeMutableRawBufferPointer(rebasing: dst[at..<at + runBytes]).copyMemory(from: src)
                    at += runBytes
                }
                initialized = at
            }
        }
        return [.memory(gathered)]
    }

    /// Calls `body` with the element offset of each contiguous run, in row-major order of the first
    /// `outerRank` dimensions (an odometer, so no array of offsets is built).
    static func forEachRunStart(_ t: PthTensor, outerRank: Int, _ body: (Int) -> Void) {
        let dims = Array(t.shape[..<outerRank]), strides = Array(t.stride[..<outerRank])
        let count = dims.reduce(1, *)
        var index = [Int](repeating: 0, count: outerRank)
        var offset = t.storageOffset
        for _ in 0..<count {
            body(offset)
            var d = outerRank - 1
            while d >= 0 {
                index[d] += 1
                offset += strides[d]
                if index[d] < dims[d] { break }
                offset -= strides[d] * dims[d]
                index[d] = 0
                d -= 1
            }
        }
    }
}
