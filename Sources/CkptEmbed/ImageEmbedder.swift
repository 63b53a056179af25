import CkptCore
import CkptForward
import CkptImage
import CkptLayout

/// Images to embeddings (`ckpt embed --image`) in batches, with memory bounded by the batch size.
///
/// Batches run one after another. While the forward pass runs on one batch, the next is decoded and
/// preprocessed on another thread. Each batch's outputs are appended to a hidden scratch file next to
/// the output (listed in `PendingOutputs`, removed on every exit path) and the final safetensors is
/// streamed from that file as file-backed segments, so memory holds about two batches whatever the
/// number of images.
public enum ImageEmbedder {
    /// How to run the batches and what to write.
    public struct Options {
        /// Images per forward pass (≥ 1).
        public var batchSize: Int
        /// How position embeddings are resized to the image's grid.
        public var interpolation: PositionInterpolation
        /// Forward-pass workers (nil: every core).
        public var threads: Int?
        /// Applied to each batch's `pooler_output`, giving `head_output`.
        public var head: DINOHead?
        /// Also write the preprocessed `pixel_values` here (same metadata).
        public var savePixels: String?
        /// Replace existing outputs (`--force`).
        public var overwrite: Bool
        /// Files no output may replace (the weights).
        public var protecting: [FileIdentity]

        /// Options; `batchSize` must be at least 1.
        public init(batchSize: Int = 8, interpolation: PositionInterpolation, threads: Int? = nil, head: DINOHead? = nil,
                    savePixels: String? = nil, overwrite: Bool = false, protecting: [FileIdentity] = []) {
            self.batchSize = batchSize
            self.interpolation = interpolation
            self.threads = threads
            self.head = head
            self.savePixels = savePixels
            self.overwrite = overwrite
            self.protecting = protecting
        }
    }

    /// What was embedded.
    public struct Summary: Sendable {
        /// Images embedded.
        public let images: Int
        /// Preprocessed image height.
        public let height: Int
        /// Preprocessed image width.
        public let width: Int
        /// Patch grid of each image.
        public let grid: (rows: Int, columns: Int)
        /// Tokens per image: CLS, registers, patches.
        public let tokens: Int
        /// Seconds spent in forward passes (decoding overlaps them and is not counted).
        public let forwardSeconds: Double
        /// The stages of all the batches' forward passes, added up.
        public let profile: ForwardProfile?
    }

    /// Embeds `images` in order and writes `output` (and `options.savePixels`) atomically: both appear
    /// together, or neither does. `progress` is called after each batch with the images done, the total
    /// and that batch's conversion notes.
    public static func run(model: ViTWeights, images: [String], batcher: ImageBatcher, output: String, options: Options,
                           progress: (_ done: Int, _ total: Int, _ notes: [(path: String, note: ConversionNote)]) -> Void)
        throws -> Summary
    {
        precondition(options.batchSize >= 1 && !images.isEmpty)
        // An existing output is refused before any work.
        try AtomicOutput.checkDestination(output, overwrite: options.overwrite, protecting: options.protecting)
        if let savePixels = options.savePixels {
            try AtomicOutput.checkDestination(savePixels, overwrite: options.overwrite, protecting: options.protecting)
        }
        let starts = Array(stride(from: 0, to: images.count, by: options.batchSize))
        func prefetch(_ index: Int, like first: (path: String, size: [Int])?) -> Prefetch<ImageBatcher.Batch> {
            let paths = Array(images[starts[index]..<min(starts[index] + options.batchSize, images.count)])
            return Prefetch { try batcher.batch(paths, like: first) }
        }
        // Never renamed into place: `abandon` (or deinit, or the signal handler) removes it.
        let scratch = try AtomicOutput(destination: output, overwrite: true, protecting: options.protecting)
        defer { scratch.abandon() }
        var scratchSize = 0
        var regions: [String: [(offset: Int, count: Int)]] = [:]
        var rowShapes: [(name: String, shape: [Int])] = []
        func append(_ name: String, _ values: [Float]) throws {
            try values.withUnsafeBytes { try scratch.write($0) }
            regions[name, default: []].append((scratchSize, values.count * 4))
            scratchSize += values.count * 4
        }

        var sources: [ImageSource] = []
        var first: (path: String, size: [Int])? = nil
        var next = prefetch(0, like: nil)
        var summary: (height: Int, width: Int, grid: (rows: Int, columns: Int), tokens: Int)? = nil
        var forwardSeconds = 0.0
        var profile: ForwardProfile? = nil
        for index in starts.indices {
            let batch = try next.value()
            if first == nil {
                guard batch.channels == 3 else {
                    throw ImageProblem.notProcessable(path: batch.sources[0].path, reason: "the preprocessor config gives \(batch.channels)-channel pixel_values; the backbone needs 3 (set do_convert_rgb)")
                }
                first = (batch.sources[0].path, [batch.channels, batch.height, batch.width])
            }
            if index + 1 < starts.count { next = prefetch(index + 1, like: first) }
            let clock = ContinuousClock(), start = clock.now
            var out = try ViTForward.run(model, pixels: batch.values, batch: batch.count, height: batch.height,
                                         width: batch.width, interpolation: options.interpolation, threads: options.threads,
                                         source: "pixel_values of \(batch.sources[0].path)")
            forwardSeconds += (clock.now - start).seconds
            if let stages = out.profile { profile = profile.map { $0.adding(stages) } ?? stages }
            if let head = options.head { out.headOutput = try head.apply(out.poolerOutput, rows: out.batch) }
            let tensors = EmbedIO.tensors(out)
            if rowShapes.isEmpty { rowShapes = tensors.map { ($0.0, Array($0.1.dropFirst())) } }
            for (name, _, values) in tensors { try append(name, values) }
            if options.savePixels != nil { try append(PixelsFile.tensorName, batch.values) }
            sources += batch.sources
            summary = (batch.height, batch.width, out.grid, out.tokens)
            progress(sources.count, images.count, batch.notes)
        }

        let file = try MappedFile(path: scratch.temporaryPath)
        func tensor(_ name: String, rowShape: [Int], destination: String) -> OutputTensor {
            let segments = regions[name, default: []].map { ByteSegment.file(file, offset: $0.offset, count: $0.count) }
            return OutputTensor(TensorEntry(name: name, dtype: .f32, shape: [sources.count] + rowShape, segments: segments,
                                            sourcePath: destination))
        }
        let metadata = ImageInputs.metadata(sources)
        var staged: [AtomicOutput] = []
        if let savePixels = options.savePixels, let first {
            staged.append(try SafetensorsWriter.stage(
                [tensor(PixelsFile.tensorName, rowShape: first.size, destination: savePixels)], to: savePixels,
                metadata: metadata, overwrite: options.overwrite, protecting: options.protecting))
        }
        staged.append(try SafetensorsWriter.stage(
            rowShapes.map { tensor($0.name, rowShape: $0.shape, destination: output) }, to: output, metadata: metadata,
            overwrite: options.overwrite, protecting: options.protecting))
        for output in staged { try output.commit() }
        let s = summary!
        return Summary(images: sources.count, height: s.height, width: s.width, grid: s.grid, tokens: s.tokens,
                       forwardSeconds: forwardSeconds, profile: profile)
    }
}

