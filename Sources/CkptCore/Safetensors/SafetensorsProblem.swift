/// Exactly what is wrong with a safetensors file. Descriptions name the tensor and the numbers involved.
public enum SafetensorsProblem: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file is shorter than the 8-byte header length.
    case fileTooSmall(size: Int)
    /// The header length is over ckpt's limit.
    case headerTooLarge(length: UInt64, limit: Int)
    /// The header length runs past the end of the file.
    case headerPastEnd(length: UInt64, fileSize: Int)
    /// The header bytes are not UTF-8.
    case headerNotUTF8
    /// The header is not JSON (strict: no duplicate keys, bounded nesting).
    case headerNotJSON(JSONError)
    /// A top-level key given twice: a tensor (or `__metadata__`) listed twice.
    case duplicateTensor(name: String, offset: Int)
    /// The header is JSON but not an object.
    case headerNotObject(found: String)
    /// `__metadata__` is not an object.
    case metadataNotObject(found: String)
    /// A `__metadata__` value is not a string.
    case metadataValueNotString(key: String, found: String)
    /// A tensor entry is not an object.
    case tensorNotObject(tensor: String, found: String)
    /// A tensor entry lacks `dtype`, `shape` or `data_offsets`.
    case missingField(tensor: String, field: String)
    /// A tensor entry has a field the format does not define.
    case unexpectedField(tensor: String, field: String)
    /// A dtype the format does not define.
    case unknownDType(tensor: String, dtype: String)
    /// A shape or offset value that is not a non-negative integer that fits (`reason` says which).
    case invalidInteger(tensor: String, field: String, text: String, reason: String)
    /// A field of the wrong JSON type.
    case invalidFieldType(tensor: String, field: String, expected: String, found: String)
    /// `data_offsets` end before they begin.
    case offsetsReversed(tensor: String, begin: Int, end: Int)
    /// The shape's byte count overflows.
    case sizeOverflow(tensor: String, shape: [Int], dtype: DType)
    /// The offsets hold another number of bytes than the shape and dtype need.
    case byteCountMismatch(tensor: String, begin: Int, end: Int, shape: [Int], dtype: DType, needed: Int)
    /// Bytes between two tensors that belong to neither (the format packs them).
    case gap(tensor: String, begin: Int, expected: Int)
    /// Two tensors share bytes.
    case overlap(tensor: String, begin: Int, end: Int, other: String, otherEnd: Int)
    /// The file ends before the tensor data does.
    case dataTruncated(needed: Int, available: Int)
    /// Bytes after the last tensor.
    case trailingBytes(count: Int)
    /// More tensors than `SafetensorsHeader.maxTensors`; reading stopped at the first one past it.
    case tooManyTensors(limit: Int)
    /// More `__metadata__` entries than `SafetensorsHeader.maxMetadataEntries`.
    case tooManyMetadataEntries(limit: Int)
    /// A shape with more dimensions than `SafetensorsHeader.maxRank`.
    case tooManyDimensions(tensor: String, count: Int, limit: Int)

    /// What is wrong, naming the tensor and the numbers (the path is the error's).
    public var description: String {
        func shapeText(_ s: [Int]) -> String { "[" + s.map(String.init).joined(separator: ", ") + "]" }
        switch self {
        case let .fileTooSmall(size):
            return "\(size) bytes is too small for a safetensors file (it needs at least the 8-byte header length)"
        case let .headerTooLarge(length, limit):
            return "header length \(length) is over the \(limit)-byte limit"
        case let .headerPastEnd(length, fileSize):
            return "header length \(length) runs past the end of the \(fileSize)-byte file"
        case .headerNotUTF8:
            return "header is not valid UTF-8"
        case let .headerNotJSON(error):
            return "header is not valid JSON: \(error)"
        case let .duplicateTensor(name, offset) where name == "__metadata__":
            return "header gives \"__metadata__\" twice (second at byte \(offset)); readers disagree on which one counts"
        case let .duplicateTensor(name, offset):
            return "tensor \"\(name)\" is listed twice in the header (second entry at byte \(offset)); readers disagree on which one wins"
        case let .headerNotObject(found):
            return "header must be a JSON object, found \(found)"
        case let .metadataNotObject(found):
            return "\"__metadata__\" must be an object of strings, found \(found)"
        case let .metadataValueNotString(key, found):
            return "\"__metadata__\" entry \"\(key)\" must be a string, found \(found)"
        case let .tensorNotObject(tensor, found):
            return "tensor \"\(tensor)\": expected an object with dtype, shape and data_offsets, found \(found)"
        case let .missingField(tensor, field):
            return "tensor \"\(tensor)\": missing field \"\(field)\""
        case let .unexpectedField(tensor, field):
            return "tensor \"\(tensor)\": unexpected field \"\(field)\""
        case let .unknownDType(tensor, dtype):
            return "tensor \"\(tensor)\": unknown dtype \"\(dtype)\""
        case let .invalidInteger(tensor, field, text, reason):
            return "tensor \"\(tensor)\": \(field) value \(text) is \(reason)"
        case let .invalidFieldType(tensor, field, expected, found):
            return "tensor \"\(tensor)\": \(field) must be \(expected), found \(found)"
        case let .offsetsReversed(tensor, begin, end):
            return "tensor \"\(tensor)\": data_offsets [\(begin), \(end)] end before they begin"
        case let .sizeOverflow(tensor, shape, dtype):
            return "tensor \"\(tensor)\": shape \(shapeText(shape)) of \(dtype.rawValue) overflows the byte count"
        case let .byteCountMismatch(tensor, begin, end, shape, dtype, needed):
            return "tensor \"\(tensor)\": data_offsets [\(begin), \(end)] hold \(end - begin) bytes but shape \(shapeText(shape)) of \(dtype.rawValue) needs \(needed)"
        case let .gap(tensor, begin, expected):
            return "tensor \"\(tensor)\": data begins at \(begin) but the previous tensor ends at \(expected) (a hole of \(begin - expected) bytes)"
        case let .overlap(tensor, begin, end, other, otherEnd):
            return "tensor \"\(tensor)\": data_offsets [\(begin), \(end)] overlap tensor \"\(other)\", which ends at \(otherEnd)"
        case let .dataTruncated(needed, available):
            return "tensor data needs \(needed) bytes but the file holds \(available) after the header (truncated)"
        case let .trailingBytes(count):
            return "\(count) trailing bytes after the last tensor"
        case let .tooManyTensors(limit):
            return "header lists more than \(limit) tensors, ckpt's limit (real checkpoints have at most a few thousand per file); nothing past it was read"
        case let .tooManyMetadataEntries(limit):
            return "\"__metadata__\" has more than \(limit) entries, ckpt's limit"
        case let .tooManyDimensions(tensor, count, limit):
            return "tensor \"\(tensor)\": shape has \(count) dimensions, more than the \(limit) any reader supports"
        }
    }
}
