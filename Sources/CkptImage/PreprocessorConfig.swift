import CkptCore

/// A `preprocessor_config.json` for transformers' `BitImageProcessor` (RAD-DINO, facebook/dinov2-*) and
/// configs written with the same keys, with transformers 5.24's class defaults for absent or null keys.
public struct PreprocessorConfig: Equatable, Sendable {
    /// How `size` asks to resize.
    public enum Size: Equatable, Sendable {
        /// Shorter side to this length, aspect kept (long side truncated as transformers computes it).
        case shortestEdge(Int)
        /// Exactly this size, aspect not kept.
        case exact(height: Int, width: Int)
    }

    /// `do_convert_rgb`: convert to RGB first (gray and alpha images flattened as transformers does).
    public var doConvertRGB = true
    /// `do_resize`.
    public var doResize = true
    /// `size`: the resize target.
    public var size = Size.shortestEdge(224)
    /// `resample`: the PIL filter of the resize.
    public var resample = ResampleFilter.bicubic
    /// `do_center_crop`.
    public var doCenterCrop = true
    /// `crop_size` height and width.
    public var cropHeight = 224, cropWidth = 224
    /// `do_rescale`: multiply by `rescaleFactor`.
    public var doRescale = true
    /// `rescale_factor`.
    public var rescaleFactor = 1.0 / 255.0
    /// `do_normalize`: subtract `imageMean`, divide by `imageStd`, per channel.
    public var doNormalize = true
    /// OPENAI_CLIP_MEAN / OPENAI_CLIP_STD are BitImageProcessor's defaults.
    public var imageMean: [Double] = [0.48145466, 0.4578275, 0.40821073]
    /// `image_std`, one value per channel.
    public var imageStd: [Double] = [0.26862954, 0.26130258, 0.27577711]

    /// Which transformers class the config is for: its steps and its defaults.
    public var processorClass = ProcessorClass.bit

    /// The transformers image processors ckpt reproduces.
    public enum ProcessorClass: String, Sendable {
        /// `BitImageProcessor` (RAD-DINO, DINOv2): resize the uint8 image, crop, then rescale and normalize.
        case bit
        /// `DINOv3ViTImageProcessor` (transformers 5, torchvision only): rescale to float32 first, then an
        /// antialiased bilinear resize of the float image to a fixed height × width, then normalize.
        case dinov3ViT = "dinov3-vit"
    }

    /// BitImageProcessor's defaults (transformers 5.24).
    public init() {}

    /// `DINOv3ViTImageProcessor`'s class defaults (transformers 5.24): 224 × 224, bilinear, no crop,
    /// ImageNet mean and std, and `do_convert_rgb` unset (an RGB image is used as it is).
    public static var dinov3ViTDefaults: PreprocessorConfig {
        var c = PreprocessorConfig()
        c.processorClass = .dinov3ViT
        c.doConvertRGB = false
        c.size = .exact(height: 224, width: 224)
        c.resample = .bilinear
        c.doCenterCrop = false
        c.imageMean = [0.485, 0.456, 0.406]
        c.imageStd = [0.229, 0.224, 0.225]
        return c
    }

    /// Processor classes whose preprocessing is exactly what ckpt implements.
    public static let supportedProcessorTypes: Set<String> = [
        "BitImageProcessor", "BitImageProcessorPil", "BitImageProcessorFast", "DINOv3ViTImageProcessor", "DINOv3ViTImageProcessorFast",
    ]

    /// Keys that never change `pixel_values` for a PIL image input: bookkeeping, output container and device
    /// choices. transformers pops or ignores them (image_processing_base.py, processing_utils.ImagesKwargs).
    static let harmlessKeys: Set<String> = [
        "processor_class", "feature_extractor_type", "return_tensors", "device", "disable_grouping",
        "image_seq_length", "input_data_format",
    ]

    /// Reads a `preprocessor_config.json` file, or the one inside an HF folder.
    public static func load(contentsOf path: String) throws -> PreprocessorConfig {
        let file = FileSystem.kind(of: path) == .directory ? FileSystem.join(path, "preprocessor_config.json") : path
        return try parse(FileSystem.readSmallFile(file), path: file)
    }

