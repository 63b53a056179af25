import CkptCore
import CDICOMCodecs
import CImageCodecs

/// What a compressed codestream says about its samples; GDCM lets it override the header's.
struct CodestreamFormat: Equatable {
    let precision: Int
    /// nil when the codestream does not say (JPEG, JPEG-LS).
    let signed: Bool?
}

/// Decodes the pixel data of one frame into stored sample patterns (one `UInt16` per pixel, 8-bit
/// samples in the low byte), as GDCM's codecs hand them to the unused-bit cleanup.
enum PixelDecoder {
    static func decode(_ location: PixelDataLocation, in data: UnsafeRawBufferPointer, header h: DICOMHeader, path: String,
                       maxPixels: Int) throws -> (samples: [UInt16], format: CodestreamFormat?) {
        let syntax = h.transferSyntax
        guard let encoding = syntax.encoding else {
            throw DICOMProblem.unsupportedTransferSyntax(path: path, uid: syntax.uid, name: syntax.name)
        }
        let count = h.rows * h.columns
        switch (encoding, location) {
        case (.native, .native(let range, let vr)):
            return (try native(UnsafeRawBufferPointer(rebasing: data[range]), header: h, count: count, vr: vr, path: path), nil)
        case (.native, .encapsulated):
            throw DICOMProblem.malformed(path: path, tag: .pixelData, detail: "encapsulated pixel data in \(syntax.name)")
        case (_, .native):
            throw DICOMProblem.malformed(path: path, tag: .pixelData, detail: "a defined length in the encapsulated transfer syntax \(syntax.name)")
        case (_, .encapsulated(_, let fragments)):
            guard !fragments.isEmpty else {
                throw DICOMProblem.pixelDataTooShort(path: path, needed: 1, available: 0)
            }
            if encoding == .rle {
                // RLE: one fragment per frame (PS3.5 A.4.2).
                return (try RLEDecoder.decode(UnsafeRawBufferPointer(rebasing: data[fragments[0]]), header: h, path: path), nil)
            }
            // A single frame may span several fragments: its codestream is their concatenation.
            return try withFrame(fragments, in: data) { bytes in
                switch encoding {
                case .jpegLossless:
                    let (samples, format) = try JPEGDecoder.decode(bytes, header: h, path: path, lossless: true)
                    return (samples, format)
                case .jpegBaseline where framePrecision(bytes) == 12:
                    let (samples, format) = try JPEGDecoder.decode(bytes, header: h, path: path, lossless: false)
                    return (samples, format)
                case .jpegBaseline: return (try jpegBaseline(bytes, header: h, path: path), CodestreamFormat(precision: 8, signed: nil))
                case .jpegLS:
                    let (samples, format) = try library(bytes, header: h, codec: "JPEG-LS", path: path, ckpt_dcm_jpegls_decode)
                    return (samples, format)
                case .jpeg2000:
                    let (samples, format) = try library(bytes, header: h, codec: "JPEG 2000", path: path, ckpt_dcm_j2k_decode)
                    return (samples, format)
                case .native, .rle: fatalError("handled above")
                }
            }
        }
    }

    /// Lends the frame's codestream: the fragment itself when there is one, else a concatenated copy.
    static func withFrame<R>(_ fragments: [Range<Int>], in data: UnsafeRawBufferPointer,
                             _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        if fragments.count == 1 { return try body(UnsafeRawBufferPointer(rebasing: data[fragments[0]])) }
        return try concatenate(fragments, in: data).withUnsafeBytes(body)
    }

    static func concatenate(_ fragments: [Range<Int>], in data: UnsafeRawBufferPointer) -> [UInt8] {
        var total = 0
        for f in fragments { total += f.count }
        var out = [UInt8]()
        out.reserveCapacity(total)
        for f in fragments { out.append(contentsOf: data[f]) }
        return out
    }

