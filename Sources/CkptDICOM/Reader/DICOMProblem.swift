import CkptCore

/// Why a DICOM file was refused. Every case names the file it is about and, where an element is at
/// fault, its tag as `(gggg,eeee)` with the keyword; `exitCode` is 2 for all of them (bad input).
public enum DICOMProblem: CkptProblem, Equatable {
    /// The file has no `DICM` at offset 128 and does not start like a bare DICOM dataset.
    case notDICOM(path: String, reason: String)
    /// The data ends inside an element, an item or the pixel data.
    case truncated(path: String, tag: DICOMTag?, detail: String)
    /// The dataset's structure is invalid (a length past its container, an unknown VR, …).
    case malformed(path: String, tag: DICOMTag?, detail: String)
    /// Sequences are nested deeper than `limit`.
    case nestingTooDeep(path: String, tag: DICOMTag, limit: Int)
    /// An undefined-length sequence, item or pixel data has no delimiter before the data ends.
    case undefinedLengthNotClosed(path: String, tag: DICOMTag)
    /// A limit that bounds memory or work was exceeded (`what` names it).
    case overLimit(path: String, what: String, value: Int, limit: Int)
    /// A required image attribute is missing.
    case missingAttribute(path: String, tag: DICOMTag)
    /// An attribute holds a value ckpt cannot use.
    case badValue(path: String, tag: DICOMTag, value: String, expected: String)
    /// The transfer syntax is known (or not) but not read by ckpt.
    case unsupportedTransferSyntax(path: String, uid: String, name: String)
    /// A valid image ckpt does not read (colour, multi-frame, …).
    case unsupportedImage(path: String, reason: String)
    /// The header claims more pixels than `limit`; refused before pixel memory is allocated.
    case tooManyPixels(path: String, width: Int, height: Int, limit: Int)
    /// The pixel data holds fewer bytes than rows × columns × bytes per sample.
    case pixelDataTooShort(path: String, needed: Int, available: Int)
    /// A codec refused the compressed pixel data; `detail` is the codec's own message.
    case corruptPixelData(path: String, codec: String, detail: String)
    /// The decoded pixel data does not have the size or precision the header declares.
    case codecMismatch(path: String, codec: String, detail: String)
    /// The file could not be read.
    case unreadable(path: String, reason: String)

    /// The process exit code: 2, bad input.
    public var exitCode: Int32 { 2 }

    /// The file the problem is about.
    public var path: String {
        switch self {
        case let .notDICOM(path, _), let .truncated(path, _, _), let .malformed(path, _, _),
            let .nestingTooDeep(path, _, _), let .undefinedLengthNotClosed(path, _), let .overLimit(path, _, _, _),
            let .missingAttribute(path, _), let .badValue(path, _, _, _), let .unsupportedTransferSyntax(path, _, _),
            let .unsupportedImage(path, _), let .tooManyPixels(path, _, _, _), let .pixelDataTooShort(path, _, _),
            let .corruptPixelData(path, _, _), let .codecMismatch(path, _, _), let .unreadable(path, _):
            return path
        }
    }

    /// The message, starting with the file it is about.
    public var description: String {
        func at(_ tag: DICOMTag?) -> String { tag.map { " at \($0)" } ?? "" }
        switch self {
        case let .notDICOM(path, reason): return "\(path): not a DICOM file: \(reason)"
        case let .truncated(path, tag, detail): return "\(path): truncated DICOM file\(at(tag)): \(detail)"
        case let .malformed(path, tag, detail): return "\(path): malformed DICOM data\(at(tag)): \(detail)"
        case let .nestingTooDeep(path, tag, limit):
            return "\(path): DICOM sequences nested more than \(limit) deep at \(tag); refusing to read further"
        case let .undefinedLengthNotClosed(path, tag):
            return "\(path): DICOM element \(tag) has an undefined length and no delimiter before the end of the data"
        case let .overLimit(path, what, value, limit):
            return "\(path): DICOM file: \(what) is \(value), over the limit of \(limit)"
        case let .missingAttribute(path, tag): return "\(path): DICOM attribute \(tag) is missing; it is needed to read the image"
        case let .badValue(path, tag, value, expected): return "\(path): DICOM attribute \(tag) is \(value); expected \(expected)"
        case let .unsupportedTransferSyntax(path, uid, name):
            return "\(path): DICOM transfer syntax \(uid) (\(name)) is not supported; see docs/dicom.md for those ckpt reads"
        case let .unsupportedImage(path, reason): return "\(path): unsupported DICOM image: \(reason)"
        case let .tooManyPixels(path, width, height, limit):
            return "\(path): DICOM image of \(width) x \(height) = \(width * height) pixels is over the limit of \(limit) pixels "
                + "(a possible decompression bomb); raise the limit to read it"
        case let .pixelDataTooShort(path, needed, available):
            return "\(path): DICOM pixel data (7FE0,0010) PixelData holds \(available) bytes, the image needs \(needed)"
        case let .corruptPixelData(path, codec, detail): return "\(path): corrupt DICOM \(codec) pixel data: \(detail)"
        case let .codecMismatch(path, codec, detail):
            return "\(path): DICOM \(codec) pixel data does not match the header: \(detail)"
        case let .unreadable(path, reason): return "\(path): cannot read the DICOM file: \(reason)"
        }
    }
}
