import ArgumentParser
import CkptKit

extension Ckpt {
    struct Preprocess: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "preprocess",
            abstract: "Turn PNG/JPEG images (and DICOM files) into pixel_values exactly as transformers' image processor does.",
            discussion: """
                Writes pixel_values [B, 3, H, W] (F32) for the images in the order given; every image must \
                come out the same size. CONFIG is a preprocessor_config.json (BitImageProcessor keys) or a \
                Hugging Face folder holding one. The output's __metadata__ lists the images and their \
                SHA-256 as a JSON array under "images". What a conversion to RGB loses (16-bit samples, \
                alpha, CMYK) is printed to stderr as notes. A DICOM file (recognised by content) is first prepared \
                with RAD-DINO's card recipe, as `ckpt convert dicom` writes it (docs/dicom.md), and processed as \
                that 8-bit PNG would be. See docs/preprocess.md.
                Exit codes: 0 written, 2 unreadable image or config, 64 usage error.
                """)

        @Argument(help: "PNG or JPEG files, or DICOM files (prepared with the card recipe first).")
        var images: [String] = []

        @Option(name: .long, help: "preprocessor_config.json, or a folder holding one.")
        var preprocessor: String

        @OptionGroup var imageOptions: ImageOptions

        @Option(name: .shortAndLong, help: "Output .safetensors file.")
        var output: String

        @Flag(name: .long, help: "Overwrite an existing output file.")
        var force = false

        func validate() throws {
            if images.isEmpty && imageOptions.imageList == nil { throw ValidationError("give at least one IMAGE or --image-list") }
        }

        func run() throws {
            let paths = try imageOptions.paths(images)
            // Before decoding anything: an existing output should not cost the work.
            let inputs = paths.compactMap(FileIdentity.of(path:))
            try AtomicOutput.checkDestination(output, overwrite: force, protecting: inputs)
            let batch = try imageOptions.batcher(config: preprocessor).batch(paths)
            printNotes(batch.notes)
            try PixelsFile.write(batch, to: output, overwrite: force, protecting: inputs)
            print("\(batch.count) image\(batch.count == 1 ? "" : "s") → pixel_values \(batch.shape); wrote \(output)")
        }
    }
}
