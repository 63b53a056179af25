/// `pixel_values` for one image: Float32, channels first.
public struct PixelValues: Equatable, Sendable {
    /// Channels (3 for RGB; 1 when a gray image is kept as is).
    public let channels: Int
    /// Rows after resizing and cropping.
    public let height: Int
    /// Columns after resizing and cropping.
    public let width: Int
    /// [channels, height, width], row-major.
    public var values: [Float]
    /// What the conversion of the source image lost (for the CLI to print as notes).
    public var notes: [ConversionNote]
}

/// Which transformers implementation to reproduce.
public enum ImageBackend: String, Sendable, CaseIterable {
    /// `BitImageProcessorPil` / `use_fast=False`: PIL resampling, then numpy float steps.
    case pil
    /// transformers 5's default with torchvision installed (`BitImageProcessor`): torch's uint8 antialiased
    /// resize, then float32 tensor steps with rescale fused into normalize.
    case torchvision
}

/// transformers' BitImageProcessor pipeline (either backend) on decoded images.
public struct ImageProcessor: Sendable {
    /// The preprocessing steps and their parameters.
    public let config: PreprocessorConfig
    /// Which transformers implementation the output matches bit for bit.
    public let backend: ImageBackend

    /// Refuses what the backend's transformers class raises on for every image: box and hamming resampling
    /// in torchvision (no interpolation mode), a zero `image_std` where torchvision's `normalize` checks it.
    public init(config: PreprocessorConfig, backend: ImageBackend = .pil) throws {
        if config.processorClass == .dinov3ViT {
            func refuse(_ key: String, _ reason: String) -> ImageProblem {
                .config(path: "image_processor_type DINOv3ViTImageProcessor", problem: .unsupportedKey(key: key, reason: reason))
            }
            if backend != .torchvision {
                throw refuse("--image-backend", "transformers 5.24 has only the torchvision DINOv3ViTImageProcessor: pass --image-backend torchvision")
            }
            if config.doResize && config.resample != .bilinear {
                throw refuse("resample", "only bilinear (2), the class default, is implemented for the float resize")
            }
            if !config.doRescale {
                throw refuse("do_rescale", "without rescale transformers resizes the uint8 image and normalize then fails on it")
            }
            if case .shortestEdge = config.size, config.doResize {
                throw refuse("size", "only a fixed {\"height\", \"width\"} size is implemented for DINOv3")
            }
        } else if backend == .torchvision {
            func refuse(_ key: String, _ reason: String) -> ImageProblem {
                .config(path: "--image-backend torchvision", problem: .unsupportedKey(key: key, reason: reason))
            }
            if config.doResize && TorchResampler.interpolationMode(for: config.resample) == nil {
                throw refuse("resample", "resample \(config.resample.rawValue) (\(config.resample)) has no torchvision "
                    + "interpolation; transformers 5.24 raises NotImplementedError for it (use --image-backend pil)")
            }
            // Fused with rescale, std is a tensor and torchvision does not check it (x / 0 gives inf, as numpy does).
            if config.doNormalize && !config.doRescale && config.imageStd.contains(0) {
                throw refuse("image_std", "a zero std makes torchvision's normalize raise \"std evaluated to zero\"")
            }
        }
        self.config = config
        self.backend = backend
    }

    /// Decodes `path` and preprocesses it.
    public func process(contentsOf path: String, maxPixels: Int = ImageDecoder.defaultMaxPixels) throws -> PixelValues {
        try process(ImageDecoder.decode(contentsOf: path, maxPixels: maxPixels), path: path)
    }

    /// process_image + _preprocess of the backend: convert_to_rgb, resize, center_crop, rescale, normalize.
    public func process(_ image: DecodedImage, path: String) throws -> PixelValues {
        if config.doConvertRGB {
            // An opaque "L" image (the usual X-ray PNG) converts to RGB by repeating its one channel, so it
            // goes through as that channel: a third of the resampling, and no RGB copy.
            if image.mode == .gray, !image.hasAlpha, let gray = image.nativeSamples {
                return try process(plane: gray, channels: 1, width: image.width, height: image.height,
                                   outputChannels: 3, notes: image.openingNotes)
            }
            return try process(rgb: image.transformersRGB(), grayscale: image.isGrayscaleSource, path: path)
        }
        // np.array(image) keeps PIL's mode: RGB gives the same 3 channels; "L" gives one channel, which
        // transformers carries through when nothing needs 3 (normalize's 3-element mean would refuse it).
        switch image.mode {
        case .rgb:
            return try process(rgb: image.convertedToRGB(), path: path)
        case .gray where !config.doNormalize:
            return try process(rgb: image.convertedToRGB(), grayscale: true, outputChannels: 1, path: path)
        default:
            throw ImageProblem.notProcessable(
                path: path,
                reason: "do_convert_rgb is false and the image is PIL mode \(image.mode.rawValue); transformers "
                    + "keeps its own channels and then fails or differs (only RGB, or L without do_normalize, are done)")
        }
    }

