/// An open, validated safetensors file. Opening reads only the header; tensor data stays in the
/// mapping until something asks for it.
package final class SafetensorsFile: Sendable {
    package let file: MappedFile
    package let header: SafetensorsHeader
    private let index: [String: Int]

    package var path: String { file.path }
    /// Tensors in file (offset) order.
    package var tensors: [TensorInfo] { header.tensors }
    package var metadata: [(String, String)]? { header.metadata }

    /// Opens and validates `path`.
    package convenience init(path: String) throws {
        try self.init(file: MappedFile(path: path))
    }

    /// Validates an already mapped file (used for decompressed `.zst` inputs).
    package init(file: MappedFile) throws {
        self.file = file
        do {
            guard file.size >= 8 else { throw SafetensorsProblem.fileTooSmall(size: file.size) }
            let length = try file.loadUInt64LE(at: 0)
            guard length <= UInt64(SafetensorsHeader.maxHeaderLength) else {
                throw SafetensorsProblem.headerTooLarge(length: length, limit: SafetensorsHeader.maxHeaderLength)
            }
            let n = Int(length)  // ≤ 100,000,000: fits.
            guard n <= file.size - 8 else { throw SafetensorsProblem.headerPastEnd(length: length, fileSize: file.size) }
            // Read in place from the mapping: a header is up to 100 MB, and one refused early (too many
            // tensors) is not even touched past that point.
            header = try file.withBytes(offset: 8, count: n) { try SafetensorsHeader.parse(header: $0, dataSize: file.size - 8 - n) }
        } catch let problem as SafetensorsProblem {
            throw CkptError.malformedSafetensors(path: file.path, problem: problem)
        }
        var index: [String: Int] = [:]
        index.reserveCapacity(header.tensors.count)
        for (i, t) in header.tensors.enumerated() { index[t.name] = i }
        self.index = index
    }

    package func info(_ name: String) -> TensorInfo? {
        index[name].map { header.tensors[$0] }
    }

    /// Absolute file offset of a tensor's first byte.
    package func fileOffset(of tensor: TensorInfo) -> Int { header.dataStart + tensor.begin }

    /// Lends a tensor's bytes, zero-copy from the mapping.
    package func withBytes<R>(of tensor: TensorInfo, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        try file.withBytes(offset: fileOffset(of: tensor), count: tensor.byteCount, body)
    }
}
