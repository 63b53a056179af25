import CImageCodecs
import CkptCore
import Glibc

/// Reads PNG and JPEG files into `DecodedImage`s with PIL's modes and sample values.
public enum ImageDecoder {
    /// PIL's own refusal threshold: `Image.MAX_IMAGE_PIXELS * 2` (PIL warns above 89,478,485 pixels and
    /// raises `DecompressionBombError` above twice that). Anything PIL opens, ckpt opens by default.
    public static let defaultMaxPixels = 178_956_970

    /// Decodes the file at `path`. `maxPixels` bounds width × height, checked from the header before
    /// any pixel memory is allocated.
    public static func decode(contentsOf path: String, maxPixels: Int = defaultMaxPixels) throws -> DecodedImage {
        try FileSystem.readFile(path).withUnsafeBytes { try decode(bytes: $0, path: path, maxPixels: maxPixels) }
    }

    /// Decodes image bytes held in memory; `path` is only used in error messages.
    public static func decode(bytes: UnsafeRawBufferPointer, path: String, maxPixels: Int = defaultMaxPixels) throws
        -> DecodedImage
    {
        try decode(bytes: bytes, path: path, maxPixels: maxPixels, pngPath: .wholeOrRows)
    }

    /// How a PNG's image data is decoded: libpng row by row, or inflated in one call (non-interlaced 8- and
    /// 16-bit images) with libpng's rows when that fails, so that every error is libpng's.
    package enum PNGPath {
        case rows, wholeOrRows
        /// The one-call inflate alone, failing where `wholeOrRows` falls back (for tests of that path).
        case wholeOnly

        var c: ckpt_png_path {
            switch self {
            case .rows: return CKPT_PNG_ROWS
            case .wholeOrRows: return CKPT_PNG_WHOLE_OR_ROWS
            case .wholeOnly: return CKPT_PNG_WHOLE_ONLY
            }
        }
    }

    /// `decode(bytes:path:maxPixels:)` with the PNG path chosen (tests compare the paths).
    package static func decode(bytes: UnsafeRawBufferPointer, path: String, maxPixels: Int, pngPath: PNGPath) throws
        -> DecodedImage
    {
        switch try ImageFormat.sniff(bytes, path: path) {
        case .png: return try decodePNG(bytes, path: path, maxPixels: maxPixels, pngPath: pngPath)
        case .jpeg: return try decodeJPEG(bytes, path: path, maxPixels: maxPixels)
        }
    }

    // MARK: - C boundary

    private static let messageCapacity = 512

    /// A C decoder of the shim: `open` reads the header into `Header` and makes a reader, `read` decodes the
    /// pixels into a buffer of the header's `buffer_bytes`, `close` releases the reader.
    private struct Codec<Header: CodecHeader> {
        let format: ImageFormat
        let open: (UnsafePointer<UInt8>?, Int, UInt64, UnsafeMutablePointer<Header>?,
                   UnsafeMutablePointer<OpaquePointer?>?, UnsafeMutablePointer<CChar>?, Int) -> ckpt_img_status
        let read: (OpaquePointer?, UnsafeMutablePointer<UInt8>?, Int, UnsafeMutablePointer<CChar>?, Int)
            -> ckpt_img_status
        let close: (OpaquePointer?) -> Void
    }

