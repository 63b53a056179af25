import CkptCore
import CkptDICOM
import CkptImage

/// One source image of a pixel batch: the path as given and the SHA-256 of the bytes that were decoded.
public struct ImageSource: Equatable, Sendable {
    /// The image file as named on the command line or in the list.
    public let path: String
    /// Lowercase hex SHA-256 of the file's bytes, hashed from the same mapping the decoder read.
    public let sha256: String
    /// For a DICOM file, the card recipe's 8-bit image the processor ran on; nil for an image file.
    package let prepared: Prepared?

    /// A DICOM file's prepared image: its size and the SHA-256 of its pixels (what a golden case records).
    package struct Prepared: Equatable, Sendable {
        package let width: Int
        package let height: Int
        package let sha256: String
    }

    package init(path: String, sha256: String, prepared: Prepared? = nil) {
        self.path = path
        self.sha256 = sha256
        self.prepared = prepared
    }
}

/// Image lists and the provenance of pixel tensors in safetensors `__metadata__`.
///
/// The metadata of every file made from images holds `format` = `pt` and `images` = a JSON array of
/// `{"path": …, "sha256": …}` objects, one per batch row, in row order (safetensors metadata is
/// string → string, so the list is one JSON string).
public enum ImageInputs {
    /// The `__metadata__` key that lists the source images.
    public static let metadataKey = "images"

    /// `__metadata__` for a tensor file made from `sources`, in batch order.
    public static func metadata(_ sources: [ImageSource]) -> [(String, String)] {
        let list = JSONValue.array(sources.map { .object([("path", .string($0.path)), ("sha256", .string($0.sha256))]) })
        return SafetensorsWriter.defaultMetadata + [(metadataKey, JSONWriter.compact(list))]
    }

    /// The sources listed in a metadata value written by `metadata(_:)`; nil when it is not such a list.
    public static func sources(fromMetadataValue text: String) -> [ImageSource]? {
        guard let json = try? StrictJSONParser.parse(text), let items = json.arrayValue else { return nil }
        var out: [ImageSource] = []
        for item in items {
            guard let path = item["path"]?.stringValue, let sha = item["sha256"]?.stringValue else { return nil }
            out.append(ImageSource(path: path, sha256: sha))
        }
        return out
    }

    /// Reads an image list: one path per line, in order. Blank lines and lines starting with `#` are
    /// skipped; surrounding spaces are kept out; relative paths are relative to the list's folder.
    public static func readList(_ path: String) throws -> [String] {
        let bytes = try FileSystem.readSmallFile(path)
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ImageProblem.imageListNotText(path: path)
        }
        let folder = FileSystem.directoryName(path)
        var paths: [String] = []
        for raw in text.split(whereSeparator: \.isNewline) {
            let line = raw.trimmingWhitespace
            if line.isEmpty || line.hasPrefix("#") { continue }
            paths.append(line.hasPrefix("/") ? line : FileSystem.join(folder, line))
        }
        guard !paths.isEmpty else { throw ImageProblem.emptyImageList(path: path) }
        return paths
    }

    /// Reads `path` once, hashes the bytes and decodes the same bytes, so the recorded SHA-256 is that
    /// of what was decoded; the hash runs on a second thread beside the decode (both only read the bytes).
    /// A DICOM file (recognised by content, before any image signature: many carry a TIFF header in their
    /// preamble) becomes the card recipe's 8-bit image, as PIL opens the recipe's PNG.
    static func decode(_ path: String, maxPixels: Int) throws -> (DecodedImage, ImageSource) {
        let bytes = try FileSystem.readFile(path)
        let (sha, (image, prepared)) = try bothAtOnce({ try Hashing.sha256(bytes: bytes) }) {
            try bytes.withUnsafeBytes { raw -> (DecodedImage, ImageSource.Prepared?) in
                guard DICOMReader.looksLikeDICOM(raw) else {
                    return (try ImageDecoder.decode(bytes: raw, path: path, maxPixels: maxPixels), nil)
                }
                let image = try DICOMConversion.decodedImage(raw, path: path, maxPixels: maxPixels)
                let prepared = ImageSource.Prepared(width: image.width, height: image.height,
                                                    sha256: try Hashing.sha256(bytes: image.nativeSamples ?? []))
                return (image, prepared)
            }
        }
        return (image, ImageSource(path: path, sha256: sha, prepared: prepared))
    }
}

extension Substring {
    /// Without leading and trailing whitespace (spaces and tabs: the lines are already split at newlines).
    var trimmingWhitespace: String {
        guard let first = firstIndex(where: { !$0.isWhitespace }), let last = lastIndex(where: { !$0.isWhitespace }) else { return "" }
        return String(self[first...last])
    }
}
