import CkptImage

/// Decodes and preprocesses image files into `pixel_values` batches `[B, C, H, W]` (float32, rows in
/// the order given). One tensor holds one size, so every image must give the same C × H × W.
public struct ImageBatcher: Sendable {
    /// The preprocessing applied to every image.
    public let processor: ImageProcessor
    /// Largest width × height a header may claim (decompression-bomb limit), checked before allocating.
    public let maxPixels: Int

    /// A batcher that preprocesses with `processor` and refuses headers over `maxPixels`.
    public init(processor: ImageProcessor, maxPixels: Int = ImageDecoder.defaultMaxPixels) {
        self.processor = processor
        self.maxPixels = maxPixels
    }

    /// A batch of preprocessed images.
    public struct Batch: Sendable {
        /// `[count, channels, height, width]`, row-major.
        public var values: [Float]
        /// Images in the batch.
        public var count: Int { sources.count }
        /// Channels of every image (3 unless a config keeps gray images gray).
        public let channels: Int
        /// Rows of every image.
        public let height: Int
        /// Columns of every image.
        public let width: Int
        /// The files, with the SHA-256 of the bytes decoded, in batch order.
        public var sources: [ImageSource]
        /// What each conversion to RGB lost, per image, in order (for the CLI's `note:` lines).
        public var notes: [(path: String, note: ConversionNote)]

        /// `[count, channels, height, width]`.
        public var shape: [Int] { [count, channels, height, width] }
    }

    /// The batch of `paths`, in order. `like` is the first image of an earlier batch of the same
    /// tensor: its size is the one every image must have.
    public func batch<Paths: Collection<String>>(_ paths: Paths, like first: (path: String, size: [Int])? = nil) throws -> Batch {
        var values: [Float] = []
        var sources: [ImageSource] = []
        var notes: [(path: String, note: ConversionNote)] = []
        var reference = first
        for path in paths {
            let (image, source) = try ImageInputs.decode(path, maxPixels: maxPixels)
            let pixels = try processor.process(image, path: path)
            let size = [pixels.channels, pixels.height, pixels.width]
            if let reference, reference.size != size {
                throw ImageProblem.notProcessable(
                    path: path, reason: "gives pixel_values \(Self.spell(size)) but \(reference.path) gives "
                        + "\(Self.spell(reference.size)); one batch tensor needs one size (a config with "
                        + "do_center_crop, or size height/width, makes every image the same size)")
            }
            if reference == nil {
                reference = (path, size)
                if paths.count > 1 { values.reserveCapacity(paths.count * pixels.values.count) }
            }
            // A batch of one takes the image's values as they are (3.2 MB at 518 px: no copy).
            if paths.count == 1 { values = pixels.values } else { values += pixels.values }
            sources.append(source)
            notes += pixels.notes.map { (path, $0) }
        }
        let size = reference?.size ?? [3, 0, 0]
        return Batch(values: values, channels: size[0], height: size[1], width: size[2], sources: sources, notes: notes)
    }

    static func spell(_ size: [Int]) -> String { "\(size[0])×\(size[1])×\(size[2])" }
}
