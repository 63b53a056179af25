import CkptCore
import CkptDICOM
import CkptEmbed
import CkptForward
import CkptImage

/// The image half of an image golden case (`golden.json` with `images`): ckpt preprocesses the case's
/// image files itself, with the recorded config and backend, and its `pixel_values` must equal the
/// case's `pixels.safetensors` (transformers' output) bit for bit. The forward check then runs on
/// these pixels, so the case covers images → embeddings end to end.
public enum GoldenImageCheck {
    /// The image half's outcome: ckpt's pixels and how they compare with the case's.
    public struct Result: Sendable {
        /// ckpt's pixels, for the forward check.
        public let pixels: EmbedIO.Pixels
        /// The image files preprocessed, with their SHA-256, in order.
        public let sources: [ImageSource]
        /// Values whose float32 bit patterns differ from the case's (all of them when the shapes differ).
        public let differing: Int
        /// Largest |ours − theirs| over the differing values (NaN if any side is NaN there).
        public let maxAbs: Double
        /// The shape of ckpt's `pixel_values`.
        public let shape: [Int]
        /// The shape of the case's `pixel_values`.
        public let expectedShape: [Int]
        /// DICOM files of the case: the card recipe's 8-bit pixels against the reference's
        /// (`images.prepared_sha256`); empty for a case without DICOM files.
        public let prepared: [PreparedCheck]
        /// Same shape and every float32 bit pattern equal, and every prepared DICOM image equal.
        public var identical: Bool { differing == 0 && shape == expectedShape && prepared.allSatisfy(\.identical) }

        /// One line for the verify report.
        public var text: String {
            let head = "pixels: \(sources.count) image\(sources.count == 1 ? "" : "s") preprocessed by ckpt, \(shape)"
            let pixels: String
            if differing == 0 && shape == expectedShape {
                pixels = head + ": bit-identical to the case's pixel_values"
            } else if shape != expectedShape {
                pixels = head + ": FAIL, the case's pixel_values are \(expectedShape)"
            } else {
                pixels = head + ": FAIL, \(differing) of \(shape.reduce(1, *)) values differ (max abs \(maxAbs))"
            }
            guard !prepared.isEmpty else { return pixels }
            let wrong = prepared.filter { !$0.identical }
            let n = "\(prepared.count) DICOM file\(prepared.count == 1 ? "" : "s") through the card recipe"
            if wrong.isEmpty { return pixels + "; \(n): 8-bit pixels identical to the reference's" }
            return pixels + "; \(n): FAIL, " + wrong.map { "\($0.path) gives \($0.width)×\($0.height) with SHA-256 \($0.sha256), the reference \($0.expectedSHA256)" }.joined(separator: "; ")
        }

        /// The `pixels` member of the golden report.
        public var json: JSONValue {
            .object([("identical", .bool(identical)), ("shape", .array(shape.map { .int($0) })),
                     ("differing", .int(differing)), ("max_abs", maxAbs.isNaN ? .string("NaN") : .double(maxAbs)),
                     ("images", .array(sources.map { .object([("path", .string($0.path)), ("sha256", .string($0.sha256))]) })),
                     ("prepared", .array(prepared.map {
                         .object([("path", .string($0.path)), ("identical", .bool($0.identical)), ("width", .int($0.width)),
                                  ("height", .int($0.height)), ("sha256", .string($0.sha256)),
                                  ("expected_sha256", .string($0.expectedSHA256))])
                     }))])
        }
    }

    /// One DICOM file of a case through the card recipe: the SHA-256 of its 8-bit pixels (row-major, no
    /// header) against the reference's.
    public struct PreparedCheck: Sendable {
        /// The DICOM file.
        public let path: String
        /// The prepared image's size.
        public let width: Int, height: Int
        /// SHA-256 of ckpt's prepared pixels, and the one the case records.
        public let sha256: String, expectedSHA256: String
        /// The two hashes are equal.
        public var identical: Bool { sha256 == expectedSHA256.lowercased() }
    }

    /// Runs the image half of the case in `directory`; nil when the case has no `images`. Refuses image
    /// files whose SHA-256 is not the one recorded.
    public static func run(caseDirectory directory: String) throws -> Result? {
        try run(GoldenCase(directory: directory))
    }