    /// The steps after the conversion to RGB. `grayscale` says all three channels are equal, which lets the
    /// resize run on one channel (each channel is resampled on its own, so the result is the same).
    public func process(rgb: RGBImage, grayscale: Bool = false, path: String = "<image>") throws -> PixelValues {
        try process(rgb: rgb, grayscale: grayscale, outputChannels: 3, path: path)
    }

    /// `outputChannels` 1 (gray only) keeps a single channel, as transformers does for an "L" image
    /// without `do_convert_rgb`.
    func process(rgb: RGBImage, grayscale: Bool, outputChannels: Int, path: String) throws -> PixelValues {
        precondition(outputChannels == 3 || (outputChannels == 1 && grayscale))
        guard grayscale else {
            return try process(plane: rgb.pixels, channels: 3, width: rgb.width, height: rgb.height,
                               outputChannels: outputChannels, notes: rgb.notes)
        }
        var gray = [UInt8](repeating: 0, count: rgb.width * rgb.height)
        gray.withUnsafeMutableBufferPointer { out in
            rgb.pixels.withUnsafeBufferPointer { src in
                for i in out.indices { out[i] = src[3 * i] }
            }
        }
        return try process(plane: gray, channels: 1, width: rgb.width, height: rgb.height,
                           outputChannels: outputChannels, notes: rgb.notes)
    }

    /// Resize, crop, rescale and normalize of an interleaved 8-bit `plane` of `channels` (3, or 1 standing
    /// for three equal channels).
    func process(plane: [UInt8], channels: Int, width: Int, height: Int, outputChannels: Int,
                 notes: [ConversionNote]) throws -> PixelValues {
        if config.processorClass == .dinov3ViT {
            return processRescaledFirst(plane: plane, channels: channels, width: width, height: height,
                                        outputChannels: outputChannels, notes: notes)
        }
        var plane = plane
        var (height, width) = (height, width)
        if config.doResize {
            let (newHeight, newWidth) = Self.resizeTarget(height: height, width: width, size: config.size)
            let resize = backend == .pil ? PillowResampler.resize : TorchResampler.resize
            plane = resize(plane, channels, width, height, newWidth, newHeight, config.resample)
            (height, width) = (newHeight, newWidth)
        }
        var top = 0, left = 0, outHeight = height, outWidth = width
        if config.doCenterCrop {
            let origin = backend == .pil ? Self.centerCropOrigin : Self.torchvisionCenterCropOrigin
            (top, left) = origin(height, width, config.cropHeight, config.cropWidth)
            (outHeight, outWidth) = (config.cropHeight, config.cropWidth)
        }
        let tables = (0..<outputChannels).map { valueTable(channel: $0) }
        // The crop's rows and columns that lie inside the image; pixels the crop adds outside it are zeros in
        // uint8 before the float steps, so they become each table's value for 0.
        let inRows = max(0, -top)..<max(max(0, -top), min(outHeight, height - top))
        let inColumns = max(0, -left)..<max(max(0, -left), min(outWidth, width - left))
        // Every value is written below (each row of each channel in full), so the array starts uninitialized.
        let values = [Float](unsafeUninitializedCapacity: outputChannels * outHeight * outWidth) { out, initialized in
            initialized = out.count
            plane.withUnsafeBufferPointer { src in
                for c in 0..<outputChannels {
                    tables[c].withUnsafeBufferPointer { t in
                        let zero = t[0], sc = channels == 1 ? 0 : c
                        for y in 0..<outHeight {
                            // In bounds: y < outHeight, and the row's pixels inColumns lie in the image's row y + top.
                            guard let base = out.baseAddress else { return }  // a crop of no pixels
                            let row = base + (c * outHeight + y) * outWidth
                            guard inRows.contains(y), !inColumns.isEmpty else {
                                row.initialize(repeating: zero, count: outWidth)
                                continue
                            }
                            row.initialize(repeating: zero, count: inColumns.lowerBound)
                            let first = (y + top) * width + inColumns.lowerBound + left
                            let line = src.baseAddress! + first * channels + sc
                            let target = row + inColumns.lowerBound
                            if channels == 1 {  // the gray case, with a unit stride the compiler can unroll
                                for x in 0..<inColumns.count { (target + x).initialize(to: t[Int(line[x])]) }
                            } else {
                                for x in 0..<inColumns.count { (target + x).initialize(to: t[Int(line[x * channels])]) }
                            }
                            let after = outWidth - inColumns.upperBound
                            (row + inColumns.upperBound).initialize(repeating: zero, count: after)
                        }
                    }
                }
            }
        }
        return PixelValues(channels: outputChannels, height: outHeight, width: outWidth, values: values, notes: notes)
    }