    /// Native samples: 8 or 16 bits, little or big endian. Extra bytes after the image are ignored
    /// (as GDCM does); too few are refused.
    static func native(_ bytes: UnsafeRawBufferPointer, header h: DICOMHeader, count: Int, vr: String?, path: String) throws -> [UInt16] {
        let width = h.bitsAllocated / 8
        let (needed, overflow) = count.multipliedReportingOverflow(by: width)
        guard !overflow, bytes.count >= needed else {
            throw DICOMProblem.pixelDataTooShort(path: path, needed: overflow ? Int.max : needed, available: bytes.count)
        }
        let big = h.transferSyntax.bigEndian
        var out = [UInt16](repeating: 0, count: count)
        out.withUnsafeMutableBufferPointer { dst in
            if width == 2 {
                for i in 0..<count {
                    let v = bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)
                    dst[i] = big ? UInt16(bigEndian: v) : UInt16(littleEndian: v)
                }
            } else if big && vr == "OW" {
                // 8-bit samples in an OW value of a big-endian dataset are swapped in pairs.
                for i in 0..<count { dst[i] = UInt16(bytes[(i ^ 1) < bytes.count ? i ^ 1 : i]) }
            } else {
                for i in 0..<count { dst[i] = UInt16(bytes[i]) }
            }
        }
        return out
    }

    /// The sample precision of the first SOFn frame header, if one is found (a peek: errors are
    /// left to the decoder).
    static func framePrecision(_ d: UnsafeRawBufferPointer) -> Int? {
        var i = 2
        while i + 4 < d.count, d[i] == 0xFF {
            let marker = d[i + 1]
            if marker == 0xFF { i += 1; continue }
            if (0xC0...0xCF).contains(marker) && ![0xC4, 0xC8, 0xCC].contains(marker) { return Int(d[i + 4]) }
            if marker == 0xD8 || (0xD0...0xD7).contains(marker) { i += 2; continue }
            i += 2 + (Int(d[i + 2]) << 8 | Int(d[i + 3]))
        }
        return nil
    }

    /// JPEG baseline and 8-bit extended through CImageCodecs' libjpeg-turbo decoder (islow IDCT, as
    /// IJG's default that GDCM uses).
    static func jpegBaseline(_ bytes: UnsafeRawBufferPointer, header h: DICOMHeader, path: String) throws -> [UInt16] {
        var header = ckpt_jpeg_header()
        var message = [CChar](repeating: 0, count: CodecCall.messageCapacity)
        var pixels: UnsafeMutablePointer<UInt8>? = nil
        let limit = UInt64(h.rows * h.columns)
        let status = message.withUnsafeMutableBufferPointer {
            ckpt_jpeg_decode(bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count, limit, &header, &pixels,
                             $0.baseAddress!, CodecCall.messageCapacity)
        }
        defer { ckpt_image_free(pixels) }
        let text = String(cMessage: message)
        switch status {
        case CKPT_IMG_OK: break
        case CKPT_IMG_UNSUPPORTED:
            throw DICOMProblem.unsupportedTransferSyntax(path: path, uid: h.transferSyntax.uid,
                                                         name: "\(h.transferSyntax.name): \(text)")
        case CKPT_IMG_TOO_MANY_PIXELS:
            throw DICOMProblem.codecMismatch(path: path, codec: "JPEG", detail: "the JPEG frame is \(header.width) x \(header.height)")
        default:
            throw DICOMProblem.corruptPixelData(path: path, codec: "JPEG", detail: text.isEmpty ? "undecodable" : text)
        }
        guard let pixels, Int(header.width) == h.columns, Int(header.height) == h.rows, header.channels == 1 else {
            throw DICOMProblem.codecMismatch(
                path: path, codec: "JPEG", detail: "the JPEG frame is \(header.width) x \(header.height) with \(header.channels) channel(s)")
        }
        var out = [UInt16](repeating: 0, count: h.rows * h.columns)
        for y in 0..<h.rows {
            for x in 0..<h.columns { out[y * h.columns + x] = UInt16(pixels[y * header.row_bytes + x]) }
        }
        return out
    }

    typealias LibraryCodec = (UnsafePointer<UInt8>?, Int, UInt32, UInt32, Int32, UnsafeMutablePointer<ckpt_dcm_frame_info>?,
                              UnsafeMutablePointer<UnsafeMutablePointer<UInt16>?>?, UnsafeMutablePointer<CChar>?, Int) -> ckpt_dcm_status

    /// JPEG-LS (CharLS) and JPEG 2000 (OpenJPEG): the shim checks the codestream's size against the
    /// header before decoding.
    static func library(_ bytes: UnsafeRawBufferPointer, header h: DICOMHeader, codec: String, path: String,
                        _ call: LibraryCodec) throws -> ([UInt16], CodestreamFormat) {
        var info = ckpt_dcm_frame_info()
        var samples: UnsafeMutablePointer<UInt16>? = nil
        defer { ckpt_dcm_free(samples) }
        try CodecCall.run(codec: codec, path: path) { message, capacity in
            call(bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count, UInt32(h.columns), UInt32(h.rows),
                 Int32(h.bitsAllocated), &info, &samples, message, capacity)
        }
        guard let samples else { throw DICOMProblem.unreadable(path: path, reason: "not enough memory for the \(codec) data") }
        let signed: Bool? = codec == "JPEG 2000" ? info.is_signed != 0 : nil
        return (Array(UnsafeBufferPointer(start: samples, count: h.rows * h.columns)),
                CodestreamFormat(precision: Int(info.bits), signed: signed))
    }
}