    /// The image half of a case already read.
    package static func run(_ spec: GoldenCase) throws -> Result? {
        let path = spec.jsonPath, directory = spec.directory
        guard let images = spec.json["images"] else { return nil }
        func refuse(_ field: String, _ value: JSONValue?, expected: String) -> GoldenCaseError {
            GoldenCaseError(
                path: path, problem: .field(name: field, found: value.map(JSONWriter.compact), expected: expected))
        }
        let fileList = images["files"]?.arrayValue ?? []
        let files = fileList.compactMap(\.stringValue)
        guard !files.isEmpty, files.count == fileList.count else {
            throw refuse("images.files", images["files"], expected: "a non-empty list of image file names")
        }
        let shaList = images["sha256"]?.arrayValue ?? []
        let shas = shaList.compactMap(\.stringValue)
        guard shas.count == files.count, shaList.count == files.count else {
            throw refuse("images.sha256", images["sha256"], expected: "one SHA-256 string per file in images.files")
        }
        guard let configName = images["preprocessor_config"]?.stringValue else {
            throw refuse("images.preprocessor_config", images["preprocessor_config"], expected: "a file name in the case folder")
        }
        let backendName = images["backend"]?.stringValue ?? ImageBackend.pil.rawValue
        guard let backend = ImageBackend(rawValue: backendName) else {
            throw refuse("images.backend", images["backend"], expected: "one of \(ImageBackend.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let paths = files.map { FileSystem.join(directory, $0) }
        // Before decoding: a changed file is refused as changed, not reported as whatever it now decodes to.
        for (file, recorded) in zip(paths, shas) {
            let actual = try Hashing.sha256(file: file)
            guard actual == recorded.lowercased() else {
                throw CkptError.inputChanged(
                    path: file, reason: "SHA-256 is \(actual) but \(path) records \(recorded); the case's images must be the ones its outputs were made from")
            }
        }
        let config = try PreprocessorConfig.load(contentsOf: FileSystem.join(directory, configName))
        let batcher = ImageBatcher(processor: try ImageProcessor(config: config, backend: backend))
        let batch = try batcher.batch(paths)
        let expected = try EmbedIO.loadPixels(spec.pixelsPath)
        let expectedShape = [expected.batch, 3, expected.height, expected.width]
        var differing = 0, maxAbs = 0.0
        if batch.shape == expectedShape {
            for (a, b) in zip(batch.values, expected.values) where a.bitPattern != b.bitPattern {
                differing += 1
                let d = abs(Double(a) - Double(b))
                maxAbs = d.isNaN || maxAbs.isNaN ? .nan : max(maxAbs, d)
            }
        } else {
            differing = batch.values.count
            maxAbs = .nan
        }
        let pixels = EmbedIO.Pixels(values: batch.values, batch: batch.count, height: batch.height, width: batch.width)
        return Result(pixels: pixels, sources: batch.sources, differing: differing, maxAbs: maxAbs, shape: batch.shape,
                      expectedShape: expectedShape, prepared: try preparedChecks(images, sources: batch.sources, casePath: path))
    }

    /// `images.prepared_sha256` (one per image file; null for a file that is not DICOM) against each DICOM
    /// file's card-recipe image as the batch prepared it (the file is not read again).
    static func preparedChecks(_ images: JSONValue, sources: [ImageSource], casePath: String) throws -> [PreparedCheck] {
        guard let list = images["prepared_sha256"] else { return [] }
        guard let items = list.arrayValue, items.count == sources.count else {
            throw GoldenCaseError(path: casePath, problem: .field(
                name: "images.prepared_sha256", found: JSONWriter.compact(list),
                expected: "one SHA-256 string (or null) per file in images.files"))
        }
        var out: [PreparedCheck] = []
        for (source, item) in zip(sources, items) {
            guard let expected = item.stringValue else { continue }
            guard let prepared = source.prepared else {
                throw GoldenCaseError(path: casePath, problem: .field(
                    name: "images.prepared_sha256", found: JSONWriter.compact(item),
                    expected: "null for \(source.path), which is not a DICOM file"))
            }
            out.append(PreparedCheck(path: source.path, width: prepared.width, height: prepared.height,
                                     sha256: prepared.sha256, expectedSHA256: expected))
        }
        return out
    }
}
