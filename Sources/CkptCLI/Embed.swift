import ArgumentParser
import CkptKit

/// `--interpolation dinov2|hf`.
extension PositionInterpolation: ExpressibleByArgument {}

extension Ckpt {
    struct Embed: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "embed",
            abstract: "Run the DINOv2 backbone (float32, OpenBLAS) on preprocessed pixels and write the embeddings.",
            discussion: """
                PIXELS holds a tensor pixel_values [B, 3, H, W] (F32, F16 or BF16), already resized and \
                normalised. OUT gets pooler_output [B, D] (final-LayerNorm'ed CLS), last_hidden_state \
                [B, 1+R+N, D] (CLS, registers, patches in row-major grid order) and, with --head, \
                head_output [B, out]. H and W need not be multiples of the patch size: the remainder is \
                cropped as the stride-p patch convolution does. When the patch grid differs from the \
                stored position grid the position embedding is resampled the way the chosen upstream \
                does (default: dinov2 for original-layout weights, hf for Hugging Face folders).
                With --image / --image-list, ckpt preprocesses PNG/JPEG (and DICOM) files itself (as `ckpt preprocess` \
                does) with --preprocessor, by default the preprocessor_config.json of a Hugging Face \
                WEIGHTS folder, and runs them in batches of --batch images; the output's __metadata__ \
                lists the images and their SHA-256. See docs/embed.md.
                Exit codes: 0 written, 2 unreadable input or shape mismatch, 64 usage error.
                """)

        @Argument(help: "Backbone weights: original-layout .safetensors (or .zst) or a Hugging Face folder.")
        var weights: String

        @Option(name: .long, help: "safetensors file with pixel_values [B, 3, H, W].")
        var pixels: String?

        @Option(name: .long, parsing: .upToNextOption, help: "PNG, JPEG or DICOM files to preprocess and embed, in this order (DICOM through the card recipe, docs/dicom.md).")
        var image: [String] = []

        @Option(name: .long, help: "preprocessor_config.json or a folder holding one (default: WEIGHTS' own, for a Hugging Face folder).")
        var preprocessor: String?

        @OptionGroup var imageOptions: ImageOptions

        @Option(name: .long, help: "Images per forward pass with --image/--image-list; bounds memory.")
        var batch: Int = 8

        @Option(name: .long, help: "Also write the preprocessed pixel_values of --image/--image-list here.")
        var savePixels: String?

        @Option(name: .shortAndLong, help: "Output .safetensors file.")
        var output: String

        @Option(name: .long, help: "Position-embedding resampling convention (default: from the weights' layout).")
        var interpolation: PositionInterpolation?

        @Option(name: .long, help: "DINOHead weights; adds head_output computed from the CLS embedding.")
        var head: String?

        @Option(name: .long, help: "Threads for the forward pass (default: all cores); OpenBLAS calls run single-threaded inside them.")
        var threads: Int?

        @Flag(name: .long, help: "Also print each stage of the forward pass (patch embedding, qkv, attention, projection, FFN, the rest): its GFLOP, thread-seconds and GFLOP/s per thread.")
        var profile = false

        @Option(name: .long, help: "Attention heads, for original-layout weights whose width is not 64 per head.")
        var heads: Int?

        @Flag(name: .long, help: "Overwrite an existing output file.")
        var force = false

        func validate() throws {
            if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
            if let heads, heads < 1 { throw ValidationError("--heads must be at least 1") }
            if batch < 1 { throw ValidationError("--batch must be at least 1") }
            let sources = [pixels != nil, !image.isEmpty, imageOptions.imageList != nil].filter { $0 }.count
            guard sources == 1 else { throw ValidationError("give exactly one of --pixels, --image, --image-list") }
            if pixels != nil, preprocessor != nil || savePixels != nil {
                throw ValidationError("--preprocessor and --save-pixels apply to --image/--image-list, not --pixels")
            }
            // A Hub name the cache cannot resolve is run()'s to report (exit 2), not a usage error.
            if pixels == nil, preprocessor == nil, (try? HubCache.locate(weights)) != nil, defaultPreprocessor == nil {
                throw ValidationError("\(weights) has no preprocessor_config.json: give --preprocessor CONFIG for --image/--image-list")
            }
        }

        /// The preprocessor_config.json of a Hugging Face WEIGHTS folder (or Hub snapshot), when it has one.
        var defaultPreprocessor: String? {
            let candidate = ((try? HubCache.locate(weights))?.path ?? weights) + "/preprocessor_config.json"
            return FileSystem.kind(of: candidate) == .file ? candidate : nil
        }

        func run() throws {
            guard let pixels else { return try runImages() }
            let checkpoint = try Checkpoint.open(weights)
            // Before the pass, not after it: an existing output should not cost a forward pass.
            try AtomicOutput.checkDestination(output, overwrite: force, protecting: checkpoint.fileIdentities)
            let analysis = try Layouts.analyze(checkpoint)
            let model = try ViTWeights(analysis: analysis, heads: heads)
            let px = try EmbedIO.loadPixels(pixels)
            let convention = interpolation ?? analysis.positionInterpolation
            let clock = ContinuousClock(), start = clock.now
            var out = try ViTForward.run(model, pixels: px.values, batch: px.batch, height: px.height, width: px.width,
                                         interpolation: convention, threads: threads, source: pixels)
            let elapsed = clock.now - start
            let seconds = elapsed.seconds
            let gflops = ViTForward.flops(model.architecture, batch: px.batch, height: px.height, width: px.width) / 1e9
            var inputs = checkpoint.fileIdentities
            if let head {
                let headCheckpoint = try Checkpoint.open(head)
                out.headOutput = try DINOHead(checkpoint: headCheckpoint).apply(out.poolerOutput, rows: out.batch)
                inputs += headCheckpoint.fileIdentities
            }
            if let id = FileIdentity.of(path: pixels) { inputs.append(id) }
            try EmbedIO.write(out, to: output, overwrite: force, protecting: inputs)
            print("\(model.architecture.summary): \(px.batch) image\(px.batch == 1 ? "" : "s") \(px.height)×\(px.width) → grid \(out.grid.rows)×\(out.grid.columns), \(out.tokens) tokens, \(model.architecture.usesRoPE ? "RoPE" : "interpolation " + convention.rawValue); wrote \(output)")
            printHeadsRule(model)
            printForward(seconds: seconds, gflops: gflops, profile: profile ? out.profile : nil)
        }

        /// Says which rule gave the head count when neither config.json nor --heads did.
        func printHeadsRule(_ model: ViTWeights) {
            if let rule = model.headsRule { print("heads: \(Architecture.assumedHeadsText(model.architecture.heads, rule: rule)), --heads sets them") }
        }

        /// The `forward …` line (time, GFLOP/s and the compute backend), then the per-stage lines.
        func printForward(seconds: Double, gflops: Double, profile: ForwardProfile?) {
            let time = seconds < 1 ? cFormat("%.1f ms", seconds * 1e3) : cFormat("%.2f s", seconds)
            print("forward \(time), " + cFormat("%.3g GFLOP/s (%.3g GFLOP); ", gflops / max(seconds, 1e-9), gflops)
                  + ViTForward.backendSummary(threads: threads))
            if let profile { profile.lines.forEach { print($0) } }
        }

        /// `--image` / `--image-list`: preprocess and embed in batches, streaming the output.
        func runImages() throws {
            let checkpoint = try Checkpoint.open(weights)
            let paths = try imageOptions.paths(image)
            var inputs = checkpoint.fileIdentities + paths.compactMap(FileIdentity.of(path:))
            // Before any work: an existing output should not cost the forward passes.
            try AtomicOutput.checkDestination(output, overwrite: force, protecting: inputs)
            if let savePixels { try AtomicOutput.checkDestination(savePixels, overwrite: force, protecting: inputs) }
            let batcher = try imageOptions.batcher(config: preprocessor ?? defaultPreprocessor!)
            let analysis = try Layouts.analyze(checkpoint)
            let model = try ViTWeights(analysis: analysis, heads: heads)
            var headModel: DINOHead? = nil
            if let head {
                let headCheckpoint = try Checkpoint.open(head)
                headModel = try DINOHead(checkpoint: headCheckpoint)
                inputs += headCheckpoint.fileIdentities
            }
            let convention = interpolation ?? analysis.positionInterpolation
            let options = ImageEmbedder.Options(batchSize: batch, interpolation: convention, threads: threads, head: headModel,
                                                savePixels: savePixels, overwrite: force, protecting: inputs)
            let bar = ProgressBar(label: "embedding", unit: .items("images"))
            defer { bar.finish() }
            let summary = try ImageEmbedder.run(model: model, images: paths, batcher: batcher, output: output, options: options) {
                done, total, notes in
                bar.finish()
                printNotes(notes)
                bar.update(done, total)
            }
            bar.finish()
            let s = summary
            print("\(model.architecture.summary): \(s.images) image\(s.images == 1 ? "" : "s") \(s.height)×\(s.width) → grid \(s.grid.rows)×\(s.grid.columns), \(s.tokens) tokens, \(model.architecture.usesRoPE ? "RoPE" : "interpolation " + convention.rawValue); wrote \(output)\(savePixels.map { " and \($0)" } ?? "")")
            printHeadsRule(model)
            printForward(seconds: s.forwardSeconds,
                         gflops: ViTForward.flops(model.architecture, batch: s.images, height: s.height, width: s.width) / 1e9,
                         profile: profile ? s.profile : nil)
        }
    }
}
