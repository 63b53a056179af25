/// The container format of an image file, recognised from its first bytes.
public enum ImageFormat: String, Sendable {
    /// Portable Network Graphics, through libpng.
    case png = "PNG"
    /// JPEG (baseline or progressive), through libjpeg-turbo.
    case jpeg = "JPEG"

    /// Magic bytes of formats ckpt names when it refuses them. Longest prefixes first where they overlap.
    static let refusedSignatures: [(name: String, offset: Int, bytes: [UInt8])] = [
        ("TIFF", 0, Array("II*\0".utf8)),
        ("TIFF", 0, Array("MM\0*".utf8)),
        ("BigTIFF", 0, Array("II+\0".utf8)),
        ("BigTIFF", 0, Array("MM\0+".utf8)),
        ("GIF", 0, Array("GIF87a".utf8)),
        ("GIF", 0, Array("GIF89a".utf8)),
        ("BMP", 0, Array("BM".utf8)),
        ("JPEG 2000", 0, [0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50, 0x20, 0x20]),
        ("JPEG 2000 codestream", 0, [0xFF, 0x4F, 0xFF, 0x51]),
        ("DICOM", 128, Array("DICM".utf8)),
        ("PDF", 0, Array("%PDF".utf8)),
        ("ICO", 0, [0x00, 0x00, 0x01, 0x00]),
        ("QOI", 0, Array("qoif".utf8)),
        ("JPEG XL", 0, [0xFF, 0x0A]),
        ("JPEG XL", 0, [0x00, 0x00, 0x00, 0x0C, 0x4A, 0x58, 0x4C, 0x20]),
        ("Photoshop PSD", 0, Array("8BPS".utf8)),
        ("NumPy .npy", 0, [0x93] + Array("NUMPY".utf8)),
    ]

    /// Tells the format from the first bytes, or throws naming a format ckpt does not read.
    static func sniff(_ bytes: UnsafeRawBufferPointer, path: String) throws -> ImageFormat {
        if bytes.isEmpty { throw ImageProblem.emptyFile(path: path) }
        func starts(_ prefix: [UInt8], at offset: Int = 0) -> Bool {
            guard bytes.count >= offset + prefix.count else { return false }
            for (i, b) in prefix.enumerated() where bytes[offset + i] != b { return false }
            return true
        }
        if starts([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if starts([0xFF, 0xD8, 0xFF]) { return .jpeg }
        if starts(Array("RIFF".utf8)) && starts(Array("WEBP".utf8), at: 8) {
            throw ImageProblem.unsupportedFormat(path: path, format: "WebP")
        }
        if starts(Array("ftyp".utf8), at: 4) {
            let brand = bytes.count >= 12 ? String(decoding: bytes[8..<12], as: UTF8.self) : ""
            let name = ["avif", "avis"].contains(brand) ? "AVIF" : brand.hasPrefix("hei") || brand.hasPrefix("mif") ? "HEIF" : "ISO media (\(brand))"
            throw ImageProblem.unsupportedFormat(path: path, format: name)
        }
        for signature in refusedSignatures where starts(signature.bytes, at: signature.offset) {
            throw ImageProblem.unsupportedFormat(path: path, format: signature.name)
        }
        throw ImageProblem.notAnImage(path: path)
    }
}
