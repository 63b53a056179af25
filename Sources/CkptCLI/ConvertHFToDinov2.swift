import ArgumentParser
import CkptKit

extension Ckpt.Convert {
    struct HFToDinov2: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "hf-to-dinov2",
            abstract: "Convert a Hugging Face DINOv2 backbone to the original facebookresearch layout.",
            discussion: """
                SRC is an HF folder or .safetensors file (Dinov2Model, Dinov2WithRegistersModel, or the dinov2. \
                backbone of Dinov2ForImageClassification). OUT loads with strict=True into the original \
                DinoVisionTransformer (block_chunks=0). Bytes are copied unchanged unless --dtype asks otherwise.
                """)

        @Argument(help: "HF folder or .safetensors file.")
        var source: String

        @Option(name: .shortAndLong, help: "Output .safetensors file (original layout).")
        var output: String

        @Option(name: .long, help: "Also write the folder's dino_head.safetensors here (spelled per --weight-norm).")
        var headOutput: String?

        @Option(name: .long, help: "Spelling of the head's weight-normed last layer (default: as in the input).")
        var weightNorm: WeightNormChoice?

        @OptionGroup var options: OutputOptions

        func run() throws {
            let checkpoint = try Checkpoint.open(source)
            let analysis = try requireLayout(checkpoint, [.hf], command: "hf-to-dinov2")
            // The head's checkpoint and both destinations are checked before either file is written.
            let head = try headOutput.map {
                LayoutWriter.HeadOutput(try Layouts.analyze(try checkpoint.companionHead(neededBy: "--head-output")),
                                        weightNorm: weightNorm?.spelling, to: $0)
            }
            let release = try LayoutWriter.writeRelease(analysis, layout: .dinov2, to: output, head: head,
                                                        cast: options.cast, overwrite: options.force)
            printWarnings(release.backbone)
            let backbone = release.backbone
            print("\(output): \(backbone.tensors.count) tensors, dinov2 \(backbone.detected.architecture!.summary)")
            if let h = release.head, let headOutput {
                print("\(headOutput): \(h.tensors.count) tensors, \(headSummary(h, weightNorm?.spelling))")
            }
        }
    }
}