    /// Parses the JSON text of a config with the core's strict parser: a key given twice is refused (Python's
    /// json would keep the last value, other readers the first). Keys that would change the result but are not
    /// implemented, and keys ckpt does not know, are refused with the key named.
    public static func parse(_ bytes: some Collection<UInt8>, path: String) throws -> PreprocessorConfig {
        func fail(_ problem: ConfigProblem) -> ImageProblem { .config(path: path, problem: problem) }
        let object: [String: JSONValue]
        do {
            guard case .object(let members) = try StrictJSONParser.parse(Array(bytes)) else {
                throw fail(.notJSONObject(detail: "the top level is not an object"))
            }
            object = Dictionary(members, uniquingKeysWith: { first, _ in first })  // the parser refused repeats
        } catch let problem as ImageProblem {
            throw problem
        } catch let error as JSONError {
            if let key = error.duplicateKey { throw fail(.duplicateKey(key: key, offset: error.offset)) }
            throw fail(.notJSONObject(detail: "\(error)"))
        }
        var config = PreprocessorConfig()
        // default_to_square decides what an integer `size` means (BitImageProcessor: False).
        var defaultToSquare = false
        if let value = object["default_to_square"], value != .null {
            guard case .bool(let b) = value else { throw fail(.badValue(key: "default_to_square", expected: "true or false")) }
            defaultToSquare = b
        }
        // The processor class first: for another class every other key means something else.
        if let type = object["image_processor_type"], type != .null {
            guard case .string(let name) = type else { throw fail(.badValue(key: "image_processor_type", expected: "a string")) }
            guard supportedProcessorTypes.contains(name) else { throw fail(.unsupportedProcessor(name: name)) }
            if name.hasPrefix("DINOv3ViT") { config = dinov3ViTDefaults }
        }
        var doPad = false
        for key in object.keys.sorted() {
            let value = object[key]!
            if value == .null { continue }  // transformers: a None kwarg takes the class default
            func bool() throws -> Bool {
                guard case .bool(let b) = value else { throw fail(.badValue(key: key, expected: "true or false")) }
                return b
            }
            switch key {
            case "image_processor_type", "default_to_square": break  // checked above
            case "do_convert_rgb": config.doConvertRGB = try bool()
            case "do_resize": config.doResize = try bool()
            case "do_center_crop": config.doCenterCrop = try bool()
            case "do_rescale": config.doRescale = try bool()
            case "do_normalize": config.doNormalize = try bool()
            case "do_pad": doPad = try bool()
            case "pad_size": break  // used only with do_pad, refused below
            case "data_format":
                guard value == .string("channels_first") else {
                    throw fail(.unsupportedKey(key: key, reason: "ckpt writes channels_first pixel_values only"))
                }
            case "size":
                config.size = try parseSize(value, key: key, defaultToSquare: defaultToSquare, fail: fail)
            case "crop_size":
                switch try parseSize(value, key: key, defaultToSquare: true, fail: fail) {
                case .exact(let h, let w): (config.cropHeight, config.cropWidth) = (h, w)
                case .shortestEdge: throw fail(.badValue(key: key, expected: "{\"height\", \"width\"}"))
                }
            case "resample":
                guard let r = value.intValue, let filter = ResampleFilter(rawValue: r) else {
                    throw fail(.badValue(key: key, expected: "an integer 0...5 (PIL.Image.Resampling)"))
                }
                config.resample = filter
            case "rescale_factor":
                guard let number = value.doubleValue else { throw fail(.badValue(key: key, expected: "a number")) }
                config.rescaleFactor = number
            case "image_mean", "image_std":
                let values: [Double]
                if let number = value.doubleValue {
                    values = [number, number, number]
                } else if case .array(let items) = value, items.count == 3, items.allSatisfy({ $0.doubleValue != nil }) {
                    values = items.map { $0.doubleValue! }
                } else {
                    throw fail(.badValue(key: key, expected: "a number or a list of 3 numbers"))
                }
                if key == "image_mean" { config.imageMean = values } else { config.imageStd = values }
            default:
                if harmlessKeys.contains(key) { continue }
                throw fail(.unsupportedKey(key: key, reason: "ckpt does not know what it does to pixel_values"))
            }
        }
        if doPad {
            throw fail(.unsupportedKey(key: "do_pad", reason: "padding a batch to one size is not implemented"))
        }
        return config
    }

    private static func parseSize(
        _ value: JSONValue, key: String, defaultToSquare: Bool, fail: (ConfigProblem) -> ImageProblem
    ) throws -> Size {
        func positive(_ v: JSONValue?) -> Int? {
            guard let i = v?.intValue, i > 0, i <= 1 << 20 else { return nil }
            return Int(i)
        }
        switch value {
        case .number where value.intValue != nil:
            guard let n = positive(value) else { throw fail(.badValue(key: key, expected: "a positive integer")) }
            return defaultToSquare ? .exact(height: n, width: n) : .shortestEdge(n)
        case .array(let items):
            guard items.count == 2, let h = positive(items[0]), let w = positive(items[1]) else {
                throw fail(.badValue(key: key, expected: "[height, width]"))
            }
            return .exact(height: h, width: w)
        case .object(let members):
            let dict = Dictionary(members, uniquingKeysWith: { first, _ in first })  // the parser refused repeats
            let keys = Set(dict.keys)
            if keys == ["shortest_edge"], let n = positive(dict["shortest_edge"]) { return .shortestEdge(n) }
            if keys == ["height", "width"], let h = positive(dict["height"]), let w = positive(dict["width"]) {
                return .exact(height: h, width: w)
            }
            if ["longest_edge", "max_height", "max_width", "min_pixels", "max_pixels"].contains(where: keys.contains) {
                throw fail(.unsupportedKey(
                    key: "\(key).\(keys.sorted().joined(separator: "+"))",
                    reason: "only shortest_edge or height+width sizes are implemented"))
            }
            throw fail(.badValue(key: key, expected: "{\"shortest_edge\": n} or {\"height\": h, \"width\": w}"))
        default:
            throw fail(.badValue(key: key, expected: "an integer, [height, width] or a size object"))
        }
    }
}