    /// Runs `codec` on `bytes`: the pixels are decoded straight into the array returned (`row_bytes`
    /// apart), and every status other than success becomes an `ImageProblem`; `header` is what was read.
    private static func runCodec<Header: CodecHeader>(
        _ codec: Codec<Header>, bytes: UnsafeRawBufferPointer, path: String, maxPixels: Int, header: inout Header
    ) throws -> [UInt8] {
        var message = [CChar](repeating: 0, count: messageCapacity)
        var reader: OpaquePointer? = nil
        defer { codec.close(reader) }
        let opened = message.withUnsafeMutableBufferPointer {
            codec.open(bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count, UInt64(max(maxPixels, 0)),
                       &header, &reader, $0.baseAddress!, messageCapacity)
        }
        try check(opened, codec.format, header: header, message: message, path: path, maxPixels: maxPixels)
        let (count, capacity) = (header.row_bytes * Int(header.height), max(header.buffer_bytes, 1))
        // Swift stops the process when an array cannot be allocated: a probe first turns a buffer that does not
        // fit (an address-space limit, strict overcommit) into the decoder's out-of-memory error.
        guard let probe = malloc(capacity) else { throw ImageProblem.outOfMemory(path: path) }
        free(probe)
        let format = codec.format, read = header
        return try [UInt8](unsafeUninitializedCapacity: capacity) { buffer, initialized in
            let status = message.withUnsafeMutableBufferPointer {
                codec.read(reader, buffer.baseAddress, buffer.count, $0.baseAddress!, messageCapacity)
            }
            try check(status, format, header: read, message: message, path: path, maxPixels: maxPixels)
            initialized = count
        }
    }

    /// The `ImageProblem` of a C status, with the library's `message`.
    private static func check<Header: CodecHeader>(
        _ status: ckpt_img_status, _ format: ImageFormat, header: Header, message: [CChar], path: String, maxPixels: Int
    ) throws {
        if status == CKPT_IMG_OK { return }
        let text = String(cMessage: message)
        let name = format.rawValue
        switch status {
        case CKPT_IMG_TRUNCATED: throw ImageProblem.truncated(path: path, format: name, detail: text)
        case CKPT_IMG_CRC: throw ImageProblem.crcMismatch(path: path, detail: text)
        case CKPT_IMG_TOO_MANY_PIXELS:
            throw ImageProblem.tooManyPixels(path: path, width: Int(header.width), height: Int(header.height), limit: maxPixels)
        case CKPT_IMG_NO_MEMORY: throw ImageProblem.outOfMemory(path: path)
        case CKPT_IMG_UNSUPPORTED: throw ImageProblem.unsupportedVariant(path: path, format: name, detail: text)
        default: throw ImageProblem.corrupt(path: path, format: name, detail: text.isEmpty ? "undecodable" : text)
        }
    }

    // MARK: - PNG

