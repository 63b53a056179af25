import CCkptShims
#if canImport(Glibc)
import Glibc
#endif

/// One tensor to write: its source and the dtype it should have in the output.
public struct OutputTensor: Sendable {
    /// The source tensor: name, shape and bytes.
    public let entry: TensorEntry
    /// Output dtype; differs from `entry.dtype` only for float casts.
    public let dtype: DType

    /// `dtype` may differ from `entry.dtype` only when both are floating point (F64, F32, F16, BF16).
    public init(_ entry: TensorEntry, dtype: DType? = nil) {
        precondition(dtype == nil || dtype == entry.dtype || (dtype!.isCastableFloat && entry.dtype.isCastableFloat),
                     "cannot cast tensor \"\(entry.name)\" from \(entry.dtype.rawValue) to \(dtype!.rawValue)")
        self.entry = entry
        self.dtype = dtype ?? entry.dtype
    }

    /// The tensor name written.
    public var name: String { entry.name }
    /// The shape written (the source's).
    public var shape: [Int] { entry.shape }
    /// Bytes the tensor takes in the output, in `dtype`.
    public var byteCount: Int { dtype.byteCount(for: entry.shape) ?? 0 }
}

/// Writes safetensors files byte-identical to Python's `safetensors.torch.save_file`, streaming the
/// tensor bytes from their sources in the kernel (`SplicePipe`, else `copy_file_range`) or through a
/// fixed buffer, atomically.
public enum SafetensorsWriter {
    /// Metadata written when the caller gives none: transformers requires `format: pt`.
    public static let defaultMetadata: [(String, String)] = [("format", "pt")]
    static let bufferSize = 1 << 20

    /// The reference order: dtype rank descending, then name ascending by UTF-8 bytes.
    package static func ordered(_ tensors: [OutputTensor]) -> [OutputTensor] {
        tensors.sorted {
            if $0.dtype != $1.dtype { return $0.dtype > $1.dtype }
            return $0.name.utf8.lexicographicallyPrecedes($1.name.utf8)
        }
    }

    /// The 8-byte length plus padded JSON header for tensors already in output order.
    package static func header(for tensors: [OutputTensor], metadata: [(String, String)]?) -> [UInt8] {
        var members: [(String, JSONValue)] = []
        if let metadata { members.append(("__metadata__", .object(metadata.map { ($0.0, .string($0.1)) }))) }
        var offset = 0
        for t in tensors {
            let n = t.byteCount
            members.append((t.name, .object([
                ("dtype", .string(t.dtype.rawValue)),
                ("shape", .array(t.shape.map { .int($0) })),
                ("data_offsets", .array([.int(offset), .int(offset + n)])),
            ])))
            offset += n
        }
        var json = Array(JSONWriter.compact(.object(members)).utf8)
        json.append(contentsOf: [UInt8](repeating: 0x20, count: (8 - json.count % 8) % 8))
        var out = withUnsafeBytes(of: UInt64(json.count).littleEndian) { Array($0) }
        out.append(contentsOf: json)
        return out
    }

    /// The caller's side of a write request, checked before anything touches the disk: unique names
    /// and byte counts that fit the shapes. Every reader hands out such tensors (readers refuse
    /// duplicate names and short tensors), so a failure is a bug in the caller, not in the input.
    static func checkRequest(_ tensors: [OutputTensor], destination: String) {
        var seen = Set<String>()
        for t in tensors {
            precondition(seen.insert(t.name).inserted, "\(destination): tensor \"\(t.name)\" would be written twice")
            precondition(t.entry.dtype.byteCount(for: t.shape) == t.entry.byteCount,
                         "\(destination): tensor \"\(t.name)\" has \(t.entry.byteCount) bytes for shape \(t.shape) of \(t.entry.dtype.rawValue)")
        }
    }

    /// Writes `tensors` to `destination` atomically.
    /// - Parameters:
    ///   - metadata: `__metadata__` entries, in order; nil writes none.
    ///   - overwrite: replace an existing destination (`--force`).
    ///   - inputs: files that must not be overwritten (the checkpoint being read).
    public static func write(_ tensors: [OutputTensor], to destination: String,
                             metadata: [(String, String)]? = defaultMetadata,
                             overwrite: Bool = false, protecting inputs: [FileIdentity] = []) throws {
        try stage(tensors, to: destination, metadata: metadata, overwrite: overwrite, protecting: inputs).commit()
    }

