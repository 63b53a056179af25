import ArgumentParser
import CkptKit

/// `--image-backend pil|torchvision`.
extension ImageBackend: ExpressibleByArgument {}

/// Flags of the commands that read image files.
struct ImageOptions: ParsableArguments {
    @Option(name: .long, help: "Which transformers image processor to reproduce: pil (use_fast=False; the default) or torchvision (the default, and the only one, for a DINOv3ViTImageProcessor config).")
    var imageBackend: ImageBackend?

    @Option(name: .long, help: "Refuse images whose header claims more pixels than this (decompression bombs; default: PIL's limit, \(ImageDecoder.defaultMaxPixels)).")
    var maxImagePixels: Int = ImageDecoder.defaultMaxPixels

    @Option(name: .long, help: "Text file with one image path per line (relative to the list's folder); added after the images given as arguments.")
    var imageList: String?

    func validate() throws {
        if maxImagePixels < 1 { throw ValidationError("--max-image-pixels must be at least 1") }
    }

    /// The image paths: `given` then the list's, in order.
    func paths(_ given: [String]) throws -> [String] {
        try given + (imageList.map(ImageInputs.readList) ?? [])
    }

    /// The processor for `config` (a preprocessor_config.json or a folder holding one).
    func batcher(config: String) throws -> ImageBatcher {
        let loaded = try PreprocessorConfig.load(contentsOf: config)
        // transformers 5.24 has only a torchvision DINOv3ViTImageProcessor.
        let backend = imageBackend ?? (loaded.processorClass == .dinov3ViT ? .torchvision : .pil)
        let processor = try ImageProcessor(config: loaded, backend: backend)
        return ImageBatcher(processor: processor, maxPixels: maxImagePixels)
    }
}

/// Prints what a conversion to RGB lost, one `note:` line per note.
func printNotes(_ notes: [(path: String, note: ConversionNote)]) {
    for (path, note) in notes { printError("note: \(path): \(note)") }
}