    private static func decodePNG(
        _ bytes: UnsafeRawBufferPointer, path: String, maxPixels: Int, pngPath: PNGPath
    ) throws -> DecodedImage
    {
        var header = ckpt_png_header()
        let codec = Codec<ckpt_png_header>(
            format: .png, open: ckpt_png_open,
            read: { ckpt_png_read($0, $1, $2, pngPath.c, $3, $4) }, close: ckpt_png_close)
        let raw = try runCodec(codec, bytes: bytes, path: path, maxPixels: maxPixels, header: &header)
        let width = Int(header.width), height = Int(header.height), count = width * height
        let depth = Int(header.bit_depth)
        let rowBytes = header.row_bytes

        /// Samples of row-packed data without the row padding, taking the high byte of 16-bit samples.
        func samples8(channels: Int) -> [UInt8] {
            let step = depth == 16 ? 2 : 1
            // 8-bit rows without padding are already the samples.
            if step == 1 && rowBytes == width * channels && raw.count == count * channels { return raw }
            var out = [UInt8](repeating: 0, count: count * channels)
            out.withUnsafeMutableBufferPointer { dst in
                raw.withUnsafeBufferPointer { src in
                    for y in 0..<height {
                        let row = y * rowBytes, base = y * width * channels
                        for i in 0..<(width * channels) { dst[base + i] = src[row + i * step] }
                    }
                }
            }
            return out
        }
        let colorType = Int(header.color_type)
        var transparency: DecodedImage.Transparency? = nil
        if header.has_trns_color != 0 {
            transparency = colorType == 2
                ? .rgb(header.trns_red, header.trns_green, header.trns_blue)
                : .gray(depth == 1 ? (header.trns_gray != 0 ? 255 : 0) : header.trns_gray)
        } else if colorType == 3 && header.trns_count > 0 {
            transparency = .paletteAlpha(withUnsafeBytes(of: header.trns_alpha) { Array($0.prefix(Int(header.trns_count))) })
        }
        let wide = depth == 16
        func truncatedNote(_ name: String) -> [ConversionNote] { wide ? [.sixteenBitTruncated(pngColor: name)] : [] }

        var mode: DecodedImage.Mode
        var samples: [UInt8] = []
        var samples16: [UInt16] = []
        var palette: [UInt8] = []
        var notes: [ConversionNote] = []
        switch colorType {
        case 0 where depth == 16:
            mode = .gray16
            samples16 = [UInt16](repeating: 0, count: count)
            for y in 0..<height {
                for x in 0..<width {
                    let i = y * rowBytes + 2 * x
                    samples16[y * width + x] = UInt16(raw[i]) << 8 | UInt16(raw[i + 1])
                }
            }
        case 0:
            // PIL's unpackers: "1" gives 0/255, "L;2" multiplies by 0x55, "L;4" by 0x11.
            mode = depth == 1 ? .bilevel : .gray
            let scale: UInt8 = [1: 255, 2: 0x55, 4: 0x11, 8: 1][depth] ?? 1
            samples = samples8(channels: 1)
            if scale != 1 { for i in samples.indices { samples[i] &*= scale } }
        case 2:
            mode = .rgb
            samples = samples8(channels: 3)
            notes = truncatedNote("RGB")
        case 3:
            mode = .palette
            samples = samples8(channels: 1)
            palette = [UInt8](repeating: 0, count: 256 * 3)
            withUnsafeBytes(of: header.palette) { entries in
                for i in 0..<(Int(header.palette_count) * 3) { palette[i] = entries[i] }
            }
        case 4 where wide:
            // PIL opens 16-bit gray+alpha as RGBA ("LA;16B" unpacker).
            mode = .rgba
            let la = samples8(channels: 2)
            samples = [UInt8](repeating: 0, count: count * 4)
            for i in 0..<count {
                samples[4 * i] = la[2 * i]; samples[4 * i + 1] = la[2 * i]; samples[4 * i + 2] = la[2 * i]
                samples[4 * i + 3] = la[2 * i + 1]
            }
            notes = truncatedNote("gray+alpha")
        case 4:
            mode = .grayAlpha
            samples = samples8(channels: 2)
        case 6:
            mode = .rgba
            samples = samples8(channels: 4)
            notes = truncatedNote("RGBA")
        default:
            throw ImageProblem.corrupt(path: path, format: "PNG", detail: "colour type \(colorType)")
        }
        return DecodedImage(
            format: .png, width: width, height: height, mode: mode, samples: samples, samples16: samples16,
            palette: palette, transparency: transparency, openingNotes: notes)
    }

    // MARK: - JPEG

    private static func decodeJPEG(_ bytes: UnsafeRawBufferPointer, path: String, maxPixels: Int) throws -> DecodedImage {
        var header = ckpt_jpeg_header()
        let codec = Codec<ckpt_jpeg_header>(
            format: .jpeg, open: ckpt_jpeg_open, read: ckpt_jpeg_read, close: ckpt_jpeg_close)
        var samples = try runCodec(codec, bytes: bytes, path: path, maxPixels: maxPixels, header: &header)
        let mode: DecodedImage.Mode
        switch header.channels {
        case 1: mode = .gray
        case 3: mode = .rgb
        default:
            // PIL reads every CMYK JPEG with the "CMYK;I" unpacker: it assumes Adobe's inverted polarity.
            mode = .cmyk
            for i in samples.indices { samples[i] = 255 &- samples[i] }
        }
        return DecodedImage(
            format: .jpeg, width: Int(header.width), height: Int(header.height), mode: mode, samples: samples,
            samples16: [], palette: [], transparency: nil, openingNotes: [])
    }
}

/// What `runCodec` reads of a C decoder's header: both shim headers have these fields.
private protocol CodecHeader {
    var width: UInt32 { get }
    var height: UInt32 { get }
    var row_bytes: Int { get }
    var buffer_bytes: Int { get }
}

extension ckpt_png_header: CodecHeader {}
extension ckpt_jpeg_header: CodecHeader {}