    /// Writes `tensors` completely into a temporary file next to `destination` but does not move it
    /// into place: the caller commits (or abandons) it, so several files can appear together or not
    /// at all (an HF folder's weights, head and config).
    package static func stage(_ tensors: [OutputTensor], to destination: String,
                             metadata: [(String, String)]? = defaultMetadata,
                             overwrite: Bool = false, protecting inputs: [FileIdentity] = []) throws -> AtomicOutput {
        checkRequest(tensors, destination: destination)
        let order = ordered(tensors)
        let output = try AtomicOutput(destination: destination, overwrite: overwrite, protecting: inputs)
        do {
            try output.write(header(for: order, metadata: metadata))
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: 64)
            let castBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize * 2, alignment: 64)
            defer { buffer.deallocate(); castBuffer.deallocate() }
            // Kept across tensors: what a file system refused once, it refuses again.
            var method: CopyMethod = SplicePipe().map { .splice($0) } ?? .copyRange
            var sources: [ObjectIdentifier: MappedFile] = [:]
            for t in order {
                for segment in t.entry.segments {
                    if case let .file(file, _, _) = segment { sources[ObjectIdentifier(file)] = file }
                    if t.dtype == t.entry.dtype {
                        try copy(segment, to: output, buffer: buffer, method: &method)
                    } else {
                        try cast(segment, from: t.entry.dtype, to: t.dtype, output: output, buffer: buffer, castBuffer: castBuffer)
                    }
                }
            }
            // A source rewritten while we streamed it would make the output a mix of two versions.
            for file in sources.values { try file.checkUnchanged() }
            return output
        } catch {
            output.abandon()
            throw error
        }
    }

    /// How `copy` moves a file's bytes: in the kernel through the writer's `SplicePipe`, else through
    /// `copy_file_range`, else with read + write through the buffer. Each falls back to the next where
    /// the files do not support it.
    private enum CopyMethod {
        case splice(SplicePipe), copyRange, readWrite
    }

    private static func copy(_ segment: ByteSegment, to output: AtomicOutput, buffer: UnsafeMutableRawBufferPointer,
                             method: inout CopyMethod) throws {
        switch segment {
        case .memory, .floats:
            try segment.withMemoryBytes { try output.write($0) }
        case let .file(file, offset, count):
            var position = offset
            var remaining = count
            while remaining > 0 {
                var inOffset = Int64(position)
                // At most one writeback stride per call, so the disk starts early even in a large tensor.
                let step = min(remaining, Int(AtomicOutput.writebackStride))
                let n: Int, call: String
                switch method {
                case let .splice(pipe):
                    n = pipe.copy(from: file.descriptor, offset: &inOffset, to: output.descriptor, count: step)
                    call = "splice"
                case .copyRange:
                    n = ckpt_copy_file_range(file.descriptor, &inOffset, output.descriptor, step)
                    call = "copy_file_range"
                case .readWrite:
                    let chunk = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<min(remaining, buffer.count)])
                    try file.read(into: chunk, at: position)
                    try output.write(UnsafeRawBufferPointer(chunk))
                    position += chunk.count
                    remaining -= chunk.count
                    continue
                }
                if n > 0 { position += n; remaining -= n; output.didAppend(n); continue }
                if n == 0 {
                    throw CkptError.inputResized(path: file.path, openedSize: file.size, currentSize: file.currentSize())
                }
                if errno == EINTR { continue }
                guard [EXDEV, EINVAL, ENOSYS, EOPNOTSUPP, EBADF].contains(errno) else {
                    throw CkptError.io(path: output.temporaryPath, operation: call, code: errno)
                }
                // Not supported here: the next method.
                if case .splice = method { method = .copyRange } else { method = .readWrite }
            }
        }
    }

    private static func cast(_ segment: ByteSegment, from: DType, to: DType, output: AtomicOutput,
                             buffer: UnsafeMutableRawBufferPointer, castBuffer: UnsafeMutableRawBufferPointer) throws {
        let inWidth = from.byteWidth!, outWidth = to.byteWidth!
        let perChunk = min(buffer.count / inWidth, castBuffer.count / outWidth)
        try forEachChunk(of: segment.count / inWidth, by: perChunk) { done, n in
            let chunk = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<n * inWidth])
            switch segment {
            case let .file(file, offset, _): try file.read(into: chunk, at: offset + done * inWidth)
            case .memory, .floats:
                segment.withMemoryBytes { chunk.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[done * inWidth..<(done + n) * inWidth])) }
            }
            let out = UnsafeMutableRawBufferPointer(rebasing: castBuffer[0..<n * outWidth])
            FloatCast.convert(UnsafeRawBufferPointer(chunk), from: from, to: to, into: out)
            try output.write(UnsafeRawBufferPointer(out))
        }
    }

    /// Calls `body(first, count)` on consecutive runs of at most `perChunk` of `total` elements: how
    /// the writer streams a tensor through one fixed buffer.
    static func forEachChunk(of total: Int, by perChunk: Int, _ body: (_ first: Int, _ count: Int) throws -> Void) rethrows {
        precondition(perChunk > 0, "a chunk holds at least one element")
        var done = 0
        while done < total {
            let n = min(perChunk, total - done)
            try body(done, n)
            done += n
        }
    }
}
