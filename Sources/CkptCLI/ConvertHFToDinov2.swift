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
            let head = try headOutput.map { _ in try checkpoint.companionHead(neededBy: "--head-output") }
            let conversion = try LayoutWriter.writeBackbone(analysis, layout: .dinov2, to: output,
                                                            cast: options.cast, overwrite: options.force)
            printWarnings(conversion)
            print("\(output): \(conversion.tensors.count) tensors, dinov2 \(conversion.detected.architecture!.summary)")
            if let head, let headOutput {
                let h = try LayoutWriter.writeHead(head, weightNorm: weightNorm?.spelling, to: headOutput, cast: options.cast,
                                                   overwrite: options.force, protecting: checkpoint.fileIdentities)
                print("\(headOutput): \(h.tensors.count) tensors, \(headSummary(h, weightNorm?.spelling))")
            }
        }
    }
}