    /// What each byte value becomes after rescale and normalize in `channel`, in the backend's float steps.
    ///
    /// pil (numpy's order): rescale as float64 `x * scale` cast to float32; normalize in float32 as
    /// `(x - float32(mean)) / float32(std)`, from float32(x) without rescale.
    /// torchvision (float32 tensors): with both on, rescale is fused into normalize as
    /// `(float32(x) - mean') / std'` with `mean' = float32(mean) * float32(1 / scale)`, likewise std'
    /// (`_fuse_mean_std_and_rescale_factor`, then `sub` and `div_`); rescale alone is `float32(x) * float32(scale)`.
    func valueTable(channel c: Int) -> [Float] {
        let mean = Float(config.imageMean[c]), std = Float(config.imageStd[c])
        switch backend {
        case .pil:
            return (0..<256).map { v in
                let x = config.doRescale ? Float(Double(v) * config.rescaleFactor) : Float(v)
                return config.doNormalize ? (x - mean) / std : x
            }
        case .torchvision:
            let unscale = Float(1.0 / config.rescaleFactor)
            return (0..<256).map { v in
                switch (config.doRescale, config.doNormalize) {
                case (true, true): return (Float(v) - mean * unscale) / (std * unscale)
                case (false, true): return (Float(v) - mean) / std
                case (true, false): return Float(v) * Float(config.rescaleFactor)
                case (false, false): return Float(v)
                }
            }
        }
    }

    /// get_resize_output_image_size (default_to_square=False) for shortest_edge; height/width as given.
    /// Returns (height, width).
    package static func resizeTarget(height: Int, width: Int, size: PreprocessorConfig.Size) -> (Int, Int) {
        switch size {
        case .exact(let h, let w): return (h, w)
        case .shortestEdge(let edge):
            let (short, long) = width <= height ? (width, height) : (height, width)
            // Python: int(edge * long / short): an exact integer product, one correctly rounded division.
            let newLong = Int(Double(edge * long) / Double(short))
            return width <= height ? (newLong, edge) : (edge, newLong)
        }
    }

    /// transformers' numpy center_crop: the crop's top-left corner in image coordinates,
    /// `(size - crop) // 2` per axis (Python floor division). When the crop is larger, numpy pads the image
    /// by ceil(margin / 2) zeros before it and slices from 0, which is the same negative origin.
    package static func centerCropOrigin(height: Int, width: Int, cropHeight: Int, cropWidth: Int) -> (top: Int, left: Int) {
        (floorDiv(height - cropHeight, 2), floorDiv(width - cropWidth, 2))
    }

    /// The torchvision backend's center_crop: a crop larger than the image pads `margin // 2` zeros before
    /// and the rest after (the odd one goes bottom/right, unlike pil), then `int((size - crop) / 2.0)`.
    package static func torchvisionCenterCropOrigin(height: Int, width: Int, cropHeight: Int, cropWidth: Int) -> (top: Int, left: Int) {
        func origin(_ size: Int, _ crop: Int) -> Int { crop > size ? -((crop - size) / 2) : (size - crop) / 2 }
        return (origin(height, cropHeight), origin(width, cropWidth))
    }

    static func floorDiv(_ a: Int, _ b: Int) -> Int { a >= 0 ? a / b : -((-a + b - 1) / b) }
}

extension DecodedImage {
    /// Whether every RGB pixel of `transformersRGB()` has equal channels by construction.
    var isGrayscaleSource: Bool {
        switch mode {
        case .bilevel, .gray, .gray16, .grayAlpha: return true
        default: return false
        }
    }
}
