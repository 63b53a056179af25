/// Writes a zip archive of stored (uncompressed) entries the way `torch.save` does: local headers with
/// sizes and CRC-32, a central directory, and an end record. Enough for the `.pth` fuzzer to wrap
/// generated pickles in archives that get past the container checks.
public struct ZipBuilder {
    private var body: [UInt8] = []
    private var directory: [UInt8] = []
    private var count = 0

    public init() {}

    public mutating func add(_ name: String, _ data: [UInt8]) {
        let nameBytes = Array(name.utf8)
        let crc = Self.crc32(data)
        let offset = body.count
        body += le32(0x0403_4B50) + le16(20) + le16(0) + le16(0) + le16(0) + le16(0) + le32(crc)
            + le32(UInt32(data.count)) + le32(UInt32(data.count)) + le16(UInt16(nameBytes.count)) + le16(0)
        body += nameBytes + data
        directory += le32(0x0201_4B50) + le16(20) + le16(20) + le16(0) + le16(0) + le16(0) + le16(0) + le32(crc)
            + le32(UInt32(data.count)) + le32(UInt32(data.count)) + le16(UInt16(nameBytes.count)) + le16(0) + le16(0)
            + le16(0) + le16(0) + le32(0) + le32(UInt32(offset))
        directory += nameBytes
        count += 1
    }

    /// The archive's bytes.
    public var bytes: [UInt8] {
        body + directory + le32(0x0605_4B50) + le16(0) + le16(0) + le16(UInt16(count)) + le16(UInt16(count))
            + le32(UInt32(directory.count)) + le32(UInt32(body.count)) + le16(0)
    }

    /// CRC-32 (IEEE, reflected), as zip records it.
    public static func crc32(_ data: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in data {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = (crc >> 1) ^ (crc & 1 == 0 ? 0 : 0xEDB8_8320) }
        }
        return ~crc
    }

    private func le16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8)] }
    private func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8((v >> (8 * $0)) & 0xFF) } }
}
