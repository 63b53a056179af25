import Crypto

/// SHA-256 of tensor bytes and files, streamed through a fixed buffer (golden data records both).
public enum Hashing {
    static let bufferSize = 1 << 20

    /// Lowercase hex SHA-256 of the bytes of `segments`, in order.
    public static func sha256(_ segments: [ByteSegment]) throws -> String {
        var hasher = SHA256()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: 64)
        defer { buffer.deallocate() }
        for segment in segments {
            switch segment {
            case let .memory(bytes): hasher.update(data: bytes)
            case let .file(file, offset, count):
                var done = 0
                while done < count {
                    let n = min(buffer.count, count - done)
                    let chunk = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<n])
                    try file.read(into: chunk, at: offset + done)
                    hasher.update(bufferPointer: UnsafeRawBufferPointer(chunk))
                    done += n
                }
            }
        }
        return hex(hasher.finalize())
    }

    /// Lowercase hex SHA-256 of the whole file at `path`.
    public static func sha256(file path: String) throws -> String {
        let file = try MappedFile(path: path)
        return try sha256([.file(file, offset: 0, count: file.size)])
    }

    static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for b in digest { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }
}

extension TensorEntry {
    /// Lowercase hex SHA-256 of the tensor's bytes.
    public func sha256() throws -> String { try Hashing.sha256(segments) }
}
