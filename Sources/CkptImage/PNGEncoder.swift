import CImageCodecs
import CkptCore

/// 8-bit grayscale PNG encoding through libpng (the C shim's `ckpt_png_encode_gray8`); the bytes are the
/// caller's to write (atomically, through the core's `AtomicOutput`).
public enum PNGEncoder {
    /// zlib's level for the encoder. Level 1 with libpng's adaptive filters: on the card recipe's 518 × 550
    /// RG1 output, 5.8 ms and 156 KB against level 6's 79 ms and 133 KB (a C program over the same libpng,
    /// fastest of 5): the encoder was most of `convert dicom`'s time at 6.
    public static let defaultCompressionLevel = 1

    /// The PNG file bytes of a `width` × `height` 8-bit grayscale image (`pixels` row-major).
    ///
    /// - Parameter path: the file the PNG is meant for, named in errors.
    public static func gray8(
        width: Int, height: Int, pixels: [UInt8], path: String, compressionLevel: Int = defaultCompressionLevel
    ) throws -> [UInt8] {
        precondition(pixels.count == width * height && (0...9).contains(compressionLevel))
        guard width > 0, height > 0, let w = UInt32(exactly: width), let h = UInt32(exactly: height) else {
            throw ImageProblem.notProcessable(path: path, reason: "a \(width)×\(height) image cannot be a PNG")
        }
        let capacity = 512
        var message = [CChar](repeating: 0, count: capacity)
        var out: UnsafeMutablePointer<UInt8>? = nil
        var size = 0
        let status = pixels.withUnsafeBufferPointer { src in
            message.withUnsafeMutableBufferPointer {
                ckpt_png_encode_gray8(src.baseAddress, w, h, Int32(compressionLevel), &out, &size, $0.baseAddress!, capacity)
            }
        }
        defer { ckpt_image_free(out) }
        switch status {
        case CKPT_IMG_OK:
            guard let out else { throw ImageProblem.outOfMemory(path: path) }
            // The shim wrote exactly `size` bytes into this buffer.
            return Array(UnsafeBufferPointer(start: out, count: size))
        case CKPT_IMG_NO_MEMORY: throw ImageProblem.outOfMemory(path: path)
        default: throw ImageProblem.notProcessable(path: path, reason: "libpng could not encode: \(String(cMessage: message))")
        }
    }
}
