/// An image as PIL opens it: its mode, and its samples in that mode.
public struct DecodedImage: Sendable {
    /// The PIL mode `Image.open` gives this file ("1", "L", "LA", "I;16", "P", "RGB", "RGBA", "CMYK").
    public enum Mode: String, Sendable {
        /// One bit, 8-bit gray, gray + alpha, 16-bit gray, palette indices.
        case bilevel = "1", gray = "L", grayAlpha = "LA", gray16 = "I;16", palette = "P"
        /// 8-bit colour, with alpha, and CMYK (JPEG).
        case rgb = "RGB", rgba = "RGBA", cmyk = "CMYK"
    }

    /// PNG's tRNS chunk as PIL keeps it in `info["transparency"]`.
    public enum Transparency: Equatable, Sendable {
        /// Gray images ("1", "L", "I;16"): the sample value, as written in the file.
        case gray(UInt16)
        /// RGB images: the colour, as written in the file (16-bit for 16-bit PNGs).
        case rgb(UInt16, UInt16, UInt16)
        /// Palette images: one alpha per palette entry (missing entries are opaque).
        case paletteAlpha([UInt8])
    }

    /// The file format it was decoded from.
    public let format: ImageFormat
    /// Pixels per row.
    public let width: Int
    /// Rows.
    public let height: Int
    /// The PIL mode, which decides how the samples read.
    public let mode: Mode
    /// Row-major samples in `mode`: UInt8 per sample, except "I;16" whose values are in `samples16`.
    /// "1" images hold 0 or 255 per pixel, as PIL's unpacker gives them.
    let samples: [UInt8]
    /// "I;16" samples (native 16-bit values); empty for other modes.
    let samples16: [UInt16]
    /// Palette entries as RGB triples, 256 entries, black beyond the PLTE's (as PIL's palette is).
    let palette: [UInt8]
    /// PNG tRNS transparency, as PIL keeps it; nil when the file has none.
    public let transparency: Transparency?
    /// What PIL dropped already when it opened the file (16-bit samples cut to 8 bits).
    public let openingNotes: [ConversionNote]

    /// An 8-bit grayscale image as PIL opens an 8-bit gray PNG (mode "L", no transparency): what an image
    /// prepared in memory (the DICOM card recipe's output) is to the processor.
    package static func gray8(width: Int, height: Int, samples: [UInt8]) -> DecodedImage {
        precondition(samples.count == width * height)
        return DecodedImage(format: .png, width: width, height: height, mode: .gray, samples: samples, samples16: [],
                            palette: [], transparency: nil, openingNotes: [])
    }

    /// The native 16-bit values of an "I;16" image, row-major; nil for other modes.
    public var gray16Values: [UInt16]? { mode == .gray16 ? samples16 : nil }
    /// The 8-bit samples in `mode` (palette indices for "P"); nil for "I;16".
    public var nativeSamples: [UInt8]? { mode == .gray16 ? nil : samples }
}

/// A way the conversion to 8-bit RGB lost information; the CLI prints these as notes.
public enum ConversionNote: Equatable, Sendable, CustomStringConvertible {
    /// 16-bit samples cut to their high byte (PIL opens 16-bit RGB, RGBA and gray+alpha PNGs as 8-bit).
    case sixteenBitTruncated(pngColor: String)
    /// A 16-bit gray image ("I;16") converted as PIL does: values above 255 become 255.
    case sixteenBitGrayClipped(clippedPixels: Int, maximum: Int)
    /// An alpha channel or tRNS transparency flattened: onto white (transformers' convert_to_rgb) or dropped.
    case alphaFlattened(onWhite: Bool)
    /// CMYK converted with PIL's plain formula (no colour profile).
    case cmykToRGB

    /// The note the CLI prints.
    public var description: String {
        switch self {
        case .sixteenBitTruncated(let color):
            return "16-bit \(color) PNG reduced to 8 bits per sample (PIL keeps the high byte)"
        case .sixteenBitGrayClipped(let count, let maximum):
            return "16-bit grayscale converted as PIL does: \(count) pixels above 255 (max \(maximum)) clipped to 255"
        case .alphaFlattened(let onWhite):
            return onWhite ? "transparency composited onto white (transformers' convert_to_rgb)" : "alpha channel dropped"
        case .cmykToRGB: return "CMYK converted to RGB with PIL's formula, no colour profile"
        }
    }
}
