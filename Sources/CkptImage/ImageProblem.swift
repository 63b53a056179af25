import CkptCore

/// Why an image file, an image list or a preprocessor config was refused. Every case names the file
/// it is about (reading the file itself fails with the core's `CkptError`).
public enum ImageProblem: CkptProblem, Equatable {
    /// The file has no bytes.
    case emptyFile(path: String)
    /// The bytes are no image format ckpt knows (PNG, JPEG) nor one it can name.
    case notAnImage(path: String)
    /// A known image format that ckpt does not read, named from its magic bytes.
    case unsupportedFormat(path: String, format: String)
    /// A PNG or JPEG variant ckpt (like PIL) does not read, e.g. a 12-bit JPEG.
    case unsupportedVariant(path: String, format: String, detail: String)
    /// The data ends before the image does.
    case truncated(path: String, format: String, detail: String)
    /// A PNG chunk's CRC does not match its contents.
    case crcMismatch(path: String, detail: String)
    /// The decoder refused the data; `detail` is libpng's or libjpeg's own message.
    case corrupt(path: String, format: String, detail: String)
    /// The header claims more pixels than `limit` (a decompression bomb); refused before allocating.
    case tooManyPixels(path: String, width: Int, height: Int, limit: Int)
    /// Memory for the pixels could not be had.
    case outOfMemory(path: String)
    /// A preprocessor config key whose value ckpt cannot use, or a key/processor it does not implement.
    case config(path: String, problem: ConfigProblem)
    /// The image and config together ask for something transformers would do differently or reject.
    case notProcessable(path: String, reason: String)
    /// An image list (`--image-list`) is not UTF-8 text.
    case imageListNotText(path: String)
    /// An image list has no line naming an image (only blank lines and `#` comments).
    case emptyImageList(path: String)

    /// The file the problem is about.
    public var path: String {
        switch self {
        case let .emptyFile(path), let .notAnImage(path), let .unsupportedFormat(path, _),
             let .unsupportedVariant(path, _, _), let .truncated(path, _, _), let .crcMismatch(path, _),
             let .corrupt(path, _, _), let .tooManyPixels(path, _, _, _),
             let .outOfMemory(path), let .config(path, _), let .notProcessable(path, _), let .imageListNotText(path),
             let .emptyImageList(path):
            return path
        }
    }

    /// 2: every image problem is unreadable or unusable input.
    public var exitCode: Int32 { 2 }

    /// The message, starting with the file it is about.
    public var description: String {
        switch self {
        case .emptyFile(let path): return "\(path): empty file, not an image"
        case .notAnImage(let path): return "\(path): not an image (neither PNG nor JPEG by its first bytes)"
        case .unsupportedFormat(let path, let format):
            return "\(path): \(format) images are not supported (ckpt reads PNG and JPEG)"
        case .unsupportedVariant(let path, let format, let detail):
            return "\(path): unsupported \(format): \(detail)"
        case .truncated(let path, let format, let detail):
            return "\(path): truncated \(format) file: \(detail)"
        case .crcMismatch(let path, let detail): return "\(path): PNG CRC error: \(detail)"
        case .corrupt(let path, let format, let detail): return "\(path): corrupt \(format) data: \(detail)"
        case .tooManyPixels(let path, let width, let height, let limit):
            return "\(path): \(width) x \(height) = \(width * height) pixels is over the limit of \(limit) "
                + "pixels (a possible decompression bomb); raise the limit to read it"
        case .outOfMemory(let path): return "\(path): not enough memory to decode the image"
        case .config(let path, let problem): return "\(path): \(problem)"
        case .notProcessable(let path, let reason): return "\(path): \(reason)"
        case .imageListNotText(let path): return "\(path): image list is not UTF-8 text"
        case .emptyImageList(let path): return "\(path): image list names no image"
        }
    }
}

/// What is wrong with a `preprocessor_config.json`.
public enum ConfigProblem: Equatable, Sendable, CustomStringConvertible {
    /// The file is not a JSON object; `detail` is the parser's message.
    case notJSONObject(detail: String)
    /// A key transformers knows (or ckpt does not) that would change the result and is not implemented.
    case unsupportedKey(key: String, reason: String)
    /// A key with a value of the wrong type or out of range.
    case badValue(key: String, expected: String)
    /// `image_processor_type` names a processor other than BitImageProcessor.
    case unsupportedProcessor(name: String)
    /// The combination is invalid in transformers too (e.g. do_normalize without image_mean).
    case missing(key: String, reason: String)
    /// A key given twice in one object (at byte `offset`): Python's json keeps the last value, so ckpt refuses
    /// rather than read the config differently from transformers.
    case duplicateKey(key: String, offset: Int)

    /// What is wrong with the config (the path is the image problem's).
    public var description: String {
        switch self {
        case .notJSONObject(let detail): return "not a JSON object: \(detail)"
        case .unsupportedKey(let key, let reason): return "key \"\(key)\" is not supported: \(reason)"
        case .badValue(let key, let expected): return "key \"\(key)\": expected \(expected)"
        case .unsupportedProcessor(let name):
            return "image_processor_type \"\(name)\" is not supported (ckpt implements BitImageProcessor)"
        case .missing(let key, let reason): return "key \"\(key)\" is needed: \(reason)"
        case .duplicateKey(let key, let offset):
            return "key \"\(key)\" is given twice (again at byte \(offset)); transformers would use the last value, "
                + "ckpt refuses to guess"
        }
    }
}
