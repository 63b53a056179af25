/// Bounds-checked little-endian reads from a byte array copied out of a file (zip headers, pickle
/// bytecode). Every read throws `ByteCursor.OutOfBounds` instead of trapping, so callers turn a short
/// or lying file into a typed error.
struct ByteCursor {
    /// A read past the end of the bytes: `needed` bytes at `offset`, `count` available.
    struct OutOfBounds: Error {
        let offset: Int
        let needed: Int
        let count: Int
    }

    let bytes: [UInt8]
    /// Next position for the sequential readers.
    var position: Int

    init(_ bytes: [UInt8], position: Int = 0) {
        self.bytes = bytes
        self.position = position
    }

    var isAtEnd: Bool { position >= bytes.count }
    var remaining: Int { max(0, bytes.count - position) }

    func check(_ offset: Int, _ count: Int) throws {
        guard offset >= 0, count >= 0, offset <= bytes.count, count <= bytes.count - offset else {
            throw OutOfBounds(offset: offset, needed: count, count: bytes.count)
        }
    }

    /// The unsigned little-endian integer of `width` bytes at `offset`.
    func uint(at offset: Int, width: Int) throws -> UInt64 {
        try check(offset, width)
        var v: UInt64 = 0
        for i in (0..<width).reversed() { v = v << 8 | UInt64(bytes[offset + i]) }
        return v
    }

    func u16(at offset: Int) throws -> Int { Int(try uint(at: offset, width: 2)) }
    func u32(at offset: Int) throws -> Int { Int(try uint(at: offset, width: 4)) }
    func u64(at offset: Int) throws -> UInt64 { try uint(at: offset, width: 8) }

    func slice(at offset: Int, count: Int) throws -> ArraySlice<UInt8> {
        try check(offset, count)
        return bytes[offset..<offset + count]
    }

    // MARK: - Sequential reads

    mutating func readByte() throws -> UInt8 {
        try check(position, 1)
        defer { position += 1 }
        return bytes[position]
    }

    mutating func readUInt(width: Int) throws -> UInt64 {
        let v = try uint(at: position, width: width)
        position += width
        return v
    }

    mutating func readBytes(_ count: Int) throws -> ArraySlice<UInt8> {
        let s = try slice(at: position, count: count)
        position += count
        return s
    }

    /// Bytes up to (not including) the next `\n`, which is consumed.
    mutating func readLine() throws -> ArraySlice<UInt8> {
        guard let end = bytes[position...].firstIndex(of: 0x0A) else {
            throw OutOfBounds(offset: position, needed: bytes.count - position + 1, count: bytes.count)
        }
        defer { position = end + 1 }
        return bytes[position..<end]
    }
}
