/// 8-bit RGB, row-major and interleaved (H × W × 3).
public struct RGBImage: Equatable, Sendable {
    /// Pixels per row.
    public let width: Int
    /// Rows.
    public let height: Int
    /// `height × width × 3` samples, R G B per pixel.
    public var pixels: [UInt8]
    /// What the conversion to this image lost.
    public var notes: [ConversionNote]

    /// An image from interleaved RGB samples; `pixels.count` must be `width × height × 3` (a precondition).
    public init(width: Int, height: Int, pixels: [UInt8], notes: [ConversionNote] = []) {
        precondition(pixels.count == width * height * 3, "RGB buffer is not width × height × 3")
        self.width = width
        self.height = height
        self.pixels = pixels
        self.notes = notes
    }
}

extension DecodedImage {
    /// PIL's `Image.convert("RGB")`: alpha and tRNS transparency are dropped.
    public func convertedToRGB() -> RGBImage {
        var notes = openingNotes
        let (rgb, clipNote) = colorPart()
        if let clipNote { notes.append(clipNote) }
        if mode == .cmyk { notes.append(.cmykToRGB) }
        if hasAlpha { notes.append(.alphaFlattened(onWhite: false)) }
        return RGBImage(width: width, height: height, pixels: rgb, notes: notes)
    }

    /// transformers' `convert_to_rgb` for a PIL image (what `do_convert_rgb` runs): an image with an alpha
    /// band or a `transparency` entry is converted to RGBA and alpha-composited onto opaque white with PIL's
    /// integer `alpha_composite`; any other image is `convert("RGB")`.
    public func transformersRGB() -> RGBImage {
        guard hasAlpha else { return convertedToRGB() }
        var notes = openingNotes
        var (rgb, clipNote) = colorPart()
        if let clipNote { notes.append(clipNote) }
        notes.append(.alphaFlattened(onWhite: true))
        let alpha = alphaPart(rgb: rgb)
        rgb.withUnsafeMutableBufferPointer { out in
            for i in 0..<(width * height) {
                let a = UInt32(alpha[i])
                for c in 0..<3 { out[3 * i + c] = Self.compositeOverWhite(UInt32(out[3 * i + c]), alpha: a) }
            }
        }
        return RGBImage(width: width, height: height, pixels: rgb, notes: notes)
    }

    /// Whether transformers sees transparency: an "A" band, or `info["transparency"]`.
    public var hasAlpha: Bool { mode == .grayAlpha || mode == .rgba || transparency != nil }

    /// One channel of PIL's `ImagingAlphaComposite` (libImaging/AlphaComposite.c) with an opaque white
    /// destination; a fully transparent source pixel yields the destination.
    static func compositeOverWhite(_ source: UInt32, alpha: UInt32) -> UInt8 {
        if alpha == 0 { return 255 }
        let precisionBits: UInt32 = 7
        let destinationAlpha: UInt32 = 255, destination: UInt32 = 255
        let blend = destinationAlpha * (255 - alpha)
        let outAlpha255 = alpha * 255 + blend
        let coef1 = alpha * 255 * 255 * (1 << precisionBits) / outAlpha255
        let coef2 = 255 * (1 << precisionBits) - coef1
        let tmp = source * coef1 + destination * coef2 + (0x80 << precisionBits)
        return UInt8(truncatingIfNeeded: (((tmp >> 8) + tmp) >> 8) >> precisionBits)
    }

    /// The colour bands as 8-bit RGB, as PIL's converters to RGB(A) produce them.
    private func colorPart() -> ([UInt8], ConversionNote?) {
        let count = width * height
        var rgb = [UInt8](repeating: 0, count: count * 3)
        var note: ConversionNote? = nil
        rgb.withUnsafeMutableBufferPointer { out in
            samples.withUnsafeBufferPointer { s in
                switch mode {
                case .bilevel, .gray:
                    for i in 0..<count { let v = s[i]; out[3 * i] = v; out[3 * i + 1] = v; out[3 * i + 2] = v }
                case .grayAlpha:
                    for i in 0..<count { let v = s[2 * i]; out[3 * i] = v; out[3 * i + 1] = v; out[3 * i + 2] = v }
                case .gray16:
                    // Convert.c I16_RGB: a value above 255 becomes 255.
                    var clipped = 0, maximum: UInt16 = 0
                    samples16.withUnsafeBufferPointer { w in
                        for i in 0..<count {
                            let value = w[i]
                            let v = value > 255 ? UInt8(255) : UInt8(value)
                            if value > 255 { clipped += 1 }
                            maximum = max(maximum, value)
                            out[3 * i] = v; out[3 * i + 1] = v; out[3 * i + 2] = v
                        }
                    }
                    if clipped > 0 { note = .sixteenBitGrayClipped(clippedPixels: clipped, maximum: Int(maximum)) }
                case .palette:
                    palette.withUnsafeBufferPointer { p in
                        for i in 0..<count {
                            let e = Int(s[i]) * 3
                            out[3 * i] = p[e]; out[3 * i + 1] = p[e + 1]; out[3 * i + 2] = p[e + 2]
                        }
                    }
                case .rgb:
                    for i in 0..<(count * 3) { out[i] = s[i] }
                case .rgba:
                    for i in 0..<count { out[3 * i] = s[4 * i]; out[3 * i + 1] = s[4 * i + 1]; out[3 * i + 2] = s[4 * i + 2] }
                case .cmyk:
                    // Convert.c cmyk2rgb: nk = 255 - k; each channel CLIP8(nk - MULDIV255(c, nk)).
                    for i in 0..<count {
                        let nk = 255 - Int(s[4 * i + 3])
                        for c in 0..<3 {
                            let tmp = Int(s[4 * i + c]) * nk + 128
                            let v = nk - (((tmp >> 8) + tmp) >> 8)
                            out[3 * i + c] = UInt8(min(max(v, 0), 255))
                        }
                    }
                }
            }
        }
        return (rgb, note)
    }

    /// The alpha PIL's `convert("RGBA")` gives each pixel, for an image with `hasAlpha`.
    private func alphaPart(rgb: [UInt8]) -> [UInt8] {
        let count = width * height
        var alpha = [UInt8](repeating: 255, count: count)
        switch (mode, transparency) {
        case (.grayAlpha, _): for i in 0..<count { alpha[i] = samples[2 * i + 1] }
        case (.rgba, _): for i in 0..<count { alpha[i] = samples[4 * i + 3] }
        case (.palette, .paletteAlpha(let entries)):
            var table = [UInt8](repeating: 255, count: 256)
            for (i, a) in entries.prefix(256).enumerated() { table[i] = a }
            for i in 0..<count { alpha[i] = table[Int(samples[i])] }
        case (_, .gray(let value)):
            // Convert.c convert_transparent + rgbT2a: the converted pixel is compared with the low byte of
            // the tRNS value, whatever the bit depth was.
            let t = UInt8(truncatingIfNeeded: value)
            for i in 0..<count where rgb[3 * i] == t { alpha[i] = 0 }
        case (_, .rgb(let r, let g, let b)):
            let (tr, tg, tb) = (UInt8(truncatingIfNeeded: r), UInt8(truncatingIfNeeded: g), UInt8(truncatingIfNeeded: b))
            for i in 0..<count where rgb[3 * i] == tr && rgb[3 * i + 1] == tg && rgb[3 * i + 2] == tb { alpha[i] = 0 }
        default: break
        }
        return alpha
    }
}
