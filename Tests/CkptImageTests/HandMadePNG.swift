import CkptCore

/// PNG files built byte by byte for tests: chunks with their CRC, and zlib streams of stored (uncompressed)
/// deflate blocks, so a test can put any filter byte, stream length or checksum into a file.
enum HandMadePNG {
    static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    static func be32(_ v: UInt32) -> [UInt8] {
        [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)]
    }

    static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let body = Array(type.utf8) + data
        return be32(UInt32(data.count)) + body + be32(CRC32.checksum(body))
    }

    static func adler32(_ bytes: [UInt8]) -> UInt32 {
        var a: UInt32 = 1
        var b: UInt32 = 0
        for byte in bytes {
            a = (a + UInt32(byte)) % 65521
            b = (b + a) % 65521
        }
        return b << 16 | a
    }

    /// `raw` as a zlib stream of stored deflate blocks of at most `block` bytes; `adler` replaces the
    /// checksum (to plant a wrong one).
    static func storedZlib(_ raw: [UInt8], block: Int = 65535, adler: UInt32? = nil) -> [UInt8] {
        var out: [UInt8] = [0x78, 0x01]
        var start = 0
        repeat {
            let n = min(block, raw.count - start)
            let final: UInt8 = start + n == raw.count ? 1 : 0
            let len = UInt16(n)
            out += [final, UInt8(len & 0xFF), UInt8(len >> 8), UInt8(~len & 0xFF), UInt8(~len >> 8)]
            out += raw[start..<start + n]
            start += n
        } while start < raw.count
        return out + be32(adler ?? adler32(raw))
    }

    /// A PNG of the given header whose image data is `stream` split into IDAT chunks of `split` bytes (one
    /// chunk when nil), with `beforeData` chunks (PLTE, tRNS, …) after IHDR.
    static func file(
        width: UInt32, height: UInt32, depth: UInt8, colorType: UInt8, interlace: UInt8 = 0,
        beforeData: [[UInt8]] = [], stream: [UInt8], split: Int? = nil
    ) -> [UInt8] {
        var file = signature + chunk("IHDR", be32(width) + be32(height) + [depth, colorType, 0, 0, interlace])
        for c in beforeData { file += c }
        let step = max(split ?? stream.count, 1)
        var start = 0
        repeat {
            let end = min(start + step, stream.count)
            file += chunk("IDAT", Array(stream[start..<end]))
            start = end
        } while start < stream.count
        return file + chunk("IEND", [])
    }
}
