/// The stored samples of a frame as GDCM's codecs hand them on, and the steps ITK's `GDCMImageIO`
/// applies to them: unused-bit cleanup, MONOCHROME1 inversion, then RescaleSlope/RescaleIntercept.
enum PixelSemantics {
    /// The pixel formats GDCM works with when a codestream disagrees with the header (GDCM's
    /// `Bitmap::Try…Codec`): `cleaned` is the one read before decoding (it sets the cleanup, the
    /// stored type and the rescaled pixel type ITK reports), `inverted` the one after decoding (it sets
    /// the MONOCHROME1 inversion).
    /// - JPEG 2000 (header pass): the same BitsAllocated and sign take the codestream's BitsStored;
    ///   otherwise the whole format is the codestream's.
    /// - JPEG (header pass): a codestream with fewer bits lowers BitsAllocated/BitsStored.
    /// - JPEG-LS: the header's format (SimpleITK's reading of a 10-bit MONOCHROME1 file whose
    ///   JPEG-LS frame declares 16 bits inverts with the header's 10 bits; see golden/dicom/inputs).
    static func formats(_ h: DICOMHeader, codestream: CodestreamFormat?) -> (cleaned: DICOMHeader, inverted: DICOMHeader) {
        guard let c = codestream else { return (h, h) }
        let allocated = c.precision <= 8 ? 8 : 16
        var e = h
        switch h.transferSyntax.encoding {
        case .jpeg2000:
            let signed = c.signed ?? h.isSigned
            if allocated == h.bitsAllocated && signed == h.isSigned {
                e.bitsStored = c.precision
            } else {
                e.bitsAllocated = allocated
                e.bitsStored = c.precision
                e.highBit = c.precision - 1
                e.isSigned = signed
            }
            e.pixelType = DICOMHeader.rescaledType(bitsAllocated: e.bitsAllocated, bitsStored: e.bitsStored, signed: e.isSigned,
                                                   slope: e.rescaleSlope, intercept: e.rescaleIntercept)
            return (e, e)
        case .jpegBaseline, .jpegLossless:
            if allocated <= h.bitsAllocated && c.precision < h.bitsStored {
                e.bitsAllocated = allocated
                e.bitsStored = c.precision
                e.pixelType = DICOMHeader.rescaledType(bitsAllocated: e.bitsAllocated, bitsStored: e.bitsStored, signed: e.isSigned,
                                                       slope: e.rescaleSlope, intercept: e.rescaleIntercept)
            }
            return (e, e)
        default:
            return (h, h)
        }
    }

    /// GDCM's `ImageCodec::DoOverlayCleanup` for 16 bits allocated and fewer stored (8-bit samples are
    /// copied as they are): shift by BitsStored − HighBit − 1, then mask (unsigned) or sign-extend
    /// (signed). Returns the bit patterns as they are stored in GDCM's buffer.
    static func cleanup(_ words: inout [UInt16], header h: DICOMHeader) {
        guard h.bitsAllocated == 16, h.bitsStored != 16 else { return }
        // A negative shift (HighBit above BitsStored − 1 after a codestream changed BitsStored) is
        // undefined in GDCM; no shift is made here.
        let shift = UInt16(max(h.bitsStored - h.highBit - 1, 0))
        let pmask = UInt16(0xFFFF) >> UInt16(16 - h.bitsStored)
        if h.isSigned {
            let smask = UInt16(1) << UInt16(16 - (16 - h.bitsStored + 1))
            let nmask = UInt16(bitPattern: Int16(bitPattern: 0x8000) >> Int16(16 - h.bitsStored - 1))
            for i in words.indices {
                let c = words[i] >> shift
                words[i] = c & smask != 0 ? c | nmask : c & pmask
            }
        } else {
            for i in words.indices { words[i] = (words[i] >> shift) & pmask }
        }
    }

    /// GDCM's `ImageCodec::DoInvertMonochrome` (MONOCHROME1 to MONOCHROME2) on the stored patterns:
    /// unsigned 16-bit samples become (2^BitsStored − 1) − v (values above that are clamped first);
    /// 8-bit samples become 255 − v and signed 16-bit ones 65535 − v (that is −v − 1), whatever
    /// BitsStored is.
    static func invertMonochrome1(_ words: inout [UInt16], header h: DICOMHeader) {
        if h.bitsAllocated == 8 {
            for i in words.indices { words[i] = 255 &- (words[i] & 0xFF) }
        } else if h.isSigned {
            for i in words.indices { words[i] = 65_535 &- words[i] }
        } else {
            let mask = UInt16((1 << h.bitsStored) - 1)
            for i in words.indices { words[i] = mask - min(words[i], mask) }
        }
    }

    /// The sample values in `header.pixelType`: the stored patterns read in the stored type, then
    /// `(TOut)(slope · v + intercept)` as GDCM's `Rescaler` computes it (C's truncating cast; an
    /// out-of-range value wraps as x86's conversion through a wider integer does).
    static func values(_ words: [UInt16], header h: DICOMHeader) -> [Double] {
        let stored = h.storedType
        var out = [Double](repeating: 0, count: words.count)
        let rescale = h.rescaleSlope != 1 || h.rescaleIntercept != 0
        let slope = h.rescaleSlope, intercept = h.rescaleIntercept
        let target = h.pixelType
        out.withUnsafeMutableBufferPointer { dst in
            for i in words.indices {
                let w = words[i]
                let v: Double
                switch stored {
                case .uint8: v = Double(w & 0xFF)
                case .int8: v = Double(Int8(truncatingIfNeeded: w))
                case .int16: v = Double(Int16(bitPattern: w))
                default: v = Double(w)
                }
                dst[i] = rescale ? cast(slope * v + intercept, to: target) : v
            }
        }
        return out
    }

    /// C's `(T)x` for the output types of the rescaler.
    static func cast(_ x: Double, to type: DICOMPixelType) -> Double {
        switch type {
        case .float64: return x
        case .float32: return Double(Float(x))
        default:
            guard x.isFinite, x.magnitude < 9.2e18 else { return 0 }
            let t = Int64(x.rounded(.towardZero))
            switch type {
            case .uint8: return Double(UInt8(truncatingIfNeeded: t))
            case .int8: return Double(Int8(truncatingIfNeeded: t))
            case .uint16: return Double(UInt16(truncatingIfNeeded: t))
            case .int16: return Double(Int16(truncatingIfNeeded: t))
            case .uint32: return Double(UInt32(truncatingIfNeeded: t))
            default: return Double(Int32(truncatingIfNeeded: t))
            }
        }
    }
}
